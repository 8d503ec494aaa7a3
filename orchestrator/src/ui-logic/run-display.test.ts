import { describe, expect, it } from "vitest";
import { RUN_STATUSES, STEP_STATUSES } from "../engine/run-record.ts";
import { formatDuration, formatValue, isFinishedRun, RUN_SYMBOL, STEP_SYMBOL, stepCounts } from "./run-display.ts";

describe("how the UI shows a run", () => {
  it("finishes a run exactly when the engine does", async () => {
    const { isFinished } = await import("../engine/run-types.ts");
    for (const s of RUN_STATUSES) expect(isFinishedRun(s), s).toBe(isFinished(s));
  });

  it("gives every status a symbol, and the step statuses the ones the brief names", () => {
    for (const s of STEP_STATUSES) expect(STEP_SYMBOL[s]).toMatch(/\S/);
    for (const s of RUN_STATUSES) expect(RUN_SYMBOL[s]).toMatch(/\S/);
    expect([STEP_SYMBOL.passed, STEP_SYMBOL.failed, STEP_SYMBOL.running, STEP_SYMBOL.pending, STEP_SYMBOL.skipped]).toEqual(["✓", "✗", "…", "○", "−"]);
  });

  it.each([
    [undefined, "–"],
    [0, "0 ms"],
    [12.4, "12 ms"],
    [999, "999 ms"],
    [6280, "6.3 s"],
    [125_000, "2 min 5 s"],
  ])("formats %s ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("shows values as JSON, cut with an ellipsis, and says when one is absent", () => {
    expect(formatValue("NOERROR")).toBe('"NOERROR"');
    expect(formatValue([".", "edu."])).toBe('[".","edu."]');
    expect(formatValue(undefined)).toBe("(absent)");
    expect(formatValue(null)).toBe("null");
    const long = formatValue("x".repeat(500), 50);
    expect(long).toHaveLength(50);
    expect(long.endsWith("…")).toBe(true);
  });

  it("counts steps by status", () => {
    const steps = (["passed", "passed", "failed", "skipped"] as const).map((status) => ({ status }));
    expect(stepCounts({ steps } as never)).toEqual({ pending: 0, running: 0, passed: 2, failed: 1, error: 0, skipped: 1 });
  });
});
