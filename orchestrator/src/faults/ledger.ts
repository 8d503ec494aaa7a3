import type { NetFaultHandle, ServiceAction, ServiceState } from "../docker/docker-adapter.ts";
import type { NetFaultSpec } from "./net-fault-args.ts";

/** Actions that leave a service broken until they are undone. */
export const FAULT_ACTIONS: readonly ServiceAction[] = ["stop", "kill", "pause"];

export function isFault(action: ServiceAction): boolean {
  return FAULT_ACTIONS.includes(action);
}

/** A network fault a run applied and has not yet removed. */
export interface NetFaultEntry {
  stepId: string;
  service: string;
  /** Random loss ({ loss, direction }) or a rate limit ({ rateKbit }). */
  fault: NetFaultSpec;
  appliedAt: number;
  handle: NetFaultHandle;
}

/**
 * What a run broke, so that the end of the run can undo it: the state of each service a run
 * broke, as it was before the run first touched it (the engine records a service before the first
 * fault on it, so later faults keep the first state), and the network faults still applied.
 */
export class FaultLedger {
  readonly #before = new Map<string, ServiceState>();
  readonly #net = new Map<string, NetFaultEntry>();
  readonly #onDemand = new Set<string>();

  /**
   * An on-demand service (a compose profile's, such as the diskless VM) that this run acted on: the
   * run's end stops it if it is still running (or paused), so that nothing the run started outlives it.
   */
  startedOnDemand(service: string): void {
    this.#onDemand.add(service);
  }

  /** The on-demand services this run started, in the order it started them. */
  onDemandServices(): string[] {
    return [...this.#onDemand];
  }

  addNetFault(entry: NetFaultEntry): void {
    this.#net.set(entry.stepId, entry);
  }

  /** Takes the network fault applied by this step out of the ledger (a heal step removes it). */
  takeNetFault(stepId: string): NetFaultEntry | undefined {
    const entry = this.#net.get(stepId);
    this.#net.delete(stepId);
    return entry;
  }

  /** The network faults still applied, most recent first (the order to remove them in). */
  netFaults(): NetFaultEntry[] {
    return [...this.#net.values()].reverse();
  }

  has(service: string): boolean {
    return this.#before.has(service);
  }

  record(state: ServiceState): void {
    if (!this.#before.has(state.service)) this.#before.set(state.service, state);
  }

  /** The recorded states, in the order the services were first broken. */
  entries(): ServiceState[] {
    return [...this.#before.values()];
  }
}

/** What to do to put a service back: "start", "unpause", "none" (it is up: only wait until healthy) or "leave" (it was not up before). */
export type RestorePlan = { action: "start" | "unpause" | "none"; waitHealthy: true } | { action: "leave"; waitHealthy: false };

/** Pure: how to bring a service from its `now` state back to its `before` state. */
export function planRestore(before: ServiceState, now: ServiceState): RestorePlan {
  if (before.state !== "running") return { action: "leave", waitHealthy: false };
  if (now.state === "paused") return { action: "unpause", waitHealthy: true };
  if (now.state === "running" || now.state === "restarting") return { action: "none", waitHealthy: true };
  return { action: "start", waitHealthy: true };
}
