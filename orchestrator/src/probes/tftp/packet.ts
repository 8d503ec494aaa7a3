import { MAX_BLKSIZE, MAX_TIMEOUT_S, MIN_BLKSIZE, MIN_TIMEOUT_S } from "./types.ts";

/**
 * TFTP packets on the wire (RFC 1350) with option negotiation (RFC 2347: OACK; RFC 2348: blksize;
 * RFC 2349: timeout, tsize), and netascii. Pure functions: no sockets here.
 */

export const TFTP_OPCODES = { RRQ: 1, WRQ: 2, DATA: 3, ACK: 4, ERROR: 5, OACK: 6 } as const;
export type TftpPacketType = keyof typeof TFTP_OPCODES;

/** Options by lower-case name, values as sent; in the order they are (to be) sent. */
export type TftpOptions = Record<string, string>;

export interface TftpRequestPacket {
  type: "RRQ" | "WRQ";
  filename: string;
  /** As sent; decoding lower-cases it (the mode is case-insensitive). */
  mode: string;
  options: TftpOptions;
}
export interface TftpDataPacket {
  type: "DATA";
  block: number;
  data: Buffer;
}
export interface TftpAckPacket {
  type: "ACK";
  block: number;
}
export interface TftpErrorPacket {
  type: "ERROR";
  code: number;
  message: string;
}
export interface TftpOackPacket {
  type: "OACK";
  options: TftpOptions;
}
export type TftpPacket = TftpRequestPacket | TftpDataPacket | TftpAckPacket | TftpErrorPacket | TftpOackPacket;

/** The ERROR codes: `symbol` as in <arpa/tftp.h>, `name` the textbook meaning. */
export const TFTP_ERRORS: readonly { code: number; symbol: string; name: string }[] = [
  { code: 0, symbol: "EUNDEF", name: "Not defined" },
  { code: 1, symbol: "ENOTFOUND", name: "File not found" },
  { code: 2, symbol: "EACCESS", name: "Access violation" },
  { code: 3, symbol: "ENOSPACE", name: "Disk full or allocation exceeded" },
  { code: 4, symbol: "EBADOP", name: "Illegal TFTP operation" },
  { code: 5, symbol: "EBADID", name: "Unknown transfer ID" },
  { code: 6, symbol: "EEXISTS", name: "File already exists" },
  { code: 7, symbol: "ENOUSER", name: "No such user" },
  { code: 8, symbol: "EOPTNEG", name: "Option negotiation refused" },
];

/** The textbook meaning of an ERROR code; "Unknown error code N" beyond 8. */
export function tftpErrorName(code: number): string {
  return TFTP_ERRORS[code]?.name ?? `Unknown error code ${code}`;
}

/** A packet that cannot be decoded (or encoded). `opcode` is set when the packet's type was known. */
export class TftpPacketError extends Error {
  readonly opcode: number | undefined;

  constructor(message: string, opcode?: number) {
    super(message);
    this.name = "TftpPacketError";
    this.opcode = opcode;
  }
}

const MAX_UINT16 = 0xffff;

/** The known options' values: what decoding accepts, as a problem text, or undefined when fine. */
export function optionValueProblem(name: string, value: string): string | undefined {
  const whole = /^\d{1,16}$/.test(value) ? Number(value) : NaN;
  switch (name) {
    case "blksize":
      return whole >= MIN_BLKSIZE && whole <= MAX_BLKSIZE ? undefined : `blksize=${value} is not a whole number between ${MIN_BLKSIZE} and ${MAX_BLKSIZE}`;
    case "timeout":
      return whole >= MIN_TIMEOUT_S && whole <= MAX_TIMEOUT_S ? undefined : `timeout=${value} is not a whole number of seconds between ${MIN_TIMEOUT_S} and ${MAX_TIMEOUT_S}`;
    case "tsize":
      return Number.isSafeInteger(whole) ? undefined : `tsize=${value} is not a whole number >= 0`;
    default:
      return undefined;
  }
}

function checkString(what: string, value: string, opcode: number): void {
  if (value.includes("\0")) throw new TftpPacketError(`${what} must not contain NUL`, opcode);
}

function checkUint16(what: string, value: number, opcode: number): void {
  if (!Number.isInteger(value) || value < 0 || value > MAX_UINT16) throw new TftpPacketError(`${what} ${value} is not between 0 and 65535`, opcode);
}

/** NUL-terminated strings, one after the other. */
function strings(values: readonly string[]): Buffer {
  return Buffer.concat(values.map((v) => Buffer.from(v + "\0", "utf8")));
}

function optionStrings(options: TftpOptions, opcode: number): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(options)) {
    if (name === "") throw new TftpPacketError("an option name must not be empty", opcode);
    checkString(`option name ${JSON.stringify(name)}`, name, opcode);
    checkString(`option ${name}'s value`, value, opcode);
    out.push(name, value);
  }
  return out;
}

function header(opcode: number, size: number): Buffer {
  const buf = Buffer.allocUnsafe(size);
  buf.writeUInt16BE(opcode, 0);
  return buf;
}

/** The packet's bytes. Throws TftpPacketError for values that cannot be sent (NUL in a string, block out of range). */
export function encodePacket(packet: TftpPacket): Buffer {
  const opcode = TFTP_OPCODES[packet.type];
  switch (packet.type) {
    case "RRQ":
    case "WRQ": {
      if (packet.filename === "") throw new TftpPacketError("the filename must not be empty", opcode);
      if (packet.mode === "") throw new TftpPacketError("the mode must not be empty", opcode);
      checkString("the filename", packet.filename, opcode);
      checkString("the mode", packet.mode, opcode);
      return Buffer.concat([header(opcode, 2), strings([packet.filename, packet.mode, ...optionStrings(packet.options, opcode)])]);
    }
    case "DATA": {
      checkUint16("block", packet.block, opcode);
      if (packet.data.length > MAX_BLKSIZE) throw new TftpPacketError(`DATA of ${packet.data.length} bytes is more than ${MAX_BLKSIZE}`, opcode);
      const buf = header(opcode, 4 + packet.data.length);
      buf.writeUInt16BE(packet.block, 2);
      packet.data.copy(buf, 4);
      return buf;
    }
    case "ACK": {
      checkUint16("block", packet.block, opcode);
      const buf = header(opcode, 4);
      buf.writeUInt16BE(packet.block, 2);
      return buf;
    }
    case "ERROR": {
      checkUint16("error code", packet.code, opcode);
      checkString("the error message", packet.message, opcode);
      const buf = header(opcode, 4);
      buf.writeUInt16BE(packet.code, 2);
      return Buffer.concat([buf, strings([packet.message])]);
    }
    case "OACK":
      return Buffer.concat([header(opcode, 2), strings(optionStrings(packet.options, opcode))]);
  }
}

/** Splits NUL-terminated strings; throws when the last one has no NUL. */
function readStrings(buf: Buffer, start: number, type: string, opcode: number, what: (index: number) => string): string[] {
  const out: string[] = [];
  let at = start;
  while (at < buf.length) {
    const end = buf.indexOf(0, at);
    if (end < 0) throw new TftpPacketError(`${type}: ${what(out.length)} is not terminated by NUL`, opcode);
    out.push(buf.toString("utf8", at, end));
    at = end + 1;
  }
  return out;
}

function readOptions(pairs: readonly string[], type: string, opcode: number): TftpOptions {
  if (pairs.length % 2 !== 0) throw new TftpPacketError(`${type}: option "${pairs[pairs.length - 1]}" has no value`, opcode);
  const entries: [string, string][] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!.toLowerCase();
    const value = pairs[i + 1]!;
    if (name === "") throw new TftpPacketError(`${type}: an option name is empty`, opcode);
    if (entries.some(([n]) => n === name)) throw new TftpPacketError(`${type}: option "${name}" appears twice`, opcode);
    const problem = optionValueProblem(name, value);
    if (problem) throw new TftpPacketError(`${type}: ${problem}`, opcode);
    entries.push([name, value]);
  }
  return Object.fromEntries(entries);
}

/** Decodes one datagram. Throws TftpPacketError saying what is wrong with a malformed one. */
export function decodePacket(buf: Buffer): TftpPacket {
  if (buf.length < 2) throw new TftpPacketError(`truncated packet: ${buf.length} byte(s), not even an opcode`);
  const opcode = buf.readUInt16BE(0);
  switch (opcode) {
    case TFTP_OPCODES.RRQ:
    case TFTP_OPCODES.WRQ: {
      const type = opcode === TFTP_OPCODES.RRQ ? "RRQ" : "WRQ";
      const parts = readStrings(buf, 2, type, opcode, (i) => (i === 0 ? "the filename" : i === 1 ? "the mode" : "an option"));
      if (parts.length < 2) throw new TftpPacketError(`${type}: truncated, ${parts.length === 0 ? "no filename" : "no mode"}`, opcode);
      const [filename, mode] = parts as [string, string];
      if (filename === "") throw new TftpPacketError(`${type}: the filename is empty`, opcode);
      if (mode === "") throw new TftpPacketError(`${type}: the mode is empty`, opcode);
      return { type, filename, mode: mode.toLowerCase(), options: readOptions(parts.slice(2), type, opcode) };
    }
    case TFTP_OPCODES.DATA: {
      if (buf.length < 4) throw new TftpPacketError(`DATA: truncated, ${buf.length} bytes, less than the 4-byte header`, opcode);
      if (buf.length > 4 + MAX_BLKSIZE) throw new TftpPacketError(`DATA: ${buf.length - 4} bytes of data, more than ${MAX_BLKSIZE}`, opcode);
      return { type: "DATA", block: buf.readUInt16BE(2), data: buf.subarray(4) };
    }
    case TFTP_OPCODES.ACK: {
      if (buf.length !== 4) throw new TftpPacketError(`ACK: ${buf.length} bytes, an ACK has exactly 4`, opcode);
      return { type: "ACK", block: buf.readUInt16BE(2) };
    }
    case TFTP_OPCODES.ERROR: {
      if (buf.length < 4) throw new TftpPacketError(`ERROR: truncated, ${buf.length} bytes, less than the 4-byte header`, opcode);
      const end = buf.indexOf(0, 4);
      if (end < 0) throw new TftpPacketError("ERROR: the message is not terminated by NUL", opcode);
      if (end !== buf.length - 1) throw new TftpPacketError(`ERROR: ${buf.length - end - 1} byte(s) after the message`, opcode);
      return { type: "ERROR", code: buf.readUInt16BE(2), message: buf.toString("utf8", 4, end) };
    }
    case TFTP_OPCODES.OACK:
      return { type: "OACK", options: readOptions(readStrings(buf, 2, "OACK", opcode, () => "an option"), "OACK", opcode) };
    default:
      throw new TftpPacketError(`unknown opcode ${opcode}`);
  }
}

/** Options as the transcript shows them: `blksize=1468 tsize=0`. */
export function describeOptions(options: TftpOptions): string {
  return Object.entries(options)
    .map(([name, value]) => `${name}=${value}`)
    .join(" ");
}

/** A packet in the textbook's form: `RRQ "pxelinux.0" octet blksize=1468`, `DATA 1 (512 bytes)`, `ERROR 1 File not found`. */
export function describePacket(packet: TftpPacket): string {
  switch (packet.type) {
    case "RRQ":
    case "WRQ": {
      const options = describeOptions(packet.options);
      return `${packet.type} ${JSON.stringify(packet.filename)} ${packet.mode}${options ? " " + options : ""}`;
    }
    case "DATA":
      return `DATA ${packet.block} (${packet.data.length} byte${packet.data.length === 1 ? "" : "s"})`;
    case "ACK":
      return `ACK ${packet.block}`;
    case "ERROR": {
      const name = tftpErrorName(packet.code);
      return `ERROR ${packet.code} ${name}${packet.message !== "" && packet.message !== name ? ` ${JSON.stringify(packet.message)}` : ""}`;
    }
    case "OACK": {
      const options = describeOptions(packet.options);
      return options ? `OACK ${options}` : "OACK";
    }
  }
}

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

/** Local text to netascii: LF becomes CR LF, a bare CR becomes CR NUL (RFC 1350, RFC 764). */
export function netasciiEncode(data: Buffer): Buffer {
  let extra = 0;
  for (let i = 0; i < data.length; i++) if (data[i] === LF || data[i] === CR) extra++;
  if (extra === 0) return Buffer.from(data);
  const out = Buffer.allocUnsafe(data.length + extra);
  let o = 0;
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (b === LF) {
      out[o++] = CR;
      out[o++] = LF;
    } else if (b === CR) {
      out[o++] = CR;
      out[o++] = NUL;
    } else {
      out[o++] = b;
    }
  }
  return out;
}

/**
 * Netascii to local text, block by block: CR LF becomes LF, CR NUL becomes CR. A CR that ends one
 * block is held until the next shows what follows it. A CR followed by anything else is kept as
 * it is (a sender's mistake, not worth failing a transfer for).
 */
export class NetasciiDecoder {
  #pendingCr = false;

  /** The local text of this chunk (a CR at its end is held back). */
  push(chunk: Buffer): Buffer {
    const out = Buffer.allocUnsafe(chunk.length + 1);
    let o = 0;
    let i = 0;
    if (this.#pendingCr) {
      if (chunk.length === 0) return Buffer.alloc(0);
      this.#pendingCr = false;
      const next = chunk[0]!;
      if (next === LF) {
        out[o++] = LF;
        i = 1;
      } else if (next === NUL) {
        out[o++] = CR;
        i = 1;
      } else {
        out[o++] = CR;
      }
    }
    for (; i < chunk.length; i++) {
      const b = chunk[i]!;
      if (b !== CR) {
        out[o++] = b;
        continue;
      }
      if (i + 1 === chunk.length) {
        this.#pendingCr = true;
        break;
      }
      const next = chunk[i + 1]!;
      if (next === LF) {
        out[o++] = LF;
        i++;
      } else if (next === NUL) {
        out[o++] = CR;
        i++;
      } else {
        out[o++] = CR;
      }
    }
    return out.subarray(0, o);
  }

  /** What is left at the end of the transfer: a CR that ended the last block, as a CR. */
  end(): Buffer {
    const out = this.#pendingCr ? Buffer.from([CR]) : Buffer.alloc(0);
    this.#pendingCr = false;
    return out;
  }
}

/** Netascii to local text, all at once. */
export function netasciiDecode(data: Buffer): Buffer {
  const decoder = new NetasciiDecoder();
  return Buffer.concat([decoder.push(data), decoder.end()]);
}
