import net from "node:net";
import tls from "node:tls";
import { type Clock, startTimer, systemClock } from "../../common/clock.ts";
import { InvalidInputError, ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import { Transcript } from "../transcript.ts";
import { type Pop3Reply, ResponseReader } from "./reader.ts";
import { isMultiLine, joinLines, maskCommand, Pop3ProtocolError } from "./response.ts";
import type { Pop3Response, Pop3TlsInfo } from "./types.ts";

/**
 * A POP3 client (RFC 1939) with CAPA (RFC 2449) and STLS (RFC 2595): one command at a time, each
 * with its own timeout, every exchange written to a transcript. Socket failures throw
 * ProbeNetworkError, timeouts ProbeTimeoutError, an abort the signal's reason; a -ERR is an answer
 * like +OK and is returned, never thrown.
 */

export const DEFAULT_TIMEOUT_MS = 10_000;
/** Listing lines (LIST, UIDL, CAPA) shown verbatim in the transcript before a summary takes over. */
const SHOWN_LISTING_LINES = 20;

export interface Pop3TlsOptions {
  /** The name sent in SNI and checked against the certificate; without it the address is checked. */
  servername?: string;
  /** CA certificates (PEM) to trust instead of Node's default list. */
  ca?: string | Buffer;
  /** Default true. */
  rejectUnauthorized?: boolean;
}

export interface Pop3ConnectOptions {
  /** The server's IP address. */
  host: string;
  port: number;
  /** TLS from the first byte (POP3S, port 995) instead of plain TCP. */
  implicitTls?: boolean;
  /** Settings for implicit TLS and for STLS. */
  tls?: Pop3TlsOptions;
  /** Timeout of connecting (with the greeting), of each command, and of a TLS handshake; default 10000. */
  timeoutMs?: number;
  signal?: AbortSignal;
  transcript?: Transcript;
  /** What times the timeouts; default the system clock (tests drive a fake one). */
  clock?: Clock;
}

/** "192.0.2.1:110", "[2001:db8::1]:110". */
export function peerOf(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

interface Waiter {
  what: string;
  /** Tries to finish; true when it did. */
  poll(): boolean;
  reject(error: unknown): void;
  cancelTimer: () => void;
}

function describeBody(command: string, body: readonly Buffer[]): string[] {
  const verb = command.split(" ")[0]!.toUpperCase();
  const octets = joinLines(body).length;
  const size = `${octets} octets, ${body.length} line${body.length === 1 ? "" : "s"}`;
  if (verb === "RETR") return [`(message of ${size})`];
  if (verb === "TOP") return [`(headers and top of message: ${size})`];
  if (!["LIST", "UIDL", "CAPA", "AUTH"].includes(verb)) return [`(${size})`];
  const shown = body.slice(0, SHOWN_LISTING_LINES).map((l) => l.toString("utf8"));
  const rest = body.length - shown.length;
  return rest > 0 ? [...shown, `(${rest} more line${rest === 1 ? "" : "s"})`] : shown;
}

function tlsInfoOf(socket: tls.TLSSocket): Pop3TlsInfo {
  const cn = socket.getPeerCertificate()?.subject?.CN;
  const error = socket.authorizationError;
  return {
    protocol: socket.getProtocol() ?? "unknown",
    cipher: socket.getCipher()?.name ?? "unknown",
    authorized: socket.authorized,
    ...(error ? { authorizationError: String(error) } : {}),
    ...(cn ? { subject: Array.isArray(cn) ? cn.join(", ") : cn } : {}),
  };
}

export class Pop3Client {
  readonly host: string;
  readonly port: number;
  /** "address:port", as errors and the transcript name the server. */
  readonly peer: string;
  readonly transcript: Transcript;
  /** Every status line so far, greeting first. */
  readonly responses: Pop3Response[] = [];
  /** The greeting, once `connect` has returned. */
  greeting: Pop3Reply | undefined;
  /** The TLS session, once there is one. */
  tlsInfo: Pop3TlsInfo | undefined;

  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #tlsOptions: Pop3TlsOptions;
  readonly #signal: AbortSignal | undefined;
  readonly #reader = new ResponseReader();
  #socket: net.Socket;
  #waiter: Waiter | undefined;
  #failure: unknown;
  #handshaking = false;
  #closing = false;
  #closed = false;

  private constructor(options: Pop3ConnectOptions) {
    this.host = options.host;
    this.port = options.port;
    this.peer = peerOf(options.host, options.port);
    this.transcript = options.transcript ?? new Transcript();
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#clock = options.clock ?? systemClock;
    this.#tlsOptions = options.tls ?? {};
    this.#signal = options.signal;
    if (options.implicitTls) {
      this.#handshaking = true;
      this.#socket = tls.connect({ port: options.port, ...this.#tlsConnectOptions() });
      this.#socket.once("secureConnect", this.#onSecure);
    } else {
      this.#socket = net.connect({ host: options.host, port: options.port });
    }
    this.#attach(this.#socket);
    this.#signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /** Connects, with TLS at once when `implicitTls`, and reads the greeting (a -ERR greeting is returned too). */
  static async connect(options: Pop3ConnectOptions): Promise<Pop3Client> {
    const problems: string[] = [];
    if (net.isIP(options.host) === 0) problems.push(`host "${options.host}" is not an IP address`);
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) problems.push(`port ${options.port} is not between 1 and 65535`);
    if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) problems.push(`timeoutMs ${options.timeoutMs} is not positive`);
    if (problems.length > 0) throw new InvalidInputError("POP3 connection", problems);
    options.signal?.throwIfAborted();
    const client = new Pop3Client(options);
    try {
      client.greeting = await client.#reply("(greeting)", "connecting and the greeting", false);
    } catch (error) {
      client.close();
      throw error;
    }
    return client;
  }

  /** Whether the connection is encrypted now. */
  get tls(): boolean {
    return this.tlsInfo !== undefined;
  }

  /**
   * Sends one command and returns the server's answer. `multiLine` (default: what the command
   * implies, see isMultiLine) says whether a +OK is followed by a body ending in ".".
   */
  async command(line: string, options: { multiLine?: boolean } = {}): Promise<Pop3Reply> {
    if (/[\r\n]/.test(line)) throw new InvalidInputError("POP3 command", [`${JSON.stringify(maskCommand(line))} contains a line break`]);
    if (this.#failure !== undefined) throw this.#failure;
    const shown = maskCommand(line);
    this.transcript.client(this.peer, shown);
    this.#socket.write(line + "\r\n");
    return this.#reply(shown, shown, options.multiLine ?? isMultiLine(line));
  }

  user(name: string): Promise<Pop3Reply> {
    return this.command(`USER ${name}`);
  }

  pass(password: string): Promise<Pop3Reply> {
    return this.command(`PASS ${password}`);
  }

  stat(): Promise<Pop3Reply> {
    return this.command("STAT");
  }

  /** LIST (every message, multi-line) or LIST n (one, single line). */
  list(n?: number): Promise<Pop3Reply> {
    return this.command(n === undefined ? "LIST" : `LIST ${n}`);
  }

  /** UIDL (every message, multi-line) or UIDL n (one, single line). */
  uidl(n?: number): Promise<Pop3Reply> {
    return this.command(n === undefined ? "UIDL" : `UIDL ${n}`);
  }

  retr(n: number): Promise<Pop3Reply> {
    return this.command(`RETR ${n}`);
  }

  top(n: number, lines: number): Promise<Pop3Reply> {
    return this.command(`TOP ${n} ${lines}`);
  }

  dele(n: number): Promise<Pop3Reply> {
    return this.command(`DELE ${n}`);
  }

  rset(): Promise<Pop3Reply> {
    return this.command("RSET");
  }

  noop(): Promise<Pop3Reply> {
    return this.command("NOOP");
  }

  capa(): Promise<Pop3Reply> {
    return this.command("CAPA");
  }

  /** QUIT; after the answer the connection is closed from this side. */
  async quit(): Promise<Pop3Reply> {
    const reply = await this.command("QUIT");
    this.close("connection closed");
    return reply;
  }

  /**
   * STLS, and after +OK the TLS handshake (RFC 2595). Octets the server sent after +OK, before the
   * handshake, are dropped: they could be an attacker's. A -ERR is returned and nothing changes.
   */
  async stls(): Promise<Pop3Reply> {
    const reply = await this.command("STLS");
    if (!reply.ok) return reply;
    const extra = this.#reader.discard();
    if (extra > 0) this.transcript.note(this.peer, `dropped ${extra} octets the server sent after +OK to STLS, before TLS`);
    const plain = this.#socket;
    plain.off("data", this.#onData);
    this.#handshaking = true;
    const secure = tls.connect({ socket: plain, ...this.#tlsConnectOptions() });
    secure.once("secureConnect", this.#onSecure);
    this.#socket = secure;
    this.#attach(secure);
    await this.#wait("the TLS handshake", () => !this.#handshaking);
    return reply;
  }

  /** Closes the connection (no QUIT: the server does not commit deletions), with an optional note. */
  close(note?: string): void {
    this.#signal?.removeEventListener("abort", this.#onAbort);
    if (this.#closed || this.#closing) return;
    this.#closing = true;
    if (note) this.transcript.note(this.peer, note);
    this.#socket.destroy();
  }

  #tlsConnectOptions(): tls.ConnectionOptions {
    const { servername, ca, rejectUnauthorized } = this.#tlsOptions;
    return {
      host: this.host,
      ...(servername !== undefined && net.isIP(servername) === 0 ? { servername } : {}),
      ...(ca !== undefined ? { ca } : {}),
      rejectUnauthorized: rejectUnauthorized ?? true,
    };
  }

  #attach(socket: net.Socket): void {
    socket.on("data", this.#onData);
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
  }

  async #reply(command: string, what: string, multiLine: boolean): Promise<Pop3Reply> {
    let reply: Pop3Reply | undefined;
    await this.#wait(what, () => {
      reply = this.#reader.next(multiLine);
      return reply !== undefined;
    });
    const r = reply!;
    this.transcript.server(this.peer, r.line);
    if (r.body) {
      for (const line of describeBody(command, r.body)) this.transcript.server(this.peer, line);
      this.transcript.server(this.peer, ".");
    }
    this.responses.push({ command, ok: r.ok, text: r.text, ...(r.code !== undefined ? { code: r.code } : {}) });
    return r;
  }

  /** Waits until `poll` says done, the timeout passes, or the connection fails. */
  #wait(what: string, poll: () => boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (this.#failure !== undefined) return reject(this.#failure);
      const cancelTimer = startTimer(this.#clock, this.#timeoutMs, () => {
        this.transcript.note(this.peer, `no answer to ${what} within ${this.#timeoutMs} ms; closing the connection`);
        this.#fail(new ProbeTimeoutError("POP3", this.peer, this.#timeoutMs, what));
      });
      this.#waiter = {
        what,
        poll: () => {
          if (!poll()) return false;
          resolve();
          return true;
        },
        reject,
        cancelTimer,
      };
      this.#poll();
    });
  }

  #poll(): void {
    const w = this.#waiter;
    if (!w) return;
    let done: boolean;
    try {
      done = w.poll();
    } catch (error) {
      if (!(error instanceof Pop3ProtocolError)) throw error;
      this.transcript.note(this.peer, `protocol error: ${error.message}; closing the connection`);
      this.#fail(new ProbeNetworkError("POP3", this.peer, `protocol error in the answer to ${w.what}: ${error.message}`, { cause: error }));
      return;
    }
    if (!done) return;
    w.cancelTimer();
    this.#waiter = undefined;
  }

  /** Remembers the first failure, closes the socket, and rejects whoever waits. */
  #fail(error: unknown): void {
    if (this.#failure === undefined) this.#failure = error;
    this.#closing = true;
    this.#socket.destroy();
    const w = this.#waiter;
    if (!w) return;
    w.cancelTimer();
    this.#waiter = undefined;
    w.reject(this.#failure);
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#reader.push(chunk);
    this.#poll();
  };

  readonly #onSecure = (): void => {
    const socket = this.#socket as tls.TLSSocket;
    this.#handshaking = false;
    this.tlsInfo = tlsInfoOf(socket);
    const { protocol, cipher, authorized, authorizationError, subject } = this.tlsInfo;
    const cert = `certificate ${subject ? `CN=${subject} ` : ""}`;
    const verdict = authorized ? `${cert}verified` : `${cert}NOT verified (${authorizationError ?? "unknown"}), accepted because rejectUnauthorized is false`;
    this.transcript.note(this.peer, `TLS established: ${protocol}, ${cipher}; ${verdict}`);
    this.#poll();
  };

  readonly #onError = (error: Error): void => {
    if (this.#failure !== undefined || this.#closing) return;
    const code = (error as NodeJS.ErrnoException).code;
    const message = this.#handshaking ? `TLS handshake failed: ${error.message}${code && !error.message.includes(code) ? ` (${code})` : ""}` : error.message;
    this.transcript.note(this.peer, message);
    this.#fail(new ProbeNetworkError("POP3", this.peer, message, { cause: error }));
  };

  readonly #onClose = (): void => {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#failure !== undefined || this.#closing) return;
    const waiting = this.#waiter?.what;
    this.transcript.note(this.peer, "the server closed the connection");
    this.#fail(new ProbeNetworkError("POP3", this.peer, `the server closed the connection${waiting ? ` before the answer to ${waiting}` : ""}`));
  };

  readonly #onAbort = (): void => {
    this.transcript.note(this.peer, "aborted; closing the connection");
    this.#fail(this.#signal?.reason);
  };
}
