import type { LogLine } from "./docker-adapter.ts";

/**
 * Splits the multiplexed stream Docker returns for a container without a TTY (each frame: one byte
 * stream type, three zero bytes, a 4-byte big-endian length, then the payload) into log lines.
 * With `timestamps: true` each line starts with an RFC 3339 timestamp and a space. Pure.
 */
export function parseDockerLogs(buffer: Buffer): LogLine[] {
  const lines: LogLine[] = [];
  const pending: Record<"stdout" | "stderr", string> = { stdout: "", stderr: "" };
  let offset = 0;
  const framed = buffer.length >= 8 && (buffer[0] === 1 || buffer[0] === 2) && buffer[1] === 0 && buffer[2] === 0 && buffer[3] === 0;
  if (!framed) {
    pending.stdout = buffer.toString("utf8");
  } else {
    while (offset + 8 <= buffer.length) {
      const stream = buffer[offset] === 2 ? "stderr" : "stdout";
      const size = buffer.readUInt32BE(offset + 4);
      pending[stream] += buffer.subarray(offset + 8, offset + 8 + size).toString("utf8");
      offset += 8 + size;
    }
  }
  for (const stream of ["stdout", "stderr"] as const) {
    for (const raw of pending[stream].split("\n")) {
      if (raw === "") continue;
      lines.push(parseTimestamped(raw, stream));
    }
  }
  return lines.sort((a, b) => a.at - b.at);
}

const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:\d{2}) (.*)$/s;

function parseTimestamped(raw: string, stream: "stdout" | "stderr"): LogLine {
  const m = TIMESTAMP.exec(raw);
  if (!m) return { at: 0, stream, text: raw.replace(/\r$/, "") };
  const fraction = (m[2] ?? ".0").slice(0, 4); // keep milliseconds; Date cannot hold nanoseconds
  return { at: Date.parse(`${m[1]}${fraction}${m[3]}`), stream, text: m[4]!.replace(/\r$/, "") };
}
