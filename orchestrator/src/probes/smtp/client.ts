import net from "node:net";
import tls from "node:tls";
import { type Clock, startTimer, systemClock } from "../../common/clock.ts";
import { ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import type { Transcript } from "../transcript.ts";
import { maskCommand } from "./auth.ts";
import { encodeData } from "./data.ts";
import { assemble, parseReplyLine, type ReplyLine } from "./reply.ts";
import type { SmtpExchange, SmtpReply, SmtpTlsInfo } from "./types.ts";

/**
 * A small SMTP client over node:net and node:tls that shows its whole dialogue: it sends one command
 * at a time, waits for the complete reply with a timeout, and writes every command (credentials
 * masked) and every reply line into the transcript. It never judges a reply: a 5xx is returned like
 * a 250. Socket failures throw ProbeNetworkError, a missing reply ProbeTimeoutError, an abort the
 * signal's reason; after any of them the client is closed.
 */

const PROTOCOL = "SMTP";
const DEFAULT_MAX_BODY_LINES = 200;

export interface SmtpTlsOptions {
  /** The name the certificate must carry, also sent as SNI; without it the address is checked. */
  servername?: string;
  /** PEM text of the CAs to trust; default Node's own list. */
  ca?: string;
  rejectUnauthorized: boolean;
}

export interface SmtpClientOptions {
  /** The server's IP address. */
  host: string;
  port: number;
  /** Timeout of connecting, of the TLS handshake and of each reply. */
  timeoutMs: number;
  transcript: Transcript;
  /** TLS from the first byte (SMTPS). */
  implicitTls?: SmtpTlsOptions;
  signal?: AbortSignal;
  /** At most this many lines of message data go into the transcript; default 200. */
  maxBodyLines?: number;
  /** What times the timeouts and the wait for the server to close; default the system clock (tests drive a fake one). */
  clock?: Clock;
}

/** "192.0.2.1:25", "[2001:db8::1]:25". */
export function peerOf(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

interface Waiter<T> {
  /** What is awaited, for notes and errors: "the greeting", 'the reply to "NOOP"'. */
  what: string;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function tlsConnectOptions(host: string, o: SmtpTlsOptions): tls.ConnectionOptions {
  return {
    host,
    ...(o.servername !== undefined && net.isIP(o.servername) === 0 ? { servername: o.servername } : {}),
    ...(o.ca !== undefined ? { ca: o.ca } : {}),
    rejectUnauthorized: o.rejectUnauthorized,
    // A name to check even though the socket is connected to an address.
    ...(o.servername !== undefined ? { checkServerIdentity: (_host: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(o.servername!, cert) } : {}),
  };
}

export class SmtpClient {
  readonly peer: string;
  /** Every command and its reply, in order. */
  readonly exchanges: SmtpExchange[] = [];
  /** Every reply code in order, the greeting's first. */
  readonly codes: number[] = [];
  readonly #opts: SmtpClientOptions;
  readonly #transcript: Transcript;
  #socket: net.Socket | undefined;
  #received = Buffer.alloc(0);
  #lines: ReplyLine[] = [];
  #replies: SmtpReply[] = [];
  #replyWaiter: Waiter<SmtpReply> | undefined;
  #eventWaiter: Waiter<void> | undefined;
  #closeWaiters: (() => void)[] = [];
  #failure: Error | undefined;
  #closed = false;
  #closing = false;
  #challenged = false;
  #tlsInfo: SmtpTlsInfo | undefined;
  readonly #onData = (chunk: Buffer) => this.#data(chunk);
  readonly #onError = (err: Error) => this.#socketError(err);
  readonly #onClose = () => this.#socketClosed();
  readonly #onAbort = () => this.#fail(this.#opts.signal?.reason);

  constructor(opts: SmtpClientOptions) {
    this.#opts = opts;
    this.#transcript = opts.transcript;
    this.peer = peerOf(opts.host, opts.port);
  }

  /** The TLS session, once there is one. */
  get tlsInfo(): SmtpTlsInfo | undefined {
    return this.#tlsInfo;
  }

  /** The connection is gone (closed by either side, or failed). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Connects (with TLS right away when `implicitTls`), and returns the greeting. */
  async connect(): Promise<SmtpReply> {
    const { host, port, implicitTls, signal } = this.#opts;
    signal?.throwIfAborted();
    signal?.addEventListener("abort", this.#onAbort, { once: true });
    const socket = implicitTls ? tls.connect({ port, ...tlsConnectOptions(host, implicitTls) }) : net.connect({ host, port });
    this.#attach(socket);
    await this.#waitEvent(socket, implicitTls ? "secureConnect" : "connect", implicitTls ? "the connection and TLS handshake" : "the connection", "the connection attempt");
    if (implicitTls) this.#tlsStarted(socket as tls.TLSSocket);
    socket.on("data", this.#onData);
    const greeting = await this.#nextReply("the greeting", "the connection (no greeting)");
    this.codes.push(greeting.code);
    return greeting;
  }

  /** Sends one command line and returns the complete reply, whatever its code. */
  async command(command: string): Promise<SmtpReply> {
    const shown = maskCommand(command, this.#challenged);
    this.#write(shown, command + "\r\n");
    const reply = await this.#nextReply(`the reply to "${shown}"`, `"${shown}"`);
    this.#record(shown, reply);
    return reply;
  }

  /** Sends the message data after a 354 (dot-stuffed, ending in CRLF.CRLF) and returns the reply to it. */
  async data(message: string): Promise<SmtpReply> {
    const wire = encodeData(message);
    const lines = wire.split("\r\n").slice(0, -2);
    const max = this.#opts.maxBodyLines ?? DEFAULT_MAX_BODY_LINES;
    if (lines.length > 0) this.#write(lines.slice(0, max).join("\n"), undefined);
    if (lines.length > max) this.#transcript.note(this.peer, `... ${lines.length - max} more line(s) of message data, not shown (${Buffer.byteLength(wire)} bytes in all)`);
    this.#write(".", Buffer.from(wire, "utf8"));
    const reply = await this.#nextReply("the reply to the message data", "the message data");
    this.#record(".", reply);
    return reply;
  }

  /** After a 220 to STARTTLS: the TLS handshake over the open connection (RFC 3207). */
  async startTls(options: SmtpTlsOptions): Promise<void> {
    const plain = this.#usable("start TLS");
    const early = this.#received.length + this.#lines.length + this.#replies.length;
    if (early > 0) this.#transcript.note(this.peer, "ignored what the server sent after its 220 before TLS started (RFC 3207)");
    this.#received = Buffer.alloc(0);
    this.#lines = [];
    this.#replies = [];
    plain.off("data", this.#onData);
    plain.off("error", this.#onError);
    plain.off("close", this.#onClose);
    plain.on("error", () => undefined); // the TLS socket reports the failure
    const secure = tls.connect({ socket: plain, ...tlsConnectOptions(this.#opts.host, options) });
    this.#attach(secure);
    await this.#waitEvent(secure, "secureConnect", "the TLS handshake", "the TLS handshake");
    this.#tlsStarted(secure);
    secure.on("data", this.#onData);
  }

  /** Resolves when the server has closed the connection, or after `ms` (used after a 221 or 421). */
  waitClosed(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const cancel = startTimer(this.#opts.clock ?? systemClock, ms, done);
      function done() {
        cancel();
        resolve();
      }
      this.#closeWaiters.push(done);
    });
  }

  /** Adds a `*` note to the transcript. */
  note(text: string): void {
    this.#transcript.note(this.peer, text);
  }

  /** Closes the connection, if it is open; notes it in the transcript. */
  close(): void {
    this.#opts.signal?.removeEventListener("abort", this.#onAbort);
    if (this.#closed || this.#closing || !this.#socket) return;
    this.#closing = true;
    this.#transcript.note(this.peer, "closing the connection");
    this.#socket.destroy();
  }

  #attach(socket: net.Socket): void {
    this.#socket = socket;
    socket.on("error", this.#onError);
    socket.on("close", this.#onClose);
  }

  #usable(what: string): net.Socket {
    if (this.#failure) throw this.#failure;
    if (this.#closed || !this.#socket) throw new ProbeNetworkError(PROTOCOL, this.peer, `the connection is closed; cannot ${what}`);
    return this.#socket;
  }

  /** Notes `shown` as a C: line and, when `wire` is given, writes it. */
  #write(shown: string, wire: string | Buffer | undefined): void {
    const socket = this.#usable(`send "${shown}"`);
    this.#transcript.client(this.peer, shown);
    if (wire !== undefined) socket.write(wire);
  }

  #record(command: string, reply: SmtpReply): void {
    this.codes.push(reply.code);
    this.exchanges.push({ command, code: reply.code, ...(reply.enhanced ? { enhanced: reply.enhanced } : {}), text: reply.text });
    this.#challenged = reply.code === 334;
  }

  #tlsStarted(socket: tls.TLSSocket): void {
    const cipher = socket.getCipher();
    const cert = socket.getPeerCertificate();
    const subject = typeof cert?.subject?.CN === "string" ? cert.subject.CN : undefined;
    const authorizationError = socket.authorizationError ? String(socket.authorizationError) : undefined;
    this.#tlsInfo = {
      protocol: socket.getProtocol() ?? "unknown",
      cipher: cipher.name,
      authorized: socket.authorized,
      ...(authorizationError ? { authorizationError } : {}),
      ...(subject ? { subject } : {}),
    };
    const trust = socket.authorized ? "verified" : `NOT verified (${authorizationError ?? "unknown reason"}), accepted as rejectUnauthorized is false`;
    this.#transcript.note(this.peer, `TLS started: ${this.#tlsInfo.protocol}, ${cipher.name}; certificate${subject ? ` CN=${subject}` : ""} ${trust}`);
  }

  /** Waits for a socket event (connect, secureConnect) within the timeout. */
  #waitEvent(socket: net.Socket, event: string, what: string, to: string): Promise<void> {
    return this.#wait<void>(what, to, (waiter) => {
      this.#eventWaiter = waiter;
      const onEvent = () => waiter.resolve();
      socket.once(event, onEvent);
      return () => {
        socket.off(event, onEvent);
        this.#eventWaiter = undefined;
      };
    });
  }

  /** The next complete reply; `what` is what it is ("the greeting"), `to` what it answers ('"NOOP"'). */
  #nextReply(what: string, to: string): Promise<SmtpReply> {
    const queued = this.#replies.shift();
    if (queued) return Promise.resolve(queued);
    return this.#wait<SmtpReply>(what, to, (waiter) => {
      this.#replyWaiter = waiter;
      return () => {
        this.#replyWaiter = undefined;
      };
    });
  }

  /**
   * A promise settled once: by the waiter `start` registers, a failure, an abort, or the timeout
   * (a ProbeTimeoutError saying the server gave no answer to `to`).
   */
  #wait<T>(what: string, to: string, start: (waiter: Waiter<T>) => () => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#failure) return reject(this.#failure);
      if (this.#closed) return reject(new ProbeNetworkError(PROTOCOL, this.peer, `the connection closed before ${what}`));
      let done = false;
      let cleanup = () => {};
      const finish = () => {
        done = true;
        cancelTimer();
        cleanup();
      };
      const waiter: Waiter<T> = {
        what,
        resolve: (v) => {
          if (done) return;
          finish();
          resolve(v);
        },
        reject: (e) => {
          if (done) return;
          finish();
          reject(e);
        },
      };
      const cancelTimer = startTimer(this.#opts.clock ?? systemClock, this.#opts.timeoutMs, () => {
        this.#transcript.note(this.peer, `waited ${this.#opts.timeoutMs} ms for ${what}; giving up`);
        this.#fail(new ProbeTimeoutError(PROTOCOL, this.peer, this.#opts.timeoutMs, to));
      });
      cleanup = start(waiter);
    });
  }

  /** Records the failure, rejects whatever waits, and drops the connection. */
  #fail(error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    this.#failure ??= err;
    this.#replyWaiter?.reject(err);
    this.#eventWaiter?.reject(err);
    if (this.#socket && !this.#closed) {
      this.#closing = true;
      this.#socket.destroy();
    }
  }

  #data(chunk: Buffer): void {
    this.#received = Buffer.concat([this.#received, chunk]);
    for (let nl = this.#received.indexOf(0x0a); nl >= 0 && !this.#failure; nl = this.#received.indexOf(0x0a)) {
      const line = this.#received.subarray(0, nl).toString("utf8").replace(/\r$/, "");
      this.#received = this.#received.subarray(nl + 1);
      this.#line(line);
    }
  }

  #line(line: string): void {
    this.#transcript.server(this.peer, line);
    const parsed = parseReplyLine(line);
    if (!parsed) {
      this.#fail(new ProbeNetworkError(PROTOCOL, this.peer, `the server sent a line that is not an SMTP reply: "${line.slice(0, 80)}"`));
      return;
    }
    this.#lines.push(parsed);
    if (!parsed.last) return;
    const reply = assemble(this.#lines);
    this.#lines = [];
    if (this.#replyWaiter) this.#replyWaiter.resolve(reply);
    else this.#replies.push(reply);
  }

  #socketError(err: Error): void {
    // A TLS socket's own errors (certificate, protocol) have codes like ERR_TLS_... or
    // DEPTH_ZERO_SELF_SIGNED_CERT; socket errors like ECONNREFUSED are not the handshake's.
    const code = (err as NodeJS.ErrnoException).code ?? "";
    const handshake = this.#eventWaiter !== undefined && this.#socket instanceof tls.TLSSocket && !/^E[A-Z]+$/.test(code);
    const message = handshake ? `TLS handshake failed: ${err.message}` : err.message;
    this.#transcript.note(this.peer, handshake ? message : `connection error: ${message}`);
    this.#fail(new ProbeNetworkError(PROTOCOL, this.peer, message, { cause: err }));
  }

  #socketClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#closing) this.#transcript.note(this.peer, "connection closed by the server");
    const waiting = this.#replyWaiter ?? this.#eventWaiter;
    if (waiting) waiting.reject(new ProbeNetworkError(PROTOCOL, this.peer, `the connection closed before ${waiting.what}`));
    for (const done of this.#closeWaiters.splice(0)) done();
  }
}
