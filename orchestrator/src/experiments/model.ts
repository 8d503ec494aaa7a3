/**
 * The model side of an experiment, pure: a small arithmetic language for model expressions (no
 * eval), the statistics of a point's measurements, and whether the mean keeps the bound.
 */
import type { Level, Point } from "./schema.ts";

type Token = { kind: "num"; value: number } | { kind: "name"; value: string } | { kind: "op"; value: string };

function tokens(text: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|([a-zA-Z][a-zA-Z0-9]*)|([-+*/(),]))/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new Error(`cannot read "${text.slice(at).trim()}" in the expression "${text}"; it may hold numbers, factor names, + - * / ( ), min() and max()`);
    if (m[1] !== undefined) out.push({ kind: "num", value: Number(m[1]) });
    else if (m[2] !== undefined) out.push({ kind: "name", value: m[2] });
    else out.push({ kind: "op", value: m[3]! });
    at = re.lastIndex;
  }
  return out;
}

/** Evaluates an expression with the numeric factors of a point; throws, saying what is wrong, on a bad one. */
export function evaluate(expression: string, vars: Readonly<Record<string, Level>>): number {
  const ts = tokens(expression);
  let i = 0;
  const peek = () => ts[i];
  const take = (op: string) => {
    const t = ts[i];
    if (t?.kind !== "op" || t.value !== op) throw new Error(`expected "${op}" in the expression "${expression}"`);
    i++;
  };
  const primary = (): number => {
    const t = ts[i++];
    if (!t) throw new Error(`the expression "${expression}" ends too early`);
    if (t.kind === "num") return t.value;
    if (t.kind === "op" && t.value === "(") {
      const v = sum();
      take(")");
      return v;
    }
    if (t.kind === "op" && t.value === "-") return -primary();
    if (t.kind === "name") {
      if (t.value === "min" || t.value === "max") {
        take("(");
        const a = sum();
        take(",");
        const b = sum();
        take(")");
        return t.value === "min" ? Math.min(a, b) : Math.max(a, b);
      }
      const v = vars[t.value];
      if (typeof v !== "number") {
        const numeric = Object.keys(vars).filter((k) => typeof vars[k] === "number");
        throw new Error(`the expression "${expression}" uses "${t.value}", which is not a numeric factor; numeric factors: ${numeric.join(", ") || "none"}`);
      }
      return v;
    }
    throw new Error(`unexpected "${t.value}" in the expression "${expression}"`);
  };
  const product = (): number => {
    let v = primary();
    for (let t = peek(); t?.kind === "op" && (t.value === "*" || t.value === "/"); t = peek()) {
      i++;
      v = t.value === "*" ? v * primary() : v / primary();
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    for (let t = peek(); t?.kind === "op" && (t.value === "+" || t.value === "-"); t = peek()) {
      i++;
      v = t.value === "+" ? v + product() : v - product();
    }
    return v;
  };
  const v = sum();
  if (i < ts.length) throw new Error(`unexpected "${ts[i]!.value}" in the expression "${expression}"`);
  if (!Number.isFinite(v)) throw new Error(`the expression "${expression}" is not a finite number at ${JSON.stringify(vars)}`);
  return v;
}

/** Does a point have the levels `when` names (all of them; a list is any of its levels)? No `when` matches every point. */
export function matches(point: Point, when: Readonly<Record<string, Level | readonly Level[]>> | undefined): boolean {
  return when === undefined || Object.entries(when).every(([k, v]) => (Array.isArray(v) ? v.includes(point[k]!) : point[k] === v));
}

export interface PointStats {
  n: number;
  mean: number;
  sd: number;
  min: number;
  max: number;
}

export function stats(values: readonly number[]): PointStats {
  const n = values.length;
  if (n === 0) return { n: 0, mean: NaN, sd: NaN, min: NaN, max: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  return { n, mean, sd, min: Math.min(...values), max: Math.max(...values) };
}

/** The largest distance from the model the bound allows at a model value. */
export const allowed = (model: number, bound: { relative: number; absolute: number }): number => Math.max(bound.relative * Math.abs(model), bound.absolute);
