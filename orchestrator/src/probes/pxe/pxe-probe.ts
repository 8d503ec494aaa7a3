import { Type, type Static } from "typebox";
import { InvalidInputError, ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import { labServerAddress, serverProblems } from "../lab-server.ts";
import type { Probe, ProbeContext, ProbeOutcome } from "../probe.ts";
import { tftpGet, type TftpGetOptions } from "../tftp/client.ts";
import type { TftpTransferResult } from "../tftp/types.ts";
import { Transcript } from "../transcript.ts";
import { chosenLabel, configCandidates, MAC_PATTERN, parsePxeConfig, resolveBootPath, UUID_PATTERN, type PxeConfig, type PxeLabel } from "./pxelinux.ts";

const WHAT = "PXE probe parameters";

export const pxeParamsSchema = Type.Object(
  {
    server: Type.String({ minLength: 1, description: "The TFTP server (the DHCP offer's next-server): a compose service, a lab host name or an address" }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: "The TFTP request port (default 69)" })),
    mac: Type.String({ pattern: MAC_PATTERN, description: "The client's MAC address, for the 01-<mac> configuration file" }),
    ip: Type.String({ format: "ipv4", description: "The client's IPv4 address (a DHCP lease in a real boot), for the hex-address configuration files" }),
    uuid: Type.Optional(Type.String({ pattern: UUID_PATTERN, description: "The client's system UUID, tried first when given" })),
    bootfile: Type.Optional(Type.String({ minLength: 1, description: 'The network boot program (the DHCP offer\'s filename); default "pxelinux.0"' })),
    ldlinux: Type.Optional(Type.Boolean({ description: "Fetch ldlinux.c32 next to the boot file, as PXELINUX 5 and later do (default true)" })),
    label: Type.Optional(Type.String({ minLength: 1, description: "Boot this label instead of the configuration's DEFAULT (what typing it at the prompt does)" })),
    blksize: Type.Optional(Type.Integer({ minimum: 8, maximum: 65464, description: "The blksize option of every request (default 1468: one Ethernet frame)" })),
    tsize: Type.Optional(Type.Boolean({ description: "Send the tsize option (default true)" })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000, description: "Retransmission timeout of each packet (default 1000)" })),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 50, description: "Retransmissions of one packet before the boot gives up (default 5)" })),
    baselineMs: Type.Optional(
      Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.String({ pattern: "^\\$\\{[^}]+\\}$" })], {
        description: 'The duration of a reference boot (often "${<earlier step>.totals.durationMs}"); the result then has slowdown = this boot\'s duration / baselineMs',
      }),
    ),
  },
  { additionalProperties: false },
);
export type PxeProbeParams = Static<typeof pxeParamsSchema>;

/** One file the client fetched (or tried): the transfer's figures without the content. */
export interface PxeFile extends Omit<TftpTransferResult, "requestedOptions" | "oack"> {
  role: "bootfile" | "ldlinux" | "config" | "kernel" | "initrd";
  found: boolean;
}

export interface PxeResult {
  server: string;
  client: { mac: string; ip: string; uuid?: string };
  /** Whether every file of the boot arrived: boot file, (ldlinux.c32,) configuration, kernel, initrds. */
  booted: boolean;
  /** Why the boot stopped, when it did. */
  problem?: string;
  bootfile?: PxeFile;
  ldlinux?: PxeFile;
  /** Each configuration file tried, in PXELINUX's order, until one was found. */
  configSearch: { file: string; found: boolean; error?: string }[];
  configFile?: string;
  config?: PxeConfig;
  label?: PxeLabel;
  kernel?: PxeFile;
  initrds: PxeFile[];
  /** Every transfer, in order. */
  files: PxeFile[];
  totals: { files: number; bytes: number; blocks: number; retransmissions: number; timeouts: number; duplicates: number; durationMs: number };
  /** With baselineMs: totals.durationMs / baselineMs, to one decimal. */
  slowdown?: number;
}

function fileRecord(role: PxeFile["role"], r: TftpTransferResult): PxeFile {
  const { requestedOptions: _req, oack: _oack, ...rest } = r;
  return { role, found: r.ok, ...rest };
}

async function run(params: PxeProbeParams, ctx: ProbeContext): Promise<ProbeOutcome<PxeResult>> {
  const host = labServerAddress(WHAT, params.server, ctx.topology);
  const bootfile = params.bootfile ?? "pxelinux.0";
  const transcript = new Transcript();
  const client = { mac: params.mac, ip: params.ip, ...(params.uuid !== undefined ? { uuid: params.uuid } : {}) };
  const data: PxeResult = {
    server: `${host}:${params.port ?? 69}`,
    client,
    booted: false,
    configSearch: [],
    initrds: [],
    files: [],
    totals: { files: 0, bytes: 0, blocks: 0, retransmissions: 0, timeouts: 0, duplicates: 0, durationMs: 0 },
  };
  const started = performance.now();
  const base: Omit<TftpGetOptions, "filename"> = {
    host,
    ...(params.port !== undefined ? { port: params.port } : {}),
    mode: "octet",
    blksize: params.blksize ?? 1468,
    tsize: params.tsize ?? true,
    ...(params.timeoutMs !== undefined ? { timeoutMs: params.timeoutMs } : {}),
    ...(params.retries !== undefined ? { retries: params.retries } : {}),
    signal: ctx.signal,
    clock: ctx.clock,
    transcript,
  };
  const fetch = async (role: PxeFile["role"], filename: string): Promise<{ file: PxeFile; content?: Buffer }> => {
    transcript.note(data.server, `${role}: ${filename}`);
    const r = await tftpGet({ ...base, filename });
    const { data: content, ...result } = r;
    const file = fileRecord(role, result);
    data.files.push(file);
    const t = data.totals;
    t.files += 1;
    t.bytes += file.bytes;
    t.blocks += file.blocks;
    t.retransmissions += file.retransmissions;
    t.timeouts += file.timeouts;
    t.duplicates += file.duplicates;
    return content !== undefined ? { file, content } : { file };
  };
  const failed = (f: PxeFile) => `${f.filename}: ${f.error ? `ERROR ${f.error.code} ${f.error.name}${f.error.message && f.error.message !== f.error.name ? ` (${f.error.message})` : ""}` : "incomplete"}`;
  const finish = (): ProbeOutcome<PxeResult> => {
    data.totals.durationMs = Math.round((performance.now() - started) * 10) / 10;
    if (typeof params.baselineMs === "number") data.slowdown = Math.round((data.totals.durationMs / params.baselineMs) * 10) / 10;
    transcript.note(data.server, data.booted ? `booted: ${data.totals.files} files, ${data.totals.bytes} bytes, ${data.totals.retransmissions} retransmissions` : `boot stopped: ${data.problem}`);
    return { ok: true, data, transcript: transcript.lines };
  };

  try {
    // 1. The network boot program, then (PXELINUX 5+) its core module.
    const nbp = await fetch("bootfile", bootfile);
    data.bootfile = nbp.file;
    if (!nbp.file.found) {
      data.problem = `the boot file could not be fetched: ${failed(nbp.file)}`;
      return finish();
    }
    if (params.ldlinux ?? true) {
      const ld = await fetch("ldlinux", resolveBootPath("ldlinux.c32", bootfile));
      data.ldlinux = ld.file;
      if (!ld.file.found) {
        data.problem = `ldlinux.c32 could not be fetched: ${failed(ld.file)}`;
        return finish();
      }
    }
    // 2. The configuration, in PXELINUX's search order; any failure means "try the next name".
    const dir = resolveBootPath("pxelinux.cfg", bootfile);
    let configText: string | undefined;
    for (const name of configCandidates(client, dir)) {
      const got = await fetch("config", name);
      data.configSearch.push({ file: name, found: got.file.found, ...(got.file.found ? {} : { error: failed(got.file).replace(/^[^:]*: /, "") }) });
      if (got.file.found && got.content) {
        data.configFile = name;
        configText = got.content.toString("utf8");
        break;
      }
    }
    if (configText === undefined) {
      data.problem = "no configuration file was found, not even pxelinux.cfg/default";
      return finish();
    }
    // 3. Read it, and choose what to boot.
    data.config = parsePxeConfig(configText);
    const chosen = chosenLabel(data.config, params.label);
    if (!chosen.label) {
      data.problem = chosen.problem ?? "nothing to boot";
      return finish();
    }
    data.label = chosen.label;
    if (!chosen.label.kernel) {
      data.problem = `label "${chosen.label.name}" names no KERNEL`;
      return finish();
    }
    // 4. The kernel and the initrds it names.
    const kernel = await fetch("kernel", resolveBootPath(chosen.label.kernel, bootfile));
    data.kernel = kernel.file;
    if (!kernel.file.found) {
      data.problem = `the kernel could not be fetched: ${failed(kernel.file)}`;
      return finish();
    }
    for (const initrd of chosen.label.initrds) {
      const got = await fetch("initrd", resolveBootPath(initrd, bootfile));
      data.initrds.push(got.file);
      if (!got.file.found) {
        data.problem = `an initrd could not be fetched: ${failed(got.file)}`;
        return finish();
      }
    }
    data.booted = true;
    return finish();
  } catch (err) {
    if (!(err instanceof ProbeTimeoutError || err instanceof ProbeNetworkError)) throw err;
    data.problem = err.message;
    data.totals.durationMs = Math.round((performance.now() - started) * 10) / 10;
    return { ok: false, data, error: { code: err.code, message: err.message }, transcript: transcript.lines };
  }
}

function paramProblems(params: PxeProbeParams, when: "load" | "run"): string[] {
  const problems: string[] = [];
  if (when === "run" && typeof params.baselineMs === "string") problems.push(`baselineMs must be a number of milliseconds; the template ${params.baselineMs} did not give one`);
  if (params.bootfile !== undefined && (params.bootfile.includes("\0") || params.bootfile.length > 255)) problems.push("bootfile must be at most 255 characters, with no NUL");
  return problems;
}

/**
 * The PXE probe: boots a diskless client the way a PXELINUX ROM does, over TFTP. It fetches the boot
 * file and ldlinux.c32 with tsize and blksize, looks for its configuration in PXELINUX's order (UUID,
 * 01-<mac>, hex IP and its prefixes, default), reads it, and fetches the kernel and initrds it names.
 * Every file's size, SHA-256 and retransmissions are in the result. A missing file is a result
 * (`booted: false`, with `problem`); `ok: false` means the server did not answer.
 */
export const pxeProbe: Probe<typeof pxeParamsSchema, PxeResult> = {
  name: "pxe",
  description: "Boots a diskless client like PXELINUX over TFTP: boot file, configuration search (UUID, 01-<mac>, hex IP prefixes, default), kernel and initrd, with checksums.",
  paramsSchema: pxeParamsSchema,
  check(params, ctx) {
    return [...serverProblems(WHAT, params.server, ctx.topology), ...paramProblems(params, "load")];
  },
  run(params, ctx) {
    const problems = paramProblems(params, "run");
    if (problems.length > 0) return Promise.reject(new InvalidInputError(WHAT, problems));
    return run(params, ctx);
  },
};
