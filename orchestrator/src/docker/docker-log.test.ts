import { describe, expect, it } from "vitest";
import { parseDockerLogs } from "./docker-log.ts";

function frame(stream: 1 | 2, text: string): Buffer {
  const payload = Buffer.from(text, "utf8");
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

describe("parseDockerLogs", () => {
  it("demultiplexes stdout and stderr frames and orders lines by timestamp", () => {
    const buf = Buffer.concat([
      frame(2, "2026-11-22T10:00:01.500000000Z query: www.hamburger.edu IN A\n"),
      frame(1, "2026-11-22T10:00:00.250000000Z started\n2026-11-22T10:00:02.000000000Z ready\n"),
    ]);
    expect(parseDockerLogs(buf)).toEqual([
      { at: Date.parse("2026-11-22T10:00:00.250Z"), stream: "stdout", text: "started" },
      { at: Date.parse("2026-11-22T10:00:01.500Z"), stream: "stderr", text: "query: www.hamburger.edu IN A" },
      { at: Date.parse("2026-11-22T10:00:02.000Z"), stream: "stdout", text: "ready" },
    ]);
  });

  it("joins a line split across two frames", () => {
    const buf = Buffer.concat([frame(1, "2026-11-22T10:00:00Z hel"), frame(1, "lo\n")]);
    expect(parseDockerLogs(buf).map((l) => l.text)).toEqual(["hello"]);
  });

  it("reads an unframed (TTY) log and lines without timestamps", () => {
    expect(parseDockerLogs(Buffer.from("plain line\r\n"))).toEqual([{ at: 0, stream: "stdout", text: "plain line" }]);
  });

  it("returns nothing for an empty log", () => {
    expect(parseDockerLogs(Buffer.alloc(0))).toEqual([]);
  });
});
