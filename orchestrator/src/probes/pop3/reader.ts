import { isTerminator, parseStatus, Pop3ProtocolError, type Pop3Status, unstuff } from "./response.ts";

/**
 * Streaming readers for a POP3 connection: bytes arrive in TCP chunks of any size, split anywhere
 * (in a status line, in "\r\n", in the terminating "."), and come out as lines and whole responses.
 * Pure: the client pushes what the socket gives it.
 */

const LF = 0x0a;
const CR = 0x0d;

/** Splits a byte stream into lines. A line ends in LF; a CR before it is dropped (bare LF is tolerated). */
export class LineReader {
  #buf: Buffer = Buffer.alloc(0);
  #offset = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    // Keep only the unread tail, so that a long body is not copied again for every chunk.
    this.#buf = this.#offset < this.#buf.length ? Buffer.concat([this.#buf.subarray(this.#offset), chunk]) : chunk;
    this.#offset = 0;
  }

  /** The next complete line, without its line ending, or undefined until one has arrived. */
  nextLine(): Buffer | undefined {
    const end = this.#buf.indexOf(LF, this.#offset);
    if (end < 0) return undefined;
    const stop = end > this.#offset && this.#buf[end - 1] === CR ? end - 1 : end;
    const line = this.#buf.subarray(this.#offset, stop);
    this.#offset = end + 1;
    return line;
  }

  /** Octets received and not yet returned as lines. */
  get buffered(): number {
    return this.#buf.length - this.#offset;
  }

  /** Drops whatever is buffered (before a TLS upgrade) and says how many octets that was. */
  discard(): number {
    const n = this.buffered;
    this.#buf = Buffer.alloc(0);
    this.#offset = 0;
    return n;
  }
}

/** One complete response: the status line and, for a multi-line +OK, the dot-unstuffed body lines. */
export interface Pop3Reply extends Pop3Status {
  /** The status line as received (without CRLF). */
  line: string;
  /** The body lines without their CRLF and after dot-unstuffing; only for a multi-line +OK. */
  body?: Buffer[];
}

/**
 * Reads whole responses off a stream. The caller says whether the response it waits for has a body
 * (it depends on the command); a -ERR never has one. Call `next` again after every `push` until it
 * returns a response; a half-read response is kept between calls.
 */
export class ResponseReader {
  readonly #lines = new LineReader();
  #pending: { status: Pop3Reply; body: Buffer[] } | undefined;

  push(chunk: Buffer): void {
    this.#lines.push(chunk);
  }

  /** The next complete response, or undefined until it has arrived; a non-status line throws Pop3ProtocolError. */
  next(multiLine: boolean): Pop3Reply | undefined {
    if (!this.#pending) {
      const raw = this.#lines.nextLine();
      if (raw === undefined) return undefined;
      const line = raw.toString("utf8");
      const status = parseStatus(line);
      if (!status) throw new Pop3ProtocolError(`expected +OK or -ERR, got ${JSON.stringify(truncate(line))}`);
      const reply: Pop3Reply = { ...status, line };
      if (!multiLine || !status.ok) return reply;
      this.#pending = { status: reply, body: [] };
    }
    const pending = this.#pending;
    for (let raw = this.#lines.nextLine(); raw !== undefined; raw = this.#lines.nextLine()) {
      if (isTerminator(raw)) {
        this.#pending = undefined;
        return { ...pending.status, body: pending.body };
      }
      pending.body.push(unstuff(raw));
    }
    return undefined;
  }

  /** Octets received and not yet part of a response. */
  get buffered(): number {
    return this.#lines.buffered;
  }

  /** Drops buffered octets (nothing may be read ahead of a TLS handshake); returns how many. */
  discard(): number {
    this.#pending = undefined;
    return this.#lines.discard();
  }
}

function truncate(s: string, max = 80): string {
  return s.length > max ? s.slice(0, max) + "..." : s;
}
