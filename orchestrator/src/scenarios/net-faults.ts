import type { Clock } from "../common/clock.ts";
import type { DockerAdapter } from "../docker/docker-adapter.ts";
import { lossArgs, lossCounters, type LossCounters, type LossDirection } from "../docker/net-fault-args.ts";
import type { FaultLedger, NetFaultEntry } from "./faults.ts";
import type { FaultStep } from "./schema.ts";

/** What a removed network fault did, as a heal step's result. */
export interface HealedFault {
  fault: string;
  service: string;
  loss: number;
  direction: string;
  heldMs: number;
  /** null when the counters could not be read (the helper was gone); the fault is removed anyway. */
  counters: LossCounters | null;
}

/** Applies a fault step's network fault and records it in the ledger before anything else can fail. */
export async function applyNetFault(step: FaultStep, docker: DockerAdapter, clock: Clock, ledger: FaultLedger): Promise<NetFaultEntry> {
  const entry = await startLoss(step.id, step.fault, docker, clock);
  ledger.addNetFault(entry);
  return entry;
}

/** Starts random loss on a service; `id` names the fault (a step id, or an API fault's id). */
export async function startLoss(id: string, spec: { service: string; loss: number; direction: LossDirection }, docker: DockerAdapter, clock: Clock): Promise<NetFaultEntry> {
  const handle = await docker.applyNetFault(spec.service, lossArgs({ percent: spec.loss, direction: spec.direction }));
  return { stepId: id, service: spec.service, loss: spec.loss, direction: spec.direction, appliedAt: clock.now(), handle };
}

/**
 * Reads a network fault's counters, then removes it. Removal is attempted even when the counters
 * cannot be read; only a failed removal throws.
 */
export async function removeNetFault(entry: NetFaultEntry, docker: DockerAdapter, clock: Clock): Promise<HealedFault> {
  let counters: LossCounters | null;
  try {
    counters = lossCounters(await docker.netFaultStats(entry.handle));
  } catch {
    counters = null;
  }
  await docker.removeNetFault(entry.handle);
  return { fault: entry.stepId, service: entry.service, loss: entry.loss, direction: entry.direction, heldMs: clock.now() - entry.appliedAt, counters };
}

/** One line about a removed fault, for transcripts and cleanup records. */
export function describeHealed(h: HealedFault): string {
  const what = `loss ${h.loss}% ${h.direction} on ${h.service}`;
  if (!h.counters) return `removed ${what} after ${h.heldMs} ms (its counters could not be read)`;
  const c = h.counters;
  return `removed ${what} after ${h.heldMs} ms: dropped ${c.ingressDropped} of ${c.ingressSeen} packets in, ${c.egressDropped} of ${c.egressSeen} out (${c.measuredPercent}%)`;
}
