import { Type, type Static } from "typebox";
import { IMAP_TLS_MODES, type ImapAction, type ImapTlsMode } from "./types.ts";

/** The IMAP port (cleartext and STARTTLS) and the IMAPS port (TLS from the first byte). */
export const IMAP_PORT = 143;
export const IMAPS_PORT = 993;
export const DEFAULT_TIMEOUT_MS = 15_000;
/** How often a search with `waitMs` asks again. */
export const SEARCH_POLL_MS = 250;

const mailbox = (description = "A mailbox name") => Type.String({ minLength: 1, description });
const optionalMailbox = Type.Optional(mailbox("The mailbox to act in; default the mailbox an earlier action selected, else INBOX"));
const uid = Type.Integer({ minimum: 1, maximum: 4_294_967_295, description: "A message UID" });
const flags = (description: string) => Type.Array(Type.String({ minLength: 1 }), { description });

export const searchCriteriaSchema = Type.Object(
  {
    subject: Type.Optional(Type.String({ description: "The Subject contains this text" })),
    from: Type.Optional(Type.String({ description: "The From header contains this text" })),
    to: Type.Optional(Type.String({ description: "The To header contains this text" })),
    header: Type.Optional(Type.Tuple([Type.String({ minLength: 1 }), Type.String()], { description: "[name, text]: the header contains the text" })),
    seen: Type.Optional(Type.Boolean({ description: "true: only \\Seen messages; false: only unseen ones" })),
    since: Type.Optional(Type.String({ minLength: 1, description: "An ISO date; messages whose internal date is on or after that day" })),
    all: Type.Optional(Type.Literal(true, { description: "Every message" })),
  },
  { additionalProperties: false },
);

const selectAction = Type.Object({ select: mailbox() }, { additionalProperties: false });
const searchAction = Type.Object(
  {
    search: searchCriteriaSchema,
    mailbox: optionalMailbox,
    waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000, description: "Search again every 250 ms until something matches or this time is up" })),
  },
  { additionalProperties: false },
);
const fetchAction = Type.Object(
  {
    fetch: Type.Union([Type.Literal("last"), Type.Literal("all"), uid], { description: '"last", "all" or a UID' }),
    mailbox: optionalMailbox,
    includeRaw: Type.Optional(Type.Boolean({ description: "Put each message's raw source in the result" })),
  },
  { additionalProperties: false },
);
const storeAction = Type.Object(
  {
    store: Type.Object(
      {
        uid: Type.Union([uid, Type.Literal("last")], { description: 'A UID or "last"' }),
        add: Type.Optional(flags('Flags to add, e.g. ["\\\\Seen", "\\\\Flagged"]')),
        remove: Type.Optional(flags("Flags to remove")),
      },
      { additionalProperties: false },
    ),
    mailbox: optionalMailbox,
  },
  { additionalProperties: false },
);
const appendAction = Type.Object(
  {
    append: Type.Object(
      {
        mailbox: mailbox(),
        message: Type.String({ minLength: 1, description: "The raw RFC 822 message" }),
        flags: Type.Optional(flags("Flags to give the message")),
      },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);
const createAction = Type.Object({ create: mailbox() }, { additionalProperties: false });
const renameAction = Type.Object({ rename: Type.Tuple([mailbox(), mailbox()], { description: "[from, to]" }) }, { additionalProperties: false });
const deleteAction = Type.Object({ delete: mailbox() }, { additionalProperties: false });
const listAction = Type.Object({ list: Type.Literal(true) }, { additionalProperties: false });
const expungeAction = Type.Object(
  {
    expunge: Type.Object(
      { uid: Type.Union([uid, Type.Literal("last"), Type.Literal("all-deleted")], { description: 'A UID or "last" (flag it \\Deleted and expunge it), or "all-deleted"' }) },
      { additionalProperties: false },
    ),
    mailbox: optionalMailbox,
  },
  { additionalProperties: false },
);
const statusAction = Type.Object({ status: mailbox() }, { additionalProperties: false });

export const imapActionSchema = Type.Union(
  [selectAction, searchAction, fetchAction, storeAction, appendAction, createAction, renameAction, deleteAction, listAction, expungeAction, statusAction],
  {
    description:
      "One action: {select}, {search, mailbox?, waitMs?}, {fetch, mailbox?, includeRaw?}, {store: {uid, add?, remove?}, mailbox?}, {append: {mailbox, message, flags?}}, {create}, {rename: [from, to]}, {delete}, {list: true}, {expunge: {uid}, mailbox?} or {status}",
  },
);

export const imapParamsSchema = Type.Object(
  {
    server: Type.String({ minLength: 1, description: "A compose service, lab host name or address" }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: "Default 143, or 993 with tls implicit" })),
    tls: Type.Optional(
      Type.Enum([...IMAP_TLS_MODES], {
        default: "starttls",
        description: "none: cleartext; starttls: STARTTLS before login, required; implicit: TLS from the first byte (IMAPS)",
      }),
    ),
    servername: Type.Optional(
      Type.String({ minLength: 1, description: "The name the server's certificate must carry; default `server` when it is a host name, else the service's first host name" }),
    ),
    rejectUnauthorized: Type.Optional(
      Type.Boolean({ description: "Refuse a certificate that does not verify against the lab CA from $L7LAB_CA_FILE, else Node's default trust; default true" }),
    ),
    user: Type.String({ minLength: 1 }),
    pass: Type.String(),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 300_000, description: "Connection, greeting and socket inactivity timeout; default 15000" })),
    actions: Type.Optional(Type.Array(imapActionSchema, { default: [], description: "What to do after logging in, in order" })),
  },
  { additionalProperties: false },
);

export type ImapProbeParams = Static<typeof imapParamsSchema>;
export type ImapActionParams = Static<typeof imapActionSchema>;

/** A message as IMAP wants it: every line ending CRLF (scenario files have bare LF). */
export const toCrlf = (message: string): string => message.replace(/\r?\n/g, "\r\n");

/** Fills in an action's defaults, in the probe's own terms; an appended message gets CRLF line ends. */
export function normaliseAction(action: ImapActionParams): ImapAction {
  if ("select" in action) return { kind: "select", mailbox: action.select };
  if ("search" in action) {
    return { kind: "search", criteria: action.search, waitMs: action.waitMs ?? 0, ...(action.mailbox !== undefined ? { mailbox: action.mailbox } : {}) };
  }
  if ("fetch" in action) {
    return { kind: "fetch", which: action.fetch, includeRaw: action.includeRaw ?? false, ...(action.mailbox !== undefined ? { mailbox: action.mailbox } : {}) };
  }
  if ("store" in action) {
    return {
      kind: "store",
      uid: action.store.uid,
      add: action.store.add ?? [],
      remove: action.store.remove ?? [],
      ...(action.mailbox !== undefined ? { mailbox: action.mailbox } : {}),
    };
  }
  if ("append" in action) return { kind: "append", mailbox: action.append.mailbox, message: toCrlf(action.append.message), flags: action.append.flags ?? [] };
  if ("create" in action) return { kind: "create", mailbox: action.create };
  if ("rename" in action) return { kind: "rename", from: action.rename[0], to: action.rename[1] };
  if ("delete" in action) return { kind: "delete", mailbox: action.delete };
  if ("list" in action) return { kind: "list" };
  if ("expunge" in action) return { kind: "expunge", uid: action.expunge.uid, ...(action.mailbox !== undefined ? { mailbox: action.mailbox } : {}) };
  return { kind: "status", mailbox: action.status };
}

const criteriaText = (c: ImapAction & { kind: "search" }): string => {
  const parts = Object.entries(c.criteria).map(([k, v]) => (k === "all" ? "all" : `${k}=${JSON.stringify(v)}`));
  return parts.length === 0 ? "all" : parts.join(" ");
};
const inMailbox = (mailbox: string | undefined) => (mailbox === undefined ? "" : ` in ${mailbox}`);
const uidText = (uid: number | string) => (typeof uid === "number" ? `UID ${uid}` : uid === "last" ? "the last message" : "every \\Deleted message");

/** One line for the transcript saying what an action is about to do. */
export function describeAction(action: ImapAction): string {
  switch (action.kind) {
    case "select":
      return `select ${action.mailbox}`;
    case "search":
      return `search${inMailbox(action.mailbox)}: ${criteriaText(action)}${action.waitMs > 0 ? ` (waiting up to ${action.waitMs} ms for a match)` : ""}`;
    case "fetch":
      return `fetch ${typeof action.which === "number" ? `UID ${action.which}` : action.which === "last" ? "the last message" : "every message"}${inMailbox(action.mailbox)}`;
    case "store":
      return `store ${[...action.add.map((f) => "+" + f), ...action.remove.map((f) => "-" + f)].join(" ")} on ${uidText(action.uid)}${inMailbox(action.mailbox)}`;
    case "append":
      return `append a message of ${Buffer.byteLength(action.message)} octets to ${action.mailbox}${action.flags.length > 0 ? ` with ${action.flags.join(" ")}` : ""}`;
    case "create":
      return `create ${action.mailbox}`;
    case "rename":
      return `rename ${action.from} to ${action.to}`;
    case "delete":
      return `delete ${action.mailbox}`;
    case "list":
      return "list the mailboxes";
    case "expunge":
      return `expunge ${uidText(action.uid)}${inMailbox(action.mailbox)}`;
    case "status":
      return `status of ${action.mailbox}`;
  }
}

/** The problems of one action that the schema cannot see. */
export function actionProblems(action: ImapAction): string[] {
  switch (action.kind) {
    case "search": {
      const c = action.criteria;
      const problems: string[] = [];
      if (Object.keys(c).length === 0) problems.push('search has no criteria; give at least one, or "all: true"');
      if (c.since !== undefined && !/^\d{4}-\d{2}-\d{2}/.test(c.since)) problems.push(`search "since" must be an ISO date such as "2024-05-01"; got "${c.since}"`);
      else if (c.since !== undefined && Number.isNaN(Date.parse(c.since))) problems.push(`search "since" is not a valid date: "${c.since}"`);
      return problems;
    }
    case "store":
      return action.add.length === 0 && action.remove.length === 0 ? ['store needs flags to "add" or to "remove"'] : [];
    case "rename":
      return action.from === action.to ? [`rename from "${action.from}" to itself does nothing`] : [];
    default:
      return [];
  }
}

/** The problems of a whole parameter set that the schema cannot see (the server aside). */
export function paramProblems(params: ImapProbeParams): string[] {
  const problems: string[] = [];
  if ((params.tls ?? "starttls") === "none") {
    if (params.servername !== undefined) problems.push('servername has no use with tls "none"; remove it or choose "starttls" or "implicit"');
    if (params.rejectUnauthorized !== undefined) problems.push('rejectUnauthorized has no use with tls "none"; remove it or choose "starttls" or "implicit"');
  }
  (params.actions ?? []).forEach((raw, i) => {
    const action = normaliseAction(raw);
    problems.push(...actionProblems(action).map((p) => `action ${i + 1} (${action.kind}): ${p}`));
  });
  return problems;
}

export interface ConnectionSettings {
  port: number;
  tls: ImapTlsMode;
  /** imapflow's `secure`: TLS from the first byte. */
  secure: boolean;
  /** imapflow's `doSTARTTLS`: true requires STARTTLS, false never tries it. */
  doSTARTTLS: boolean;
  timeoutMs: number;
  rejectUnauthorized: boolean;
  /** The lab CA's file to trust, if any: L7LAB_CA_FILE, never a parameter (else Node's default trust). */
  labCaFile?: string;
}

/** The connection settings for the parameters, the environment naming the lab CA's file (L7LAB_CA_FILE). */
export function connectionSettings(params: ImapProbeParams, env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const tls = params.tls ?? "starttls";
  const labCaFile = env["L7LAB_CA_FILE"] || undefined;
  return {
    port: params.port ?? (tls === "implicit" ? IMAPS_PORT : IMAP_PORT),
    tls,
    secure: tls === "implicit",
    doSTARTTLS: tls === "starttls",
    timeoutMs: params.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    rejectUnauthorized: params.rejectUnauthorized ?? true,
    ...(tls !== "none" && labCaFile !== undefined ? { labCaFile } : {}),
  };
}
