import type { Clock } from "../common/clock.ts";
import type { DockerAdapter } from "../docker/docker-adapter.ts";
import { errorInfo } from "./errors.ts";
import { planRestore, type FaultLedger } from "./faults.ts";
import { waitHealthy } from "./health.ts";
import type { CleanupRecord } from "./run-types.ts";

export interface RestoreOptions {
  docker: DockerAdapter;
  clock: Clock;
  healthTimeoutMs: number;
  healthIntervalMs: number;
}

/**
 * Undoes every fault in the ledger, one service after another: starts a stopped or killed service,
 * unpauses a paused one, then waits until it is healthy. Never throws; each service gives one record.
 */
export async function restoreFaults(ledger: FaultLedger, options: RestoreOptions): Promise<CleanupRecord[]> {
  const records: CleanupRecord[] = [];
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
