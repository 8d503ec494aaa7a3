import { createHash } from "node:crypto";
import { InvalidInputError, ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import { labServerAddress, serverProblems } from "../lab-server.ts";
import type { Probe, ProbeContext, ProbeOutcome } from "../probe.ts";
import { Transcript } from "../transcript.ts";
import { partialResultOf, peerOf, tftpGet, type TftpGetOptions, tftpPut } from "./client.ts";
import { generateContent, MAX_INCLUDED_CONTENT, paramProblems, tftpParamsSchema, type TftpProbeParams } from "./params.ts";
import { DEFAULT_BLKSIZE, TFTP_PORT, type TftpAction, type TftpGetResult, type TftpProbeResult, type TftpTransferResult } from "./types.ts";

export type * from "./types.ts";
export { DEFAULT_BLKSIZE, MAX_BLKSIZE, TFTP_ACTIONS, TFTP_MODES, TFTP_PORT } from "./types.ts";
export { generateContent, MAX_INCLUDED_CONTENT, paramProblems, tftpParamsSchema, type TftpProbeParams } from "./params.ts";
export { DEFAULT_RETRIES, DEFAULT_TIMEOUT_MS, partialResultOf, tftpGet, type TftpGetOptions, tftpPut, type TftpPutOptions } from "./client.ts";

const WHAT = "TFTP probe parameters";

function probeResult(action: TftpAction, result: TftpTransferResult): TftpProbeResult {
  const { ok, data: _data, ...rest } = result as TftpGetResult;
  return { action, completed: ok, ...rest };
}

/** What the result says when the transfer threw before it produced one of its own. */
function emptyResult(params: TftpProbeParams, host: string): TftpTransferResult {
  return {
    ok: false,
    filename: params.file,
    mode: params.mode ?? "octet",
    server: peerOf(host, params.port ?? TFTP_PORT),
    serverTid: undefined,
    requestedOptions: {},
    oack: null,
    blksize: DEFAULT_BLKSIZE,
    bytes: 0,
    wireBytes: 0,
    sha256: createHash("sha256").digest("hex"),
    blocks: 0,
    rollovers: 0,
    retransmissions: 0,
    timeouts: 0,
    duplicates: 0,
    strayPackets: 0,
    durationMs: 0,
  };
}

function withContent(data: TftpProbeResult, result: TftpGetResult, transcript: Transcript): TftpProbeResult {
  if (!result.data) return { ...data, contentOmitted: "the transfer did not complete" };
  if (result.data.length > MAX_INCLUDED_CONTENT) {
    const why = `the file has ${result.data.length} bytes, more than the ${MAX_INCLUDED_CONTENT} (1 MiB) includeContent allows; compare sha256 instead`;
    transcript.note(data.server, `content not included: ${why}`);
    return { ...data, contentOmitted: why };
  }
  return { ...data, content: result.data.toString("utf8") };
}

async function run(params: TftpProbeParams, ctx: ProbeContext): Promise<ProbeOutcome<TftpProbeResult>> {
  const problems = paramProblems(params);
  if (problems.length > 0) throw new InvalidInputError(WHAT, problems);
  const host = labServerAddress(WHAT, params.server, ctx.topology);
  const transcript = new Transcript();
  const options: TftpGetOptions = {
    host,
    port: params.port ?? TFTP_PORT,
    filename: params.file,
    mode: params.mode ?? "octet",
    ...(params.blksize !== undefined ? { blksize: params.blksize } : {}),
    ...(params.tsize !== undefined ? { tsize: params.tsize } : {}),
    ...(params.timeout !== undefined ? { timeout: params.timeout } : {}),
    ...(params.timeoutMs !== undefined ? { timeoutMs: params.timeoutMs } : {}),
    ...(params.retries !== undefined ? { retries: params.retries } : {}),
    signal: ctx.signal,
    clock: ctx.clock,
    transcript,
  };
  try {
    if (params.action === "get") {
      const result = await tftpGet(options);
      const data = probeResult("get", result);
      return { ok: true, data: params.includeContent ? withContent(data, result, transcript) : data, transcript: transcript.lines };
    }
    const body = params.content !== undefined ? Buffer.from(params.content, "utf8") : generateContent(params.size ?? 0, params.seed ?? 1);
    const result = await tftpPut({ ...options, data: body });
    return { ok: true, data: probeResult("put", result), transcript: transcript.lines };
  } catch (err) {
    if (!(err instanceof ProbeTimeoutError || err instanceof ProbeNetworkError)) throw err;
    const data = probeResult(params.action, partialResultOf(err) ?? emptyResult(params, host));
    return { ok: false, data, error: { code: err.code, message: err.message }, transcript: transcript.lines };
  }
}

/**
 * The TFTP probe: one get (RRQ) or put (WRQ) with optional blksize/tsize/timeout negotiation.
 * Whenever the server answered, the outcome is `ok: true`: `data.completed` says whether the file
 * went through and `data.error` holds a TFTP ERROR (from the server, or the ERROR 8/4 this client
 * sent refusing an OACK or a malformed packet). `ok: false` means no exchange: no answer after the
 * retries, or a socket failure.
 */
export const tftpProbe: Probe<typeof tftpParamsSchema, TftpProbeResult> = {
  name: "tftp",
  description:
    "Reads (get/RRQ) or writes (put/WRQ) one file over TFTP with optional blksize/tsize/timeout options, following the server's transfer ID; reports size, SHA-256, blocks, rollovers, retransmissions, duplicates and any ERROR.",
  paramsSchema: tftpParamsSchema,
  check(params, ctx) {
    return [...serverProblems(WHAT, params.server, ctx.topology), ...paramProblems(params)];
  },
  run,
};
