import net from "node:net";
import { InvalidInputError, ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import type { Topology } from "../../lab/topology.ts";
import { labServerAddress, readLabCa, serverProblems } from "../lab-server.ts";
import type { Probe, ProbeContext, ProbeOutcome } from "../probe.ts";
import { Transcript } from "../transcript.ts";
import { DEFAULT_TIMEOUT_MS, Pop3Client, type Pop3TlsOptions } from "./client.ts";
import { paramProblems, pop3ParamsSchema, type Pop3ProbeParams, portOf } from "./params.ts";
import { Pop3Session } from "./session.ts";
import type { Pop3Result } from "./types.ts";

export type * from "./types.ts";
export { POP3_PORT, POP3_TLS_MODES, POP3S_PORT } from "./types.ts";
export { paramProblems, pop3ActionSchema, pop3ParamsSchema, type Pop3Action, type Pop3ProbeParams, portOf } from "./params.ts";

const WHAT = "POP3 probe parameters";

/**
 * The name TLS checks the certificate against: `servername` if given; for a compose service its
 * primary host name; a host name as given; none for an address (then the address is checked).
 */
export function tlsServerName(server: string, topology: Topology): string | undefined {
  const host = server.replace(/\.$/, "").toLowerCase();
  if (net.isIP(host) !== 0) return undefined;
  const service = topology.services.find((s) => s.name === host);
  return service ? service.hostnames[0] : host;
}

/** The PEM of the lab CA from $L7LAB_CA_FILE, else undefined (Node's default list). */
export function readCa(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  return readLabCa(WHAT, env);
}

async function tlsOptions(params: Pop3ProbeParams, topology: Topology): Promise<Pop3TlsOptions | undefined> {
  if ((params.tls ?? "none") === "none") return undefined;
  const servername = params.servername ?? tlsServerName(params.server, topology);
  const ca = await readCa();
  return {
    ...(servername !== undefined ? { servername } : {}),
    ...(ca !== undefined ? { ca } : {}),
    rejectUnauthorized: params.rejectUnauthorized ?? true,
  };
}

async function run(params: Pop3ProbeParams, ctx: ProbeContext): Promise<ProbeOutcome<Pop3Result>> {
  const problems = paramProblems(params);
  if (problems.length > 0) throw new InvalidInputError(WHAT, problems);
  const server = labServerAddress(WHAT, params.server, ctx.topology);
  const port = portOf(params);
  const tlsMode = params.tls ?? "none";
  const tls = await tlsOptions(params, ctx.topology);
  const transcript = new Transcript();
  const data: Pop3Result = {
    server,
    port,
    tls: false,
    greeting: "",
    loggedIn: false,
    login: { ok: false, text: "not attempted" },
    messages: [],
    deleted: [],
    responses: [],
  };
  let client: Pop3Client | undefined;
  try {
    client = await Pop3Client.connect({
      host: server,
      port,
      implicitTls: tlsMode === "implicit",
      ...(tls ? { tls } : {}),
      timeoutMs: params.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      signal: ctx.signal,
      clock: ctx.clock,
      transcript,
    });
    const session = new Pop3Session(
      client,
      { user: params.user, pass: params.pass, tls: tlsMode, actions: params.actions ?? [], quit: params.quit ?? true, includeRaw: params.includeRaw ?? false },
      data,
    );
    await session.run();
    return { ok: true, data: structuredClone(data), transcript: transcript.lines };
  } catch (err) {
    if (!(err instanceof ProbeTimeoutError || err instanceof ProbeNetworkError)) throw err;
    if (client) data.responses = client.responses;
    return { ok: false, data: structuredClone(data), error: { code: err.code, message: err.message }, transcript: transcript.lines };
  } finally {
    client?.close();
  }
}

/**
 * The POP3 probe: logs in to a mailbox server (plain, STLS or POP3S), runs the steps it is given
 * (STAT, LIST, UIDL, RETR, TOP, DELE, RSET, NOOP, any raw command) and QUITs. Every -ERR, a
 * refused login included, is a result (`ok: true`); `ok: false` means the exchange could not
 * happen: no connection, a timeout, a failed TLS handshake, a server that does not speak POP3.
 */
export const pop3Probe: Probe<typeof pop3ParamsSchema, Pop3Result> = {
  name: "pop3",
  description: "Logs in to a POP3 server (plain, STLS or implicit TLS), runs STAT/LIST/UIDL/RETR/TOP/DELE/RSET/NOOP or raw commands in order, and QUITs.",
  paramsSchema: pop3ParamsSchema,
  check(params, ctx) {
    return [...serverProblems(WHAT, params.server, ctx.topology), ...paramProblems(params)];
  },
  run,
};
