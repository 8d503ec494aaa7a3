/** `l7lab experiment`: reading the command line, and the line shown as each point is measured. */
import type { PointRecord } from "../experiments/runner.ts";
import { describePoint } from "../experiments/plan.ts";

export const EXPERIMENT_USAGE = `usage:
  l7lab experiment list
  l7lab experiment run <name> [--quick] [--out DIR]`;

export type ExperimentCommand = { op: "list" } | { op: "run"; name: string; quick: boolean; out?: string };

export function parseExperimentCommand(args: readonly string[]): ExperimentCommand {
  const [sub, ...rest] = args;
  if (sub === "list" && rest.length === 0) return { op: "list" };
  if (sub === "run") {
    let quick = false;
    let out: string | undefined;
    const names: string[] = [];
    for (let i = 0; i < rest.length; i++) {
      const a = rest[i]!;
      if (a === "--quick") quick = true;
      else if (a === "--out") {
        out = rest[++i];
        if (out === undefined) throw new Error(`--out needs a directory\n${EXPERIMENT_USAGE}`);
      } else if (a.startsWith("--")) throw new Error(`unknown option ${a}; valid: --quick, --out DIR\n${EXPERIMENT_USAGE}`);
      else names.push(a);
    }
    if (names.length !== 1) throw new Error(`l7lab experiment run takes one experiment name\n${EXPERIMENT_USAGE}`);
    return { op: "run", name: names[0]!, quick, ...(out !== undefined ? { out } : {}) };
  }
  throw new Error(sub === undefined ? EXPERIMENT_USAGE : `unknown experiment command "${[sub, ...rest].join(" ")}"\n${EXPERIMENT_USAGE}`);
}

const n2 = (x: number) => Number(x.toFixed(2)).toString();

/** "point 2/10 rttMs=25, cache=cold: 78.4 ms (sd 1.2, n 5); model 75 ±7.5: within" */
export function pointLine(p: PointRecord, index: number, total: number, unit: string | undefined): string {
  const head = `point ${index + 1}/${total} ${describePoint(p.point)}`;
  if (p.status !== "done" || !p.stats) return `${head}: ${p.status}${p.error ? ` (${p.error})` : ""}`;
  const u = unit ? ` ${unit}` : "";
  const verdict = p.checked ? (p.withinBound ? "within" : "OUTSIDE the bound") : "not checked";
  return `${head}: ${n2(p.stats.mean)}${u} (sd ${n2(p.stats.sd)}, n ${p.stats.n}); model ${n2(p.model)} ±${n2(p.allowed)}: ${verdict}`;
}
