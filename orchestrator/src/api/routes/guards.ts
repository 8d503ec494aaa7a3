import { L7labError } from "../../common/errors.ts";
import type { ScenarioEngine } from "../../engine/engine.ts";

/**
 * Refuses (409) an action from the API while a scenario run is queued or running: the run undoes
 * its own faults at its end and counts what it sees, and an action from outside would fight it.
 */
export function refuseDuringRun(engine: ScenarioEngine, what: string): void {
  const active = engine.list().find((r) => r.status === "running" || r.status === "queued");
  if (active) {
    throw new L7labError("RUN_IN_PROGRESS", 409, `run ${active.id} of scenario "${active.scenario}" is ${active.status}; ${what} now could disturb it. Wait for it (GET /api/runs/${active.id}?wait=true) or abort it (POST /api/runs/${active.id}/abort) first.`, { run: active.id });
  }
}
