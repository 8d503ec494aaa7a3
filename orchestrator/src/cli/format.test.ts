import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import type { RunRecord, StepRecord } from "../engine/run-record.ts";
import { helpText, runSummary, stepLine, table, transcriptText } from "./format.ts";

const step = (fields: Pick<StepRecord, "id" | "status"> & Partial<StepRecord>): StepRecord => ({ kind: "probe", assertions: [], transcript: [], ...fields });
const assertion = (passed: boolean, message: string) => ({ path: "count", op: "equals", expected: 1, actual: passed ? 1 : 2, passed, message });

describe("CLI formatting", () => {
  it("pads table columns to the widest cell", () => {
    expect(table(["service", "health"], [["dns-root", "healthy"], ["bob", "starting"]])).toBe(
      ["service   health", "dns-root  healthy", "bob       starting"].join("\n"),
    );
  });

  it("shows a failed step with its failed assertions under it", () => {
    expect(
      stepLine(step({ id: "auth-queries", status: "failed", durationMs: 12, assertions: [assertion(true, "fine"), assertion(false, "count equals 1: got 2")] })),
    ).toBe("FAIL auth-queries (12 ms)\n       count equals 1: got 2");
  });

  it("prints a transcript in C:/S: form, naming each server as the exchange moves to it", () => {
    expect(
      transcriptText({
        transcript: [
          { dir: "C", peer: "10.0.0.10:53", text: "a? rd=0", atMs: 0 },
          { dir: "*", peer: "10.0.0.10:53", text: "timeout", atMs: 1000 },
          { dir: "S", peer: "10.0.0.10:53", text: "referral", atMs: 1001 },
          { dir: "C", peer: "10.0.0.11:53", text: "a? rd=0", atMs: 1002 },
        ],
      }),
    ).toBe("  [10.0.0.10:53]\n  C: a? rd=0\n   * timeout\n  S: referral\n  [10.0.0.11:53]\n  C: a? rd=0");
  });

  it("summarises a run with its counts and cleanup", () => {
    const run: RunRecord = {
      id: "ab12",
      scenario: "dns-resolution",
      status: "failed",
      createdAt: "2025-01-01T00:00:00.000Z",
      durationMs: 7348,
      steps: [step({ id: "a", status: "passed" }), step({ id: "b", status: "failed" }), step({ id: "c", status: "skipped" })],
      cleanup: [{ service: "dns-hamburger-1", action: "start", ok: true, message: "started dns-hamburger-1; it is healthy" }],
    };
    expect(runSummary(run)).toBe(
      "dns-resolution (run ab12): FAILED in 7.3 s — 1 passed, 1 failed, 0 errors, 1 skipped\n  cleanup: started dns-hamburger-1; it is healthy",
    );
  });

  it("takes the help from the doc comment that opens the CLI, every command in it", () => {
    expect(helpText("/**\n * The CLI.\n *\n *   a   does a\n */\nimport x;\n/** not this */\n")).toBe("The CLI.\n\n  a   does a");
    const help = helpText(readFileSync(new URL("./main.ts", import.meta.url), "utf8"));
    expect(help).toMatch(/^The l7lab CLI/);
    expect(help).toMatch(/l7lab fault partition <service> <peer>/);
    expect(help).toMatch(/l7lab fault list \| heal <id> \| heal --all \| capabilities/);
    expect(help.split("\n").at(-1)).toMatch(/l7lab experiment list \| run <name> \[--quick\] \[--out DIR\]/);
  });
});
