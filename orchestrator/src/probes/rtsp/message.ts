import { USER_AGENT } from "./types.ts";

/**
 * RTSP/1.0 messages (RFC 2326 section 4-7): requests serialised for the wire, and an incremental
 * parser for the byte stream of one TCP connection, which carries responses, requests from the
 * server, and interleaved binary frames (`$`, channel, 16-bit length, data; section 10.12), split
 * across reads in any way.
 */

/** The longest message head (start line and headers) and body the parser accepts. */
export const MAX_HEAD_BYTES = 64 * 1024;
export const MAX_BODY_BYTES = 1024 * 1024;

/** The reason phrases of RFC 2326 7.1.1, for replies the probe and the test server write. */
export const STATUS_REASONS: Readonly<Record<number, string>> = {
  100: "Continue",
  200: "OK",
  201: "Created",
  250: "Low on Storage Space",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Moved Temporarily",
  303: "See Other",
  305: "Use Proxy",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  408: "Request Time-out",
  415: "Unsupported Media Type",
  451: "Parameter Not Understood",
  453: "Not Enough Bandwidth",
  454: "Session Not Found",
  455: "Method Not Valid in This State",
  456: "Header Field Not Valid for Resource",
  457: "Invalid Range",
  459: "Aggregate operation not allowed",
  460: "Only aggregate operation allowed",
  461: "Unsupported transport",
  462: "Destination unreachable",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
  505: "RTSP Version not supported",
  551: "Option not supported",
};

/** Header fields in order; look-ups ignore case, and repeated fields are joined with ", ". */
export class RtspHeaders {
  readonly entries: readonly (readonly [string, string])[];

  constructor(entries: readonly (readonly [string, string])[] = []) {
    this.entries = entries;
  }

  get(name: string): string | undefined {
    const lower = name.toLowerCase();
    const values = this.entries.filter(([n]) => n.toLowerCase() === lower).map(([, v]) => v);
    return values.length === 0 ? undefined : values.join(", ");
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Names in lower case, repeated fields joined. */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of this.entries) {
      const key = name.toLowerCase();
      out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
    }
    return out;
  }
}

export interface RtspResponse {
  kind: "response";
  version: string;
  status: number;
  reason: string;
  headers: RtspHeaders;
  body: Buffer;
  /** The start line and header lines as received. */
  headLines: string[];
}

export interface RtspRequest {
  kind: "request";
  method: string;
  url: string;
  version: string;
  headers: RtspHeaders;
  body: Buffer;
  headLines: string[];
}

export interface InterleavedFrame {
  kind: "data";
  channel: number;
  payload: Buffer;
}

export type RtspMessage = RtspResponse | RtspRequest | InterleavedFrame;

/** The byte stream is not RTSP (a garbled start line, an oversized head, a bad Content-Length). */
export class RtspProtocolError extends Error {}

/** The CSeq of a message, or null when it has none or it is not a number. */
export function cseqOf(message: RtspResponse | RtspRequest): number | null {
  const value = message.headers.get("CSeq")?.trim();
  return value !== undefined && /^\d{1,10}$/.test(value) ? Number(value) : null;
}

const ONE_LINE = /^[^\r\n\0]*$/;

function checkField(what: string, value: string): void {
  if (!ONE_LINE.test(value)) throw new Error(`${what} must be one line: ${JSON.stringify(value)}`);
}

export interface RequestSpec {
  method: string;
  url: string;
  cseq: number;
  /** Sent after CSeq and User-Agent, unless null. */
  session?: string | null;
  /** More header fields, in order. */
  headers?: readonly (readonly [string, string])[];
  body?: Buffer | string;
  contentType?: string;
}

/** The request as text lines (no blank line, no body), as the transcript shows it. */
export function requestLines(spec: RequestSpec): string[] {
  if (!/^[A-Z_]+$/.test(spec.method)) throw new Error(`method "${spec.method}" is not an RTSP method name`);
  if (!/^\S+$/.test(spec.url)) throw new Error(`request URL must not be empty or contain white space: ${JSON.stringify(spec.url)}`);
  const lines = [`${spec.method} ${spec.url} RTSP/1.0`, `CSeq: ${spec.cseq}`, `User-Agent: ${USER_AGENT}`];
  if (spec.session != null) lines.push(`Session: ${spec.session}`);
  for (const [name, value] of spec.headers ?? []) {
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) throw new Error(`header name ${JSON.stringify(name)} is not a token`);
    lines.push(`${name}: ${value}`);
  }
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  if (body !== undefined && body.length > 0) {
    if (spec.contentType !== undefined) lines.push(`Content-Type: ${spec.contentType}`);
    lines.push(`Content-Length: ${body.length}`);
  }
  for (const line of lines) checkField("a request line", line);
  return lines;
}

/** A request as bytes: `METHOD url RTSP/1.0`, CSeq, User-Agent, Session, the other fields, Content-Length, body. */
export function serializeRequest(spec: RequestSpec): Buffer {
  const head = requestLines(spec).join("\r\n") + "\r\n\r\n";
  const body = spec.body === undefined ? Buffer.alloc(0) : Buffer.from(spec.body);
  return Buffer.concat([Buffer.from(head, "utf8"), body]);
}

export interface ResponseSpec {
  status: number;
  reason?: string;
  cseq: number | null;
  headers?: readonly (readonly [string, string])[];
  body?: Buffer | string;
}

/** A response as bytes (for answering the server's requests, and for the test server). */
export function serializeResponse(spec: ResponseSpec): Buffer {
  const reason = spec.reason ?? STATUS_REASONS[spec.status] ?? "Unknown";
  const lines = [`RTSP/1.0 ${spec.status} ${reason}`];
  if (spec.cseq !== null) lines.push(`CSeq: ${spec.cseq}`);
  for (const [name, value] of spec.headers ?? []) lines.push(`${name}: ${value}`);
  const body = spec.body === undefined ? Buffer.alloc(0) : Buffer.from(spec.body);
  if (body.length > 0) lines.push(`Content-Length: ${body.length}`);
  for (const line of lines) checkField("a response line", line);
  return Buffer.concat([Buffer.from(lines.join("\r\n") + "\r\n\r\n", "utf8"), body]);
}

/** An interleaved frame: `$`, the channel, the length (16 bits, network order), the data. */
export function interleavedFrame(channel: number, payload: Buffer): Buffer {
  if (!Number.isInteger(channel) || channel < 0 || channel > 255) throw new Error(`channel ${channel} is not 0-255`);
  if (payload.length > 0xffff) throw new Error(`an interleaved frame carries at most 65535 bytes, not ${payload.length}`);
  const head = Buffer.from([0x24, channel, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, payload]);
}

const RESPONSE_LINE = /^RTSP\/(\d+\.\d+) (\d{3})(?: (.*))?$/;
const REQUEST_LINE = /^([A-Z_]+) (\S+) RTSP\/(\d+\.\d+)$/;

/** The end of the head: the index after the blank line, or -1. Bare LF line ends are tolerated. */
function headEnd(buf: Buffer, from: number): number {
  for (let i = from; i < buf.length; i++) {
    if (buf[i] !== 0x0a) continue;
    if (buf[i + 1] === 0x0a) return i + 2;
    if (buf[i + 1] === 0x0d && buf[i + 2] === 0x0a) return i + 3;
  }
  return -1;
}

function printable(bytes: Buffer): string {
  return JSON.stringify(bytes.subarray(0, 60).toString("latin1"));
}

/**
 * Reads RTSP messages and interleaved frames out of a TCP byte stream. `push` takes each chunk as
 * it comes and returns every message it completes, in order; the rest waits for more bytes.
 * Throws RtspProtocolError when the stream cannot be RTSP (then the connection is useless).
 */
export class RtspStreamParser {
  #buf: Buffer = Buffer.alloc(0);

  /** Bytes held, waiting for the rest of a message. */
  get pending(): number {
    return this.#buf.length;
  }

  push(chunk: Buffer): RtspMessage[] {
    this.#buf = this.#buf.length === 0 ? chunk : Buffer.concat([this.#buf, chunk]);
    const out: RtspMessage[] = [];
    let at = 0;
    const buf = this.#buf;
    while (at < buf.length) {
      const first = buf[at]!;
      if (first === 0x24) {
        if (buf.length - at < 4) break;
        const length = buf.readUInt16BE(at + 2);
        if (buf.length - at < 4 + length) break;
        out.push({ kind: "data", channel: buf[at + 1]!, payload: Buffer.from(buf.subarray(at + 4, at + 4 + length)) });
        at += 4 + length;
        continue;
      }
      if (first === 0x0d || first === 0x0a) {
        // Blank lines between messages (some servers end a body with an extra CRLF).
        at += 1;
        continue;
      }
      const end = headEnd(buf, at);
      if (end < 0) {
        this.#checkPartialHead(buf.subarray(at));
        break;
      }
      if (end - at > MAX_HEAD_BYTES) throw new RtspProtocolError(`a message head longer than ${MAX_HEAD_BYTES} bytes`);
      const parsed = parseHead(buf.subarray(at, end).toString("utf8"));
      const lengthField = parsed.headers.get("Content-Length");
      let length = 0;
      if (lengthField !== undefined) {
        if (!/^\s*\d{1,10}\s*$/.test(lengthField)) throw new RtspProtocolError(`a bad Content-Length: ${JSON.stringify(lengthField)}`);
        length = Number(lengthField);
        if (length > MAX_BODY_BYTES) throw new RtspProtocolError(`a body of ${length} bytes, more than the ${MAX_BODY_BYTES} accepted`);
      }
      if (buf.length - end < length) break;
      const body = Buffer.from(buf.subarray(end, end + length));
      out.push({ ...parsed, body });
      at = end + length;
    }
    this.#buf = at >= buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(at));
    return out;
  }

  /** Refuses a head that cannot become RTSP as soon as its first line is complete, or that grows too long. */
  #checkPartialHead(rest: Buffer): void {
    if (rest.length > MAX_HEAD_BYTES) throw new RtspProtocolError(`a message head longer than ${MAX_HEAD_BYTES} bytes`);
    const nl = rest.indexOf(0x0a);
    if (nl >= 0) {
      const line = rest.subarray(0, nl).toString("utf8").replace(/\r$/, "");
      if (!RESPONSE_LINE.test(line) && !REQUEST_LINE.test(line)) throw new RtspProtocolError(`not an RTSP start line: ${printable(rest.subarray(0, rest[nl - 1] === 0x0d ? nl - 1 : nl))}`);
    } else if (!/^[A-Z_]+(?:[ /]|$)/.test(rest.subarray(0, 32).toString("latin1"))) {
      throw new RtspProtocolError(`not an RTSP message: ${printable(rest)}`);
    }
  }
}

function parseHead(text: string): Omit<RtspResponse, "body"> | Omit<RtspRequest, "body"> {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const start = lines[0] ?? "";
  const entries: [string, string][] = [];
  const headLines = [start];
  for (const line of lines.slice(1)) {
    headLines.push(line);
    const last = entries[entries.length - 1];
    if (/^[ \t]/.test(line) && last) {
      // A folded continuation line (RFC 2326 4.2 borrows HTTP/1.1's LWS).
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    entries.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  const headers = new RtspHeaders(entries);
  const response = RESPONSE_LINE.exec(start);
  if (response) return { kind: "response", version: response[1]!, status: Number(response[2]), reason: response[3] ?? "", headers, headLines };
  const request = REQUEST_LINE.exec(start);
  if (request) return { kind: "request", method: request[1]!, url: request[2]!, version: request[3]!, headers, headLines };
  throw new RtspProtocolError(`not an RTSP start line: ${JSON.stringify(start.slice(0, 60))}`);
}
