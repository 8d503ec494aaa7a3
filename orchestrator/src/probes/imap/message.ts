import { createHash } from "node:crypto";
import { mailparser } from "../libraries.ts";
import type { ImapAttachment, ImapMessage } from "./types.ts";

/** A message body longer than this many characters is cut in the result (`textTruncated`). */
export const MAX_TEXT_LENGTH = 100_000;

export const sha256Hex = (data: Buffer | string): string => createHash("sha256").update(data).digest("hex");

/** What imapflow fetched for one message (the fields the probe asks for). */
export interface FetchedMessage {
  uid: number;
  flags?: Iterable<string>;
  size?: number;
  envelope?: {
    subject?: string;
    from?: { name?: string; address?: string }[];
    to?: { name?: string; address?: string }[];
    messageId?: string;
    date?: Date | string;
  };
  source?: Buffer;
}

/** What mailparser found in a message that the result keeps. */
export interface ParsedParts {
  text?: string;
  attachments: { filename?: string; contentType: string; size?: number; content: Buffer }[];
}

/** A header field: its name as written and its value, unfolded (continuation lines joined with one space). */
export interface HeaderField {
  name: string;
  value: string;
}

/** The header fields of a raw message, in order; the header ends at the first empty line. */
export function headerFields(raw: Buffer | string): HeaderField[] {
  const text = typeof raw === "string" ? raw : raw.toString("latin1");
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  const fields: HeaderField[] = [];
  for (const line of head.split(/\r?\n/)) {
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line)) {
      if (last) last.value = `${last.value} ${line.trim()}`.trim();
      continue;
    }
    const colon = line.indexOf(":");
    if (colon > 0) fields.push({ name: line.slice(0, colon).trim(), value: line.slice(colon + 1).trim() });
  }
  return fields;
}

/** Every value of the named header (any case), in the order the message has them. */
export function headerValues(raw: Buffer | string, name: string): string[] {
  const lower = name.toLowerCase();
  return headerFields(raw)
    .filter((f) => f.name.toLowerCase() === lower)
    .map((f) => f.value);
}

/** Every Received header, unfolded, newest (top) first as the message has them. */
export const receivedHeaders = (raw: Buffer | string): string[] => headerValues(raw, "received");

/** The checksum record of an attachment. */
export function attachmentSummary(a: ParsedParts["attachments"][number]): ImapAttachment {
  return {
    ...(a.filename !== undefined ? { filename: a.filename } : {}),
    contentType: a.contentType,
    size: a.content.length,
    sha256: sha256Hex(a.content),
  };
}

const addresses = (list: { address?: string }[] | undefined): string[] => (list ?? []).flatMap((a) => (a.address ? [a.address] : []));

/** The result record of one fetched message, from what imapflow fetched and mailparser parsed. */
export function shapeMessage(fetched: FetchedMessage, parts: ParsedParts, includeRaw: boolean): ImapMessage {
  const source = fetched.source ?? Buffer.alloc(0);
  const env = fetched.envelope ?? {};
  const messageIdHeader = headerValues(source, "message-id")[0];
  const when = env.date === undefined ? undefined : new Date(env.date);
  const date = when !== undefined && !Number.isNaN(when.getTime()) ? when.toISOString() : undefined;
  const text = parts.text;
  const truncated = text !== undefined && text.length > MAX_TEXT_LENGTH;
  return {
    uid: fetched.uid,
    flags: [...(fetched.flags ?? [])],
    size: fetched.size ?? source.length,
    envelope: {
      ...(env.subject !== undefined ? { subject: env.subject } : {}),
      from: addresses(env.from),
      to: addresses(env.to),
      ...(env.messageId !== undefined ? { messageId: env.messageId } : {}),
      ...(date !== undefined ? { date } : {}),
    },
    headers: { received: receivedHeaders(source), ...(messageIdHeader !== undefined ? { "message-id": messageIdHeader } : {}) },
    sha256: sha256Hex(source),
    ...(text !== undefined ? { text: truncated ? text.slice(0, MAX_TEXT_LENGTH) : text } : {}),
    ...(truncated ? { textTruncated: true as const } : {}),
    attachments: parts.attachments.map(attachmentSummary),
    ...(includeRaw ? { raw: source.toString("utf8") } : {}),
  };
}

/** Parses a raw message with mailparser, keeping the text body and the attachments. */
export async function parseParts(source: Buffer): Promise<ParsedParts> {
  const { simpleParser } = await mailparser();
  const mail = await simpleParser(source);
  return {
    ...(typeof mail.text === "string" ? { text: mail.text } : {}),
    attachments: mail.attachments.map((a) => ({
      ...(a.filename !== undefined ? { filename: a.filename } : {}),
      contentType: a.contentType,
      size: a.size,
      content: a.content,
    })),
  };
}
