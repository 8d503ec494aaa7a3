import { describe, expect, it } from "vitest";
import { allowed, evaluate, matches, stats } from "./model.ts";

describe("model expressions", () => {
  it.each([
    ["3 * rttMs", { rttMs: 50 }, 150],
    ["2 * rttMs + 10 / 4", { rttMs: 1 }, 4.5],
    ["(1 + 2) * 3 - -1", {}, 10],
    ["window / (rttMs / 1000) * 8 / 1e6", { window: 65536, rttMs: 100 }, 5.24288],
    ["min(a, b) + max(a, 2 * b)", { a: 3, b: 5 }, 13],
    ["0", { cache: "warm" }, 0],
  ])("%s at %j is %d", (expression, vars, value) => {
    expect(evaluate(expression, vars)).toBeCloseTo(value, 9);
  });

  it.each([
    ["3 * cache", { cache: "cold", rttMs: 1 }, /uses "cache", which is not a numeric factor; numeric factors: rttMs/],
    ["3 * rtt", { rttMs: 1 }, /uses "rtt", which is not a numeric factor/],
    ["3 +", {}, /ends too early/],
    ["(3", {}, /expected "\)"/],
    ["3 3", {}, /unexpected "3"/],
    ["3 ^ 2", {}, /cannot read "\^ 2"/],
    ["process.exit(1)", {}, /cannot read|not a numeric factor/],
    ["1 / 0", {}, /is not a finite number/],
  ])("refuses %s, saying why", (expression, vars, message) => {
    expect(() => evaluate(expression, vars)).toThrow(message);
  });
});

describe("points, statistics and the bound", () => {
  it("matches a point on every level its when names", () => {
    expect(matches({ rttMs: 50, cache: "cold" }, { cache: "cold" })).toBe(true);
    expect(matches({ rttMs: 50, cache: "cold" }, { cache: "warm" })).toBe(false);
    expect(matches({ rttMs: 50 }, undefined)).toBe(true);
    expect(matches({ rttMs: 50, cache: "cold" }, { rttMs: [0, 25, 50], cache: "cold" })).toBe(true);
    expect(matches({ rttMs: 75, cache: "cold" }, { rttMs: [0, 25, 50] })).toBe(false);
  });

  it("gives mean, sample standard deviation, n, min and max", () => {
    expect(stats([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ n: 8, mean: 5, sd: expect.closeTo(2.138, 3) as number, min: 2, max: 9 });
    expect(stats([3])).toEqual({ n: 1, mean: 3, sd: 0, min: 3, max: 3 });
    expect(stats([]).n).toBe(0);
  });

  it("allows the larger of the relative and the absolute bound", () => {
    expect(allowed(300, { relative: 0.1, absolute: 5 })).toBe(30);
    expect(allowed(20, { relative: 0.1, absolute: 5 })).toBe(5);
  });
});
