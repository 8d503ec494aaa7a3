/**
 * What an experiment run becomes on disk, pure: data.csv (one row per point: its factors, the
 * measured mean, spread and n, the model, and the verdict), report.md, and the Vega-Lite
 * specification of plot.svg (measured means with ±1 sd error bars, the model as a line).
 */
import type { ExperimentRun, PointRecord } from "./runner.ts";

const csvCell = (v: unknown): string => {
  const s = v === undefined || v === null || (typeof v === "number" && !Number.isFinite(v)) ? "" : String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
const round = (x: number | undefined, digits = 3): number | undefined => (x === undefined || !Number.isFinite(x) ? undefined : Number(x.toFixed(digits)));

export function dataCsv(run: ExperimentRun): string {
  const factors = run.factors.map((f) => f.name);
  const header = [...factors, "mean", "sd", "n", "min", "max", "model", "allowed", "within_bound", "status"];
  const rows = run.points.map((p) => [
    ...factors.map((f) => p.point[f]),
    round(p.stats?.mean),
    round(p.stats?.sd),
    p.stats?.n ?? p.values.length,
    round(p.stats?.min),
    round(p.stats?.max),
    round(p.model),
    round(p.allowed),
    p.checked ? (p.withinBound === undefined ? "" : p.withinBound ? "yes" : "no") : "not checked",
    p.status,
  ]);
  return [header, ...rows].map((r) => r.map(csvCell).join(",")).join("\n") + "\n";
}

const unit = (u: string | undefined) => (u ? ` ${u}` : "");
const fmt = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? "–" : Number(x.toFixed(2)).toString());

function verdict(p: PointRecord): string {
  if (p.status !== "done") return p.status + (p.error ? `: ${p.error}` : "");
  if (!p.checked) return "not checked";
  return p.withinBound ? "within" : "OUTSIDE";
}

export function reportMd(run: ExperimentRun, machine: string): string {
  const factors = run.factors.map((f) => f.name);
  const m = run.metric;
  const lines = [
    `# ${run.title}`,
    "",
    `Experiment \`${run.name}\`, run ${run.id}${run.quick ? " (quick)" : ""}: **${run.status}**. ${run.points.length} points, ${run.repetitions} repetition(s) each; started ${run.startedAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ""}. Machine: ${machine}.`,
    "",
    `The metric is ${m.name}${m.unit ? ` (${m.unit})` : ""}. A point keeps its bound when its mean is within ${run.bound.relative * 100}% of the model or ${run.bound.absolute}${unit(m.unit)}, whichever is larger.`,
    "",
    `| ${factors.join(" | ")} | mean | sd | n | model | allowed | verdict |`,
    `| ${factors.map(() => "---").join(" | ")} | ---: | ---: | ---: | ---: | ---: | --- |`,
    ...run.points.map((p) => `| ${factors.map((f) => String(p.point[f])).join(" | ")} | ${fmt(p.stats?.mean)} | ${fmt(p.stats?.sd)} | ${p.stats?.n ?? p.values.length} | ${fmt(p.model)} | ±${fmt(p.allowed)} | ${verdict(p)} |`),
    "",
    "![plot](plot.svg)",
    "",
  ];
  return lines.join("\n");
}

/** The Vega-Lite specification of the plot: x is the first factor, colour the second (if any). */
export function plotSpec(run: ExperimentRun): Record<string, unknown> {
  const [x, series] = run.factors;
  const m = run.metric;
  const values = run.points
    .filter((p) => p.stats !== undefined)
    .map((p) => ({ ...p.point, mean: p.stats!.mean, low: p.stats!.mean - p.stats!.sd, high: p.stats!.mean + p.stats!.sd, model: p.model }));
  const xEnc = { field: x!.name, type: "quantitative", title: `${x!.title ?? x!.name}${x!.unit ? ` (${x!.unit})` : ""}` };
  const colour = series ? { color: { field: series.name, type: "nominal", title: series.title ?? series.name } } : {};
  const yTitle = `${m.name}${m.unit ? ` (${m.unit})` : ""}`;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: run.title,
    width: 560,
    height: 340,
    data: { values },
    layer: [
      { mark: { type: "line", strokeDash: [6, 4] }, encoding: { x: xEnc, y: { field: "model", type: "quantitative", title: yTitle }, ...colour } },
      { mark: { type: "errorbar", ticks: true }, encoding: { x: xEnc, y: { field: "low", type: "quantitative", title: yTitle }, y2: { field: "high" }, ...colour } },
      { mark: { type: "point", filled: true, size: 60 }, encoding: { x: xEnc, y: { field: "mean", type: "quantitative", title: yTitle }, ...colour, tooltip: [{ field: "mean" }, { field: "model" }] } },
    ],
  };
}
