import { describe, expect, it } from "vitest";
import { parseExperimentCommand, pointLine } from "./experiments.ts";
import { renderSvg } from "./plot.ts";
import { plotSpec } from "../experiments/report.ts";

describe("l7lab experiment", () => {
  it.each([
    [["list"], { op: "list" }],
    [["run", "dns-latency"], { op: "run", name: "dns-latency", quick: false }],
    [["run", "dns-latency", "--quick", "--out", "/tmp/x"], { op: "run", name: "dns-latency", quick: true, out: "/tmp/x" }],
  ])("%j", (args, command) => {
    expect(parseExperimentCommand(args)).toEqual(command);
  });

  it.each([
    [[], /^usage:/],
    [["run"], /takes one experiment name/],
    [["run", "a", "b"], /takes one experiment name/],
    [["run", "a", "--fast"], /unknown option --fast; valid: --quick, --out DIR/],
    [["run", "a", "--out"], /--out needs a directory/],
    [["plot", "a"], /unknown experiment command "plot a"/],
  ])("refuses %j", (args, message) => {
    expect(() => parseExperimentCommand(args)).toThrow(message);
  });

  it("says each point as it is measured", () => {
    const base = { point: { rttMs: 25, cache: "cold" }, values: [78, 79], model: 75, allowed: 7.5, checked: true };
    expect(pointLine({ ...base, status: "done", stats: { n: 2, mean: 78.5, sd: 0.707, min: 78, max: 79 }, withinBound: true }, 1, 10, "ms")).toBe(
      "point 2/10 rttMs=25, cache=cold: 78.5 ms (sd 0.71, n 2); model 75 ±7.5: within",
    );
    expect(pointLine({ ...base, status: "error", error: "no repetition gave the metric" }, 0, 2, "ms")).toBe("point 1/2 rttMs=25, cache=cold: error (no repetition gave the metric)");
  });

  it("draws the plot headless as SVG, with its title and axes", async () => {
    const svg = await renderSvg(
      plotSpec({
        id: "r", name: "e", title: "A plot", quick: true, repetitions: 1, status: "passed", startedAt: "", factors: [{ name: "rttMs", unit: "ms" }], metric: { name: "time", unit: "ms" }, bound: { relative: 0.1, absolute: 1 },
        points: [0, 50, 100].map((x) => ({ point: { rttMs: x }, status: "done" as const, values: [3 * x], stats: { n: 1, mean: 3 * x, sd: 0, min: 3 * x, max: 3 * x }, model: 3 * x, allowed: 1, checked: true, withinBound: true })),
      }),
    );
    expect(svg).toMatch(/^<svg /);
    expect(svg).toContain("A plot");
    expect(svg).toContain("rttMs (ms)");
    expect(svg).toContain("time (ms)");
  });
});
