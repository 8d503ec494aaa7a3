import { Type } from "typebox";
import { InvalidInputError, listChoices } from "../../common/errors.ts";
import type { ServiceState } from "../../docker/docker-adapter.ts";
import type { Topology } from "../../lab/topology.ts";
import type { Probe, ProbeOutcome } from "../probe.ts";
import { Transcript } from "../transcript.ts";
import { analyzeNetboot, type DhcpInfo, type NetbootMarker, type NetbootPhases, type SerialInfo, type TftpInfo, type TftpView } from "./netboot-parse.ts";

const SERVICE = { minLength: 1, maxLength: 63 };
/** A baseline may be a template, "${<step>.<path>}", which the engine replaces before run. */
const TEMPLATE = "^\\$\\{[^}]+\\}$";

const Params = Type.Object(
  {
    since: Type.String({ minLength: 1, description: "the earlier step that started the VM: only log lines from when that step started count" }),
    client: Type.Optional(Type.String({ ...SERVICE, default: "pxe-client", description: "the compose service that runs the VM (QEMU; its log is the serial console)" })),
    dhcp: Type.Optional(Type.String({ ...SERVICE, default: "dhcp", description: "the compose service of the DHCP server (ISC Kea), whose packet log is read" })),
    tftp: Type.Optional(Type.String({ ...SERVICE, default: "tftp", description: "the compose service of the TFTP server (tftpd-hpa), whose RRQ and NAK lines are read" })),
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 600_000, default: 170_000, description: "how long to wait for the VM to power off (the client's container to stop); then the probe answers with timedOut: true" }),
    ),
    intervalMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 60_000, default: 1000, description: "how often to look at the client's container state while waiting" })),
    baselineTotalMs: Type.Optional(
      Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.String({ pattern: TEMPLATE })], {
        description: 'the whole boot of a reference run (often "${<earlier step>.phases.totalMs}"); the result then has slowdown.total = phases.totalMs / baselineTotalMs',
      }),
    ),
    baselineTftpMs: Type.Optional(
      Type.Union([Type.Number({ exclusiveMinimum: 0 }), Type.String({ pattern: TEMPLATE })], {
        description: 'the TFTP phase of a reference run (often "${<earlier step>.phases.tftpMs}"); the result then has slowdown.tftp = phases.tftpMs / baselineTftpMs',
      }),
    ),
  },
  { additionalProperties: false },
);

export interface NetbootResult {
  /** The marker was printed and the VM powered off, before the timeout. */
  booted: boolean;
  /** The VM was still running when timeoutMs ran out (the engine stops it afterwards). */
  timedOut: boolean;
  /** The client container's state when the probe stopped waiting: exited, running, ... */
  state: string;
  /** The client container's exit code, once it has exited. */
  exitCode?: number;
  /** The kernel said "reboot: Power down". */
  poweredOff: boolean;
  /** The VM's MAC address and SMBIOS UUID, and how QEMU ran it (tcg: emulated; kvm). */
  mac?: string;
  uuid?: string;
  accelerator?: "tcg" | "kvm";
  /** The init script's marker line, when it printed one. */
  marker?: NetbootMarker;
  /** What the serial console showed (SerialInfo's fields; times as ISO text, PXELINUX's loads without theirs). */
  serial: Pick<SerialInfo, "ipxeDhcp" | "ipxeAddress" | "netmask" | "gateway" | "nextServer" | "bootFile" | "pxelinuxBanner" | "linuxVersion" | "panic"> & {
    /** When iPXE's DHCP ended (ISO time). */
    ipxeDhcpAt?: string;
    loaded: { file: string; ok: boolean }[];
  };
  dhcp: DhcpInfo;
  tftp: TftpInfo & { seenAs: string; from?: string };
  phases: NetbootPhases;
  /** With baselineTotalMs / baselineTftpMs: this boot's phase over the baseline, to two decimals (when the phase was measured). */
  slowdown?: { total?: number; tftp?: number };
}

const isRunning = (s: ServiceState) => s.state === "running" || s.state === "restarting";

/**
 * What the TFTP server sees the VM's requests come from: the service Topology.seenAs names and, when
 * that is not the VM itself (the campus router's NAT), its address on a network the server is on.
 */
export function tftpView(topology: Topology, tftp: string, client: string): TftpView {
  const seenAs = topology.seenAs(tftp, client);
  if (seenAs === client) return { seenAs };
  const own = new Set(topology.service(tftp).networks.map((n) => n.network));
  const address = topology.service(seenAs).networks.find((n) => own.has(n.network) && n.ipv4 !== "")?.ipv4;
  return address !== undefined ? { seenAs, address } : { seenAs };
}

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

/**
 * Waits for the diskless PC (the pxe-client service: QEMU with iPXE) to power off, then reads what
 * its boot left in three logs (the serial console, Kea's packet log and tftpd-hpa's requests) and
 * gives each phase with its duration. A boot that failed is an answer (booted: false, with what
 * got as far as it did); only Docker's errors and an abort are errors.
 */
export const netbootProbe: Probe<typeof Params, NetbootResult> = {
  name: "netboot",
  description: "wait for the network-booted VM to power off and read its boot from the serial console, DHCP and TFTP logs",
  paramsSchema: Params,
  check(params, ctx) {
    const problems: string[] = [];
    for (const service of [params.client ?? "pxe-client", params.dhcp ?? "dhcp", params.tftp ?? "tftp"]) {
      try {
        ctx.topology.service(service);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    if (!ctx.earlierStepIds.includes(params.since)) {
      problems.push(`"since" names step "${params.since}", which is not an earlier step; earlier steps are ${listChoices(ctx.earlierStepIds)}`);
    }
    return problems;
  },
  async run(params, ctx): Promise<ProbeOutcome<NetbootResult>> {
    const client = params.client ?? "pxe-client";
    const dhcpService = params.dhcp ?? "dhcp";
    const tftpService = params.tftp ?? "tftp";
    const timeoutMs = params.timeoutMs ?? 170_000;
    const intervalMs = params.intervalMs ?? 1000;
    const notNumbers = (["baselineTotalMs", "baselineTftpMs"] as const).filter((k) => typeof params[k] === "string");
    if (notNumbers.length > 0) {
      throw new InvalidInputError("netboot probe", notNumbers.map((k) => `${k} must be a number of milliseconds; the template ${String(params[k])} did not give one`));
    }
    const sinceMs = ctx.stepStartedAt(params.since);
    if (sinceMs === undefined) throw new InvalidInputError("netboot probe", [`"since" names step "${params.since}", which has not run yet`]);
    for (const service of [client, dhcpService, tftpService]) ctx.topology.service(service); // an unknown one lists the valid ones
    const view = tftpView(ctx.topology, tftpService, client);

    // Wait for the VM to power off: QEMU exits, and the container with it.
    const startedWaiting = ctx.clock.now();
    const deadline = startedWaiting + timeoutMs;
    let state = await ctx.docker.serviceState(client);
    let timedOut = false;
    while (isRunning(state)) {
      const left = deadline - ctx.clock.now();
      if (left <= 0) {
        timedOut = true;
        break;
      }
      await ctx.clock.sleep(Math.min(intervalMs, left), ctx.signal);
      state = await ctx.docker.serviceState(client);
    }
    const waitedMs = ctx.clock.now() - startedWaiting;
    ctx.signal.throwIfAborted();

    const read = (service: string) => ctx.docker.logs(service, { sinceMs });
    const [clientLines, dhcpLines, tftpLines] = [await read(client), await read(dhcpService), await read(tftpService)];
    const a = analyzeNetboot({ client: clientLines, dhcp: dhcpLines, tftp: tftpLines }, view);
    const s = a.serial;

    const data: NetbootResult = {
      // The marker says "address=none" when Linux's own DHCP failed: not a boot onto the network.
      booted: s.marker !== undefined && /^\d+\.\d+\.\d+\.\d+$/.test(s.marker.address ?? "") && s.poweredOff && !timedOut,
      timedOut,
      state: state.state,
      ...(state.exitCode !== undefined ? { exitCode: state.exitCode } : {}),
      poweredOff: s.poweredOff,
      ...(a.mac !== undefined ? { mac: a.mac } : {}),
      ...(s.uuid !== undefined ? { uuid: s.uuid } : {}),
      ...(s.accelerator !== undefined ? { accelerator: s.accelerator } : {}),
      ...(s.marker !== undefined ? { marker: s.marker } : {}),
      serial: omitUndefined({
        ipxeDhcp: s.ipxeDhcp,
        ipxeDhcpAt: iso(s.ipxeDhcpAt),
        ipxeAddress: s.ipxeAddress,
        netmask: s.netmask,
        gateway: s.gateway,
        nextServer: s.nextServer,
        bootFile: s.bootFile,
        pxelinuxBanner: s.pxelinuxBanner,
        loaded: s.loaded.map(({ file, ok }) => ({ file, ok })),
        linuxVersion: s.linuxVersion,
        panic: s.panic,
      }),
      dhcp: omitUndefined({ messages: a.dhcp.messages, kinds: a.dhcp.kinds, exchanges: a.dhcp.exchanges, leases: a.dhcp.leases, address: a.dhcp.address }),
      tftp: omitUndefined({ seenAs: a.tftp.seenAs, from: a.tftp.from, files: a.tftp.files, repeated: a.tftp.repeated, notFound: a.tftp.notFound }),
      phases: a.phases,
    };
    const ratio = (ms: number | undefined, baseline: number | string | undefined) =>
      ms !== undefined && typeof baseline === "number" ? Math.round((ms / baseline) * 100) / 100 : undefined;
    if (params.baselineTotalMs !== undefined || params.baselineTftpMs !== undefined) {
      data.slowdown = omitUndefined({ total: ratio(a.phases.totalMs, params.baselineTotalMs), tftp: ratio(a.phases.tftpMs, params.baselineTftpMs) });
    }

    // The transcript is on the logs' time: each line's atMs is its event's time since the "since" step started.
    let now = sinceMs;
    const transcript = new Transcript(() => now);
    const peers = { client, dhcp: dhcpService, tftp: tftpService };
    for (const e of a.events) {
      now = Math.max(sinceMs, e.at);
      const peer = peers[e.source];
      if (e.dir === "C") transcript.client(peer, e.text);
      else if (e.dir === "S") transcript.server(peer, e.text);
      else transcript.note(peer, e.text);
    }
    if (s.lines === 0) transcript.note(client, `no console output since step "${params.since}" started`);
    if (a.tftp.from === undefined) transcript.note(tftpService, `the address the TFTP server sees the VM as (${a.tftp.seenAs}) is not known: its requests are not counted`);
    transcript.note(
      client,
      timedOut
        ? `still ${state.state} after waiting ${waitedMs} ms: timed out`
        : `${state.state}${state.exitCode !== undefined ? ` (exit code ${state.exitCode})` : ""} after waiting ${waitedMs} ms`,
    );
    transcript.note(client, `phases: ${formatPhases(a.phases)}`);
    if (data.slowdown !== undefined) {
      const parts = [data.slowdown.total !== undefined ? `total ${data.slowdown.total}x` : "", data.slowdown.tftp !== undefined ? `TFTP ${data.slowdown.tftp}x` : ""].filter(Boolean);
      transcript.note(client, `slowdown against the baseline: ${parts.length > 0 ? parts.join(", ") : "(phases not measured)"}`);
    }
    return { ok: true, data, transcript: transcript.lines };
  },
};

const PHASE_NAMES: [keyof NetbootPhases, string][] = [
  ["firmwareMs", "firmware"],
  ["dhcpMs", "DHCP"],
  ["configureMs", "iPXE's IPv6 wait"],
  ["tftpMs", "TFTP"],
  ["kernelStartMs", "kernel start"],
  ["kernelMs", "kernel to marker"],
  ["poweroffMs", "power-off"],
  ["totalMs", "total"],
];

export function formatPhases(phases: NetbootPhases): string {
  const parts = PHASE_NAMES.filter(([k]) => phases[k] !== undefined).map(([k, name]) => `${name} ${phases[k]} ms`);
  return parts.length > 0 ? parts.join(", ") : "(none)";
}

/** The object without its undefined fields, so that a result holds only what the boot showed. */
function omitUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
