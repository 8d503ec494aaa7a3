import { L7labError } from "../common/errors.ts";

/** A scenario file (or an inline scenario) that cannot be run; `problems` says what to fix. */
export class InvalidScenarioError extends L7labError {
  constructor(where: string, problems: readonly string[]) {
    super("INVALID_SCENARIO", 400, `${where} is invalid: ${problems.join("; ")}`, { where, problems: [...problems] });
  }
}

/** A run id that the engine does not have (never started, or dropped as one of the oldest finished runs). */
export class RunNotFoundError extends L7labError {
  constructor(id: string, kept: number) {
    super("RUN_NOT_FOUND", 404, `run "${id}" is not known. List the runs to see their ids; only the last ${kept} finished runs are kept.`, { id });
  }
}

/** A run started while the queue already holds as many runs as it may (429, with Retry-After). */
export class RunQueueFullError extends L7labError {
  constructor(queued: number, limit: number, retryAfterS: number) {
    super(
      "RUN_QUEUE_FULL",
      429,
      `${queued} runs are waiting already, the most the queue holds (limit ${limit}, besides the one running): wait for one to finish (GET /api/runs) or abort one (POST /api/runs/:id/abort), then start this one again`,
      { queued, limit, retryAfterS },
    );
  }
}

/** The reason a run's AbortSignal carries when someone aborts the run. */
export class RunAbortedError extends L7labError {
  constructor(id: string) {
    super("RUN_ABORTED", 409, `run "${id}" was aborted`, { id });
  }
}

/** The reason a run's AbortSignal carries when the scenario's `timeoutMs` has passed. */
export class RunTimeoutError extends L7labError {
  constructor(scenario: string, timeoutMs: number) {
    super("RUN_TIMEOUT", 504, `scenario "${scenario}" did not finish within its timeoutMs of ${timeoutMs} ms; raise timeoutMs in the scenario file if it needs longer`, { scenario, timeoutMs });
  }
}

/** A service that did not become healthy in time after it was started or unpaused. */
export class ServiceNotHealthyError extends L7labError {
  constructor(service: string, timeoutMs: number, last: string) {
    super("SERVICE_NOT_HEALTHY", 504, `service "${service}" did not become healthy within ${timeoutMs} ms (last seen: ${last}); see its logs`, { service, timeoutMs, last });
  }
}

/** A probe that reported ok=false without saying why. */
export class ProbeFailedError extends L7labError {
  constructor(probe: string) {
    super("PROBE_FAILED", 502, `probe "${probe}" failed without giving a reason`, { probe });
  }
}

/** The `{ code, message }` form of any thrown value, for run and step records. */
export function errorInfo(error: unknown): { code: string; message: string } {
  if (error instanceof L7labError) return { code: error.code, message: error.message };
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : "";
    return { code: "ERROR", message: error.message + cause };
  }
  return { code: "ERROR", message: String(error) };
}
