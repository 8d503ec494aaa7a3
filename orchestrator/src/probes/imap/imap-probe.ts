import { isIP } from "node:net";
import type { ImapFlow } from "imapflow";
import { InvalidInputError, ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import type { Topology } from "../../lab/topology.ts";
import { labServerAddress, readLabCa, serverProblems } from "../lab-server.ts";
import { imapflow } from "../libraries.ts";
import type { Probe, ProbeContext, ProbeOutcome } from "../probe.ts";
import { Transcript } from "../transcript.ts";
import { baseOf, runAction } from "./actions.ts";
import { type ConnectionSettings, connectionSettings, describeAction, imapParamsSchema, type ImapProbeParams, normaliseAction, paramProblems } from "./params.ts";
import { ImapLogRecorder } from "./transcript-log.ts";
import type { ImapAction, ImapActionResult, ImapProbeResult } from "./types.ts";

export type * from "./types.ts";
export { IMAP_TLS_MODES } from "./types.ts";
export { imapParamsSchema, imapActionSchema, type ImapProbeParams, type ImapActionParams } from "./params.ts";

const WHAT = "IMAP probe parameters";

/**
 * The name the server's certificate must carry: the `servername` parameter; else `server` when it
 * is a host name of the lab; else the first host name of the service `server` names or whose
 * address it is; else none (a bare address is then checked against the certificate's IP entries).
 */
export function tlsServername(server: string, topology: Topology, servername?: string): string | undefined {
  if (servername !== undefined) return servername;
  const host = server.replace(/\.$/, "").toLowerCase();
  const service = topology.services.find((s) => s.name === host || s.hostnames.includes(host) || s.networks.some((n) => n.ipv4 === server));
  if (service?.hostnames.includes(host)) return host;
  if (service?.hostnames[0] !== undefined) return service.hostnames[0];
  return isIP(server) === 0 && service === undefined ? host : undefined;
}

/** The CAs to trust: the lab CA from $L7LAB_CA_FILE (as connectionSettings read it), else none (Node's default trust). */
async function readCa(settings: ConnectionSettings): Promise<string | undefined> {
  if (settings.labCaFile === undefined) return undefined;
  return readLabCa(WHAT, { L7LAB_CA_FILE: settings.labCaFile });
}

interface ImapErrorLike {
  code?: string;
  message?: string;
  tlsFailed?: boolean;
  authenticationFailed?: boolean;
  responseStatus?: string;
  responseText?: string;
  serverResponseCode?: string;
}

const TIMEOUT_CODES = new Set(["ETIMEOUT", "ETIMEDOUT", "CONNECT_TIMEOUT", "GREETING_TIMEOUT", "UPGRADE_TIMEOUT"]);
const isTimeout = (err: unknown) => TIMEOUT_CODES.has((err as ImapErrorLike | undefined)?.code ?? "");
const isTlsError = (e: ImapErrorLike) =>
  e.tlsFailed === true || /^(ERR_SSL|ERR_TLS|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH)/.test(e.code ?? "");

/** The probe's error for a connection that failed or went away. */
export function connectionFailure(err: unknown, connectionError: Error | undefined, peer: string, timeoutMs: number, lastCommand: string | undefined): ProbeNetworkError | ProbeTimeoutError {
  const command = lastCommand?.replace(/^\S+ /, "");
  if (isTimeout(err) || isTimeout(connectionError)) {
    const code = ((isTimeout(err) ? err : connectionError) as ImapErrorLike).code;
    const what = code === "CONNECT_TIMEOUT" ? "its connection attempt" : code === "UPGRADE_TIMEOUT" ? "its TLS handshake" : command === undefined ? "its greeting" : command;
    return new ProbeTimeoutError("IMAP", peer, timeoutMs, what);
  }
  const e = (err ?? {}) as ImapErrorLike;
  const cause = e.code === "NoConnection" && connectionError ? (connectionError as ImapErrorLike) : e;
  const detail = `${cause.code && !(cause.message ?? "").includes(cause.code) ? `${cause.code}: ` : ""}${cause.message ?? String(err)}`;
  const what = isTlsError(cause)
    ? `TLS failed: ${detail}`
    : e.code === "NoConnection"
      ? `the connection closed${command === undefined ? "" : ` during ${command}`}${connectionError ? ` (${detail})` : ""}`
      : detail;
  return new ProbeNetworkError("IMAP", peer, what, { cause: err });
}

const notRun = (action: ImapAction, why: string): ImapActionResult => ({
  ...baseOf(action, "mailbox" in action ? action.mailbox : undefined),
  error: `not run: ${why}`,
});

async function closeClient(client: ImapFlow, graceMs: number): Promise<void> {
  if (client.usable) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([client.logout().catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }
  client.close();
}

async function session(client: ImapFlow, params: ImapProbeParams, settings: ConnectionSettings, data: ImapProbeResult, recorder: ImapLogRecorder, transcript: Transcript, peer: string, ctx: ProbeContext): Promise<ProbeOutcome<ImapProbeResult>> {
  const actions = (params.actions ?? []).map(normaliseAction);
  const fail = (err: unknown): ProbeOutcome<ImapProbeResult> => {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const error = connectionFailure(err, recorder.connectionError, peer, settings.timeoutMs, recorder.lastCommand);
    transcript.note(peer, error.message);
    return { ok: false, data, error: { code: error.code, message: error.message }, transcript: transcript.lines };
  };
  try {
    await client.connect();
  } catch (err) {
    const e = err as ImapErrorLike;
    data.tls = client.secureConnection;
    data.capabilities = [...client.capabilities.keys()];
    if (e.authenticationFailed !== true) return fail(err);
    // The server refused the login: a result, not a failure of the probe.
    data.loginError = e.responseText ?? e.message ?? "login refused";
    if (e.responseText === undefined && e.message !== undefined) transcript.note(peer, `login not possible: ${e.message}`);
    data.actions = actions.map((a) => notRun(a, "the login failed"));
    return { ok: true, data, transcript: transcript.lines };
  }
  data.loggedIn = true;
  data.tls = client.secureConnection;
  data.capabilities = [...client.capabilities.keys()];
  for (const [i, action] of actions.entries()) {
    transcript.note(peer, `action ${i + 1}: ${describeAction(action)}`);
    let result: ImapActionResult;
    try {
      result = await runAction({ client, recorder, transcript, peer, clock: ctx.clock, signal: ctx.signal }, action);
    } catch (err) {
      const outcome = fail(err);
      data.actions.push({ ...baseOf(action, "mailbox" in action ? action.mailbox : undefined), error: outcome.error?.message ?? String(err) });
      data.actions.push(...actions.slice(i + 1).map((a) => notRun(a, "the connection was lost")));
      return outcome;
    }
    data.actions.push(result);
    if (result.action === "fetch" && result.messages !== undefined && result.messages.length > 0) data.last = result.messages.at(-1);
    if (result.action === "list" && result.mailboxes !== undefined) data.mailboxes = result.mailboxes;
  }
  return { ok: true, data, transcript: transcript.lines };
}

/**
 * The IMAP probe: connects (cleartext, STARTTLS or implicit TLS), logs in with LOGIN, runs the
 * actions in order and logs out. A refusal by the server (a failed login, a NO to DELETE) is a
 * result with `ok: true`; `ok: false` means the connection could not be made or was lost.
 */
export const imapProbe: Probe<typeof imapParamsSchema, ImapProbeResult> = {
  name: "imap",
  description: "Logs in to an IMAP server and runs mailbox actions: select, search (waiting for delivery), fetch, store, append, create, rename, delete, list, expunge, status.",
  paramsSchema: imapParamsSchema,
  check(params, ctx) {
    return [...serverProblems(WHAT, params.server, ctx.topology), ...paramProblems(params)];
  },
  async run(params, ctx) {
    const problems = paramProblems(params);
    if (problems.length > 0) throw new InvalidInputError(WHAT, problems);
    const address = labServerAddress(WHAT, params.server, ctx.topology);
    const settings = connectionSettings(params);
    const ca = await readCa(settings);
    const peer = `${address}:${settings.port}`;
    const transcript = new Transcript();
    const recorder = new ImapLogRecorder(transcript, peer);
    const data: ImapProbeResult = { server: address, port: settings.port, tls: false, loggedIn: false, capabilities: [], actions: [] };
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const servername = settings.tls === "none" ? undefined : tlsServername(params.server, ctx.topology, params.servername);
    const { ImapFlow } = await imapflow();
    const client = new ImapFlow({
      host: address,
      port: settings.port,
      secure: settings.secure,
      doSTARTTLS: settings.doSTARTTLS,
      ...(servername !== undefined ? { servername } : {}),
      tls: { rejectUnauthorized: settings.rejectUnauthorized, ...(ca !== undefined ? { ca } : {}) },
      auth: { user: params.user, pass: params.pass, loginMethod: "LOGIN" },
      clientInfo: { name: "l7lab", vendor: "l7lab" },
      logger: recorder.logger,
      connectionTimeout: settings.timeoutMs,
      greetingTimeout: settings.timeoutMs,
      socketTimeout: settings.timeoutMs,
      disableAutoIdle: true,
      disableCompression: true,
    });
    client.on("error", (err: unknown) => recorder.noteConnectionError(err));
    const onAbort = () => client.close();
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    try {
      return await session(client, params, settings, data, recorder, transcript, peer, ctx);
    } catch (err) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      throw err;
    } finally {
      ctx.signal.removeEventListener("abort", onAbort);
      await closeClient(client, Math.min(settings.timeoutMs, 2000));
    }
  },
};
