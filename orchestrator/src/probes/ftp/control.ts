import { createHash } from "node:crypto";
import type net from "node:net";
import { pipeline } from "node:stream/promises";
import { Client, FTPError, type FTPResponse, type TaskResolver } from "basic-ftp";
import { ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import type { Transcript } from "../transcript.ts";
import { ActiveListener, connectPassive, remoteOf } from "./data-connection.ts";
import { eprtArgument, hostPort, isCompletion, isPreliminary, parseEpsv, parsePasv, plainAddress, portArgument, replyOf } from "./reply.ts";
import { FtpLogRecorder, maskCommand } from "./transcript-log.ts";
import type { FtpAbortMode, FtpActiveCommand, FtpDataCommand, FtpDataMode, FtpPassiveCommand, FtpReply } from "./types.ts";

/**
 * The control connection, on basic-ftp's FTPContext (socket, reply parsing, one task at a time,
 * the reply timeout), and the data connections, which are the probe's own: passive (EPSV/PASV,
 * the probe connects) and active (PORT/EPRT, the server connects to a listener of the probe).
 * Refusals are replies, not exceptions; what throws is a ProbeTimeoutError or ProbeNetworkError
 * (no connection, no answer, not an FTP server), after which the connection is closed.
 */

export interface FtpControlOptions {
  host: string;
  port: number;
  timeoutMs: number;
  transcript: Transcript;
}

export interface DataOptions {
  mode: FtpDataMode;
  /** Passive mode: only this command; default EPSV, then PASV when EPSV is refused. */
  passiveCommand?: FtpPassiveCommand;
  activeCommand: FtpActiveCommand;
}

/** A data connection set up with its command: connected (passive) or listening (active). */
export interface DataChannel {
  mode: FtpDataMode;
  command: FtpDataCommand;
  reply: FtpReply;
  /** Passive: the connection to the server's data port. */
  socket?: net.Socket;
  /** Active: where the server is to connect. */
  listener?: ActiveListener;
}

/** A data connection that could not be set up: the command was refused, or connecting failed. */
export interface DataFailure {
  command: FtpDataCommand;
  /** The reply to the command, when it was sent. */
  reply?: FtpReply;
  /** What went wrong besides a refusal. */
  error?: string;
}

export interface TransferSpec {
  /** "RETR f", "STOR f", "LIST", "NLST dir". */
  command: string;
  /** The octets to send; without it, the transfer is a download. */
  upload?: Iterable<Buffer> | AsyncIterable<Buffer>;
  /** Download: called with each piece received (after any cut at stopAfter). */
  onData?: (chunk: Buffer) => void;
  /** Download: close the data connection once this many octets have come. */
  stopAfter?: number;
  /** With stopAfter: also send ABOR (and read its reply) after closing the data connection. */
  abort?: FtpAbortMode;
}

export interface TransferOutcome {
  /** The final reply to the transfer command. */
  reply: FtpReply;
  /** A 1xx came: the server started the transfer. */
  started: boolean;
  bytes: number;
  sha256: string;
  durationMs: number;
  dataPeer?: string;
  /** The probe closed the data connection at stopAfter. */
  aborted: boolean;
  /** The reply to ABOR, when one was sent. */
  abor?: FtpReply;
  /** A data connection that broke (not counting one the probe closed). */
  error?: string;
}

const roundMs = (ms: number) => Math.round(ms * 10) / 10;
const errorMessage = (err: unknown) => (err instanceof Error ? err.message : String(err)).replace(/ \((control|data) socket\)$/, "");

export class FtpControl {
  readonly client: Client;
  readonly peer: string;
  readonly timeoutMs: number;
  readonly recorder: FtpLogRecorder;
  readonly #transcript: Transcript;
  readonly #host: string;
  readonly #port: number;
  /** What the current task waits for, for a timeout's message. */
  #what = "connecting and the greeting";
  /** Passive commands to try, in order; EPSV is dropped once refused, as basic-ftp does. */
  #passiveOrder: FtpPassiveCommand[] = ["EPSV", "PASV"];
  readonly #open = new Set<{ socket?: net.Socket; listener?: ActiveListener }>();
  /** The transcript notes of the errors the probe itself closed the connection with. */
  readonly #notes = new WeakMap<Error, string>();
  /** The error the probe closed the connection with, if it did. */
  #closedWith: ProbeTimeoutError | ProbeNetworkError | undefined;

  constructor(options: FtpControlOptions) {
    this.#host = options.host;
    this.#port = options.port;
    this.timeoutMs = options.timeoutMs;
    this.#transcript = options.transcript;
    this.peer = hostPort(options.host, options.port);
    this.client = new Client(options.timeoutMs);
    this.recorder = new FtpLogRecorder({
      transcript: options.transcript,
      peer: this.peer,
      isClosed: () => this.client.ftp.closed,
      onProtocolError: (line) => {
        const sent = JSON.stringify(line.slice(0, 80));
        this.#fatal(new ProbeNetworkError("FTP", this.peer, `the server does not speak FTP: it sent ${sent}`), `not an FTP reply: ${sent}; closing the connection`);
      },
    });
    this.client.ftp.log = this.recorder.log;
  }

  /** Connects and reads the greeting. A greeting other than 2xx (421 too many users) is returned, not thrown. */
  async greet(): Promise<FtpReply> {
    this.#what = "connecting and the greeting";
    try {
      const res: FTPResponse = await this.client.connect(this.#host, this.#port);
      return replyOf(res.code, res.message);
    } catch (err) {
      if (err instanceof FTPError) return replyOf(err.code, err.message);
      throw this.#failure(err);
    }
  }

  /** Sends a command and returns its final reply (2xx-5xx; 1xx replies are passed over). */
  command(line: string): Promise<FtpReply> {
    return this.#handle(line, (res, task) => {
      if (!isPreliminary(res.code)) task.resolve(replyOf(res.code, res.message));
    });
  }

  /** USER, then PASS when asked for (331). The codes of the replies, and the last one. */
  login(user: string, pass: string): Promise<{ ok: boolean; codes: number[]; reply: FtpReply }> {
    const codes: number[] = [];
    let passSent = false;
    return this.#handle(`USER ${user}`, (res, task) => {
      if (isPreliminary(res.code)) return;
      codes.push(res.code);
      const reply = replyOf(res.code, res.message);
      if (res.code === 331 && !passSent) {
        passSent = true;
        this.#what = "PASS ****";
        this.client.ftp.send(`PASS ${pass}`);
        return;
      }
      task.resolve({ ok: isCompletion(res.code), codes, reply });
    });
  }

  /** QUIT, and its reply. */
  quit(): Promise<FtpReply> {
    return this.command("QUIT");
  }

  /** Closes the control connection and every data connection still open. Safe to call twice. */
  close(): void {
    for (const o of this.#open) {
      o.socket?.destroy();
      o.listener?.close();
    }
    this.#open.clear();
    this.client.close();
    this.recorder.flush();
  }

  /** Sets up a data connection: EPSV/PASV and connecting, or a listener and PORT/EPRT. */
  async openData(options: DataOptions): Promise<DataChannel | DataFailure> {
    return options.mode === "active" ? this.#openActive(options.activeCommand) : this.#openPassive(options.passiveCommand);
  }

  /** Closes a data channel that will not be used (its command was refused, REST was refused). */
  closeData(channel: DataChannel): void {
    channel.socket?.destroy();
    channel.listener?.close();
    this.#open.delete(channel);
  }

  async #openPassive(only: FtpPassiveCommand | undefined): Promise<DataChannel | DataFailure> {
    const candidates = only ? [only] : [...this.#passiveOrder];
    let failure: DataFailure | undefined;
    for (const [i, command] of candidates.entries()) {
      const reply = await this.command(command);
      const announced = !isCompletion(reply.code) ? undefined : command === "EPSV" ? parseEpsv(reply.text) : parsePasv(reply.text);
      const port = typeof announced === "object" ? announced.port : announced;
      if (port === undefined) {
        failure = { command, reply, ...(isCompletion(reply.code) ? { error: `cannot read the data port in the reply to ${command}` } : {}) };
        if (only === undefined && command === "EPSV" && i < candidates.length - 1) this.#passiveOrder = ["PASV"];
        continue;
      }
      // The data connection goes to the server of the control connection, whatever PASV names
      // (as basic-ftp and most clients do): no connections to third hosts (FTP bounce).
      const host = plainAddress(this.client.ftp.socket.remoteAddress ?? this.#host);
      if (typeof announced === "object" && announced.host !== host) {
        this.#transcript.note(this.peer, `${command} named ${announced.host}; connecting to the control connection's address ${host} instead`);
      }
      const target = hostPort(host, port);
      try {
        const socket = await connectPassive(host, port, this.timeoutMs);
        if (this.client.ftp.closed) {
          socket.destroy();
          throw this.#failure(new Error("the control connection was closed"));
        }
        this.#transcript.note(target, `data connection (passive) to ${target}`);
        const channel: DataChannel = { mode: "passive", command, reply, socket };
        this.#open.add(channel);
        return channel;
      } catch (err) {
        if (err instanceof ProbeTimeoutError || err instanceof ProbeNetworkError) throw err;
        this.#transcript.note(target, `no data connection to ${target}: ${errorMessage(err)}`);
        return { command, reply, error: `could not open the data connection to ${target}: ${errorMessage(err)}` };
      }
    }
    return failure!;
  }

  async #openActive(command: FtpActiveCommand): Promise<DataChannel | DataFailure> {
    const local = this.client.ftp.socket.localAddress;
    const remote = this.client.ftp.socket.remoteAddress;
    if (local === undefined || remote === undefined) throw this.#failure(new Error("the control connection is closed"));
    const listener = await ActiveListener.open(local, remote, (from) => this.#transcript.note(from, `refused a data connection from ${from}: not the server`));
    let argument: string;
    try {
      argument = command === "PORT" ? portArgument(listener.address, listener.port) : eprtArgument(listener.address, listener.port);
    } catch (err) {
      listener.close();
      return { command, error: errorMessage(err) };
    }
    const channel: DataChannel = { mode: "active", command, reply: { code: 0, text: "" }, listener };
    this.#open.add(channel);
    this.#transcript.note(this.peer, `listening for the data connection on ${hostPort(listener.address, listener.port)}`);
    let reply: FtpReply;
    try {
      reply = await this.command(`${command} ${argument}`);
    } catch (err) {
      this.closeData(channel);
      throw err;
    }
    if (!isCompletion(reply.code)) {
      this.closeData(channel);
      return { command, reply };
    }
    channel.reply = reply;
    return channel;
  }

  /**
   * Sends a transfer command on a data channel and runs the transfer: it is over when the final
   * reply has come and the data connection has ended (or at once, for a refusal before any 1xx).
   */
  async transfer(channel: DataChannel, spec: TransferSpec): Promise<TransferOutcome> {
    const ftp = this.client.ftp;
    const hash = createHash("sha256");
    const finals: FtpReply[] = [];
    const startedAt = performance.now();
    const shown = maskCommand(spec.command);
    let task: TaskResolver | undefined;
    let socket: net.Socket | undefined;
    let dataPeer: string | undefined;
    let bytes = 0;
    let preliminary = false;
    let dataDone = false;
    let uploading = false;
    let aborted = false;
    let aborSent = false;
    let finished = false;
    let dataError: string | undefined;

    const finish = () => {
      if (finished || task === undefined || finals.length < (aborSent ? 2 : 1)) return;
      if ((preliminary || bytes > 0) && !dataDone) return;
      finished = true;
      task.resolve(undefined);
    };
    const endData = (error?: string) => {
      if (dataDone) return;
      dataDone = true;
      if (error !== undefined && !aborted) dataError ??= error;
      // The control connection watches for the final reply again.
      if (!finished && !ftp.closed) ftp.socket.setTimeout(this.timeoutMs);
      finish();
    };
    const startUpload = () => {
      if (uploading || socket === undefined || !preliminary || spec.upload === undefined) return;
      uploading = true;
      const source = spec.upload;
      const counted = async function* () {
        for await (const chunk of source) {
          bytes += chunk.length;
          hash.update(chunk);
          yield chunk;
        }
      };
      pipeline(counted, socket).then(
        () => endData(),
        (err: unknown) => endData(errorMessage(err)),
      );
    };
    const onData = (s: net.Socket) => (chunk: Buffer) => {
      if (aborted) return;
      let piece = chunk;
      if (spec.stopAfter !== undefined && bytes + piece.length >= spec.stopAfter) {
        piece = piece.subarray(0, spec.stopAfter - bytes);
        aborted = true;
      }
      bytes += piece.length;
      hash.update(piece);
      spec.onData?.(piece);
      if (!aborted) return;
      s.destroy();
      this.#transcript.note(dataPeer ?? this.peer, `closed the data connection after ${bytes} octets`);
      // ABOR goes as a plain command, without Telnet IP/Synch: vsftpd (no async_abor_enable) reads
      // it after the failed transfer's 426 and answers 225; a server that watches the control
      // connection during a transfer answers 426, then 226. Either way: two final replies.
      if (spec.abort === "abor" && !ftp.closed) {
        aborSent = true;
        this.#what = "ABOR";
        ftp.send("ABOR");
      }
      endData();
    };
    const useSocket = (s: net.Socket) => {
      socket = s;
      dataPeer = remoteOf(s);
      s.setTimeout(this.timeoutMs);
      s.on("timeout", () => {
        const what = `data on the data connection of ${shown}`;
        this.#fatal(new ProbeTimeoutError("FTP", this.peer, this.timeoutMs, what), `no ${what} within ${this.timeoutMs} ms; closing the connection`);
      });
      s.on("error", (err) => endData(errorMessage(err)));
      if (spec.upload === undefined) {
        s.on("data", onData(s));
        s.on("close", () => endData());
      } else {
        startUpload();
      }
    };

    if (channel.socket) useSocket(channel.socket);
    try {
      const handled = this.#handle(spec.command, (res, t) => {
        task = t;
        if (isPreliminary(res.code)) {
          if (!preliminary) {
            preliminary = true;
            // The data connection is watched now; the control connection may be idle meanwhile.
            if (!dataDone) ftp.socket.setTimeout(0);
            startUpload();
          }
          return;
        }
        finals.push(replyOf(res.code, res.message));
        // A refusal after the transfer started (425, 426, 451): the data connection is over too.
        if (res.code >= 400 && finals.length === 1 && !dataDone) {
          socket?.destroy();
          endData();
        }
        finish();
      });
      if (channel.listener) {
        const listener = channel.listener;
        void listener.accept(this.timeoutMs).then((s) => {
          if (finished || ftp.closed) return s?.destroy();
          if (s) {
            this.#transcript.note(remoteOf(s), `data connection (active) from ${remoteOf(s)}`);
            return useSocket(s);
          }
          const where = hostPort(listener.address, listener.port);
          this.#fatal(
            new ProbeTimeoutError("FTP", this.peer, this.timeoutMs, `the data connection of ${shown} (the server did not connect to ${where})`),
            `the server did not connect to ${where} within ${this.timeoutMs} ms; closing the connection`,
          );
        });
      }
      await handled;
    } finally {
      socket?.destroy();
      this.closeData(channel);
    }
    const reply = finals[0]!;
    if (bytes > 0 || preliminary) this.#transcript.note(dataPeer ?? this.peer, `${spec.upload === undefined ? "received" : "sent"} ${bytes} octets on the data connection`);
    return {
      reply,
      started: preliminary,
      bytes,
      sha256: hash.digest("hex"),
      durationMs: roundMs(performance.now() - startedAt),
      ...(dataPeer !== undefined ? { dataPeer } : {}),
      aborted,
      ...(aborSent && finals[1] ? { abor: finals[1] } : {}),
      ...(dataError !== undefined ? { error: dataError } : {}),
    };
  }

  /**
   * basic-ftp's `handle`: sends the command and gives every reply to `onReply` until it resolves.
   * Refusals (FTPError, code >= 400) come to `onReply` as replies; any other error rejects, as a
   * ProbeTimeoutError or ProbeNetworkError.
   */
  async #handle<T>(command: string, onReply: (res: FTPResponse, task: TaskResolver) => void): Promise<T> {
    this.#what = maskCommand(command);
    try {
      return (await this.client.ftp.handle(command, (res, task) => {
        if (res instanceof FTPError) return onReply({ code: res.code, message: res.message }, task);
        if (res instanceof Error) return task.reject(res);
        onReply(res, task);
      })) as T;
    } catch (err) {
      throw this.#failure(err);
    }
  }

  /** Closes the connection with one of the probe's own errors; the task waiting, if any, rejects with it. */
  #fatal(error: ProbeTimeoutError | ProbeNetworkError, note: string): void {
    this.#notes.set(error, note);
    this.#closedWith ??= error;
    this.client.ftp.closeWithError(error);
  }

  /** The probe's error for what basic-ftp reported, noted in the transcript; the connection is closed. */
  #failure(err: unknown): ProbeTimeoutError | ProbeNetworkError {
    let error: ProbeTimeoutError | ProbeNetworkError;
    let note: string;
    const message = errorMessage(err);
    // A task started after the connection was closed is told "Client is closed because ...".
    if (this.#closedWith && message.startsWith("Client is closed because")) return this.#closedWith;
    if (err instanceof ProbeTimeoutError || err instanceof ProbeNetworkError) {
      error = err;
      note = this.#notes.get(err) ?? `${err.message}; closing the connection`;
    } else if (/^Timeout/.test(message)) {
      error = new ProbeTimeoutError("FTP", this.peer, this.timeoutMs, this.#what);
      note = `no answer to ${this.#what} within ${this.timeoutMs} ms; closing the connection`;
    } else if (/Server sent FIN packet unexpectedly|Server closed connection unexpectedly/.test(message)) {
      error = new ProbeNetworkError("FTP", this.peer, `the server closed the connection (waiting for the answer to ${this.#what})`, { cause: err });
      note = "the server closed the connection";
    } else {
      const why = message.replace(/^Client is closed because /, "");
      error = new ProbeNetworkError("FTP", this.peer, why, { cause: err });
      note = `${why}; closing the connection`;
    }
    if (!this.client.ftp.closed) this.client.ftp.closeWithError(error);
    this.recorder.flush();
    this.#transcript.note(this.peer, note);
    return error;
  }
}
