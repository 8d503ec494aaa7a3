import { Type, type Static } from "typebox";
import { ANONYMOUS_PASSWORD, FTP_ABORT_MODES, FTP_ACTIVE_COMMANDS, FTP_DATA_MODES, FTP_PASSIVE_COMMANDS, FTP_PORT } from "./types.ts";

/** The parameters of the FTP probe, and the checks a schema cannot express. */

const strict = { additionalProperties: false } as const;
/** One argument on a command line: no CR, LF or NUL. */
const ONE_LINE = "^[^\\r\\n\\x00]+$";
const path = (description: string) => Type.String({ minLength: 1, pattern: ONE_LINE, description });
const listTarget = (command: string) =>
  Type.Union([Type.Literal(true), path(`${command} path`)], { description: `${command} of the working directory (true) or of a path` });

/** The largest generated upload, 1 GiB. */
export const MAX_GENERATED_SIZE = 64 * 1024 * 1024;
/** The longest `content` of a put. */
export const MAX_CONTENT_LENGTH = 1024 * 1024;
/** The most actions one call runs. */
export const MAX_ACTIONS = 100;

export const ftpActionSchema = Type.Union([
  Type.Object({ pwd: Type.Literal(true, { description: "PWD: the working directory" }) }, strict),
  Type.Object({ cwd: path("CWD: change the working directory") }, strict),
  Type.Object({ cdup: Type.Literal(true, { description: "CDUP: go to the parent directory" }) }, strict),
  Type.Object({ list: listTarget("LIST") }, strict),
  Type.Object({ nlst: listTarget("NLST") }, strict),
  Type.Object({ type: Type.Enum(["A", "I"], { description: "TYPE A (ASCII) or TYPE I (binary)" }) }, strict),
  Type.Object({ mode: Type.Literal("S", { description: "MODE S (stream)" }) }, strict),
  Type.Object({ stru: Type.Literal("F", { description: "STRU F (file)" }) }, strict),
  Type.Object({ size: path("SIZE: a file's size") }, strict),
  Type.Object({ mdtm: path("MDTM: a file's modification time") }, strict),
  Type.Object(
    {
      put: path("STOR: the remote path to write"),
      content: Type.Optional(Type.String({ maxLength: MAX_CONTENT_LENGTH, description: "The file's content, as UTF-8 (1 Mi characters at most)" })),
      size: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_GENERATED_SIZE, description: "Instead of content: this many generated octets (deterministic, from seed; 64 MiB at most, made in memory)" })),
      seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: "The seed of the generated octets (default 1)" })),
    },
    strict,
  ),
  Type.Object(
    {
      get: path("RETR: the remote file to read"),
      offset: Type.Optional(Type.Integer({ minimum: 0, description: "Send REST offset first: a resumed download of the rest of the file" })),
    },
    strict,
  ),
  Type.Object(
    {
      resume: path("A whole resumed download: RETR stopped after splitAt octets, then REST and RETR of the rest"),
      splitAt: Type.Integer({ minimum: 1, description: "After how many octets the first RETR is stopped" }),
      abort: Type.Optional(Type.Enum([...FTP_ABORT_MODES], { default: "close", description: "close: close the data connection; abor: close it and send ABOR" })),
    },
    strict,
  ),
  Type.Object({ mkd: path("MKD: create a directory") }, strict),
  Type.Object({ rmd: path("RMD: remove a directory") }, strict),
  Type.Object({ dele: path("DELE: delete a file") }, strict),
  Type.Object({ raw: Type.String({ minLength: 1, pattern: ONE_LINE, description: "Any command line; its final reply is recorded" }) }, strict),
]);

export type FtpAction = Static<typeof ftpActionSchema>;

export const ftpParamsSchema = Type.Object(
  {
    server: Type.String({ minLength: 1, description: "The FTP server: a compose service, a lab host name or an address" }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, default: FTP_PORT, description: "The control connection's port (default 21)" })),
    user: Type.Optional(Type.String({ minLength: 1, pattern: ONE_LINE, default: "anonymous", description: "USER name (default anonymous)" })),
    pass: Type.Optional(
      Type.String({ pattern: "^[^\\r\\n\\x00]*$", description: `PASS password (shown as **** in transcripts); default "${ANONYMOUS_PASSWORD}" for anonymous and ftp, else empty` }),
    ),
    dataMode: Type.Optional(Type.Enum([...FTP_DATA_MODES], { default: "passive", description: "passive: the probe connects to the server (EPSV/PASV); active: the server connects to the probe (PORT/EPRT)" })),
    passiveCommand: Type.Optional(Type.Enum([...FTP_PASSIVE_COMMANDS], { description: "Use only this command in passive mode; default EPSV, then PASV if EPSV is refused" })),
    activeCommand: Type.Optional(Type.Enum([...FTP_ACTIVE_COMMANDS], { description: "PORT (IPv4, the default) or EPRT (RFC 2428) in active mode" })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 120_000, default: 10_000, description: "Timeout of connecting, of each reply, of data connections and of data inactivity" })),
    actions: Type.Optional(Type.Array(ftpActionSchema, { maxItems: MAX_ACTIONS, description: "Steps to run, in order, after logging in (100 at most)" })),
  },
  strict,
);

export type FtpProbeParams = Static<typeof ftpParamsSchema>;

/** Users that vsftpd (and most servers) treat as anonymous. */
export const isAnonymous = (user: string): boolean => /^(anonymous|ftp)$/i.test(user);

/** The user and password the probe logs in with, defaults filled in. */
export function credentialsOf(params: Pick<FtpProbeParams, "user" | "pass">): { user: string; pass: string } {
  const user = params.user ?? "anonymous";
  return { user, pass: params.pass ?? (isAnonymous(user) ? ANONYMOUS_PASSWORD : "") };
}

/** The path or command line an action puts on the control connection, if it has one. */
export function argumentOf(action: FtpAction): string | undefined {
  for (const key of ["cwd", "list", "nlst", "size", "mdtm", "put", "get", "resume", "mkd", "rmd", "dele", "raw"] as const) {
    const value = (action as Partial<Record<typeof key, unknown>>)[key];
    if (typeof value === "string") return value;
  }
  return undefined;
}

/** Commands a raw action must not send: they change the session under the probe. */
const SESSION_COMMANDS = /^\s*(QUIT|PASV|EPSV|PORT|EPRT|LPSV|LPRT|REST|AUTH|REIN)(\s|$)/i;

/** What the schema cannot say: combinations that make no sense, and values the schema lets through. */
export function paramProblems(params: FtpProbeParams): string[] {
  const problems: string[] = [];
  const mode = params.dataMode ?? "passive";
  if (params.passiveCommand !== undefined && mode !== "passive") problems.push(`"passiveCommand" applies only with dataMode "passive", and dataMode is "${mode}"`);
  if (params.activeCommand !== undefined && mode !== "active") problems.push(`"activeCommand" applies only with dataMode "active", and dataMode is "${mode}"`);
  (params.actions ?? []).forEach((action, i) => {
    const where = `actions[${i}]`;
    if ("put" in action) {
      if (action.content !== undefined && action.size !== undefined) problems.push(`${where}: put takes "content" or "size", not both`);
      if (action.seed !== undefined && action.size === undefined) problems.push(`${where}: "seed" applies only with "size"`);
      if (action.size !== undefined && !(Number.isInteger(action.size) && action.size >= 0)) problems.push(`${where}: "size" must be a whole number >= 0`);
    }
    if ("get" in action && action.offset !== undefined && !(Number.isInteger(action.offset) && action.offset >= 0)) {
      problems.push(`${where}: "offset" must be a whole number >= 0`);
    }
    if ("resume" in action && !(Number.isInteger(action.splitAt) && action.splitAt >= 1)) problems.push(`${where}: "splitAt" must be a whole number >= 1`);
    if ("raw" in action) {
      const verb = SESSION_COMMANDS.exec(action.raw)?.[1];
      if (verb !== undefined) {
        problems.push(`${where}: raw ${JSON.stringify(action.raw.trim())} would change the session under the probe (${verb.toUpperCase()} belongs to the probe); use dataMode, passiveCommand, activeCommand or a get with offset instead`);
      }
    }
    const argument = argumentOf(action);
    if (argument !== undefined && /[\r\n\0]/.test(argument)) problems.push(`${where}: a command argument must be one line`);
  });
  const { user, pass } = credentialsOf(params);
  if (/[\r\n\0]/.test(user) || /[\r\n\0]/.test(pass)) problems.push("user and pass must not contain line breaks");
  return problems;
}
