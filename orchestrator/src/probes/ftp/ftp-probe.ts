import { InvalidInputError, ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import { labServerAddress, serverProblems } from "../lab-server.ts";
import type { Probe, ProbeContext, ProbeOutcome } from "../probe.ts";
import { Transcript } from "../transcript.ts";
import { FtpControl } from "./control.ts";
import { credentialsOf, ftpParamsSchema, type FtpProbeParams, paramProblems } from "./params.ts";
import { FtpSession } from "./session.ts";
import { DEFAULT_TIMEOUT_MS, FTP_PORT, type FtpResult } from "./types.ts";

export type * from "./types.ts";
export { ANONYMOUS_PASSWORD, DEFAULT_TIMEOUT_MS, FTP_ABORT_MODES, FTP_ACTIVE_COMMANDS, FTP_DATA_MODES, FTP_PASSIVE_COMMANDS, FTP_PORT } from "./types.ts";
export { credentialsOf, ftpActionSchema, ftpParamsSchema, MAX_GENERATED_SIZE, paramProblems, type FtpAction, type FtpProbeParams } from "./params.ts";
export { generatedBytes, generatedChunks, generatedSha256 } from "./content.ts";

const WHAT = "FTP probe parameters";

async function run(params: FtpProbeParams, ctx: ProbeContext): Promise<ProbeOutcome<FtpResult>> {
  const problems = paramProblems(params);
  if (problems.length > 0) throw new InvalidInputError(WHAT, problems);
  const server = labServerAddress(WHAT, params.server, ctx.topology);
  const port = params.port ?? FTP_PORT;
  const { user, pass } = credentialsOf(params);
  const transcript = new Transcript();
  const data: FtpResult = { server, port, login: { ok: false, user, codes: [], text: "not attempted" }, loggedIn: false, actions: [] };
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const control = new FtpControl({ host: server, port, timeoutMs: params.timeoutMs ?? DEFAULT_TIMEOUT_MS, transcript });
  const session = new FtpSession(
    control,
    {
      user,
      pass,
      data: {
        mode: params.dataMode ?? "passive",
        ...(params.passiveCommand !== undefined ? { passiveCommand: params.passiveCommand } : {}),
        activeCommand: params.activeCommand ?? "PORT",
      },
      actions: params.actions ?? [],
    },
    data,
  );
  const onAbort = () => control.close();
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  try {
    await session.run();
    return { ok: true, data: structuredClone(data), transcript: transcript.lines };
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    if (!(err instanceof ProbeTimeoutError || err instanceof ProbeNetworkError)) throw err;
    return { ok: false, data: structuredClone(data), error: { code: err.code, message: err.message }, transcript: transcript.lines };
  } finally {
    ctx.signal.removeEventListener("abort", onAbort);
    control.close();
  }
}

/**
 * The FTP probe: connects to an FTP server, logs in (anonymous by default), asks SYST and FEAT,
 * runs the actions in order (directory commands, LIST/NLST, STOR, RETR with REST, a resumed
 * download, raw commands) over passive (EPSV/PASV) or active (PORT/EPRT) data connections, and
 * QUITs. Every refusal, a failed login included, is a result (`ok: true`); `ok: false` means the
 * exchange could not happen: no connection, a timeout, a server that does not speak FTP.
 */
export const ftpProbe: Probe<typeof ftpParamsSchema, FtpResult> = {
  name: "ftp",
  description:
    "Logs in to an FTP server and runs PWD/CWD/CDUP/LIST/NLST/TYPE/MODE/STRU/SIZE/MDTM/STOR/RETR (with REST, or a whole resumed download)/MKD/RMD/DELE or raw commands in passive (EPSV/PASV) or active (PORT/EPRT) mode, with SHA-256 of every transfer, and QUITs.",
  paramsSchema: ftpParamsSchema,
  check(params, ctx) {
    return [...serverProblems(WHAT, params.server, ctx.topology), ...paramProblems(params)];
  },
  run,
};
