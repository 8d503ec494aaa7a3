import type { ServiceAction, ServiceState } from "../docker/docker-adapter.ts";

/** Actions that leave a service broken until they are undone. */
export const FAULT_ACTIONS: readonly ServiceAction[] = ["stop", "kill", "pause"];

export function isFault(action: ServiceAction): boolean {
  return FAULT_ACTIONS.includes(action);
}

/**
 * The state of each service a run broke, as it was before the run first touched it. The engine
 * records a service before the first fault on it, so later faults keep the first state.
 */
export class FaultLedger {
  readonly #before = new Map<string, ServiceState>();

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
