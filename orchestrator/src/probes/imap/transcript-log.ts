import type { Logger } from "imapflow";
import type { Transcript } from "../transcript.ts";

/**
 * imapflow logs every command it sends (`src: "c"`, at debug) and every response line it reads
 * (`src: "s"`, at debug, FETCH responses at trace), each re-serialised with the password hidden
 * and every literal replaced by a placeholder such as `"(* 2345B literal *)"`. This module turns
 * those entries into transcript lines, and keeps what the probe needs to explain a failure: the
 * server's refusals (tagged NO/BAD), the last command sent, and connection-level errors.
 */

/** Transcript lines longer than this are cut, saying how much was left out. */
export const MAX_TRANSCRIPT_LINE = 400;

/** A conservative set of IMAP atom characters, for showing a user name unquoted when it can be. */
const ATOM = /^[\w.@+=!#$&'^|~-]+$/;

function unquote(token: string): string {
  if (!token.startsWith('"') || !token.endsWith('"') || token.length < 2) return token;
  const inner = token.slice(1, -1).replace(/\\(.)/g, "$1");
  return ATOM.test(inner) ? inner : token;
}

/**
 * Hides credentials in a client line: `LOGIN user pass` keeps the user, `AUTHENTICATE mech ...`
 * keeps the mechanism. Lines without credentials are returned as they are.
 */
export function maskCredentials(line: string): string {
  const login = /^(\S+ LOGIN) ("(?:[^"\\]|\\.)*"|\S+)(?: .*)?$/i.exec(line);
  if (login) return `${login[1]} ${unquote(login[2]!)} ****`;
  const auth = /^(\S+ AUTHENTICATE \S+) \S.*$/i.exec(line);
  if (auth) return `${auth[1]} ****`;
  return line;
}

/**
 * The transcript text of one protocol line as imapflow logged it: credentials masked, literal and
 * long-string placeholders turned into `(literal of N octets)` / `(string of N octets)`, and the
 * line cut at MAX_TRANSCRIPT_LINE characters.
 */
export function protocolLineText(src: "c" | "s", msg: string): string {
  let text = msg.replace(/\r?\n/g, "\\r\\n");
  if (src === "c") text = maskCredentials(text);
  text = text
    .replace(/^\(\* (\d+)B continuation \*\)$/, "(literal of $1 octets)")
    .replace(/"\(\* (\d+)B literal \*\)"/g, "(literal of $1 octets)")
    .replace(/"\(\* (\d+)B string \*\)"/g, "(string of $1 octets)")
    .replace(/"\(\* value hidden \*\)"/g, "****");
  if (text.length > MAX_TRANSCRIPT_LINE) text = `${text.slice(0, MAX_TRANSCRIPT_LINE)}... (${text.length - MAX_TRANSCRIPT_LINE} more characters)`;
  return text;
}

/** A tagged NO or BAD from the server. */
export interface ImapRefusal {
  /** "NO" or "BAD". */
  response: string;
  /** The response code in brackets, without its arguments ("NONEXISTENT", "ALREADYEXISTS"). */
  responseCode?: string;
  /** The human-readable text after the response code. */
  text: string;
}

/** The refusal in a server line, when it is a tagged NO or BAD. */
export function parseRefusal(line: string): ImapRefusal | undefined {
  const m = /^([^\s*+]\S*) (NO|BAD)(?: \[([^\]]*)\])?(?: (.*))?$/i.exec(line);
  if (!m) return undefined;
  const code = m[3]?.split(" ")[0];
  return { response: m[2]!.toUpperCase(), ...(code ? { responseCode: code.toUpperCase() } : {}), text: (m[4] ?? "").trim() };
}

/** What one of imapflow's log entries may carry. */
export interface ImapLogEntry {
  src?: string;
  msg?: string;
  /** Raw socket data (base64), present only with logRaw; not used. */
  data?: string;
  err?: unknown;
  dropped?: unknown;
  secure?: boolean;
  address?: string;
  port?: number;
  authorized?: boolean;
  algo?: string;
  version?: string;
}

/** The note for a connection or TLS log entry, if the entry is one. */
export function connectionNote(entry: ImapLogEntry): string | undefined {
  if (entry.src === "connection" && typeof entry.msg === "string" && entry.msg.startsWith("Established")) {
    const tls = entry.secure ? `, TLS ${entry.version ?? "?"} ${entry.algo ?? ""}`.trimEnd() + `, certificate ${entry.authorized ? "verified" : "not verified"}` : "";
    return `connected to ${entry.address ?? "?"}:${entry.port ?? "?"}${tls}`;
  }
  if (entry.src === "tls" && typeof entry.msg === "string") {
    return `TLS established: ${entry.version ?? "?"} ${entry.algo ?? ""}`.trimEnd() + `, certificate ${entry.authorized ? "verified" : "not verified"}`;
  }
  return undefined;
}

/**
 * Receives imapflow's log and writes the transcript. Hand `logger` to ImapFlow.
 */
export class ImapLogRecorder {
  readonly logger: Logger;
  /** The server's tagged NO/BAD lines, in order. */
  readonly refusals: ImapRefusal[] = [];
  /** The last command line sent (masked), e.g. "7 SELECT INBOX". */
  lastCommand: string | undefined;
  /** How many server lines have been read. */
  serverLines = 0;
  /** imapflow's own warnings (flags a mailbox does not accept, ...), as sentences. */
  readonly warnings: string[] = [];
  /** The last connection-level error imapflow reported (socket timeout, reset, TLS). */
  connectionError: Error | undefined;
  readonly #transcript: Transcript;
  readonly #peer: string;

  constructor(transcript: Transcript, peer: string) {
    this.#transcript = transcript;
    this.#peer = peer;
    const entry = (level: string) => (obj: unknown) => this.#entry(level, obj);
    this.logger = { trace: entry("trace"), debug: entry("debug"), info: entry("info"), warn: entry("warn"), error: entry("error"), fatal: entry("fatal") };
  }

  /** Notes a connection-level error (from the client's "error" event). */
  noteConnectionError(err: unknown): void {
    if (err instanceof Error) this.connectionError = err;
  }

  #entry(level: string, obj: unknown): void {
    if (obj === null || typeof obj !== "object") return;
    const entry = obj as ImapLogEntry;
    if ((entry.src === "c" || entry.src === "s") && typeof entry.msg === "string" && entry.data === undefined) {
      const text = protocolLineText(entry.src, entry.msg);
      if (entry.src === "c") {
        this.#transcript.client(this.#peer, text);
        if (!text.startsWith("(literal")) this.lastCommand = text;
      } else {
        this.serverLines++;
        this.#transcript.server(this.#peer, text);
        const refusal = parseRefusal(entry.msg);
        if (refusal) this.refusals.push(refusal);
      }
      return;
    }
    const note = connectionNote(entry);
    if (note !== undefined) {
      this.#transcript.note(this.#peer, note);
      return;
    }
    if (level === "warn" && typeof entry.msg === "string") {
      this.warnings.push(Array.isArray(entry.dropped) ? `${entry.msg}: ${entry.dropped.join(" ")}` : entry.msg);
    }
    if (level === "error" && entry.err instanceof Error && !("responseStatus" in entry.err)) this.connectionError = entry.err;
  }
}
