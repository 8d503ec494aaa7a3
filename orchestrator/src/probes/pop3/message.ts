import { createHash } from "node:crypto";
import { mailparser } from "../libraries.ts";
import { joinLines } from "./response.ts";

/**
 * What the probe reports about a retrieved message (RETR) or its top (TOP): a digest of the exact
 * octets, the header fields, and the usual ones decoded. Pure apart from mailparser's decoding.
 */

export interface HeaderSummary {
  /** Each header field's first value, unfolded and trimmed but not decoded, under its lower-case name. */
  headers: Record<string, string>;
  /** Decoded (RFC 2047) Subject. */
  subject?: string;
  /** Message-ID, with its angle brackets. */
  messageId?: string;
  /** From, as text (mailparser's form): `"Alice" <alice@crepes.fr>`. */
  from?: string;
  /** To, as text; several To fields are joined with ", ". */
  to?: string;
}

export interface MessageSummary extends HeaderSummary {
  /** Octets of the message after dot-unstuffing, every line ending in CRLF. */
  size: number;
  /** Hex SHA-256 of those octets. */
  sha256: string;
  /** Number of lines. */
  lines: number;
}

/** The header lines: everything before the first empty line (all lines if there is none). */
export function headerLines(lines: readonly Buffer[]): Buffer[] {
  const blank = lines.findIndex((l) => l.length === 0);
  return blank < 0 ? [...lines] : lines.slice(0, blank);
}

/** The number of body lines: those after the first empty line. */
export function bodyLineCount(lines: readonly Buffer[]): number {
  const blank = lines.findIndex((l) => l.length === 0);
  return blank < 0 ? 0 : lines.length - blank - 1;
}

/**
 * Header fields by lower-case name, first occurrence winning; folded lines (starting with a space
 * or tab) continue the field before them. Lines that are not fields (no colon) are ignored.
 */
export function parseHeaders(lines: readonly string[]): Record<string, string> {
  const fields: [string, string][] = [];
  for (const line of lines) {
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line)) {
      if (last) last[1] += " " + line.trim();
      continue;
    }
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon).trim().toLowerCase() : "";
    if (name === "" || /\s/.test(name)) continue;
    fields.push([name, line.slice(colon + 1).trim()]);
  }
  const first = new Map<string, string>();
  for (const [name, value] of fields) if (!first.has(name)) first.set(name, value);
  return Object.fromEntries(first);
}

type Addresses = { text: string } | { text: string }[] | undefined;
const addressText = (a: Addresses): string | undefined => (a === undefined ? undefined : Array.isArray(a) ? a.map((x) => x.text).join(", ") : a.text);

function withoutUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The header fields of a message or of TOP's answer, with Subject, From, To and Message-ID decoded. */
export async function summarizeHeaders(lines: readonly Buffer[]): Promise<HeaderSummary> {
  const header = headerLines(lines);
  const headers = parseHeaders(header.map((l) => l.toString("utf8")));
  try {
    const { simpleParser } = await mailparser();
    const parsed = await simpleParser(joinLines([...header, Buffer.alloc(0)]), { skipHtmlToText: true, skipTextToHtml: true, skipImageLinks: true });
    return withoutUndefined({
      headers,
      subject: parsed.subject ?? headers["subject"],
      messageId: parsed.messageId ?? headers["message-id"],
      from: addressText(parsed.from) ?? headers["from"],
      to: addressText(parsed.to) ?? headers["to"],
    });
  } catch {
    // A header mailparser cannot decode: report the fields as they are.
    return withoutUndefined({ headers, subject: headers["subject"], messageId: headers["message-id"], from: headers["from"], to: headers["to"] });
  }
}

/** The summary of a retrieved message from RETR's body lines (already dot-unstuffed). */
export async function summarizeMessage(lines: readonly Buffer[]): Promise<MessageSummary & { octets: Buffer }> {
  const octets = joinLines(lines);
  const sha256 = createHash("sha256").update(octets).digest("hex");
  return { size: octets.length, sha256, lines: lines.length, ...(await summarizeHeaders(lines)), octets };
}
