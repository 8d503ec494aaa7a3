import { Type, type Static } from "typebox";
import { POP3_PORT, POP3_TLS_MODES, POP3S_PORT } from "./types.ts";

/** The parameters of the POP3 probe, and the checks a schema cannot express. */

const strict = { additionalProperties: false } as const;
const messageNumber = (description: string) => Type.Integer({ minimum: 1, description });
const uid = (description: string) => Type.String({ minLength: 1, maxLength: 70, pattern: "^[\\x21-\\x7e]+$", description });

export const pop3ActionSchema = Type.Union([
  Type.Object({ stat: Type.Literal(true, { description: "STAT: the number and total size of messages" }) }, strict),
  Type.Object({ list: Type.Union([Type.Literal(true), messageNumber("LIST n")], { description: "LIST (every message) or LIST n" }) }, strict),
  Type.Object({ uidl: Type.Union([Type.Literal(true), messageNumber("UIDL n")], { description: "UIDL (every message) or UIDL n" }) }, strict),
  Type.Object({ retr: Type.Union([messageNumber("RETR n"), Type.Literal("all")], { description: 'RETR n, or "all": LIST, then RETR of each' }) }, strict),
  Type.Object({ retrByUid: uid("UIDL (once per session), then RETR of the message with this unique id") }, strict),
  Type.Object({ top: messageNumber("TOP n k: the headers of message n"), lines: Type.Integer({ minimum: 0, description: "and the first k lines of its body" }) }, strict),
  Type.Object({ dele: Type.Union([messageNumber("DELE n"), Type.Literal("all")], { description: 'DELE n, or "all": LIST, then DELE of each' }) }, strict),
  Type.Object({ deleByUid: uid("UIDL (once per session), then DELE of the message with this unique id") }, strict),
  Type.Object({ rset: Type.Literal(true, { description: "RSET: unmark the messages marked deleted" }) }, strict),
  Type.Object({ noop: Type.Literal(true, { description: "NOOP" }) }, strict),
  Type.Object({ raw: Type.String({ minLength: 1, pattern: "^[^\\r\\n]+$", description: "any command line; its answer is recorded, +OK or -ERR" }) }, strict),
]);

export type Pop3Action = Static<typeof pop3ActionSchema>;

export const pop3ParamsSchema = Type.Object(
  {
    server: Type.String({ minLength: 1, description: "The mailbox server: a compose service, a lab host name or an address" }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: "Default 110, or 995 with tls: implicit" })),
    tls: Type.Optional(
      Type.Enum([...POP3_TLS_MODES], { default: "none", description: "none: plain POP3; stls: STLS (RFC 2595) before logging in; implicit: POP3S" }),
    ),
    servername: Type.Optional(
      Type.String({ minLength: 1, description: "The TLS server name (SNI, certificate check); default the server's host name, or its address" }),
    ),
    rejectUnauthorized: Type.Optional(
      Type.Boolean({ description: "Refuse a certificate that does not verify against the lab CA from $L7LAB_CA_FILE, else Node's default list (default true)" }),
    ),
    user: Type.String({ minLength: 1, pattern: "^[^\\r\\n]+$", description: "USER name" }),
    pass: Type.String({ pattern: "^[^\\r\\n]*$", description: "PASS password (shown as **** in transcripts)" }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 120_000, default: 10_000, description: "Timeout of connecting, of each command and of the TLS handshake" })),
    actions: Type.Optional(Type.Array(pop3ActionSchema, { description: "Steps to run, in order, after logging in" })),
    quit: Type.Optional(Type.Boolean({ default: true, description: "Send QUIT at the end (which commits deletions); false just closes the connection" })),
    includeRaw: Type.Optional(Type.Boolean({ default: false, description: "Put each retrieved message's text in the result" })),
  },
  { additionalProperties: false },
);

export type Pop3ProbeParams = Static<typeof pop3ParamsSchema>;

/** The port to connect to: the parameter, else 995 for implicit TLS and 110 otherwise. */
export function portOf(params: Pick<Pop3ProbeParams, "port" | "tls">): number {
  return params.port ?? (params.tls === "implicit" ? POP3S_PORT : POP3_PORT);
}

/** What the schema cannot say: combinations that make no sense, and values the schema lets through. */
export function paramProblems(params: Pop3ProbeParams): string[] {
  const problems: string[] = [];
  const tls = params.tls ?? "none";
  if (tls === "none") {
    for (const key of ["servername", "rejectUnauthorized"] as const) {
      if (params[key] !== undefined) problems.push(`"${key}" applies only with tls "stls" or "implicit", and tls is "none"`);
    }
  }
  (params.actions ?? []).forEach((action, i) => {
    const where = `actions[${i}]`;
    if ("top" in action && !(Number.isInteger(action.lines) && action.lines >= 0)) problems.push(`${where}: TOP needs "lines" to be a whole number >= 0`);
    if ("raw" in action && /^\s*(STLS|QUIT)\b/i.test(action.raw)) {
      problems.push(`${where}: raw ${JSON.stringify(action.raw.trim())} would change the session under the probe; use tls: "stls" or quit instead`);
    }
    if ("raw" in action && /[\r\n]/.test(action.raw)) problems.push(`${where}: a raw command must be one line`);
  });
  if (/[\r\n]/.test(params.user) || /[\r\n]/.test(params.pass)) problems.push("user and pass must not contain line breaks");
  return problems;
}
