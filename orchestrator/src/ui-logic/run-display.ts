/**
 * How the web UI shows a run record: a symbol beside each status word (colour is never the only
 * signal), durations, and assertion values. The record's types are the engine's (run-record.ts).
 */
import type { RunRecord, RunStatus, StepStatus } from "../engine/run-record.ts";

/** A run that has finished: nothing of it changes any more. */
export function isFinishedRun(status: RunStatus): boolean {
  return status === "passed" || status === "failed" || status === "error" || status === "aborted";
}

export const STEP_SYMBOL: Record<StepStatus, string> = {
  passed: "✓",
  failed: "✗",
  error: "✗",
  running: "…",
  pending: "○",
  skipped: "−",
};

export const RUN_SYMBOL: Record<RunStatus, string> = {
  queued: "○",
  running: "…",
  passed: "✓",
  failed: "✗",
  error: "✗",
  aborted: "−",
};

/** "850 ms", "6.3 s", "2 min 5 s"; "–" when unknown. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** An assertion's expected or actual value as JSON, cut at `max` characters with an ellipsis. */
export function formatValue(value: unknown, max = 200): string {
  if (value === undefined) return "(absent)";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** The counts of a run's steps by status, for a one-line summary. */
export function stepCounts(run: Pick<RunRecord, "steps">): Record<StepStatus, number> {
  const counts: Record<StepStatus, number> = { pending: 0, running: 0, passed: 0, failed: 0, error: 0, skipped: 0 };
  for (const s of run.steps) counts[s.status]++;
  return counts;
}
