import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidInputError } from "../../common/errors.ts";
import { FakeClock } from "../../common/testing/fake-clock.ts";
import { eventually } from "../../common/testing/timing.ts";
import type { DockerAdapter } from "../../docker/docker-adapter.ts";
import { Topology, type ServiceSpec } from "../../lab/topology.ts";
import type { ProbeContext } from "../probe.ts";
import { formatTranscript } from "../transcript.ts";
import { type FakeTftpOptions, type FakeTftpServer, startFakeTftpServer } from "./fake-tftp-server.ts";
import { generateContent, type TftpProbeParams, tftpProbe } from "./tftp-probe.ts";

const service = (name: string, ipv4: string, hostnames: string[] = []): ServiceSpec => ({
  name, role: "tftp", hostnames, description: "", networks: [{ network: "lab", ipv4 }],
});
// The TFTP server lives on 127.0.0.1 here.
const topology = new Topology("l7lab", [
  service("tftp", "127.0.0.1", ["tftp.localhost"]),
  service("tftp-lab", "10.0.0.69", ["tftp.crepes.fr"]),
  service("outside", "198.51.100.69"),
], [{ name: "lab", subnet: "10.0.0.0/24", internal: true, private: false, description: "" }]);

/** The probe's timers run on it: nothing times out unless a test moves it. */
let clock: FakeClock;
beforeEach(() => {
  clock = new FakeClock();
});

function context(signal = new AbortController().signal): ProbeContext {
  return { signal, clock, topology, docker: {} as DockerAdapter, stepStartedAt: () => undefined };
}

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const CFG = "DEFAULT linux\nLABEL linux\n  KERNEL vmlinuz\n  APPEND initrd=initrd.img\n";

const servers: FakeTftpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  // Ends the dallies, so that the clients' sockets close.
  await clock.advance(60_000);
});
async function fake(options: FakeTftpOptions = {}): Promise<FakeTftpServer> {
  const s = await startFakeTftpServer({ files: { "pxelinux.cfg/default": CFG }, ...options });
  servers.push(s);
  return s;
}

async function run(params: Partial<TftpProbeParams> & { port: number }, ctx = context()) {
  const out = await tftpProbe.run({ server: "tftp", action: "get", file: "pxelinux.cfg/default", ...params } as TftpProbeParams, ctx);
  expect(() => JSON.stringify(out)).not.toThrow();
  return out;
}

describe("tftpProbe", () => {
  it("is named tftp", () => {
    expect(tftpProbe.name).toBe("tftp");
  });

  it("gets a file: completed, with its size and SHA-256 and no Buffer", async () => {
    const s = await fake();
    const out = await run({ port: s.port, blksize: 1468, tsize: true });
    expect(out.ok).toBe(true);
    expect(out.error).toBeUndefined();
    expect(out.data).toEqual({
      action: "get",
      completed: true,
      filename: "pxelinux.cfg/default",
      mode: "octet",
      server: `127.0.0.1:${s.port}`,
      serverTid: s.transfers[0]!.tid,
      requestedOptions: { blksize: "1468", tsize: "0" },
      oack: { blksize: "1468", tsize: String(CFG.length) },
      blksize: 1468,
      tsize: CFG.length,
      bytes: CFG.length,
      wireBytes: CFG.length,
      sha256: sha256(CFG),
      blocks: 1,
      rollovers: 0,
      retransmissions: 0,
      timeouts: 0,
      duplicates: 0,
      strayPackets: 0,
      durationMs: expect.any(Number),
    });
    expect(formatTranscript(out.transcript)).toContain(
      ['C: RRQ "pxelinux.cfg/default" octet blksize=1468 tsize=0', `S: OACK blksize=1468 tsize=${CFG.length}`, "C: ACK 0", `S: DATA 1 (${CFG.length} bytes)`, "C: ACK 1"].join("\n"),
    );
  });

  it("includeContent puts the text in the result", async () => {
    const s = await fake();
    const out = await run({ port: s.port, includeContent: true, mode: "netascii" });
    expect(out.data).toMatchObject({ completed: true, mode: "netascii", content: CFG, wireBytes: CFG.length + 4 });
  });

  it("includeContent of a file over 1 MiB: the transfer is reported, the content is not", async () => {
    const big = generateContent(1024 * 1024 + 1, 2);
    const s = await fake({ files: { big } });
    const out = await run({ port: s.port, file: "big", blksize: 8192, includeContent: true });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ completed: true, bytes: big.length, sha256: sha256(big) });
    expect(out.data.content).toBeUndefined();
    expect(out.data.contentOmitted).toBe("the file has 1048577 bytes, more than the 1048576 (1 MiB) includeContent allows; compare sha256 instead");
    expect(out.transcript.at(-1)?.text).toBe(`content not included: ${out.data.contentOmitted}`);
  });

  it("a missing file: ok (the server answered), not completed, with the ERROR", async () => {
    const s = await fake();
    const out = await run({ port: s.port, file: "pxelinux.cfg/01-52-54-00-12-34-56", includeContent: true });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ completed: false, blocks: 0, error: { code: 1, name: "File not found", message: "File not found", from: "server" } });
    expect(out.data.contentOmitted).toBe("the transfer did not complete");
  });

  it("puts text as UTF-8", async () => {
    const s = await fake();
    const text = "crêpes\n";
    const out = await run({ port: s.port, action: "put", file: "notes.txt", content: text, tsize: true });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ action: "put", completed: true, bytes: Buffer.byteLength(text), sha256: sha256(text), tsize: Buffer.byteLength(text) });
    expect(s.files.get("notes.txt")?.toString("utf8")).toBe(text);
  });

  it("puts generated bytes: the same size and seed give the same file", async () => {
    const s = await fake();
    const out = await run({ port: s.port, action: "put", file: "gen.bin", size: 100_000, seed: 42, blksize: 1428 });
    const expected = generateContent(100_000, 42);
    expect(out.data).toMatchObject({ completed: true, bytes: 100_000, sha256: sha256(expected), blocks: 71, blksize: 1428 });
    expect(s.files.get("gen.bin")?.equals(expected)).toBe(true);
  });

  it("a refused OACK: ok, not completed, with the ERROR 8 this client sent", async () => {
    const s = await fake({ oack: (o) => ({ ...o, windowsize: "8" }) });
    const out = await run({ port: s.port, blksize: 1024 });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ completed: false, error: { code: 8, from: "client", message: "option windowsize=8 was not requested" } });
  });

  it("a silent server: ok false with a timeout, and the counts so far", async () => {
    const s = await fake({ silent: true });
    const running = run({ port: s.port, timeoutMs: 20, retries: 1 });
    for (const sent of [1, 2]) {
      await eventually(() => expect(s.requests).toHaveLength(sent));
      await clock.advance(20);
    }
    const out = await running;
    expect(out.ok).toBe(false);
    expect(out.error).toEqual({ code: "PROBE_TIMEOUT", message: `TFTP probe got no answer from 127.0.0.1:${s.port} to RRQ "pxelinux.cfg/default" (sent 2 times) within 20 ms` });
    expect(out.data).toMatchObject({ action: "get", completed: false, serverTid: undefined, timeouts: 2, retransmissions: 1, blocks: 0 });
    expect(s.requests).toHaveLength(2);
  });

  it("a server outside the lab throws InvalidInputError", async () => {
    await expect(run({ port: 69, server: "outside" })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("inconsistent parameters throw InvalidInputError before anything is sent", async () => {
    const s = await fake();
    await expect(run({ port: s.port, content: "x" })).rejects.toThrow('TFTP probe parameters is invalid: "content" applies only to action "put", and action is "get"');
    expect(s.requests).toHaveLength(0);
  });

  it("stops when the signal aborts", async () => {
    const s = await fake({ silent: true });
    const controller = new AbortController();
    const running = run({ port: s.port, timeoutMs: 5000 }, context(controller.signal));
    // The request is out and the clock stands still: only the abort can end the wait.
    await eventually(() => expect(s.requests).toHaveLength(1));
    controller.abort(new Error("step cancelled"));
    await expect(running).rejects.toThrow("step cancelled");
    expect(clock.pending()).toEqual([]);
  });
});

describe("tftpProbe.check", () => {
  const check = (params: Partial<TftpProbeParams>) =>
    tftpProbe.check!({ server: "tftp-lab", action: "get", file: "pxelinux.0", ...params } as TftpProbeParams, { topology, earlierStepIds: [] });
  it.each([
    { title: "a lab service", input: {}, expected: [] },
    { title: "a lab host name", input: { server: "tftp.crepes.fr" }, expected: [] },
    { title: "a lab address", input: { server: "10.0.0.69" }, expected: [] },
    { title: "an unknown name", input: { server: "tftp.example.com" }, expected: ['server "tftp.example.com" is not a lab service, a lab host name or an IP address'] },
    { title: "a service outside the lab", input: { server: "outside" }, expected: ['server "outside" (198.51.100.69) is not in the lab\'s networks (10.0.0.0/24); the probe asks only lab servers'] },
    { title: "a put without content", input: { action: "put" as const }, expected: ['put needs "content" (the text to send) or "size" (generated bytes)'] },
  ])("$title", ({ input, expected }) => {
    expect(check(input)).toEqual(expected);
  });
});
