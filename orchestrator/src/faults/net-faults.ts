import type { Clock } from "../common/clock.ts";
import type { DockerAdapter } from "../docker/docker-adapter.ts";
import { describeNetFault, isRateFault, lossCounters, netFaultArgs, rateCounters, type LossCounters, type LossDirection, type NetFaultSpec, type RateCounters } from "./net-fault-args.ts";
import type { FaultLedger, NetFaultEntry } from "./ledger.ts";
import type { FaultStep } from "../scenarios/schema.ts";

/**
 * What a removed network fault did, as a heal step's result: for loss the packets seen and dropped
 * each way, for a rate limit what the shaper sent and dropped. `counters` is null when they could
 * not be read (the helper was gone); the fault is removed anyway.
 */
export type HealedFault = HealedLoss | HealedRate;

interface HealedBase {
  /** The fault step's id, or the API fault's id. */
  fault: string;
  service: string;
  heldMs: number;
}
export interface HealedLoss extends HealedBase {
  loss: number;
  direction: LossDirection;
  counters: LossCounters | null;
}
export interface HealedRate extends HealedBase {
  rateKbit: number;
  counters: RateCounters | null;
}

/** Applies a fault step's network fault and records it in the ledger before anything else can fail. */
export async function applyNetFault(step: FaultStep, docker: DockerAdapter, clock: Clock, ledger: FaultLedger): Promise<NetFaultEntry> {
  const { service, ...fault } = step.fault;
  const entry = await startNetFault(step.id, service, fault, docker, clock);
  ledger.addNetFault(entry);
  return entry;
}

/** Starts a network fault on a service; `id` names the fault (a step id, or an API fault's id). */
export async function startNetFault(id: string, service: string, fault: NetFaultSpec, docker: DockerAdapter, clock: Clock): Promise<NetFaultEntry> {
  const handle = await docker.applyNetFault(service, netFaultArgs(fault));
  return { stepId: id, service, fault, appliedAt: clock.now(), handle };
}

/** A fault step's result, and the fields the API shows: { loss, direction } or { rateKbit }. */
export function faultFields(fault: NetFaultSpec): { loss: number; direction: LossDirection } | { rateKbit: number } {
  return isRateFault(fault) ? { rateKbit: fault.rateKbit } : { loss: fault.loss, direction: fault.direction };
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
  const base = { fault: entry.stepId, service: entry.service };
  const heldMs = clock.now() - entry.appliedAt;
  const f = entry.fault;
  if (isRateFault(f)) return { ...base, rateKbit: f.rateKbit, heldMs, counters: stats && rateCounters(stats) };
  return { ...base, loss: f.loss, direction: f.direction, heldMs, counters: stats && lossCounters(stats) };
}

/** One line about a removed fault, for transcripts and cleanup records. */
export function describeHealed(h: HealedFault): string {
  const spec: NetFaultSpec = "rateKbit" in h ? { rateKbit: h.rateKbit } : { loss: h.loss, direction: h.direction };
  const what = `removed ${describeNetFault(spec)} on ${h.service} after ${h.heldMs} ms`;
  if (h.counters === null) return `${what} (its counters could not be read)`;
  if ("rateKbit" in h) {
    const c = h.counters;
    return `${what}: sent ${c.sentBytes} bytes in ${c.sentPackets} packets, dropped ${c.dropped}, held back ${c.overlimits} times`;
  }
  const c = h.counters;
  return `${what}: dropped ${c.ingressDropped} of ${c.ingressSeen} packets in, ${c.egressDropped} of ${c.egressSeen} out (${c.measuredPercent}%)`;
}
