import net from "node:net";
import { type Clock, startTimer } from "../../common/clock.ts";
import { ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import type { Transcript } from "../transcript.ts";
import {
  cseqOf,
  type InterleavedFrame,
  interleavedFrame,
  type RequestSpec,
  requestLines,
  type RtspRequest,
  type RtspResponse,
  RtspProtocolError,
  RtspStreamParser,
  serializeRequest,
  serializeResponse,
} from "./message.ts";
import { plainAddress } from "./transport.ts";

/**
 * One RTSP control connection (TCP): requests sent one at a time, each waiting for the reply with
 * its CSeq within the timeout; interleaved frames handed to `onFrame`; requests from the server
 * recorded and answered (200 to OPTIONS and GET_PARAMETER, which servers use as keep-alives, 501
 * to the rest). Every request and reply head goes to the transcript; bodies only when they are
 * text, and bounded.
 */

/** Body lines of one message the transcript shows. */
export const MAX_BODY_LINES = 40;

export interface RtspConnectionOptions {
  host: string;
  port: number;
  timeoutMs: number;
  transcript: Transcript;
  /** "address:port", for transcripts and errors. */
  peer: string;
  /** ms since the probe started. */
  now: () => number;
  /** What times the connection's and the replies' timeouts. */
  clock: Clock;
  onFrame: (frame: InterleavedFrame) => void;
  onServerRequest: (request: RtspRequest, answered: number) => void;
  /** The connection closed (by the server when `byServer`), with no request waiting. */
  onClose?: (byServer: boolean) => void;
}

interface Pending {
  cseq: number;
  what: string;
  resolve: (response: RtspResponse) => void;
  reject: (error: Error) => void;
  cancelTimer: () => void;
}

const isText = (contentType: string | undefined) => contentType === undefined || /^(text\/|application\/(sdp|x-rtsp-|parameters))/i.test(contentType);

function bodyLines(body: Buffer, contentType: string | undefined): string[] {
  if (body.length === 0) return [];
  if (!isText(contentType)) return [`(${body.length} bytes of ${contentType ?? "body"})`];
  const lines = body.toString("utf8").split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length <= MAX_BODY_LINES) return lines;
  return [...lines.slice(0, MAX_BODY_LINES), `… ${lines.length - MAX_BODY_LINES} more lines`];
}

export class RtspConnection {
  readonly #socket: net.Socket;
  readonly #o: RtspConnectionOptions;
  readonly #parser = new RtspStreamParser();
  #pending: Pending | null = null;
  #failure: ProbeNetworkError | null = null;
  #closing = false;
  #closedPromise: Promise<void>;
  closed = false;
  closedByServer = false;
  /** A reply said `Connection: close`: the server will close the connection. */
  serverWillClose = false;
  unmatchedReplies = 0;
  readonly localAddress: string;
  readonly localPort: number;
  readonly remoteAddress: string;

  private constructor(socket: net.Socket, options: RtspConnectionOptions) {
    this.#socket = socket;
    this.#o = options;
    this.localAddress = plainAddress(socket.localAddress);
    this.localPort = socket.localPort ?? 0;
    this.remoteAddress = plainAddress(socket.remoteAddress);
    this.#closedPromise = new Promise((resolve) => socket.once("close", () => resolve()));
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#onData(chunk));
    socket.on("error", (err) => this.#fail(new ProbeNetworkError("RTSP", options.peer, err.message, { cause: err }), `connection error: ${err.message}`));
    socket.on("close", () => this.#onClose());
  }

  /** Opens the connection; a refusal is a ProbeNetworkError, no answer a ProbeTimeoutError. */
  static connect(options: RtspConnectionOptions, signal?: AbortSignal): Promise<RtspConnection> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const socket = net.connect({ host: options.host, port: options.port });
      const done = () => {
        cancelTimer();
        signal?.removeEventListener("abort", onAbort);
        socket.off("error", onError);
        socket.off("connect", onConnect);
      };
      const onConnect = () => {
        done();
        resolve(new RtspConnection(socket, options));
      };
      const onError = (err: Error) => {
        done();
        socket.destroy();
        options.transcript.note(options.peer, `cannot connect: ${err.message}`);
        reject(new ProbeNetworkError("RTSP", options.peer, `cannot connect: ${err.message}`, { cause: err }));
      };
      const onAbort = () => {
        done();
        socket.destroy();
        reject(signal!.reason as Error);
      };
      const cancelTimer = startTimer(options.clock, options.timeoutMs, () => {
        done();
        socket.destroy();
        options.transcript.note(options.peer, `no connection within ${options.timeoutMs} ms`);
        reject(new ProbeTimeoutError("RTSP", options.peer, options.timeoutMs, "connecting"));
      });
      socket.once("connect", onConnect);
      socket.once("error", onError);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Sends a request and waits for the reply with its CSeq. Any status is a reply; no reply throws. */
  request(spec: RequestSpec): Promise<RtspResponse> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.closed || this.#closing) return Promise.reject(new ProbeNetworkError("RTSP", this.#o.peer, "the connection is closed"));
    if (this.#pending) return Promise.reject(new Error(`a request (CSeq ${this.#pending.cseq}) is still waiting for its reply`));
    const bytes = serializeRequest(spec);
    const what = `${spec.method} ${spec.url}`;
    this.#o.transcript.client(this.#o.peer, [...requestLines(spec), ...bodyLines(Buffer.from(spec.body ?? ""), spec.contentType)].join("\n"));
    return new Promise((resolve, reject) => {
      const cancelTimer = startTimer(this.#o.clock, this.#o.timeoutMs, () => {
        this.#pending = null;
        this.#o.transcript.note(this.#o.peer, `no reply to ${what} within ${this.#o.timeoutMs} ms`);
        reject(new ProbeTimeoutError("RTSP", this.#o.peer, this.#o.timeoutMs, what));
      });
      this.#pending = { cseq: spec.cseq, what, resolve, reject, cancelTimer };
      this.#socket.write(bytes);
    });
  }

  /** Sends an interleaved frame (RTCP on the odd channel); false when the connection is gone. */
  sendFrame(channel: number, payload: Buffer): boolean {
    if (this.closed || this.#closing || this.#failure) return false;
    this.#socket.write(interleavedFrame(channel, payload));
    return true;
  }

  /** Closes the connection and waits until it is closed. Safe to call twice. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#socket.destroy();
    await this.#closedPromise;
  }

  #onData(chunk: Buffer): void {
    let messages;
    try {
      messages = this.#parser.push(chunk);
    } catch (err) {
      const why = err instanceof RtspProtocolError ? err.message : String(err);
      this.#fail(new ProbeNetworkError("RTSP", this.#o.peer, `the server does not speak RTSP: ${why}`), `not RTSP: ${why}; closing the connection`);
      this.#socket.destroy();
      return;
    }
    for (const message of messages) {
      if (message.kind === "data") this.#o.onFrame(message);
      else if (message.kind === "response") this.#onResponse(message);
      else this.#onRequest(message);
    }
  }

  #onResponse(response: RtspResponse): void {
    const peer = this.#o.peer;
    this.#o.transcript.server(peer, [...response.headLines, ...bodyLines(response.body, response.headers.get("Content-Type"))].join("\n"));
    const pending = this.#pending;
    const cseq = cseqOf(response);
    if (!pending || (cseq !== null && cseq !== pending.cseq)) {
      this.unmatchedReplies += 1;
      this.#o.transcript.note(peer, pending ? `ignored: a reply with CSeq ${cseq} while waiting for CSeq ${pending.cseq}` : `ignored: a reply with CSeq ${cseq ?? "(none)"} to no request`);
      return;
    }
    if (cseq === null) this.#o.transcript.note(peer, `the reply has no CSeq; taken as the reply to CSeq ${pending.cseq}`);
    if (/\bclose\b/i.test(response.headers.get("Connection") ?? "")) this.serverWillClose = true;
    pending.cancelTimer();
    this.#pending = null;
    pending.resolve(response);
  }

  #onRequest(request: RtspRequest): void {
    const peer = this.#o.peer;
    this.#o.transcript.server(peer, [...request.headLines, ...bodyLines(request.body, request.headers.get("Content-Type"))].join("\n"));
    const status = request.method === "OPTIONS" || request.method === "GET_PARAMETER" ? 200 : 501;
    const session = request.headers.get("Session");
    const answer = serializeResponse({ status, cseq: cseqOf(request), headers: session !== undefined ? [["Session", session]] : [] });
    this.#o.transcript.client(peer, answer.toString("utf8").trimEnd());
    if (!this.closed && !this.#closing) this.#socket.write(answer);
    this.#o.onServerRequest(request, status);
  }

  #fail(error: ProbeNetworkError, note: string): void {
    if (this.#failure || this.#closing) return;
    this.#failure = error;
    this.#o.transcript.note(this.#o.peer, note);
    const pending = this.#pending;
    if (pending) {
      pending.cancelTimer();
      this.#pending = null;
      pending.reject(error);
    }
  }

  #onClose(): void {
    this.closed = true;
    const pending = this.#pending;
    if (this.#closing) {
      if (pending) {
        pending.cancelTimer();
        this.#pending = null;
        pending.reject(new ProbeNetworkError("RTSP", this.#o.peer, "the connection was closed"));
      }
      return;
    }
    this.closedByServer = true;
    if (pending) {
      this.#fail(new ProbeNetworkError("RTSP", this.#o.peer, `the server closed the connection (waiting for the reply to ${pending.what})`), "the server closed the connection");
      return;
    }
    if (!this.#failure) this.#o.transcript.note(this.#o.peer, "the server closed the connection");
    this.#o.onClose?.(true);
  }
}
