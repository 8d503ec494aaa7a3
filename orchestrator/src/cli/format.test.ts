import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { helpText, runSummary, stepLine, table, transcriptText, type RunView } from "./format.ts";

describe("CLI formatting", () => {
  it("pads table columns to the widest cell", () => {
    expect(table(["service", "health"], [["dns-root", "healthy"], ["bob", "starting"]])).toBe(
      ["service   health", "dns-root  healthy", "bob       starting"].join("\n"),
    );
  });

  it("shows a failed step with its failed assertions under it", () => {
    expect(
      stepLine({
        id: "auth-queries",
        status: "failed",
        durationMs: 12,
        assertions: [{ passed: true, message: "fine" }, { passed: false, message: "count equals 1: got 2" }],
        transcript: [],
      }),
    ).toBe("FAIL auth-queries (12 ms)\n       count equals 1: got 2");
  });

  it("prints a transcript in C:/S: form, naming each server as the exchange moves to it", () => {
    expect(
      transcriptText({
        id: "x",
        status: "passed",
        assertions: [],
        transcript: [
          { dir: "C", peer: "10.0.0.10:53", text: "a? rd=0" },
          { dir: "*", peer: "10.0.0.10:53", text: "timeout" },
          { dir: "S", peer: "10.0.0.10:53", text: "referral" },
          { dir: "C", peer: "10.0.0.11:53", text: "a? rd=0" },
        ],
      }),
    ).toBe("  [10.0.0.10:53]\n  C: a? rd=0\n   * timeout\n  S: referral\n  [10.0.0.11:53]\n  C: a? rd=0");
  });

  it("summarises a run with its counts and cleanup", () => {
    const run: RunView = {
      id: "ab12",
      scenario: "dns-resolution",
      status: "failed",
      durationMs: 7348,
      steps: [
        { id: "a", status: "passed", assertions: [], transcript: [] },
        { id: "b", status: "failed", assertions: [], transcript: [] },
        { id: "c", status: "skipped", assertions: [], transcript: [] },
      ],
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
