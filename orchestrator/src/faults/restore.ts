import type { Clock } from "../common/clock.ts";
import type { DockerAdapter } from "../docker/docker-adapter.ts";
import { describeNetFault } from "./net-fault-args.ts";
import { errorInfo } from "../scenarios/errors.ts";
import { planRestore, type FaultLedger } from "./ledger.ts";
import { waitHealthy } from "../engine/health.ts";
import { describeHealed, removeNetFault } from "./net-faults.ts";
import type { CleanupRecord } from "../engine/run-types.ts";

export interface RestoreOptions {
  docker: DockerAdapter;
  clock: Clock;
  healthTimeoutMs: number;
  healthIntervalMs: number;
}

/**
 * Undoes every fault in the ledger: first stops the on-demand services the run started (the
 * diskless VM) that still run, then removes the network faults still applied, then, one service
 * after another, starts a stopped or killed service or unpauses a paused one, and waits until it is
 * healthy. Never throws; each fault gives one record.
 */
export async function restoreFaults(ledger: FaultLedger, options: RestoreOptions): Promise<CleanupRecord[]> {
  const records: CleanupRecord[] = [];
  for (const service of ledger.onDemandServices()) {
    try {
      const now = await options.docker.serviceState(service);
      if (now.state === "running" || now.state === "paused" || now.state === "restarting") {
        await options.docker.act(service, "stop");
        records.push({ service, action: "stop", ok: true, message: `stopped ${service}, which the run started and which was still ${now.state}` });
      } else {
        records.push({ service, action: "none", ok: true, message: `${service}, which the run started, had already stopped (${now.state})` });
      }
    } catch (error) {
      records.push({ service, action: "stop", ok: false, message: `could not stop ${service}, which the run started: ${errorInfo(error).message}` });
    }
  }
  for (const entry of ledger.netFaults()) {
    const action = `remove ${describeNetFault(entry.fault)}`;
    try {
      const healed = await removeNetFault(entry, options.docker, options.clock);
      ledger.takeNetFault(entry.stepId);
      records.push({ service: entry.service, action, ok: true, message: describeHealed(healed) });
    } catch (error) {
      records.push({ service: entry.service, action, ok: false, message: `could not remove the network fault of step "${entry.stepId}" on ${entry.service} (helper ${entry.handle.helper}): ${errorInfo(error).message}` });
    }
  }
  for (const before of ledger.entries()) {
    const service = before.service;
    let action = "none";
    try {
      const now = await options.docker.serviceState(service);
      const plan = planRestore(before, now);
      action = plan.action === "leave" ? "none" : plan.action;
      if (plan.action === "leave") {
        records.push({ service, action, ok: true, message: `${service} was ${before.state} before the run, so it is left ${now.state}` });
        continue;
      }
      if (plan.action !== "none") await options.docker.act(service, plan.action);
      await waitHealthy(options.docker, service, { clock: options.clock, timeoutMs: options.healthTimeoutMs, intervalMs: options.healthIntervalMs });
      const done = plan.action === "start" ? `started ${service} (it was ${now.state})` : plan.action === "unpause" ? `unpaused ${service}` : `${service} was already ${now.state}`;
      records.push({ service, action, ok: true, message: `${done}; it is healthy` });
    } catch (error) {
      records.push({ service, action, ok: false, message: `could not restore ${service} (${action}): ${errorInfo(error).message}` });
    }
  }
  return records;
}
