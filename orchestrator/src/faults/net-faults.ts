import type { Clock } from "../common/clock.ts";
import type { DockerAdapter } from "../docker/docker-adapter.ts";
import type { Topology } from "../lab/topology.ts";
import { describeNetFault, faultCounters, needsDelayLine, netFaultArgs, type FaultCounters, type NetFaultSpec } from "./net-fault-args.ts";
import type { FaultLedger, NetFaultEntry } from "./ledger.ts";
import { netFaultTargets } from "./targets.ts";
import type { FaultStep } from "../scenarios/schema.ts";

/**
 * What a removed network fault did, as a heal step's result: the fault's fields, how long it was
 * held, and its counters, one flat object with the groups of its kinds (loss: packets seen and
 * dropped each way; rate: what the shaper sent and dropped; delay line: packets delayed,
 * duplicated, reordered; partition or disconnect: packets dropped each way). `counters` is null
 * when they could not be read (the helper was gone); the fault is removed anyway.
 */
export type HealedFault = {
  /** The fault step's id, or the API fault's id. */
  fault: string;
  service: string;
  heldMs: number;
  counters: FaultCounters | null;
} & NetFaultSpec;

/** Applies a fault step's network fault and records it in the ledger before anything else can fail. */
export async function applyNetFault(step: FaultStep, docker: DockerAdapter, topology: Topology, clock: Clock, ledger: FaultLedger): Promise<NetFaultEntry> {
  const { service, ...fault } = step.fault;
  const entry = await startNetFault(step.id, service, fault, docker, topology, clock);
  ledger.addNetFault(entry);
  return entry;
}

/**
 * Starts a network fault on a service; `id` names the fault (a step id, or an API fault's id).
 * The delay-line kinds use netem where the kernel has it, the userspace delay line otherwise.
 */
export async function startNetFault(id: string, service: string, fault: NetFaultSpec, docker: DockerAdapter, topology: Topology, clock: Clock): Promise<NetFaultEntry> {
  const backend = needsDelayLine(fault) && (await docker.netFaultCapabilities()).netem ? "netem" : "nfqueue";
  const handle = await docker.applyNetFault(service, netFaultArgs(fault, netFaultTargets(service, fault, topology), backend));
  return { stepId: id, service, fault, appliedAt: clock.now(), handle };
}

/**
 * Reads a network fault's counters, then removes it. Removal is attempted even when the counters
 * cannot be read; only a failed removal throws.
 */
export async function removeNetFault(entry: NetFaultEntry, docker: DockerAdapter, clock: Clock): Promise<HealedFault> {
  let stats: Record<string, number> | null;
  try {
    stats = await docker.netFaultStats(entry.handle);
  } catch {
    stats = null;
  }
  await docker.removeNetFault(entry.handle);
  return { fault: entry.stepId, service: entry.service, ...entry.fault, heldMs: clock.now() - entry.appliedAt, counters: stats && faultCounters(entry.fault, stats) };
}

/** What a fault's counters say, in words: "dropped 10 of 100 packets in, ...; delayed 40 packets ...". */
export function describeCounters(c: FaultCounters): string {
  const parts: string[] = [];
  if (c.ingressSeen !== undefined) parts.push(`dropped ${c.ingressDropped} of ${c.ingressSeen} packets in, ${c.egressDropped} of ${c.egressSeen} out (${c.measuredPercent}%)`);
  if (c.sentBytes !== undefined) parts.push(`sent ${c.sentBytes} bytes in ${c.sentPackets} packets, dropped ${c.dropped} (queue full), held back ${c.overlimits} times`);
  if (c.delayedPackets !== undefined) {
    const failed = c.sendFailed ? `, ${c.sendFailed} not sent (socket full)` : "";
    parts.push(`delayed ${c.delayedPackets} packets (at most ${c.heldMax} at once), duplicated ${c.duplicated}, reordered ${c.reordered}, dropped ${c.delayDropped} (queue full)${failed}`);
  }
  if (c.cutInDropped !== undefined) parts.push(`dropped ${c.cutInDropped} packets arriving and ${c.cutOutDropped} leaving`);
  return parts.join("; ");
}

/** One line about a removed fault, for transcripts and cleanup records. */
export function describeHealed(h: HealedFault): string {
  const { fault: _id, service, heldMs, counters, ...spec } = h;
  const what = `removed ${describeNetFault(spec)} on ${service} after ${heldMs} ms`;
  if (counters === null) return `${what} (its counters could not be read)`;
  const said = describeCounters(counters);
  return said ? `${what}: ${said}` : what;
}
