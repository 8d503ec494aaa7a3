/**
 * An experiment run as a line chart, pure: x is the first factor's level, y the metric's mean at
 * each point (±1 sd), one series per combination of the other factors' levels (the variants),
 * and the model's values, which the UI draws dashed. The same reading as report.ts's plotSpec,
 * for an SVG the browser draws without a plotting library.
 */
import type { ExperimentRun, PointRecord } from "../experiments/runner.ts";

/** A linear map from a domain onto a range; a domain of one value maps onto the middle. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  return (v) => r0 + ((v - d0) / (d1 - d0)) * (r1 - r0);
}

/** About `count` round ticks (1, 2 or 5 × 10^k apart) from at most min to at least max. */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) {
    if (min === 0) return [0, 1];
    const pad = Math.abs(min) * 0.1;
    return niceTicks(min - pad, max + pad, count);
  }
  const lo = Math.min(min, max);
  const hi = Math.max(min, max);
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power);
  const first = Math.floor(lo / step + 1e-9) * step;
  const ticks: number[] = [];
  for (let t = first; t < hi + step - 1e-9 * step; t += step) ticks.push(Number(t.toFixed(12)));
  return ticks;
}

/** A tick's label: no more digits than the step between ticks needs. */
export function tickLabel(value: number, ticks: readonly number[]): string {
  const step = ticks.length > 1 ? Math.abs(ticks[1]! - ticks[0]!) : 1;
  const digits = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
  return value.toFixed(digits);
}

/** A path through the points, broken where a value is missing: "M x y L x y …". */
export function linePath(points: readonly { x: number; y: number | undefined }[]): string {
  let path = "";
  let pen = false;
  for (const p of points) {
    if (p.y === undefined || !Number.isFinite(p.y)) {
      pen = false;
      continue;
    }
    path += `${path ? " " : ""}${pen ? "L" : "M"}${round(p.x)} ${round(p.y)}`;
    pen = true;
  }
  return path;
}

const round = (v: number) => Number(v.toFixed(2));

/** A point's verdict, as report.md says it. */
export function pointVerdict(p: PointRecord): string {
  if (p.status !== "done") return p.status + (p.error ? `: ${p.error}` : "");
  if (!p.checked) return "not checked";
  return p.withinBound ? "within" : "OUTSIDE";
}

export interface PlotPoint {
  /** The position on x: the level, or its index when the levels are not numbers. */
  x: number;
  level: string | number;
  mean?: number;
  sd?: number;
  model?: number;
  record: PointRecord;
}

export interface PlotSeries {
  key: string;
  label: string;
  points: PlotPoint[];
}

export interface ExperimentPlot {
  xTitle: string;
  yTitle: string;
  /** The levels of x are not all numbers: they are placed one apart, in their order. */
  categorical: boolean;
  xDomain: [number, number];
  xTicks: { value: number; label: string }[];
  yDomain: [number, number];
  yTicks: number[];
  series: PlotSeries[];
  /** Any point has a mean (something to draw besides the model). */
  measured: boolean;
}

const titled = (name: string, title: string | undefined, unit: string | undefined) => `${title ?? name}${unit ? ` (${unit})` : ""}`;
const finite = (v: number | undefined): number | undefined => (v !== undefined && Number.isFinite(v) ? v : undefined);

export function experimentPlot(run: ExperimentRun): ExperimentPlot {
  const [xFactor, ...others] = run.factors;
  const xName = xFactor?.name ?? "";
  const levels: (string | number)[] = [];
  for (const p of run.points) {
    const level = p.point[xName];
    if (level !== undefined && !levels.includes(level)) levels.push(level);
  }
  const categorical = levels.some((l) => typeof l !== "number");
  const position = (level: string | number) => (categorical ? levels.indexOf(level) : (level as number));

  const seriesByKey = new Map<string, PlotSeries>();
  for (const record of run.points) {
    const level = record.point[xName];
    if (level === undefined) continue;
    const key = others.map((f) => `${f.name}=${String(record.point[f.name])}`).join(", ");
    let series = seriesByKey.get(key);
    if (!series) seriesByKey.set(key, (series = { key, label: key || run.metric.name, points: [] }));
    const mean = finite(record.stats?.mean);
    const sd = finite(record.stats?.sd);
    const model = finite(record.model);
    series.points.push({ x: position(level), level, ...(mean !== undefined ? { mean } : {}), ...(sd !== undefined ? { sd } : {}), ...(model !== undefined ? { model } : {}), record });
  }
  const series = [...seriesByKey.values()];
  for (const s of series) s.points.sort((a, b) => a.x - b.x);

  const xs = levels.map(position);
  const xDomain: [number, number] = categorical ? [-0.5, Math.max(0.5, levels.length - 0.5)] : [Math.min(...xs), Math.max(...xs)];
  const xTicks = categorical
    ? levels.map((l, i) => ({ value: i, label: String(l) }))
    : levels.length <= 8
      ? [...(levels as number[])].sort((a, b) => a - b).map((l) => ({ value: l, label: String(l) }))
      : niceTicks(xDomain[0], xDomain[1]).map((v, _, all) => ({ value: v, label: tickLabel(v, all) }));
  if (!categorical && xTicks.length) {
    xDomain[0] = Math.min(xDomain[0], xTicks[0]!.value);
    xDomain[1] = Math.max(xDomain[1], xTicks[xTicks.length - 1]!.value);
  }

  const ys = series.flatMap((s) => s.points.flatMap((p) => [p.mean !== undefined ? p.mean - (p.sd ?? 0) : undefined, p.mean !== undefined ? p.mean + (p.sd ?? 0) : undefined, p.model]));
  const values = ys.filter((v): v is number => v !== undefined);
  // From 0 when no mean or model is below it (a spread below 0 is cut there, not a reason to plot negative times).
  const centres = series.flatMap((s) => s.points.flatMap((p) => [p.mean, p.model])).filter((v): v is number => v !== undefined);
  const low = centres.every((v) => v >= 0) ? 0 : Math.min(0, ...values);
  const yTicks = values.length ? niceTicks(low, Math.max(...values)) : [0, 1];
  const m = run.metric;
  return {
    xTitle: xFactor ? titled(xFactor.name, xFactor.title, xFactor.unit) : "",
    yTitle: titled(m.name, undefined, m.unit),
    categorical,
    xDomain,
    xTicks,
    yDomain: [yTicks[0]!, yTicks[yTicks.length - 1]!],
    yTicks,
    series,
    measured: series.some((s) => s.points.some((p) => p.mean !== undefined)),
  };
}
