import type { Socket } from "node:net";
import type { buildConnector } from "undici";

/**
 * What went over one connection, seen from under undici: the request head as written, the
 * response head as read (for the transcript's C:/S: lines, with the server's spelling, and for the
 * HTTP version, which undici does not report), and when the request went out and the first byte
 * of the answer came back.
 */
export interface WireTap {
  /** performance.now() when undici wrote the first byte of the request. */
  sentAt?: number;
  /** performance.now() when the first byte of the response was read. */
  firstByteAt?: number;
  /** The request head, up to and without the blank line (latin1). */
  requestHead?: string;
  /** The final (non-1xx) response head, up to and without the blank line (latin1). */
  responseHead?: string;
}

const MAX_HEAD = 64 * 1024;
const END = "\r\n\r\n";

/** Wraps a connector (undici's buildConnector) so that every socket it makes is tapped into `tap`. */
export function tappingConnector(base: buildConnector.connector, tap: WireTap, now: () => number = () => performance.now()): buildConnector.connector {
  return (options, callback) => {
    base(options, (...args) => {
      const socket = args[1];
      if (socket) tapSocket(socket, tap, now);
      callback(...args);
    });
  };
}

const text = (chunk: unknown, encoding?: unknown): string =>
  typeof chunk === "string"
    ? Buffer.from(chunk, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8").toString("latin1")
    : Buffer.isBuffer(chunk) || chunk instanceof Uint8Array
      ? Buffer.from(chunk).toString("latin1")
      : "";

/** Records the request head written to and the response head read from `socket`. */
export function tapSocket(socket: Socket, tap: WireTap, now: () => number): void {
  let sent = "";
  let received = "";
  const write = socket.write;
  socket.write = function (this: Socket, chunk: unknown, ...rest: unknown[]) {
    if (tap.requestHead === undefined && sent.length < MAX_HEAD) {
      tap.sentAt ??= now();
      sent += text(chunk, rest[0]);
      const end = sent.indexOf(END);
      if (end >= 0) tap.requestHead = sent.slice(0, end);
    }
    return (write as (...a: unknown[]) => boolean).apply(this, [chunk, ...rest]);
  } as typeof socket.write;

  const read = socket.read;
  socket.read = function (this: Socket, size?: number) {
    const chunk: unknown = read.call(this, size);
    if (chunk !== null && chunk !== undefined && tap.responseHead === undefined && received.length < MAX_HEAD) {
      tap.firstByteAt ??= now();
      received += text(chunk);
      for (let end = received.indexOf(END); end >= 0 && tap.responseHead === undefined; end = received.indexOf(END)) {
        const head = received.slice(0, end);
        received = received.slice(end + END.length);
        // An interim answer (100 Continue, 103 Early Hints) is not the response.
        if (!/^HTTP\/\d(\.\d)? 1\d\d\b/.test(head)) tap.responseHead = head;
      }
    }
    return chunk;
  } as typeof socket.read;
}

/** The HTTP version and reason phrase of a response head's status line. */
export function parseStatusLine(head: string | undefined): { httpVersion?: string; statusText?: string } {
  const m = /^HTTP\/(\d(?:\.\d)?) \d{3}(?: (.*))?$/.exec(head?.split("\r\n", 1)[0] ?? "");
  if (!m) return {};
  return { httpVersion: m[1]!, ...(m[2] !== undefined && m[2] !== "" ? { statusText: m[2] } : {}) };
}
