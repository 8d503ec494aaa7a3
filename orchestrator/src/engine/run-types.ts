import type { TranscriptLine } from "../probes/transcript.ts";
import type { AssertionRecord } from "../scenarios/assertions.ts";
import type { StepKind } from "../scenarios/schema.ts";

export type RunStatus = "queued" | "running" | "passed" | "failed" | "error" | "aborted";
export type StepStatus = "pending" | "running" | "passed" | "failed" | "error" | "skipped";

export const FINISHED_RUN_STATUSES: readonly RunStatus[] = ["passed", "failed", "error", "aborted"];

export interface ErrorInfo {
  code: string;
  message: string;
}

export interface StepRecord {
  id: string;
  kind: StepKind;
  title?: string;
  status: StepStatus;
  startedAt?: string;
  durationMs?: number;
  /** Probe: its data; exec: { exitCode, stdout, stderr }; service: the service's state after the action; wait: { waitedMs }. */
  result?: unknown;
  assertions: AssertionRecord[];
  transcript: TranscriptLine[];
  error?: ErrorInfo;
}

/** One fault undone at the end of a run. */
export interface CleanupRecord {
  service: string;
  /** "start", "unpause", "remove loss 10% both", "remove rate 1500 kbit/s", or "none" when the service needed nothing. */
  action: string;
  ok: boolean;
  message: string;
}

export interface RunRecord {
  id: string;
  scenario: string;
  status: RunStatus;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  steps: StepRecord[];
  cleanup: CleanupRecord[];
  error?: ErrorInfo;
}

export function isFinished(status: RunStatus): boolean {
  return FINISHED_RUN_STATUSES.includes(status);
}
