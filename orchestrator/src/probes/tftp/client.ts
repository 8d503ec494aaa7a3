import { createHash } from "node:crypto";
import dgram from "node:dgram";
import net from "node:net";
import { type Clock, startTimer, systemClock } from "../../common/clock.ts";
import { InvalidInputError, ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import { Transcript } from "../transcript.ts";
import {
  decodePacket,
  describePacket,
  encodePacket,
  NetasciiDecoder,
  netasciiEncode,
  TFTP_OPCODES,
  tftpErrorName,
  type TftpOackPacket,
  type TftpOptions,
  type TftpPacket,
  TftpPacketError,
} from "./packet.ts";
import {
  DEFAULT_BLKSIZE,
  MAX_BLKSIZE,
  MAX_TIMEOUT_S,
  MIN_BLKSIZE,
  MIN_TIMEOUT_S,
  TFTP_MODES,
  TFTP_PORT,
  type TftpAction,
  type TftpErrorInfo,
  type TftpGetResult,
  type TftpMode,
  type TftpPutResult,
  type TftpTransferResult,
} from "./types.ts";

/**
 * A TFTP client (RFC 1350) with option negotiation (RFC 2347/2348/2349) over UDP/IPv4: lock-step
 * transfers that follow the server's transfer ID, retransmit on timeout only (no sorcerer's
 * apprentice), survive block-number rollover, and write a bounded transcript. A refusal (ERROR
 * from the server, an OACK this client refuses) is a result with `ok: false`; no answer at all
 * throws ProbeTimeoutError, a socket failure ProbeNetworkError, an abort the signal's reason.
 */

export const DEFAULT_TIMEOUT_MS = 1000;
export const DEFAULT_RETRIES = 5;
/** Notes (`*` lines) one transfer writes before it only counts them. */
export const MAX_NOTES = 100;
/** DATA/ACK exchanges the transcript shows from the start, and before each note and the end. */
const SHOWN_FIRST = 3;
const SHOWN_LAST = 2;
/** How long a finished get stays to ACK again a re-sent last DATA, at most. */
const MAX_DALLY_MS = 1000;

export interface TftpGetOptions {
  /** The server's IPv4 address (no name lookups happen here). */
  host: string;
  /** The server's request port; default 69. */
  port?: number;
  filename: string;
  /** Default "octet". netascii converts LF ↔ CR LF and CR ↔ CR NUL. */
  mode?: TftpMode;
  /** Ask for this block size (RFC 2348, 8..65464); without it no blksize option is sent and blocks are 512. */
  blksize?: number;
  /** Send the tsize option (RFC 2349): 0 in a RRQ (the server tells the size), the size in a WRQ. */
  tsize?: boolean;
  /** Ask for this retransmission timeout in seconds (RFC 2349, 1..255); once acknowledged it replaces `timeoutMs`. */
  timeout?: number;
  /** Per-packet retransmission timeout; default 1000 ms. */
  timeoutMs?: number;
  /** Retransmissions of one packet before giving up (so retries + 1 consecutive timeouts end the transfer); default 5. */
  retries?: number;
  /** How long a completed get keeps its port open to ACK a re-sent last DATA (the promise does not wait); default min(timeout, 1000 ms). */
  dallyMs?: number;
  signal?: AbortSignal;
  transcript?: Transcript;
  /** What times the retransmissions and the dally; default the system clock (tests drive a fake one). */
  clock?: Clock;
}

export interface TftpPutOptions extends TftpGetOptions {
  /** The file to send (local text in netascii mode: LF line ends). */
  data: Buffer;
}

/** "192.0.2.1:69". */
export function peerOf(host: string, port: number): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

const roundMs = (ms: number) => Math.round(ms * 10) / 10;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** The partial results of transfers that threw (timeout, network failure, abort), for callers that want them. */
const partials = new WeakMap<object, TftpTransferResult>();

/** What a transfer that threw had done before it failed; undefined for other errors. */
export function partialResultOf(error: unknown): TftpTransferResult | undefined {
  return typeof error === "object" && error !== null ? partials.get(error) : undefined;
}

interface ExchangeLine {
  dir: "C" | "S";
  peer: string;
  type: "DATA" | "ACK";
  block: number;
  size: number;
}

function exchangeText(l: ExchangeLine): string {
  return l.type === "ACK" ? `ACK ${l.block}` : `DATA ${l.block} (${plural(l.size, "byte")})`;
}

/**
 * The transcript of one transfer, bounded for large files: the request and OACK, the first
 * exchanges, every ERROR, up to MAX_NOTES notes (each preceded by the last exchanges before it),
 * the last exchanges and a summary.
 */
class TransferLog {
  readonly #t: Transcript;
  #notes = 0;
  #moreNotes = 0;
  #hidden = 0;
  #recent: { abs: number; lines: ExchangeLine[] }[] = [];

  constructor(transcript: Transcript) {
    this.#t = transcript;
  }

  line(dir: "C" | "S", peer: string, text: string): void {
    this.#flushRecent(peer);
    if (dir === "C") this.#t.client(peer, text);
    else this.#t.server(peer, text);
  }

  /**
   * A DATA or ACK of exchange number `abs` (counted from 1 across rollovers); its text is only
   * made when shown, as a large file has tens of thousands.
   */
  exchange(abs: number, dir: "C" | "S", peer: string, type: "DATA" | "ACK", block: number, size = 0): void {
    if (abs <= SHOWN_FIRST) return this.line(dir, peer, exchangeText({ dir, peer, type, block, size }));
    let group = this.#recent.at(-1);
    if (group?.abs !== abs) {
      if (this.#recent.length === SHOWN_LAST) {
        this.#recent.shift();
        this.#hidden += 1;
      }
      group = { abs, lines: [] };
      this.#recent.push(group);
    }
    group.lines.push({ dir, peer, type, block, size });
  }

  note(peer: string, text: string): void {
    if (this.#notes >= MAX_NOTES) {
      this.#moreNotes += 1;
      return;
    }
    this.#notes += 1;
    this.#flushRecent(peer);
    this.#t.note(peer, text);
  }

  end(peer: string, summary: string): void {
    this.#flushRecent(peer);
    if (this.#moreNotes > 0) this.#t.note(peer, `… ${plural(this.#moreNotes, "more note")} not shown`);
    this.#moreNotes = 0;
    this.#t.note(peer, summary);
  }

  #flushRecent(peer: string): void {
    if (this.#hidden > 0) this.#t.note(peer, `… ${plural(this.#hidden, "DATA/ACK exchange")} not shown`);
    this.#hidden = 0;
    for (const group of this.#recent) {
      for (const l of group.lines) {
        if (l.dir === "C") this.#t.client(l.peer, exchangeText(l));
        else this.#t.server(l.peer, exchangeText(l));
      }
    }
    this.#recent = [];
  }
}

function validate(kind: TftpAction, o: TftpGetOptions | TftpPutOptions): void {
  const problems: string[] = [];
  const port = o.port ?? TFTP_PORT;
  if (!net.isIPv4(o.host)) problems.push(`host "${o.host}" is not an IPv4 address`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`port ${port} is not between 1 and 65535`);
  if (typeof o.filename !== "string" || o.filename === "") problems.push("filename is empty");
  else if (o.filename.includes("\0")) problems.push("filename must not contain NUL");
  if (o.mode !== undefined && !TFTP_MODES.includes(o.mode)) problems.push(`mode "${o.mode}" is not one of ${TFTP_MODES.join(", ")}`);
  if (o.blksize !== undefined && !(Number.isInteger(o.blksize) && o.blksize >= MIN_BLKSIZE && o.blksize <= MAX_BLKSIZE)) {
    problems.push(`blksize ${o.blksize} is not a whole number between ${MIN_BLKSIZE} and ${MAX_BLKSIZE}`);
  }
  if (o.timeout !== undefined && !(Number.isInteger(o.timeout) && o.timeout >= MIN_TIMEOUT_S && o.timeout <= MAX_TIMEOUT_S)) {
    problems.push(`timeout ${o.timeout} is not a whole number of seconds between ${MIN_TIMEOUT_S} and ${MAX_TIMEOUT_S}`);
  }
  if (o.timeoutMs !== undefined && !(o.timeoutMs > 0 && Number.isFinite(o.timeoutMs))) problems.push(`timeoutMs ${o.timeoutMs} is not positive`);
  if (o.retries !== undefined && !(Number.isInteger(o.retries) && o.retries >= 0)) problems.push(`retries ${o.retries} is not a whole number >= 0`);
  if (o.dallyMs !== undefined && !(o.dallyMs >= 0 && Number.isFinite(o.dallyMs))) problems.push(`dallyMs ${o.dallyMs} is not a number >= 0`);
  if (kind === "put" && !Buffer.isBuffer((o as TftpPutOptions).data)) problems.push("put needs data (a Buffer)");
  if (problems.length > 0) throw new InvalidInputError(`TFTP ${kind}`, problems);
}

type Phase = "request" | "transfer" | "done";

/** One transfer: the request, then lock-step DATA/ACK with the server's TID. */
class Transfer {
  readonly #kind: TftpAction;
  readonly #host: string;
  readonly #port: number;
  readonly #filename: string;
  readonly #mode: TftpMode;
  readonly #retries: number;
  readonly #dallyMs: number | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #clock: Clock;
  readonly #log: TransferLog;
  readonly #socket: dgram.Socket;
  readonly #requested: TftpOptions;
  readonly #request: Buffer;
  readonly #requestText: string;
  readonly #startedAt = performance.now();
  readonly #hash = createHash("sha256");
  #resolve!: (result: TftpGetResult) => void;
  #reject!: (error: unknown) => void;

  #phase: Phase = "request";
  #settled = false;
  #closed = false;
  /** Datagrams handed to the socket that have not left yet. */
  #inFlight = 0;
  #peer: string;
  #tid: number | undefined;
  #oack: TftpOptions | null = null;
  #tsize: number | undefined;
  #blksize = DEFAULT_BLKSIZE;
  #timeoutMs: number;
  /** Cancels the retransmission timer, while one is armed. */
  #cancelTimer: (() => void) | undefined;
  #timerMs = 0;
  #consecutive = 0;
  /** The packet a timeout re-sends, and (see #what) its type and block number. */
  #last: { buf: Buffer; type: "RRQ" | "WRQ" | "ACK" | "DATA"; block: number };

  /** get: DATA blocks accepted; put: the number of the DATA block in flight (0 before DATA 1). */
  #abs = 0;
  /** get: the last accepted DATA's block number; put: the block number of the DATA in flight. */
  #lastNum = 0;
  #bytes = 0;
  #wireBytes = 0;
  #rollovers = 0;
  #retransmissions = 0;
  #timeouts = 0;
  #duplicates = 0;
  #strays = 0;

  // get
  readonly #chunks: Buffer[] = [];
  readonly #decoder: NetasciiDecoder | undefined;
  // put
  readonly #wire: Buffer | undefined;
  #totalBlocks = 0;

  constructor(kind: TftpAction, o: TftpGetOptions | TftpPutOptions) {
    this.#kind = kind;
    this.#host = o.host;
    this.#port = o.port ?? TFTP_PORT;
    this.#filename = o.filename;
    this.#mode = o.mode ?? "octet";
    this.#retries = o.retries ?? DEFAULT_RETRIES;
    this.#dallyMs = o.dallyMs;
    this.#timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#signal = o.signal;
    this.#clock = o.clock ?? systemClock;
    this.#log = new TransferLog(o.transcript ?? new Transcript());
    this.#peer = peerOf(this.#host, this.#port);
    if (kind === "put") {
      const data = (o as TftpPutOptions).data;
      this.#wire = this.#mode === "netascii" ? netasciiEncode(data) : data;
      this.#hash.update(data);
      this.#bytes = data.length;
    } else if (this.#mode === "netascii") {
      this.#decoder = new NetasciiDecoder();
    }
    const requested: [string, string][] = [];
    if (o.blksize !== undefined) requested.push(["blksize", String(o.blksize)]);
    if (o.tsize) requested.push(["tsize", String(this.#wire?.length ?? 0)]);
    if (o.timeout !== undefined) requested.push(["timeout", String(o.timeout)]);
    this.#requested = Object.fromEntries(requested);
    const request: TftpPacket = { type: kind === "get" ? "RRQ" : "WRQ", filename: this.#filename, mode: this.#mode, options: this.#requested };
    this.#request = encodePacket(request);
    this.#requestText = describePacket(request);
    this.#last = { buf: this.#request, type: request.type, block: 0 };
    this.#socket = dgram.createSocket("udp4");
    this.#socket.on("message", this.#onMessage);
    this.#socket.on("error", this.#onSocketError);
  }

  run(): Promise<TftpGetResult> {
    return new Promise<TftpGetResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      if (this.#signal) this.#signal.addEventListener("abort", this.#onAbort, { once: true });
      this.#log.line("C", this.#peer, this.#requestText);
      this.#send(this.#request, this.#last.type, 0);
    });
  }

  // --- sending and timing ---

  /** Sends a new packet, the one a timeout re-sends. `final`: the transfer ends right after it. */
  #send(buf: Buffer, type: "RRQ" | "WRQ" | "ACK" | "DATA", block: number, final = false): void {
    this.#last = { buf, type, block };
    this.#consecutive = 0;
    this.#transmit(buf, this.#tid ?? this.#port, this.#host, final);
    this.#arm();
  }

  /**
   * Hands a datagram to the socket. `track`: the socket is about to close, so count it until it
   * has left (only then, as a send callback costs time on every packet of a large file).
   */
  #transmit(buf: Buffer, port = this.#tid ?? this.#port, address = this.#host, track = false): void {
    if (this.#closed) return;
    if (!track) return this.#socket.send(buf, port, address);
    this.#inFlight += 1;
    this.#socket.send(buf, port, address, this.#sent);
  }

  /** A tracked datagram has left, or failed to (with a callback, send errors come here, not as "error" events). */
  #sent = (error: Error | null): void => {
    this.#inFlight -= 1;
    if (error) this.#onSocketError(error);
    if (this.#closed && this.#inFlight === 0) this.#socket.close();
  };

  /** How notes and errors name the last packet: `RRQ "f"`, `ACK 7 of RRQ "f"`, `DATA 3 of WRQ "f"`. */
  #what(): string {
    const request = `${this.#kind === "get" ? "RRQ" : "WRQ"} ${JSON.stringify(this.#filename)}`;
    const { type, block } = this.#last;
    return type === "RRQ" || type === "WRQ" ? request : `${type} ${block} of ${request}`;
  }

  #arm(): void {
    this.#disarm();
    this.#timerMs = this.#timeoutMs;
    this.#cancelTimer = startTimer(this.#clock, this.#timeoutMs, this.#onTimeout);
  }

  #disarm(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }

  #onTimeout = (): void => {
    this.#cancelTimer = undefined;
    if (this.#settled) return;
    this.#timeouts += 1;
    this.#consecutive += 1;
    const ms = this.#timerMs;
    if (this.#consecutive > this.#retries) {
      this.#log.note(this.#peer, `no answer within ${ms} ms to ${this.#what()}; giving up after ${plural(this.#retries + 1, "attempt")}`);
      this.#fail(new ProbeTimeoutError("TFTP", this.#peer, ms, `${this.#what()} (sent ${plural(this.#retries + 1, "time")})`));
      return;
    }
    this.#retransmissions += 1;
    this.#log.note(this.#peer, `no answer within ${ms} ms; retransmitting ${this.#what()} (retry ${this.#consecutive} of ${this.#retries})`);
    this.#transmit(this.#last.buf);
    this.#arm();
  };

  #ack(block: number, final = false): void {
    if (block === 0 && this.#abs === 0) this.#log.line("C", this.#peer, "ACK 0");
    else this.#log.exchange(this.#abs, "C", this.#peer, "ACK", block);
    const buf = Buffer.allocUnsafe(4);
    buf.writeUInt32BE((TFTP_OPCODES.ACK << 16) | block, 0);
    this.#send(buf, "ACK", block, final);
  }

  #sendData(abs: number): void {
    const wire = this.#wire!;
    const start = (abs - 1) * this.#blksize;
    const data = wire.subarray(Math.min(start, wire.length), Math.min(start + this.#blksize, wire.length));
    const block = abs & 0xffff;
    this.#abs = abs;
    this.#lastNum = block;
    if (block === 0) this.#rolledOver(block);
    this.#log.exchange(abs, "C", this.#peer, "DATA", block, data.length);
    this.#send(encodePacket({ type: "DATA", block, data }), "DATA", block);
  }

  #rolledOver(to: number): void {
    this.#rollovers += 1;
    this.#log.note(this.#peer, `block number rolled over from 65535 to ${to} (block ${this.#abs} of the transfer)`);
  }

  // --- receiving ---

  #onMessage = (msg: Buffer, rinfo: dgram.RemoteInfo): void => {
    if (this.#settled) return this.#dally(msg, rinfo);
    if (rinfo.address !== this.#host || (this.#tid !== undefined && rinfo.port !== this.#tid)) return this.#stray(msg, rinfo);
    if (this.#tid === undefined) {
      this.#tid = rinfo.port;
      this.#peer = peerOf(this.#host, rinfo.port);
    }
    let packet: TftpPacket;
    try {
      packet = decodePacket(msg);
    } catch (error) {
      if (!(error instanceof TftpPacketError)) throw error;
      this.#log.line("S", this.#peer, `(malformed packet of ${plural(msg.length, "byte")}: ${error.message})`);
      const code = error.opcode === TFTP_OPCODES.OACK ? 8 : 4;
      return this.#refuse(code, `malformed packet: ${error.message}`);
    }
    if (packet.type === "ERROR") {
      this.#log.line("S", this.#peer, describePacket(packet));
      return this.#finish({ code: packet.code, name: tftpErrorName(packet.code), message: packet.message, from: "server" });
    }
    if (this.#kind === "get") this.#onGet(packet);
    else this.#onPut(packet);
  };

  #onGet(packet: TftpPacket): void {
    if (packet.type === "OACK") {
      if (this.#phase === "request") {
        if (!this.#acceptOack(packet)) return;
        this.#phase = "transfer";
        return this.#ack(0);
      }
      if (this.#abs === 0) {
        this.#duplicate(`duplicate OACK; ACKed it again with ACK 0`);
        return this.#transmit(this.#last.buf);
      }
      return this.#log.note(this.#peer, `ignored an OACK during the transfer`);
    }
    if (packet.type !== "DATA") {
      this.#log.line("S", this.#peer, describePacket(packet));
      return this.#refuse(4, `unexpected ${packet.type} from the server in a read transfer`);
    }
    if (this.#phase === "request") {
      if (packet.block !== 1) {
        this.#log.line("S", this.#peer, describePacket(packet));
        return this.#refuse(4, `expected OACK or DATA 1, got DATA ${packet.block}`);
      }
      this.#phase = "transfer";
      if (Object.keys(this.#requested).length > 0) this.#log.note(this.#peer, `the server ignored the options (DATA 1 instead of OACK); blksize ${DEFAULT_BLKSIZE}`);
    }
    const block = packet.block;
    const wrapsToOne = this.#lastNum === 0xffff && block === 1;
    if (block === ((this.#lastNum + 1) & 0xffff) || wrapsToOne) return this.#onNewData(block, packet.data);
    if (this.#abs > 0 && block === this.#lastNum) {
      this.#duplicate(`duplicate DATA ${block}; ACKed it again`);
      return this.#transmit(this.#last.buf);
    }
    this.#log.note(this.#peer, `ignored DATA ${block}: expected DATA ${(this.#lastNum + 1) & 0xffff}`);
  }

  #onNewData(block: number, data: Buffer): void {
    if (data.length > this.#blksize) {
      this.#log.line("S", this.#peer, describePacket({ type: "DATA", block, data }));
      return this.#refuse(4, `DATA ${block} has ${data.length} bytes, more than blksize ${this.#blksize}`);
    }
    this.#abs += 1;
    if (this.#lastNum === 0xffff) this.#rolledOver(block);
    this.#lastNum = block;
    this.#log.exchange(this.#abs, "S", this.#peer, "DATA", block, data.length);
    const chunk = this.#decoder ? this.#decoder.push(data) : data;
    this.#chunks.push(chunk);
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    this.#wireBytes += data.length;
    const final = data.length < this.#blksize;
    this.#ack(block, final);
    if (final) {
      if (this.#decoder) {
        const rest = this.#decoder.end();
        this.#chunks.push(rest);
        this.#hash.update(rest);
        this.#bytes += rest.length;
      }
      if (this.#tsize !== undefined && this.#tsize !== this.#wireBytes) {
        this.#log.note(this.#peer, `the OACK announced tsize=${this.#tsize} but the server sent ${this.#wireBytes} bytes`);
      }
      this.#finish(undefined);
    }
  }

  #onPut(packet: TftpPacket): void {
    if (packet.type === "OACK") {
      if (this.#phase === "request") {
        if (!this.#acceptOack(packet)) return;
        return this.#startData();
      }
      if (this.#abs === 1) return this.#duplicate("duplicate OACK; ignored (only a timeout re-sends DATA 1)");
      return this.#log.note(this.#peer, "ignored an OACK during the transfer");
    }
    if (packet.type !== "ACK") {
      this.#log.line("S", this.#peer, describePacket(packet));
      return this.#refuse(4, `unexpected ${packet.type} from the server in a write transfer`);
    }
    const block = packet.block;
    if (this.#phase === "request") {
      this.#log.line("S", this.#peer, describePacket(packet));
      if (block !== 0) return this.#refuse(4, `expected OACK or ACK 0, got ACK ${block}`);
      if (Object.keys(this.#requested).length > 0) this.#log.note(this.#peer, `the server ignored the options (ACK 0 instead of OACK); blksize ${DEFAULT_BLKSIZE}`);
      return this.#startData();
    }
    if (block === this.#lastNum) {
      this.#log.exchange(this.#abs, "S", this.#peer, "ACK", block);
      this.#wireBytes += Math.min(this.#blksize, this.#wire!.length - (this.#abs - 1) * this.#blksize);
      if (this.#abs === this.#totalBlocks) return this.#finish(undefined);
      return this.#sendData(this.#abs + 1);
    }
    if (block === ((this.#lastNum - 1) & 0xffff)) {
      return this.#duplicate(`duplicate ACK ${block}; DATA ${this.#lastNum} not re-sent (only a timeout re-sends)`);
    }
    this.#log.note(this.#peer, `ignored ACK ${block}: expected ACK ${this.#lastNum}`);
  }

  #startData(): void {
    this.#phase = "transfer";
    this.#totalBlocks = Math.floor(this.#wire!.length / this.#blksize) + 1;
    this.#sendData(1);
  }

  #duplicate(text: string): void {
    this.#duplicates += 1;
    this.#log.note(this.#peer, text);
  }

  /** Checks an OACK against what was asked; applies it, or refuses it with ERROR 8 (then returns false). */
  #acceptOack(packet: TftpOackPacket): boolean {
    this.#log.line("S", this.#peer, describePacket(packet));
    const problems: string[] = [];
    for (const [name, value] of Object.entries(packet.options)) {
      const asked = Object.hasOwn(this.#requested, name) ? this.#requested[name] : undefined;
      if (asked === undefined) problems.push(`option ${name}=${value} was not requested`);
      else if (name === "blksize" && Number(value) > Number(asked)) problems.push(`blksize=${value} is more than the ${asked} requested`);
      else if (name === "timeout" && Number(value) !== Number(asked)) problems.push(`timeout=${value} differs from the ${asked} requested`);
      else if (name === "tsize" && this.#kind === "put" && Number(value) !== Number(asked)) problems.push(`tsize=${value} differs from the ${asked} requested`);
    }
    this.#oack = { ...packet.options };
    if (problems.length > 0) {
      this.#refuse(8, problems.join("; "));
      return false;
    }
    const { blksize, timeout, tsize } = packet.options;
    if (blksize !== undefined) this.#blksize = Number(blksize);
    if (timeout !== undefined) this.#timeoutMs = Number(timeout) * 1000;
    if (tsize !== undefined) this.#tsize = Number(tsize);
    return true;
  }

  /** Packets from another address or port than the server's TID: ERROR 5 to them, nothing else changes. */
  #stray(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.#strays += 1;
    const from = peerOf(rinfo.address, rinfo.port);
    let packet: TftpPacket | undefined;
    try {
      packet = decodePacket(msg);
    } catch {
      packet = undefined;
    }
    const what = packet ? describePacket(packet) : `${plural(msg.length, "undecodable byte")}`;
    if (packet?.type === "ERROR") {
      this.#log.note(this.#peer, `stray packet from ${from} (${what}); ignored`);
      return;
    }
    this.#transmit(encodePacket({ type: "ERROR", code: 5, message: tftpErrorName(5) }), rinfo.port, rinfo.address);
    this.#log.note(this.#peer, `stray packet from ${from} (${what}); answered ERROR 5 Unknown transfer ID`);
  }

  /** After a completed get: ACK a re-sent last DATA again; tell strays off; nothing else. */
  #dally(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.#phase !== "done" || this.#kind !== "get" || this.#closed) return;
    if (rinfo.address !== this.#host || rinfo.port !== this.#tid) {
      if (msg.length >= 2 && msg.readUInt16BE(0) !== TFTP_OPCODES.ERROR) {
        this.#transmit(encodePacket({ type: "ERROR", code: 5, message: tftpErrorName(5) }), rinfo.port, rinfo.address);
      }
      return;
    }
    if (msg.length >= 4 && msg.readUInt16BE(0) === TFTP_OPCODES.DATA && msg.readUInt16BE(2) === this.#lastNum) this.#transmit(this.#last.buf);
  }

  // --- ending ---

  /** Sends ERROR `code` to the server and ends the transfer with it as the result's error. */
  #refuse(code: number, message: string): void {
    const packet: TftpPacket = { type: "ERROR", code, message };
    this.#log.line("C", this.#peer, describePacket(packet));
    this.#transmit(encodePacket(packet), this.#tid ?? this.#port, this.#host, true);
    this.#finish({ code, name: tftpErrorName(code), message, from: "client" });
  }

  #result(error: TftpErrorInfo | undefined): TftpGetResult {
    const ok = error === undefined && this.#phase === "done";
    return {
      ok,
      filename: this.#filename,
      mode: this.#mode,
      server: peerOf(this.#host, this.#port),
      serverTid: this.#tid,
      requestedOptions: { ...this.#requested },
      oack: this.#oack,
      blksize: this.#blksize,
      ...(this.#tsize !== undefined ? { tsize: this.#tsize } : {}),
      bytes: this.#bytes,
      wireBytes: this.#wireBytes,
      sha256: this.#hash.copy().digest("hex"),
      blocks: this.#kind === "get" ? this.#abs : this.#acknowledgedBlocks(),
      rollovers: this.#rollovers,
      retransmissions: this.#retransmissions,
      timeouts: this.#timeouts,
      duplicates: this.#duplicates,
      strayPackets: this.#strays,
      durationMs: roundMs(performance.now() - this.#startedAt),
      ...(error ? { error } : {}),
      ...(ok && this.#kind === "get" ? { data: Buffer.concat(this.#chunks) } : {}),
    };
  }

  #acknowledgedBlocks(): number {
    return this.#phase === "done" ? this.#abs : Math.max(0, this.#abs - 1);
  }

  #summary(result: TftpTransferResult, why?: string): string {
    const head = result.ok ? "transfer complete" : `transfer incomplete${why ? ` (${why})` : ""}`;
    const moved = this.#kind === "get" ? plural(result.bytes, "byte") : `${result.wireBytes} of ${plural(this.#wire!.length, "byte")} acknowledged`;
    return `${head}: ${moved} in ${plural(result.blocks, "block")} of up to ${result.blksize}, ` +
      `${plural(result.rollovers, "rollover")}, ${plural(result.retransmissions, "retransmission")}, ${result.durationMs} ms`;
  }

  #finish(error: TftpErrorInfo | undefined): void {
    if (this.#settled) return;
    if (error === undefined) this.#phase = "done";
    this.#settled = true;
    const result = this.#result(error);
    this.#log.end(this.#peer, this.#summary(result, error ? `ERROR ${error.code} ${error.name}` : undefined));
    this.#disarm();
    const dallyMs = this.#dallyMs ?? Math.min(this.#timeoutMs, MAX_DALLY_MS);
    if (result.ok && this.#kind === "get" && dallyMs > 0) {
      this.#socket.unref();
      startTimer(this.#clock, dallyMs, () => this.#close(), { unref: true });
    } else {
      this.#close();
    }
    this.#resolve(result);
  }

  #fail(error: unknown): void {
    if (this.#settled) {
      this.#close();
      return;
    }
    this.#settled = true;
    this.#disarm();
    const result = this.#result(undefined);
    const why = error instanceof ProbeTimeoutError ? "no answer" : error instanceof ProbeNetworkError ? "network error" : "aborted";
    this.#log.end(this.#peer, this.#summary(result, why));
    if (typeof error === "object" && error !== null) partials.set(error, result);
    this.#close();
    this.#reject(error);
  }

  /** Closes the socket once the datagrams already handed to it have left (a last ACK or ERROR is not lost). */
  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#disarm();
    this.#signal?.removeEventListener("abort", this.#onAbort);
    if (this.#inFlight === 0) this.#socket.close();
  }

  #onAbort = (): void => {
    this.#fail(this.#signal?.reason);
  };

  #onSocketError = (error: Error): void => {
    this.#fail(new ProbeNetworkError("TFTP", this.#peer, error.message, { cause: error }));
  };
}

/**
 * Reads one file (RRQ) from a TFTP server and returns it with what the transfer did.
 *
 * Sends RRQ with the options asked for (blksize, tsize=0, timeout), accepts an OACK that stays
 * within them (otherwise answers ERROR 8 and returns `ok: false`) or a DATA 1 from a server that
 * ignores options, then follows the server's transfer ID: packets from any other port get ERROR 5.
 * A lost packet is re-sent after `timeoutMs` (or the negotiated timeout), up to `retries` times;
 * a duplicate DATA is ACKed again and nothing else is re-sent. Block numbers may wrap (65535 → 0,
 * or → 1) any number of times. After the last ACK the promise resolves at once while the port
 * stays open for a short "dally" to ACK a re-sent last DATA.
 *
 * A server's ERROR is a result (`ok: false`, `error.from: "server"`), as is a malformed packet or
 * an OACK this client refuses (`error.from: "client"`). No answer after the retries throws
 * ProbeTimeoutError, a socket failure ProbeNetworkError, an abort the signal's reason (see
 * partialResultOf for what was done before). Invalid options throw InvalidInputError.
 *
 * The socket cannot be connected (the server answers from a new port), so the kernel does not
 * report ICMP "port unreachable" to it: a closed port is seen as a timeout. Answers must come from
 * `host` itself; a multi-homed server answering from another address is treated as a stray.
 */
export async function tftpGet(options: TftpGetOptions): Promise<TftpGetResult> {
  validate("get", options);
  options.signal?.throwIfAborted();
  return new Transfer("get", options).run();
}

/**
 * Writes one file (WRQ) to a TFTP server: like tftpGet, with DATA sent by this client. A duplicate
 * ACK does not re-send anything (only a timeout does); the transfer ends with a DATA shorter than
 * the block size (empty when the size is a multiple of it) and its ACK. With `tsize` the WRQ
 * carries the size of the data as sent (after netascii encoding).
 */
export async function tftpPut(options: TftpPutOptions): Promise<TftpPutResult> {
  validate("put", options);
  options.signal?.throwIfAborted();
  return new Transfer("put", options).run();
}
