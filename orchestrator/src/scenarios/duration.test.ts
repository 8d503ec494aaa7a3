import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.ts";

describe("parseDuration", () => {
  it.each([
    ["500ms", 500],
    ["2s", 2000],
    ["1.5s", 1500],
    ["1m", 60_000],
    ["1h", 3_600_000],
    ["0s", 0],
    [250, 250],
    [0, 0],
  ] as const)("%j is %d ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(["2 seconds", "2", "s", "-1s", "1d", ""])("rejects %j and shows how to write one", (input) => {
    expect(() => parseDuration(input)).toThrow(/write it like "500ms", "2s", "1m"/);
  });

  it.each([-1, Number.NaN, Number.POSITIVE_INFINITY])("rejects the number %d", (input) => {
    expect(() => parseDuration(input)).toThrow(/not a number of milliseconds/);
  });

  it.each([["2h", 7_200_000], ["61m", 3_660_000], [3_600_001, 3_600_001], ["2147483648ms", 2_147_483_648]] as const)(
    "rejects %j (%d ms): a wait is 1 hour at most, and Node's timers fire at once past 2^31-1 ms",
    (input, ms) => {
      expect(() => parseDuration(input)).toThrow(`${JSON.stringify(input)} is ${ms} ms, longer than the longest wait, 3600000 ms (1h)`);
    },
  );
});
