/**
 * Pure parsing of POP3 responses (RFC 1939, RFC 2449): status lines, dot-stuffing, and the bodies
 * of STAT, LIST, UIDL and CAPA. No sockets here; see reader.ts for the streaming side.
 */

/** A status line, `+OK text` or `-ERR text`, split up. */
export interface Pop3Status {
  ok: boolean;
  /** The text after the indicator, without the extended response code. */
  text: string;
  /** An RFC 2449 extended response code ("AUTH", "IN-USE", "SYS/TEMP", ...), when there is one. */
  code?: string;
}

/** A line a POP3 server should not have sent: not a status line, an unterminated body, ... */
export class Pop3ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Pop3ProtocolError";
  }
}

const STATUS = /^(\+OK|-ERR)(?:[ \t](.*))?$/i;
const RESPONSE_CODE = /^\[([^\]]*)\]\s*/;

/** Parses `+OK ...` / `-ERR ...`; anything else is undefined. The indicator's case is not checked. */
export function parseStatus(line: string): Pop3Status | undefined {
  const m = STATUS.exec(line);
  if (!m) return undefined;
  const ok = m[1]!.toUpperCase() === "+OK";
  const rest = (m[2] ?? "").trim();
  const code = RESPONSE_CODE.exec(rest);
  if (!code) return { ok, text: rest };
  return { ok, text: rest.slice(code[0].length), code: code[1]! };
}

const DOT = 0x2e;

/** Whether a line (without its CRLF) ends a multi-line response: exactly ".". */
export function isTerminator(line: Uint8Array): boolean {
  return line.length === 1 && line[0] === DOT;
}

/** Removes the byte-stuffed dot: a line that starts with "." (and is not the terminator) loses it. */
export function unstuff(line: Buffer): Buffer {
  return line.length > 1 && line[0] === DOT ? line.subarray(1) : line;
}

/** Adds the dot a sender puts in front of a line that starts with "." (the inverse of unstuff). */
export function stuff(line: string): string {
  return line.startsWith(".") ? "." + line : line;
}

const CRLF = Buffer.from("\r\n");

/** The octets of a multi-line body as the server holds them: every line ends in CRLF. */
export function joinLines(lines: readonly Buffer[]): Buffer {
  return Buffer.concat(lines.flatMap((l) => [l, CRLF]));
}

const natural = (s: string | undefined): number | undefined => (s !== undefined && /^\d+$/.test(s) ? Number(s) : undefined);

/** STAT's answer text, `n size ...`: the number of messages and their total size in octets. */
export function parseStat(text: string): { count: number; size: number } | undefined {
  const [count, size] = text.trim().split(/\s+/).map(natural);
  return count === undefined || size === undefined ? undefined : { count, size };
}

/** One scan listing, from LIST (`n size`, in a body line or after +OK of `LIST n`). */
export function parseListEntry(text: string): { n: number; size: number } | undefined {
  const [n, size] = text.trim().split(/\s+/).map(natural);
  return n === undefined || size === undefined || n < 1 ? undefined : { n, size };
}

/** One unique-id listing, from UIDL (`n uid`); a uid is 1 to 70 printable characters (RFC 1939 7). */
export function parseUidlEntry(text: string): { n: number; uid: string } | undefined {
  const [first, uid] = text.trim().split(/\s+/);
  const n = natural(first);
  return n === undefined || n < 1 || uid === undefined || !/^[\x21-\x7e]{1,70}$/.test(uid) ? undefined : { n, uid };
}

/** Every body line that parses; the rest are left out. */
export function parseEntries<T>(lines: readonly string[], parse: (line: string) => T | undefined): T[] {
  return lines.map(parse).filter((e): e is T => e !== undefined);
}

/** CAPA's body: one capability a line, `NAME [args]`, with blank lines left out. */
export function parseCapabilities(lines: readonly string[]): string[] {
  return lines.map((l) => l.trim().replace(/\s+/g, " ")).filter((l) => l !== "");
}

/** Whether a CAPA list has a capability (case-insensitive), such as "STLS", "TOP" or "UIDL". */
export function hasCapability(capabilities: readonly string[] | undefined, name: string): boolean {
  const wanted = name.toUpperCase();
  return (capabilities ?? []).some((c) => c.split(" ")[0]!.toUpperCase() === wanted);
}

const MULTI_LINE_ALWAYS = new Set(["RETR", "TOP", "CAPA"]);
const MULTI_LINE_WITHOUT_ARGUMENT = new Set(["LIST", "UIDL", "AUTH"]);

/**
 * Whether the +OK answer to a command has a multi-line body: RETR, TOP and CAPA always; LIST and
 * UIDL without an argument; AUTH without one (the mechanism list RFC 5034 servers give).
 */
export function isMultiLine(command: string): boolean {
  const [verb = "", ...args] = command.trim().split(/\s+/);
  const v = verb.toUpperCase();
  return MULTI_LINE_ALWAYS.has(v) || (MULTI_LINE_WITHOUT_ARGUMENT.has(v) && args.length === 0);
}

/** A command as a transcript shows it: the argument of PASS is masked. */
export function maskCommand(command: string): string {
  return /^PASS(\s|$)/i.test(command) ? `${command.slice(0, 4)} ****` : command;
}
