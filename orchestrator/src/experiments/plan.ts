/**
 * An experiment's plan, pure: its points (every combination of the factors' levels, or the quick
 * ones), the scenario that measures one point (the experiment's steps with the point's levels put
 * in, then the measurement repeated), the metric's values read back from that scenario's run, and
 * the model's value at the point.
 */
import { lookupPath } from "../scenarios/path.ts";
import { evaluate, matches } from "./model.ts";
import type { Experiment, Level, Point } from "./schema.ts";

/** Every combination of the factors' levels, the first factor varying slowest. */
export function allPoints(factors: readonly { name: string; levels: readonly Level[] }[]): Point[] {
  return factors.reduce<Point[]>((acc, f) => acc.flatMap((p) => f.levels.map((l) => ({ ...p, [f.name]: l }))), [{}]);
}

/** The points a run measures: all of them, or for --quick the quick levels (by default the first and last of the first factor, the first of the others). */
export function planPoints(exp: Experiment, quick: boolean): Point[] {
  if (!quick) return allPoints(exp.factors);
  const levels = exp.factors.map((f, i) => {
    const chosen = exp.quick?.[f.name];
    if (chosen) return { name: f.name, levels: chosen };
    if (i === 0) return { name: f.name, levels: f.levels.length > 1 ? [f.levels[0]!, f.levels.at(-1)!] : [f.levels[0]!] };
    return { name: f.name, levels: [f.levels[0]!] };
  });
  return allPoints(levels);
}

/** "rttMs=50, cache=cold" */
export const describePoint = (p: Point): string => Object.entries(p).map(([k, v]) => `${k}=${v}`).join(", ");

const WHOLE = /^\$\{([a-zA-Z][a-zA-Z0-9]*)\}$/;
const PART = /\$\{([a-zA-Z][a-zA-Z0-9]*)\}/g;

/** Puts a point's levels in for ${factor} (a whole "${factor}" keeps the level's type); other templates are left for the run. */
export function substitute(value: unknown, point: Point): unknown {
  if (typeof value === "string") {
    const whole = WHOLE.exec(value);
    if (whole && whole[1]! in point) return point[whole[1]!];
    return value.replace(PART, (all, name: string) => (name in point ? String(point[name]) : all));
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, point));
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, point)]));
  return value;
}

/** The steps that apply at a point (their when matches), without their when, levels put in. */
function stepsAt(steps: readonly Record<string, unknown>[], point: Point): Record<string, unknown>[] {
  return steps
    .filter((s) => matches(point, s["when"] as Record<string, Level> | undefined))
    .map(({ when: _when, ...s }) => substitute(s, point) as Record<string, unknown>);
}

export const repetitionId = (id: string, rep: number): string => `${id}-r${rep}`;

/** The scenario (as a file would hold it, for the scenario validator) that measures one point. */
export function pointScenario(exp: Experiment, point: Point, repetitions: number): Record<string, unknown> {
  const measure = stepsAt(exp.measure.steps, point);
  const steps = [...stepsAt(exp.steps, point)];
  for (let rep = 1; rep <= repetitions; rep++) {
    for (const s of measure) steps.push({ ...s, id: repetitionId(String(s["id"]), rep) });
  }
  return {
    name: exp.name,
    title: `${exp.title}: ${describePoint(point)}`,
    ...(exp.timeoutMs !== undefined ? { timeoutMs: exp.timeoutMs } : {}),
    steps,
  };
}

/** The metric of each repetition, read from the point's run; a repetition without a number is left out. */
export function metricValues(exp: Experiment, steps: readonly { id: string; status: string; result?: unknown }[], repetitions: number): number[] {
  const values: number[] = [];
  for (let rep = 1; rep <= repetitions; rep++) {
    const step = steps.find((s) => s.id === repetitionId(exp.measure.metric.step, rep));
    if (!step || step.status !== "passed") continue;
    const found = lookupPath(step.result, exp.measure.metric.path);
    if (found.found && typeof found.value === "number" && Number.isFinite(found.value)) values.push(found.value);
  }
  return values;
}

/** The model's value at a point: the first model whose when matches. */
export function modelAt(exp: Experiment, point: Point): number {
  const model = exp.model.find((m) => matches(point, m.when));
  if (!model) throw new Error(`no model applies at ${describePoint(point)}; add one without when, or with a when that matches`);
  return evaluate(model.expression, point);
}
