import { lookupPath } from "./path.ts";

/**
 * Templates in step parameters: `${run.id}` (the run's id, to make names unique per run),
 * `${i}` (1, 2, ... in a step with `repeat`) and `${<stepId>.<path>}` (a value from an earlier
 * step's result). A string that is exactly one
 * template takes the value as it is (a number, an array...); a template inside a longer string is
 * replaced by the value's text. Pure.
 */
const TEMPLATE = /\$\{([^}]+)\}/g;
const WHOLE = /^\$\{([^}]+)\}$/;

export interface TemplateVars {
  runId: string;
  results: Readonly<Record<string, unknown>>;
  /** The repetition, in a step with `repeat`. */
  i?: number;
}

function valueOf(expr: string, vars: TemplateVars): unknown {
  const e = expr.trim();
  if (e === "run.id") return vars.runId;
  if (e === "i") {
    if (vars.i === undefined) throw new Error("template ${i} is only known in a step with repeat");
    return vars.i;
  }
  const found = lookupPath(vars.results, e);
  if (!found.found) throw new Error(`template \${${e}}: ${found.reason}`);
  return found.value;
}

const text = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));

/** Replaces the templates in every string of `value` (deeply). Throws naming a template that has no value. */
export function interpolate<T>(value: T, vars: TemplateVars): T {
  if (typeof value === "string") {
    const whole = WHOLE.exec(value);
    if (whole) return valueOf(whole[1]!, vars) as T;
    return value.replace(TEMPLATE, (_m, expr: string) => text(valueOf(expr, vars))) as T;
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars)) as T;
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars)])) as T;
  }
  return value;
}

/** The step ids (other than `run`) that the templates in `value` refer to, for load-time checks. */
export function templateStepIds(value: unknown): string[] {
  if (typeof value === "string") {
    return [...value.matchAll(TEMPLATE)].map((m) => m[1]!.trim().split(/[.[]/)[0]!).filter((id) => id !== "run" && id !== "i");
  }
  if (Array.isArray(value)) return value.flatMap(templateStepIds);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(templateStepIds);
  return [];
}
