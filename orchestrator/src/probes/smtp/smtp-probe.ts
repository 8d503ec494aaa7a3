import { isIP } from "node:net";
import { InvalidInputError, ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import type { Topology } from "../../lab/topology.ts";
import { labServerAddress, readLabCa, serverProblems } from "../lab-server.ts";
import type { Probe, ProbeContext, ProbeOutcome } from "../probe.ts";
import { Transcript } from "../transcript.ts";
import { SmtpClient, type SmtpTlsOptions } from "./client.ts";
import { buildMessage, headerValue } from "./message.ts";
import { DEFAULT_HELO, DEFAULT_TIMEOUT_MS, paramProblems, SMTP_PORT, type SmtpProbeParams, smtpParamsSchema, SMTPS_PORT } from "./params.ts";
import { newResult, runCommands, runSend, type SessionSetup } from "./session.ts";
import type { SmtpProbeResult } from "./types.ts";

export type * from "./types.ts";
export { buildMessage, type BuildMessageOptions } from "./message.ts";
export {
  DEFAULT_HELO,
  DEFAULT_TIMEOUT_MS,
  SMTP_PORT,
  SMTPS_PORT,
  TLS_MODES,
  paramProblems,
  smtpParamsSchema,
  type SmtpAttachment,
  type SmtpCommandItem,
  type SmtpProbeParams,
  type SmtpSendSpec,
  type SmtpTlsMode,
} from "./params.ts";

const WHAT = "SMTP probe parameters";
/** How long to wait for the server to close the connection after 221 or 421, at most. */
const CLOSE_WAIT_MS = 1000;

/**
 * The name the server's certificate must carry, from the `server` parameter: a compose service's
 * primary host name, a host name as given, or nothing for an address (then the address is checked).
 */
export function tlsServerName(server: string, topology: Topology): string | undefined {
  const name = server.trim().replace(/\.$/, "").toLowerCase();
  if (isIP(name) !== 0) return undefined;
  const service = topology.services.find((s) => s.name === name);
  return service ? service.hostnames[0] : name;
}

const usesTls = (params: SmtpProbeParams) =>
  (params.tls ?? "none") !== "none" || (params.commands ?? []).some((c) => typeof c === "string" && /^\s*STARTTLS\s*$/i.test(c));

/** The CAs to trust: the lab CA from $L7LAB_CA_FILE, else none (Node's own list). */
async function readCa(params: SmtpProbeParams): Promise<string | undefined> {
  if (!usesTls(params)) return undefined;
  return readLabCa(WHAT);
}

async function run(params: SmtpProbeParams, ctx: ProbeContext): Promise<ProbeOutcome<SmtpProbeResult>> {
  const problems = paramProblems(params);
  if (problems.length > 0) throw new InvalidInputError(WHAT, problems);
  const host = labServerAddress(WHAT, params.server, ctx.topology);
  const tls = params.tls ?? "none";
  const port = params.port ?? (tls === "implicit" ? SMTPS_PORT : SMTP_PORT);
  const timeoutMs = params.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const servername = params.servername ?? tlsServerName(params.server, ctx.topology);
  const ca = await readCa(params);
  const tlsOptions: SmtpTlsOptions = {
    ...(servername !== undefined ? { servername } : {}),
    ...(ca !== undefined ? { ca } : {}),
    rejectUnauthorized: params.rejectUnauthorized ?? true,
  };
  const message = params.send ? await buildMessage(params.send) : undefined;
  const transcript = new Transcript();
  const client = new SmtpClient({ host, port, timeoutMs, transcript, signal: ctx.signal, clock: ctx.clock, ...(tls === "implicit" ? { implicitTls: tlsOptions } : {}) });
  const setup: SessionSetup = { helo: params.helo ?? DEFAULT_HELO, tls, tlsOptions, auth: params.auth, closeWaitMs: Math.min(timeoutMs, CLOSE_WAIT_MS) };
  const data = newResult(params.send ? "send" : "commands", client, host, port);
  try {
    if (params.send && message !== undefined) {
      const messageId = headerValue(message, "Message-ID");
      if (messageId !== undefined) data.messageId = messageId;
      await runSend(client, data, setup, params.send, message);
    } else {
      await runCommands(client, data, setup, params.commands ?? []);
    }
    return { ok: true, data, transcript: transcript.lines };
  } catch (err) {
    if (!(err instanceof ProbeTimeoutError || err instanceof ProbeNetworkError)) throw err;
    return { ok: false, data, error: { code: err.code, message: err.message }, transcript: transcript.lines };
  } finally {
    client.close();
  }
}

/**
 * The SMTP probe: a textbook SMTP dialogue with a lab mail server, every command and reply in the
 * transcript. `send` sends one message the way a mail client does; `commands` sends raw commands
 * to watch the replies (503, 502, 252, ...). Any reply, 5xx included, is `ok: true` with the codes
 * in `data`; `ok: false` means the dialogue could not happen (no connection, a timeout, TLS failed).
 */
export const smtpProbe: Probe<typeof smtpParamsSchema, SmtpProbeResult> = {
  name: "smtp",
  description: "Talks SMTP to a lab mail server: sends a message (EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA) or raw commands, and reports every reply code.",
  paramsSchema: smtpParamsSchema,
  check(params, ctx) {
    return [...serverProblems(WHAT, params.server, ctx.topology), ...paramProblems(params)];
  },
  run,
};
