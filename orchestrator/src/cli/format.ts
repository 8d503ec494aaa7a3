/** Pure text rendering for the CLI: tables, run progress, transcripts. */
import type { RunRecord, StepRecord } from "../engine/run-record.ts";

/** What the CLI prints is the run record as the API sends it (main.ts still names it RunView). */
export type RunView = RunRecord;

const MARK: Record<string, string> = { passed: "ok  ", failed: "FAIL", error: "ERR ", skipped: "skip", running: "... ", pending: "    " };

/** The help: the text of the doc comment that opens the CLI's source, without its comment marks. */
export function helpText(source: string): string {
  const lines = source.split("\n");
  const end = lines.findIndex((l) => l.trim() === "*/");
  return lines
    .slice(1, end === -1 ? undefined : end)
    .map((l) => l.replace(/^ \*\s?/, ""))
    .join("\n");
}

/** A plain-text table: columns padded to their widest cell. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** One line for a finished (or failed) step, plus its failed assertions or error underneath. */
export function stepLine(step: StepRecord): string {
  const ms = step.durationMs === undefined ? "" : ` (${step.durationMs} ms)`;
  const lines = [`${MARK[step.status] ?? step.status} ${step.id}${step.title ? `: ${step.title}` : ""}${ms}`];
  if (step.error) lines.push(`       ${step.error.message}`);
  for (const a of step.assertions.filter((x) => !x.passed)) lines.push(`       ${a.message}`);
  return lines.join("\n");
}

/** The transcript of a step in the textbook's C:/S: form, with a `[peer]` line wherever the peer changes. */
export function transcriptText(step: Pick<StepRecord, "transcript">): string {
  const out: string[] = [];
  let peer: string | undefined;
  for (const l of step.transcript) {
    if (l.peer !== peer) out.push(`  [${(peer = l.peer)}]`);
    out.push(`  ${l.dir === "*" ? " *" : `${l.dir}:`} ${l.text}`);
  }
  return out.join("\n");
}

/** The closing summary of a run. */
export function runSummary(run: RunRecord): string {
  const count = (s: StepRecord["status"]) => run.steps.filter((x) => x.status === s).length;
  const lines = [
    `${run.scenario} (run ${run.id}): ${run.status.toUpperCase()}${run.durationMs === undefined ? "" : ` in ${(run.durationMs / 1000).toFixed(1)} s`}` +
      ` — ${count("passed")} passed, ${count("failed")} failed, ${count("error")} errors, ${count("skipped")} skipped`,
  ];
  if (run.error) lines.push(`  ${run.error.message}`);
  for (const c of run.cleanup) lines.push(`  cleanup: ${c.ok ? "" : "FAILED "}${c.message}`);
  return lines.join("\n");
}
