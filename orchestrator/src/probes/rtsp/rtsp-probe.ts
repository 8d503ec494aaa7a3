import { isIP } from "node:net";
import { InvalidInputError, ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import type { Topology } from "../../lab/topology.ts";
import { labServerAddress, serverProblems } from "../lab-server.ts";
import type { Probe, ProbeContext, ProbeOutcome } from "../probe.ts";
import { Transcript } from "../transcript.ts";
import { DEFAULT_ACTIONS, paramProblems, rtspParamsSchema, type RtspProbeParams } from "./params.ts";
import { RtspSession } from "./session.ts";
import { DEFAULT_PATH, DEFAULT_TIMEOUT_MS, RTSP_PORT, type RtspResult } from "./types.ts";

export type * from "./types.ts";
export {
  DEFAULT_PATH,
  DEFAULT_PAUSE_MS,
  DEFAULT_PLAY_MS,
  DEFAULT_TEARDOWN_MS,
  DEFAULT_TIMEOUT_MS,
  MAX_RECEIVE_MS,
  MAX_TOTAL_RECEIVE_MS,
  RAW_METHODS,
  RTSP_PORT,
  RTSP_TRANSPORTS,
} from "./types.ts";
export { DEFAULT_ACTIONS, paramProblems, receiveMsOf, rtspActionSchema, rtspParamsSchema, type RtspAction, type RtspProbeParams } from "./params.ts";
export { parseSdp } from "./sdp.ts";

const WHAT = "RTSP probe parameters";

/**
 * The host name URLs carry: the server as given when it is an address or a lab host name, the
 * service's first host name when it is a compose service, else the address. The connection always
 * goes to the address; gst-rtsp-server builds its Content-Base and control URLs from this host.
 */
export function urlHostOf(server: string, address: string, topology: Topology): string {
  if (isIP(server) !== 0) return server;
  const name = server.replace(/\.$/, "").toLowerCase();
  const service = topology.services.find((s) => s.name === name || s.hostnames.includes(name));
  if (service?.hostnames.includes(name)) return name;
  return service?.hostnames[0] ?? address;
}

async function run(params: RtspProbeParams, ctx: ProbeContext): Promise<ProbeOutcome<RtspResult>> {
  const problems = paramProblems(params);
  if (problems.length > 0) throw new InvalidInputError(WHAT, problems);
  const host = labServerAddress(WHAT, params.server, ctx.topology);
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const transcript = new Transcript();
  const session = new RtspSession({
    host,
    port: params.port ?? RTSP_PORT,
    urlHost: urlHostOf(params.server, host, ctx.topology),
    path: params.path ?? DEFAULT_PATH,
    transport: params.transport ?? "udp",
    timeoutMs: params.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    actions: params.actions ?? DEFAULT_ACTIONS,
    signal: ctx.signal,
    clock: ctx.clock,
    transcript,
  });
  const onAbort = () => void session.close();
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  try {
    await session.run();
    await session.close();
    return { ok: true, data: session.result(), transcript: transcript.lines };
  } catch (err) {
    await session.close();
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (!(err instanceof ProbeTimeoutError || err instanceof ProbeNetworkError)) throw err;
    return { ok: false, data: session.result(), error: { code: err.code, message: err.message }, transcript: transcript.lines };
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    await session.close();
  }
}

/**
 * The RTSP probe: one RTSP/1.0 presentation (RFC 2326) on one control connection: OPTIONS,
 * DESCRIBE (SDP, RFC 4566), SETUP per track over RTP/AVP on UDP port pairs or interleaved on the
 * connection, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, raw requests with a chosen Session, and waits;
 * it receives RTP (RFC 3550: loss, gaps, duplicates, reordering, wraparound, A.8 jitter) and RTCP
 * (SR, SDES, BYE), and sends RTCP receiver reports. Every RTSP status is a result (`ok: true`);
 * `ok: false` means the exchange broke: no connection, no reply within timeoutMs, not RTSP.
 */
export const rtspProbe: Probe<typeof rtspParamsSchema, RtspResult> = {
  name: "rtsp",
  description:
    "Plays an RTSP presentation: OPTIONS, DESCRIBE (SDP), SETUP (RTP/AVP over UDP or TCP interleaved), PLAY, PAUSE, TEARDOWN, GET_PARAMETER and raw requests; reports per-track RTP loss, gaps, duplicates, reordering, jitter (RFC 3550 A.8), RTCP sender reports, and what still arrives after PAUSE or TEARDOWN.",
  paramsSchema: rtspParamsSchema,
  check(params, ctx) {
    return [...serverProblems(WHAT, params.server, ctx.topology), ...paramProblems(params)];
  },
  run,
};
