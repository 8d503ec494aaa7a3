/**
 * Runs experiments: one point at a time, each as a generated scenario on the scenario engine, so
 * that a point's faults are undone when its run ends, whatever happens (a failure, an abort).
 * The record says, per point, the metric's values, their mean, spread and n, the model and the
 * distance it allows, and whether the mean kept it.
 */
import { randomUUID } from "node:crypto";
import type { Clock } from "../common/clock.ts";
import { L7labError, UnknownNameError } from "../common/errors.ts";
import type { ScenarioEngine } from "../engine/engine.ts";
import type { RunRecord } from "../engine/run-types.ts";
import { InvalidScenarioError } from "../scenarios/errors.ts";
import { validateScenario, type ValidationContext } from "../scenarios/validate.ts";
import type { ExperimentCatalog } from "./catalog.ts";
import { allowed, matches, stats, type PointStats } from "./model.ts";
import { describePoint, metricValues, modelAt, planPoints, pointScenario } from "./plan.ts";
import type { Experiment, Point } from "./schema.ts";

export type PointStatus = "waiting" | "running" | "done" | "error" | "aborted";
export type ExperimentStatus = "running" | "passed" | "failed" | "error" | "aborted";

export interface PointRecord {
  point: Point;
  status: PointStatus;
  /** The scenario run that measured it. */
  runId?: string;
  values: number[];
  stats?: PointStats;
  model: number;
  /** How far the mean may be from the model (max of the relative and absolute bound). */
  allowed: number;
  /** Whether the bound applies here (bound.when). */
  checked: boolean;
  /** Whether the mean kept the bound; absent until measured, or where it is not checked. */
  withinBound?: boolean;
  error?: string;
}

export interface ExperimentRun {
  id: string;
  name: string;
  title: string;
  quick: boolean;
  repetitions: number;
  status: ExperimentStatus;
  startedAt: string;
  finishedAt?: string;
  factors: { name: string; unit?: string; title?: string }[];
  metric: { name: string; unit?: string };
  bound: { relative: number; absolute: number };
  points: PointRecord[];
}

const KEPT_RUNS = 20;

export class ExperimentRunner {
  readonly #catalog: ExperimentCatalog;
  readonly #engine: ScenarioEngine;
  readonly #ctx: ValidationContext;
  readonly #clock: Clock;
  readonly #runs: ExperimentRun[] = [];
  #active: { run: ExperimentRun; aborted: boolean; scenarioRun?: string } | undefined;

  constructor(catalog: ExperimentCatalog, engine: ScenarioEngine, ctx: ValidationContext, clock: Clock) {
    this.#catalog = catalog;
    this.#engine = engine;
    this.#ctx = ctx;
    this.#clock = clock;
  }

  /** Starts a run of the named experiment; one at a time. Resolves at once with its record. */
  start(name: string, quick: boolean): ExperimentRun {
    const exp = this.#catalog.get(name);
    if (this.#active) {
      throw new L7labError("EXPERIMENT_RUNNING", 409, `experiment run ${this.#active.run.id} (${this.#active.run.name}) is running; wait for it or abort it first`, { run: this.#active.run.id });
    }
    const repetitions = quick ? 1 : exp.repetitions;
    const run: ExperimentRun = {
      id: randomUUID().slice(0, 8),
      name,
      title: exp.title,
      quick,
      repetitions,
      status: "running",
      startedAt: new Date(this.#clock.now()).toISOString(),
      factors: exp.factors.map((f) => ({ name: f.name, ...(f.unit ? { unit: f.unit } : {}), ...(f.title ? { title: f.title } : {}) })),
      metric: { name: exp.measure.metric.name, ...(exp.measure.metric.unit ? { unit: exp.measure.metric.unit } : {}) },
      bound: { relative: exp.bound.relative, absolute: exp.bound.absolute },
      points: planPoints(exp, quick).map((point) => {
        const model = modelAt(exp, point);
        return { point, status: "waiting", values: [], model, allowed: allowed(model, exp.bound), checked: matches(point, exp.bound.when) };
      }),
    };
    this.#runs.unshift(run);
    this.#runs.splice(KEPT_RUNS);
    this.#active = { run, aborted: false };
    void this.#sweep(exp, run).finally(() => {
      this.#active = undefined;
    });
    return structuredClone(run);
  }

  get(name: string, id: string): ExperimentRun {
    const run = this.#runs.find((r) => r.id === id && r.name === name);
    if (!run) throw new UnknownNameError(`run of experiment ${name}`, id, this.#runs.filter((r) => r.name === name).map((r) => r.id));
    return structuredClone(run);
  }

  list(name?: string): ExperimentRun[] {
    return this.#runs.filter((r) => name === undefined || r.name === name).map((r) => structuredClone(r));
  }

  /** Stops a running experiment: the point under way is aborted (its faults undone), the rest not measured. */
  abort(name: string, id: string): ExperimentRun {
    const run = this.get(name, id);
    if (this.#active?.run.id === id) {
      this.#active.aborted = true;
      if (this.#active.scenarioRun) this.#engine.abort(this.#active.scenarioRun);
    }
    return run;
  }

  /** Aborts the experiment under way, if any (at shutdown: no point may start after it). */
  abortActive(): void {
    const active = this.#active;
    if (active) this.abort(active.run.name, active.run.id);
  }

  async #sweep(exp: Experiment, run: ExperimentRun): Promise<void> {
    try {
      for (const p of run.points) {
        if (this.#active?.aborted) break;
        await this.#measure(exp, run, p);
      }
    } catch (error) {
      const p = run.points.find((x) => x.status === "running");
      if (p) Object.assign(p, { status: "error", error: (error as Error).message });
    }
    for (const p of run.points) if (p.status === "waiting" || p.status === "running") p.status = "aborted";
    run.finishedAt = new Date(this.#clock.now()).toISOString();
    if (this.#active?.aborted) run.status = "aborted";
    else if (run.points.some((p) => p.status === "error")) run.status = "error";
    else run.status = run.points.every((p) => !p.checked || p.withinBound) ? "passed" : "failed";
  }

  async #measure(exp: Experiment, run: ExperimentRun, p: PointRecord): Promise<void> {
    p.status = "running";
    const validated = validateScenario(pointScenario(exp, p.point, run.repetitions), this.#ctx);
    if (!validated.ok) throw new InvalidScenarioError(`the scenario of point ${describePoint(p.point)}`, validated.problems);
    const started = this.#engine.start(validated.scenario);
    p.runId = started.id;
    if (this.#active) this.#active.scenarioRun = started.id;
    const record: RunRecord = await this.#engine.waitFor(started.id);
    p.values = metricValues(exp, record.steps, run.repetitions);
    if (record.status === "aborted") {
      p.status = "aborted";
      return;
    }
    if (record.status !== "passed" || p.values.length === 0) {
      const failed = record.steps.find((s) => s.status === "failed" || s.status === "error");
      const why = record.error?.message ?? (failed ? `step "${failed.id}" ${failed.status}: ${failed.error?.message ?? failed.assertions.filter((a) => !a.passed).map((a) => a.message).join("; ")}` : "no repetition gave the metric");
      Object.assign(p, { status: "error", error: `run ${record.id}: ${why}` });
      return;
    }
    p.stats = stats(p.values);
    p.status = "done";
    if (p.checked) p.withinBound = Math.abs(p.stats.mean - p.model) <= p.allowed;
  }
}
