import { createHash } from "node:crypto";
import { mailComposer } from "../libraries.ts";
import { envelopeAddress, type SmtpAttachment, type SmtpSendSpec } from "./params.ts";

/** The message the send mode transmits: built with nodemailer's MailComposer, or given raw. */

export interface BuildMessageOptions {
  /** The Date header; default now (a `Date` in `send.headers` wins). */
  date?: Date;
}

const attachment = (a: SmtpAttachment) => ({
  filename: a.filename,
  content: "contentBase64" in a ? Buffer.from(a.contentBase64, "base64") : a.contentText,
  ...(a.contentType ? { contentType: a.contentType } : {}),
});

/**
 * The full text of the message `send` describes, CRLF line breaks throughout: `send.raw` as it is,
 * or a MIME message (text and/or html, attachments) built by MailComposer. The multipart boundary
 * is derived from the spec, so with `messageId` and `date` fixed the text is the same every time,
 * and scenarios can compute checksums of it.
 */
export async function buildMessage(send: SmtpSendSpec, options: BuildMessageOptions = {}): Promise<string> {
  if (send.raw !== undefined) return send.raw;
  const baseBoundary = createHash("sha256").update(JSON.stringify(send)).digest("hex").slice(0, 16);
  const { default: MailComposer } = await mailComposer();
  const composer = new MailComposer({
    ...(envelopeAddress(send.from) !== "" ? { from: send.from } : {}),
    to: send.to,
    ...(send.subject !== undefined ? { subject: send.subject } : {}),
    ...(send.text !== undefined ? { text: send.text } : {}),
    ...(send.html !== undefined ? { html: send.html } : {}),
    ...(send.messageId !== undefined ? { messageId: send.messageId } : {}),
    ...(options.date ? { date: options.date } : {}),
    ...(send.headers ? { headers: send.headers } : {}),
    attachments: (send.attachments ?? []).map(attachment),
    baseBoundary,
    newline: "\r\n",
  });
  return (await composer.compile().build()).toString("utf8");
}

/** The unfolded value of the first header field `name` in a message's header, if there is one. */
export function headerValue(message: string, name: string): string | undefined {
  const header = message.split(/\r?\n\r?\n/, 1)[0] ?? "";
  const unfolded = header.replace(/\r?\n[ \t]+/g, " ");
  const wanted = name.toLowerCase();
  for (const line of unfolded.split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === wanted) return line.slice(colon + 1).trim();
  }
  return undefined;
}

/** Whether the text has anything beyond 7-bit ASCII (then MAIL FROM says BODY=8BITMIME if the server offers it). */
export function isEightBit(text: string): boolean {
  return /[^\p{ASCII}]/u.test(text);
}
