import { Type, type Static } from "typebox";
import { AUTH_METHODS } from "./auth.ts";

/** The parameters of the SMTP probe, and the cross-field problems a schema cannot express. */

export const SMTP_PORT = 25;
export const SMTPS_PORT = 465;
export const DEFAULT_HELO = "orchestrator.someschool.edu";
export const DEFAULT_TIMEOUT_MS = 10_000;
export const TLS_MODES = ["none", "starttls", "implicit"] as const;
export type SmtpTlsMode = (typeof TLS_MODES)[number];

const attachmentFields = {
  filename: Type.String({ minLength: 1 }),
  contentType: Type.Optional(Type.String({ minLength: 1, description: "Default: guessed from the file name" })),
};

export const smtpAttachmentSchema = Type.Union([
  Type.Object({ ...attachmentFields, contentBase64: Type.String({ description: "The content, base64-encoded" }) }, { additionalProperties: false }),
  Type.Object({ ...attachmentFields, contentText: Type.String({ description: "The content as UTF-8 text" }) }, { additionalProperties: false }),
]);

export const smtpSendSchema = Type.Object(
  {
    from: Type.String({ description: 'The envelope sender (MAIL FROM) and From header; "" sends a null sender <>. "Alice <alice@crepes.fr>" is allowed' }),
    to: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: "The recipients: one RCPT TO each, and the To header" }),
    subject: Type.Optional(Type.String()),
    text: Type.Optional(Type.String()),
    html: Type.Optional(Type.String()),
    headers: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String(), { description: "More header fields" })),
    messageId: Type.Optional(Type.String({ minLength: 1, description: 'The Message-ID, "<id@domain>"; default a generated one' })),
    attachments: Type.Optional(Type.Array(smtpAttachmentSchema)),
    raw: Type.Optional(Type.String({ minLength: 1, description: "A whole RFC 5322 message, sent as it is instead of one built from the fields above" })),
  },
  { additionalProperties: false },
);

export const smtpDataSchema = Type.Object(
  { data: Type.String({ description: "The message text sent after a DATA that got 354: dot-stuffed and ended with CRLF.CRLF" }) },
  { additionalProperties: false },
);

export const smtpParamsSchema = Type.Object(
  {
    server: Type.String({ minLength: 1, description: "A compose service, lab host name or address" }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: "Default 25 (465 with tls: implicit)" })),
    tls: Type.Optional(
      Type.Enum([...TLS_MODES], { default: "none", description: "none; starttls: STARTTLS after EHLO, then EHLO again; implicit: TLS from the start (SMTPS)" }),
    ),
    rejectUnauthorized: Type.Optional(
      Type.Boolean({ default: true, description: "Refuse a certificate that does not verify against the lab CA from $L7LAB_CA_FILE, else Node's own list; default true" }),
    ),
    servername: Type.Optional(
      Type.String({ minLength: 1, description: "The name the certificate must carry (and SNI); default the host name of `server`" }),
    ),
    helo: Type.Optional(Type.String({ minLength: 1, description: `The name in EHLO/HELO; default ${DEFAULT_HELO}` })),
    auth: Type.Optional(
      Type.Object(
        {
          user: Type.String(),
          pass: Type.String(),
          method: Type.Optional(Type.Enum([...AUTH_METHODS], { description: "Default PLAIN if the server offers it, else LOGIN" })),
        },
        { additionalProperties: false },
      ),
    ),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 120_000, description: "Timeout of connecting and of each reply; default 10000" })),
    send: Type.Optional(smtpSendSchema),
    commands: Type.Optional(
      Type.Array(Type.Union([Type.String({ minLength: 1 }), smtpDataSchema]), {
        minItems: 1,
        description: 'Raw commands sent one by one after the greeting, each reply recorded; { data } right after "DATA" is the message',
      }),
    ),
  },
  { additionalProperties: false },
);

export type SmtpProbeParams = Static<typeof smtpParamsSchema>;
export type SmtpSendSpec = Static<typeof smtpSendSchema>;
export type SmtpAttachment = Static<typeof smtpAttachmentSchema>;
export type SmtpCommandItem = NonNullable<SmtpProbeParams["commands"]>[number];

const hasLineBreak = (s: string) => /[\r\n]/.test(s);
export const isDataCommand = (item: SmtpCommandItem | undefined): boolean => typeof item === "string" && /^\s*DATA\s*$/i.test(item);

/** The envelope address in "Alice <alice@crepes.fr>" or "alice@crepes.fr": alice@crepes.fr. */
export function envelopeAddress(address: string): string {
  const m = /<([^<>]*)>\s*$/.exec(address);
  return (m ? m[1]! : address).trim();
}

function sendProblems(send: SmtpSendSpec): string[] {
  const problems: string[] = [];
  for (const [i, address] of [send.from, ...send.to].entries()) {
    const where = i === 0 ? "send.from" : `send.to[${i - 1}]`;
    if (hasLineBreak(address)) problems.push(`${where} contains a line break`);
    else if (/[<>\s]/.test(envelopeAddress(address))) problems.push(`${where} "${address}" is not an address (write "name@domain" or "Name <name@domain>")`);
    else if (i > 0 && envelopeAddress(address) === "") problems.push(`${where} is empty`);
  }
  if (send.raw !== undefined) {
    const built = (["subject", "text", "html", "headers", "messageId", "attachments"] as const).filter((k) => send[k] !== undefined);
    if (built.length > 0) problems.push(`send.raw is the whole message; it cannot go with ${built.map((k) => `send.${k}`).join(", ")}`);
  }
  for (const [name, value] of Object.entries(send.headers ?? {})) {
    if (!/^[\x21-\x39\x3b-\x7e]+$/.test(name)) problems.push(`send.headers: "${name}" is not a header field name`);
    if (hasLineBreak(value)) problems.push(`send.headers["${name}"] contains a line break`);
  }
  return problems;
}

function commandProblems(commands: readonly SmtpCommandItem[]): string[] {
  const problems: string[] = [];
  commands.forEach((item, i) => {
    if (typeof item === "string") {
      if (hasLineBreak(item)) problems.push(`commands[${i}] contains a line break; give one command per item`);
    } else if (!isDataCommand(commands[i - 1])) {
      problems.push(`commands[${i}] is message data ({ data }) but does not follow a "DATA" command`);
    }
  });
  return problems;
}

/** The problems the schema cannot see: both or neither of send and commands, a line break in a command, ... */
export function paramProblems(params: SmtpProbeParams): string[] {
  const problems: string[] = [];
  if (params.send && params.commands) problems.push("give either send or commands, not both");
  if (!params.send && !params.commands) problems.push("give send (a message to send) or commands (raw commands to send)");
  if (params.helo !== undefined && /[\s]/.test(params.helo)) problems.push(`helo "${params.helo}" contains white space`);
  if (params.send) problems.push(...sendProblems(params.send));
  if (params.commands) problems.push(...commandProblems(params.commands));
  return problems;
}
