/**
 * The shapes the POP3 probe returns. Plain data only (JSON-serialisable), exported for the
 * scenario engine and the API.
 */

export const POP3_TLS_MODES = ["none", "stls", "implicit"] as const;
export type Pop3TlsMode = (typeof POP3_TLS_MODES)[number];

export const POP3_PORT = 110;
export const POP3S_PORT = 995;

/** A status line the server sent, and the command it answered. */
export interface Pop3Response {
  /** The command as sent (PASS masked as `PASS ****`); "(greeting)" for the greeting. */
  command: string;
  ok: boolean;
  /** The text after +OK / -ERR, without the extended response code. */
  text: string;
  /** RFC 2449 extended response code, such as "AUTH", "IN-USE", "LOGIN-DELAY", "SYS/TEMP". */
  code?: string;
}

/** What the probe saw of the TLS session, with STLS or implicit TLS. */
export interface Pop3TlsInfo {
  protocol: string;
  cipher: string;
  /** Whether the certificate chain and name were verified. */
  authorized: boolean;
  /** Why not, when they were not (only possible with rejectUnauthorized: false). */
  authorizationError?: string;
  /** The certificate's subject CN. */
  subject?: string;
}

export interface Pop3HeaderFields {
  /** Each header field's first value (unfolded, not decoded), by lower-case name. */
  headers: Record<string, string>;
  /** Decoded Subject. */
  subject?: string;
  messageId?: string;
  from?: string;
  to?: string;
}

/** A message retrieved with RETR. */
export interface Pop3Message extends Pop3HeaderFields {
  /** The message number in this session. */
  n: number;
  /** Its unique id, when a UIDL of this session named it. */
  uid?: string;
  /** Octets after dot-unstuffing, with CRLF line endings as on the wire. */
  size: number;
  /** Hex SHA-256 of exactly those octets. */
  sha256: string;
  lines: number;
  /** The message as text (UTF-8), only with `includeRaw: true`. */
  raw?: string;
}

/** A message's headers and first lines, from TOP. */
export interface Pop3Top extends Pop3HeaderFields {
  n: number;
  uid?: string;
  /** How many lines of the body the server sent after the headers. */
  bodyLines: number;
  /** What TOP returned, as text, only with `includeRaw: true`. */
  raw?: string;
}

export interface Pop3Result {
  /** The server's address. */
  server: string;
  port: number;
  /** Whether the session ran over TLS (implicit, or after a successful STLS). */
  tls: boolean;
  tlsInfo?: Pop3TlsInfo;
  /** The greeting's text (after +OK), "" when none came. */
  greeting: string;
  /** CAPA's list (after STLS, the list asked again over TLS); absent when CAPA was refused. */
  capabilities?: string[];
  loggedIn: boolean;
  /** The answer to PASS (or to USER when that was refused, or why login was not attempted). */
  login: { ok: boolean; text: string };
  stat?: { count: number; size: number };
  /** The last LIST's scan listings. */
  list?: { n: number; size: number }[];
  /** The last UIDL's unique-id listings. */
  uidl?: { n: number; uid: string }[];
  messages: Pop3Message[];
  top?: Pop3Top[];
  /** Messages marked deleted and not unmarked by RSET: what QUIT commits. */
  deleted: number[];
  /** UIDs that retrByUid / deleByUid asked for and UIDL did not list (no command was sent for them). */
  unknownUids?: string[];
  /** Every status line, in order, starting with the greeting. */
  responses: Pop3Response[];
  /** The answer to QUIT; absent with `quit: false` or when the session ended early. */
  quit?: { ok: boolean; text: string };
}
