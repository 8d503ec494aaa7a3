import { describe, expect, it } from "vitest";
import { dataCsv, plotSpec, reportMd } from "./report.ts";
import type { ExperimentRun } from "./runner.ts";

const run: ExperimentRun = {
  id: "abc",
  name: "dns-latency",
  title: "DNS, timed",
  quick: false,
  repetitions: 2,
  status: "failed",
  startedAt: "2026-12-07T10:00:00.000Z",
  finishedAt: "2026-12-07T10:01:00.000Z",
  factors: [{ name: "rttMs", unit: "ms" }, { name: "cache" }],
  metric: { name: "resolution time", unit: "ms" },
  bound: { relative: 0.1, absolute: 5 },
  points: [
    { point: { rttMs: 0, cache: "cold" }, status: "done", values: [3, 4], stats: { n: 2, mean: 3.5, sd: 0.7071, min: 3, max: 4 }, model: 0, allowed: 5, checked: true, withinBound: true },
    { point: { rttMs: 50, cache: "cold" }, status: "done", values: [190, 200], stats: { n: 2, mean: 195, sd: 7.0711, min: 190, max: 200 }, model: 150, allowed: 15, checked: true, withinBound: false },
    { point: { rttMs: 50, cache: "a,b" }, status: "error", values: [], model: 0, allowed: 5, checked: false, error: 'step "lookup" error: "timeout"' },
  ],
};

describe("an experiment run on disk", () => {
  it("data.csv has one row per point: factors, mean, spread, n, model, bound and verdict, quoted where needed", () => {
    expect(dataCsv(run)).toBe(
      [
        "rttMs,cache,mean,sd,n,min,max,model,allowed,within_bound,status",
        "0,cold,3.5,0.707,2,3,4,0,5,yes,done",
        "50,cold,195,7.071,2,190,200,150,15,no,done",
        '50,"a,b",,,0,,,0,5,not checked,error',
        "",
      ].join("\n"),
    );
  });

  it("report.md says the verdict, the bound, and each point's line, and shows the plot", () => {
    const md = reportMd(run, "2 cores, 24 GiB");
    expect(md).toMatch(/^# DNS, timed\n/);
    expect(md).toMatch(/run abc: \*\*failed\*\*\. 3 points, 2 repetition\(s\) each/);
    expect(md).toMatch(/within 10% of the model or 5 ms, whichever is larger/);
    expect(md).toContain("| 50 | cold | 195 | 7.07 | 2 | 150 | ±15 | OUTSIDE |");
    expect(md).toContain('| 50 | a,b | – | – | 0 | 0 | ±5 | error: step "lookup" error: "timeout" |');
    expect(md).toContain("![plot](plot.svg)");
  });

  it("the plot draws the measured means with ±1 sd and the model as a dashed line, by series", () => {
    const spec = plotSpec(run) as { data: { values: Record<string, unknown>[] }; layer: { mark: { type: string } ; encoding: Record<string, { field?: string }> }[] };
    expect(spec.data.values).toEqual([
      { rttMs: 0, cache: "cold", mean: 3.5, low: 3.5 - 0.7071, high: 3.5 + 0.7071, model: 0 },
      { rttMs: 50, cache: "cold", mean: 195, low: 195 - 7.0711, high: 195 + 7.0711, model: 150 },
    ]);
    expect(spec.layer.map((l) => l.mark.type)).toEqual(["line", "errorbar", "point"]);
    expect(spec.layer.every((l) => l.encoding["x"]!.field === "rttMs" && l.encoding["color"]!.field === "cache")).toBe(true);
  });
});
