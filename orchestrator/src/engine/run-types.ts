import type { RunStatus } from "./run-record.ts";

// The run record's shape is declared once, as a schema, in run-record.ts.
export type { CaptureRecord, CleanupRecord, ErrorInfo, RunRecord, RunStatus, StepRecord, StepStatus } from "./run-record.ts";

export const FINISHED_RUN_STATUSES: readonly RunStatus[] = ["passed", "failed", "error", "aborted"];

export function isFinished(status: RunStatus): boolean {
  return FINISHED_RUN_STATUSES.includes(status);
}
