import { describe, expect, it } from "vitest";
import type { ExperimentRun, PointRecord } from "../experiments/runner.ts";
import { experimentPlot, linearScale, linePath, niceTicks, pointVerdict, tickLabel } from "./plot.ts";

const point = (p: Record<string, number | string>, mean: number | undefined, model: number, extra: Partial<PointRecord> = {}): PointRecord => ({
  point: p,
  status: mean === undefined ? "waiting" : "done",
  values: mean === undefined ? [] : [mean],
  ...(mean === undefined ? {} : { stats: { n: 3, mean, sd: 2, min: mean - 2, max: mean + 2 } }),
  model,
  allowed: 5,
  checked: true,
  ...(mean === undefined ? {} : { withinBound: Math.abs(mean - model) <= 5 }),
  ...extra,
});

const run = (points: PointRecord[], factors: ExperimentRun["factors"]): ExperimentRun => ({
  id: "e1",
  name: "dns-latency",
  title: "DNS latency",
  quick: false,
  repetitions: 3,
  status: "passed",
  startedAt: "2026-12-07T00:00:00.000Z",
  factors,
  metric: { name: "elapsedMs", unit: "ms" },
  bound: { relative: 0.1, absolute: 5 },
  points,
});

describe("scales and ticks", () => {
  it("maps a domain linearly onto a range, upside down for y", () => {
    const y = linearScale([0, 100], [300, 20]);
    expect([y(0), y(50), y(100)]).toEqual([300, 160, 20]);
    expect(linearScale([5, 5], [0, 10])(5)).toBe(5);
  });

  it.each([
    [0, 300, [0, 100, 200, 300]],
    [0, 307.3, [0, 100, 200, 300, 400]],
    [3.5, 7.2, [3, 4, 5, 6, 7, 8]],
    [0, 0.9, [0, 0.2, 0.4, 0.6, 0.8, 1]],
    [-12, 12, [-15, -10, -5, 0, 5, 10, 15]],
    [0, 0, [0, 1]],
  ])("ticks from %s to %s are %j", (min, max, ticks) => {
    expect(niceTicks(min, max)).toEqual(ticks);
  });

  it("labels ticks with the digits their step needs", () => {
    expect(tickLabel(0.4, [0, 0.2, 0.4])).toBe("0.4");
    expect(tickLabel(200, [0, 100, 200])).toBe("200");
  });

  it("draws a line through the points, broken where one is missing", () => {
    expect(linePath([{ x: 0, y: 1 }, { x: 1, y: 2 }, { x: 2, y: undefined }, { x: 3, y: 4 }, { x: 4, y: 5.123456 }])).toBe("M0 1 L1 2 M3 4 L4 5.12");
    expect(linePath([])).toBe("");
  });
});

describe("an experiment run as a plot", () => {
  it("has one series per level of the second factor, x the first factor's levels, y the means, and the model", () => {
    const plot = experimentPlot(
      run(
        [point({ rttMs: 0, cache: "cold" }, 3.5, 0), point({ rttMs: 50, cache: "cold" }, 155, 150), point({ rttMs: 0, cache: "warm" }, 0.4, 0), point({ rttMs: 50, cache: "warm" }, undefined, 0)],
        [{ name: "rttMs", unit: "ms", title: "RTT to each server" }, { name: "cache" }],
      ),
    );
    expect(plot.xTitle).toBe("RTT to each server (ms)");
    expect(plot.yTitle).toBe("elapsedMs (ms)");
    expect(plot.categorical).toBe(false);
    expect(plot.series.map((s) => s.label)).toEqual(["cache=cold", "cache=warm"]);
    expect(plot.series[0]!.points.map((p) => [p.x, p.mean, p.model])).toEqual([
      [0, 3.5, 0],
      [50, 155, 150],
    ]);
    expect(plot.series[1]!.points.map((p) => p.mean)).toEqual([0.4, undefined]);
    expect(plot.xTicks.map((t) => t.label)).toEqual(["0", "50"]);
    // y reaches from 0 to past the highest mean + sd.
    expect(plot.yDomain[0]).toBe(0);
    expect(plot.yDomain[1]).toBeGreaterThanOrEqual(157);
    expect(plot.measured).toBe(true);
  });

  it("names a single series after the metric, and sorts its points by x", () => {
    const plot = experimentPlot(run([point({ jitterMs: 10 }, 7, 6.67), point({ jitterMs: 0 }, 0.3, 0)], [{ name: "jitterMs", unit: "ms" }]));
    expect(plot.series.map((s) => s.label)).toEqual(["elapsedMs"]);
    expect(plot.series[0]!.points.map((p) => p.x)).toEqual([0, 10]);
  });

  it("places levels that are not numbers one apart, in their order", () => {
    const plot = experimentPlot(run([point({ mode: "non-persistent" }, 2200, 2200), point({ mode: "persistent" }, 1200, 1200), point({ mode: "pipelined" }, 300, 300)], [{ name: "mode" }]));
    expect(plot.categorical).toBe(true);
    expect(plot.series[0]!.points.map((p) => p.x)).toEqual([0, 1, 2]);
    expect(plot.xTicks).toEqual([
      { value: 0, label: "non-persistent" },
      { value: 1, label: "persistent" },
      { value: 2, label: "pipelined" },
    ]);
  });

  it("has nothing measured while no point is done", () => {
    expect(experimentPlot(run([point({ x: 1 }, undefined, 10)], [{ name: "x" }])).measured).toBe(false);
  });

  it.each([
    [point({ x: 1 }, 10, 10), "within"],
    [point({ x: 1 }, 30, 10), "OUTSIDE"],
    [point({ x: 1 }, 30, 10, { checked: false }), "not checked"],
    [point({ x: 1 }, undefined, 10, { status: "error", error: "run r1: timeout" }), "error: run r1: timeout"],
  ])("a point's verdict is %#: %s", (p, verdict) => {
    expect(pointVerdict(p)).toBe(verdict);
  });
});
