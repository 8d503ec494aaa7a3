import { describe, expect, it } from "vitest";
import { allPoints, metricValues, modelAt, planPoints, pointScenario, substitute } from "./plan.ts";
import type { Experiment } from "./schema.ts";

const exp: Experiment = {
  name: "demo",
  title: "Demo",
  factors: [
    { name: "rttMs", levels: [0, 25, 50] },
    { name: "cache", levels: ["cold", "warm"] },
  ],
  repetitions: 3,
  steps: [
    { id: "delay", fault: { service: "dns-root", delayMs: "${rttMs}" } },
    { id: "warm-up", when: { cache: "warm" }, probe: "dns", with: { name: "x.${cache}.example" } },
  ],
  measure: {
    steps: [
      { id: "flush", when: { cache: "cold" }, exec: "dns-resolver", command: ["unbound-control", "flush_zone", "edu."] },
      { id: "lookup", probe: "dns", with: { name: "www.${run.id}.example" } },
    ],
    metric: { step: "lookup", path: "rttMs", name: "resolution time", unit: "ms" },
  },
  model: [
    { when: { cache: "cold" }, expression: "3 * rttMs" },
    { expression: "0" },
  ],
  bound: { relative: 0.1, absolute: 5 },
};

describe("an experiment's plan", () => {
  it("has every combination of levels, the first factor varying slowest", () => {
    expect(allPoints(exp.factors)).toEqual([
      { rttMs: 0, cache: "cold" },
      { rttMs: 0, cache: "warm" },
      { rttMs: 25, cache: "cold" },
      { rttMs: 25, cache: "warm" },
      { rttMs: 50, cache: "cold" },
      { rttMs: 50, cache: "warm" },
    ]);
  });

  it("--quick takes the first and last level of the first factor and the first of the others, or the levels it names", () => {
    expect(planPoints(exp, true)).toEqual([{ rttMs: 0, cache: "cold" }, { rttMs: 50, cache: "cold" }]);
    expect(planPoints({ ...exp, quick: { cache: ["warm"] } }, true)).toEqual([{ rttMs: 0, cache: "warm" }, { rttMs: 50, cache: "warm" }]);
    expect(planPoints(exp, false)).toHaveLength(6);
  });

  it("puts a point's levels in, keeping a whole ${factor}'s type and leaving the run's own templates", () => {
    expect(substitute({ a: "${rttMs}", b: "x-${rttMs}-${cache}", c: "${run.id}", d: ["${cache}"], e: 7 }, { rttMs: 25, cache: "cold" })).toEqual({
      a: 25,
      b: "x-25-cold",
      c: "${run.id}",
      d: ["cold"],
      e: 7,
    });
  });

  it("makes a point's scenario: its steps where their when matches, then the measurement repeated with -r ids", () => {
    const cold = pointScenario(exp, { rttMs: 25, cache: "cold" }, 2);
    expect(cold).toEqual({
      name: "demo",
      title: "Demo: rttMs=25, cache=cold",
      steps: [
        { id: "delay", fault: { service: "dns-root", delayMs: 25 } },
        { id: "flush-r1", exec: "dns-resolver", command: ["unbound-control", "flush_zone", "edu."] },
        { id: "lookup-r1", probe: "dns", with: { name: "www.${run.id}.example" } },
        { id: "flush-r2", exec: "dns-resolver", command: ["unbound-control", "flush_zone", "edu."] },
        { id: "lookup-r2", probe: "dns", with: { name: "www.${run.id}.example" } },
      ],
    });
    const warm = pointScenario({ ...exp, timeoutMs: 60_000 }, { rttMs: 0, cache: "warm" }, 1);
    expect((warm["steps"] as { id: string }[]).map((s) => s.id)).toEqual(["delay", "warm-up", "lookup-r1"]);
    expect(warm["timeoutMs"]).toBe(60_000);
  });

  it("reads the metric of each passed repetition, and leaves out the others", () => {
    const steps = [
      { id: "lookup-r1", status: "passed", result: { rttMs: 75.5 } },
      { id: "lookup-r2", status: "failed", result: { rttMs: 1 } },
      { id: "lookup-r3", status: "passed", result: { rttMs: "slow" } },
    ];
    expect(metricValues(exp, steps, 4)).toEqual([75.5]);
  });

  it("takes the first model whose when matches", () => {
    expect(modelAt(exp, { rttMs: 50, cache: "cold" })).toBe(150);
    expect(modelAt(exp, { rttMs: 50, cache: "warm" })).toBe(0);
    expect(() => modelAt({ ...exp, model: [{ when: { cache: "cold" }, expression: "1" }] }, { rttMs: 0, cache: "warm" })).toThrow(/no model applies at rttMs=0, cache=warm/);
  });
});
