import type { RunRecord } from "./run-types.ts";
import { isFinished } from "./run-types.ts";
import { RunNotFoundError } from "../scenarios/errors.ts";

export const DEFAULT_MAX_FINISHED_RUNS = 200;

/**
 * The runs the engine knows, in the order they were created. Finished runs beyond `maxFinished`
 * are dropped, oldest first; queued and running ones are always kept.
 */
export class RunStore {
  readonly maxFinished: number;
  readonly #runs = new Map<string, RunRecord>();

  constructor(maxFinished = DEFAULT_MAX_FINISHED_RUNS) {
    this.maxFinished = maxFinished;
  }

  add(run: RunRecord): void {
    if (this.#runs.has(run.id)) throw new Error(`run id "${run.id}" is used twice`);
    this.#runs.set(run.id, run);
    this.prune();
  }

  find(id: string): RunRecord | undefined {
    return this.#runs.get(id);
  }

  /** The run with this id; an unknown id throws RunNotFoundError. */
  get(id: string): RunRecord {
    const run = this.#runs.get(id);
    if (!run) throw new RunNotFoundError(id, this.maxFinished);
    return run;
  }

  /** All runs, newest first. */
  list(): RunRecord[] {
    return [...this.#runs.values()].reverse();
  }

  /** Drops the oldest finished runs beyond the limit. Call it when a run finishes. */
  prune(): void {
    const finished = [...this.#runs.values()].filter((r) => isFinished(r.status));
    for (const run of finished.slice(0, Math.max(0, finished.length - this.maxFinished))) this.#runs.delete(run.id);
  }
}
