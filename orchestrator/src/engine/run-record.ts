import { Type, type Static } from "typebox";
import { STEP_KINDS } from "../scenarios/schema.ts";

/**
 * The record of a scenario run: the one declaration of its shape. The engine fills it in, the API
 * answers with it (its schema is the response schema and part of the OpenAPI document), and the
 * CLI and the JUnit report read it. The types are derived from the schemas.
 */

export const RUN_STATUSES = ["queued", "running", "passed", "failed", "error", "aborted"] as const;
export const STEP_STATUSES = ["pending", "running", "passed", "failed", "error", "skipped"] as const;

export const RunStatusSchema = Type.Enum([...RUN_STATUSES], {
  description: "queued: waiting for the lab; running; passed: every step passed; failed: an assertion failed; error: a step or the run could not be carried out (or a fault could not be undone); aborted: stopped by a request",
});
export const StepStatusSchema = Type.Enum([...STEP_STATUSES], {
  description: "pending: not started; running; passed; failed: an assertion failed; error: the step could not be carried out; skipped: not run, because an earlier step failed or the run ended",
});

export const ErrorInfoSchema = Type.Object(
  {
    code: Type.String({ description: "a stable error code, e.g. PROBE_FAILED, ASSERTION_FAILED, CLEANUP_FAILED" }),
    message: Type.String({ description: "what went wrong, for a person" }),
  },
  { description: "Why a step or a run ended in error." },
);

export const TranscriptLineSchema = Type.Object(
  {
    dir: Type.Enum(["C", "S", "*"], { description: "C: the client sent it; S: the server answered it; *: a note (a timeout, a retransmission, a switch to TCP)" }),
    peer: Type.String({ description: 'the server this line was sent to or came from, as "address:port" or a host name' }),
    text: Type.String({ description: "one line of the exchange" }),
    atMs: Type.Number({ description: "milliseconds since the probe started" }),
  },
  { description: "One line of a protocol transcript in the textbook's C:/S: form." },
);

export const AssertionRecordSchema = Type.Object(
  {
    path: Type.String({ description: "the path into the step's result the assertion reads, e.g. answers.0.data" }),
    op: Type.String({ description: "the operator: equals, lessThan, matches, ..." }),
    expected: Type.Optional(Type.Unknown({ description: "the expected value, with a ref already resolved; absent when the ref could not be resolved" })),
    actual: Type.Optional(Type.Unknown({ description: "the value found at the path; absent when the path found nothing" })),
    passed: Type.Boolean(),
    message: Type.String({ description: "the assertion and what was found, e.g. 'rcode equals NOERROR: got SERVFAIL'" }),
  },
  { description: "One assertion of a step, judged." },
);

export const StepRecordSchema = Type.Object(
  {
    id: Type.String({ description: "the step's id in the scenario file" }),
    kind: Type.Enum([...STEP_KINDS], { description: "the step's kind, named by the key that marks it in the scenario file" }),
    title: Type.Optional(Type.String({ description: "the step's title in the scenario file" })),
    status: StepStatusSchema,
    startedAt: Type.Optional(Type.String({ description: "when the step started (ISO 8601)" })),
    durationMs: Type.Optional(Type.Number({ description: "how long the step took, in milliseconds" })),
    result: Type.Optional(
      Type.Unknown({
        description: "probe: its data; exec: { exitCode, stdout, stderr }; service: the service's state after the action; wait: { waitedMs }; reconcile: { sent, received, lost, ... }; heal: { fault, service, heldMs, counters }",
      }),
    ),
    assertions: Type.Array(AssertionRecordSchema, { description: "the step's assertions, in the order of the scenario file" }),
    transcript: Type.Array(TranscriptLineSchema, { description: "a probe's exchange with the servers; empty for other kinds" }),
    error: Type.Optional(ErrorInfoSchema),
  },
  { description: "One step of a run." },
);

export const CleanupRecordSchema = Type.Object(
  {
    service: Type.String({ description: "the service whose fault was undone" }),
    action: Type.String({ description: '"start", "unpause", "remove loss 10% both", "remove rate 1500 kbit/s", or "none" when the service needed nothing' }),
    ok: Type.Boolean({ description: "the fault was undone (and a started service is healthy)" }),
    message: Type.String({ description: "what was done, or why it failed" }),
  },
  { description: "One fault undone at the end of a run." },
);

export const CaptureRecordSchema = Type.Object(
  {
    services: Type.Array(Type.String(), { description: "the services whose network namespaces were captured" }),
    filter: Type.Optional(Type.String({ description: "the BPF filter the capture used, if any" })),
    packets: Type.Integer({ minimum: 0, description: "packets captured so far" }),
    bytes: Type.Integer({ minimum: 0, description: "captured bytes so far" }),
    limitBytes: Type.Integer({ minimum: 0, description: "the most bytes the capture keeps" }),
    truncated: Type.Boolean({ description: "the limit was reached and later packets were not kept" }),
    pcap: Type.Boolean({ description: "a pcapng file of the capture can be downloaded from GET /api/runs/:id/pcap" }),
    errors: Type.Array(Type.String(), { description: "what went wrong in the capture, one message each" }),
  },
  { description: "The packet capture of a run, when one was asked for." },
);

export const RunRecordSchema = Type.Object(
  {
    id: Type.String({ description: "the run's id" }),
    scenario: Type.String({ description: "the name of the scenario run" }),
    status: RunStatusSchema,
    createdAt: Type.String({ description: "when the run was queued (ISO 8601)" }),
    startedAt: Type.Optional(Type.String({ description: "when the run started (ISO 8601)" })),
    finishedAt: Type.Optional(Type.String({ description: "when the run finished (ISO 8601)" })),
    durationMs: Type.Optional(Type.Number({ description: "how long the run took, in milliseconds" })),
    steps: Type.Array(StepRecordSchema, { description: "the scenario's steps, in order" }),
    cleanup: Type.Array(CleanupRecordSchema, { description: "the faults undone at the end of the run" }),
    capture: Type.Optional(CaptureRecordSchema),
    error: Type.Optional(ErrorInfoSchema),
  },
  { $id: "RunRecord", description: "A scenario run: its status, each step's timing, result, assertions and transcript, and the cleanup." },
);

export type RunStatus = Static<typeof RunStatusSchema>;
export type StepStatus = Static<typeof StepStatusSchema>;
export type ErrorInfo = Static<typeof ErrorInfoSchema>;
export type TranscriptLineRecord = Static<typeof TranscriptLineSchema>;
export type AssertionRecord = Static<typeof AssertionRecordSchema>;
export type StepRecord = Static<typeof StepRecordSchema>;
export type CleanupRecord = Static<typeof CleanupRecordSchema>;
export type CaptureRecord = Static<typeof CaptureRecordSchema>;
export type RunRecord = Static<typeof RunRecordSchema>;
