import { Type } from "typebox";

/** Response schemas shared by the routes; they also make up the OpenAPI document. */

export const ErrorReply = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String({ description: "a stable error code, e.g. UNKNOWN_SERVICE, INVALID_INPUT" }),
    message: Type.String({ description: "what is wrong and what to do, with the valid choices where there are any" }),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: "ErrorReply" },
);

const ErrorInfo = Type.Object({ code: Type.String(), message: Type.String() });

export const ServiceStateSchema = Type.Object({
  service: Type.String(),
  container: Type.String(),
  state: Type.String({ description: "Docker's container state: running, exited, paused, ..." }),
  health: Type.String({ description: "healthy, unhealthy, starting, or none" }),
  networks: Type.Array(Type.Object({ name: Type.String(), ipv4: Type.String() })),
});

export const TopologyReply = Type.Object({
  project: Type.String(),
  networks: Type.Array(
    Type.Object({
      name: Type.String(),
      subnet: Type.String(),
      internal: Type.Boolean(),
      private: Type.Boolean({ description: "a private network (a domain's mail backend): no probe may aim at it" }),
      description: Type.String(),
    }),
  ),
  services: Type.Array(
    Type.Object({
      name: Type.String(),
      hostnames: Type.Array(Type.String()),
      role: Type.String(),
      description: Type.String(),
      networks: Type.Array(Type.Object({ network: Type.String(), ipv4: Type.String() })),
      state: Type.String({ description: "running, exited, paused, ... or absent when no container exists" }),
      health: Type.String(),
    }),
  ),
});

const TranscriptLine = Type.Object({ dir: Type.String(), peer: Type.String(), text: Type.String(), atMs: Type.Number() });

const AssertionRecord = Type.Object({
  path: Type.String(),
  op: Type.String(),
  expected: Type.Optional(Type.Unknown()),
  // Absent when the path found nothing.
  actual: Type.Optional(Type.Unknown()),
  passed: Type.Boolean(),
  message: Type.String(),
});

const StepRecord = Type.Object({
  id: Type.String(),
  kind: Type.String(),
  title: Type.Optional(Type.String()),
  status: Type.String(),
  startedAt: Type.Optional(Type.String()),
  durationMs: Type.Optional(Type.Number()),
  result: Type.Optional(Type.Unknown()),
  assertions: Type.Array(AssertionRecord),
  transcript: Type.Array(TranscriptLine),
  error: Type.Optional(ErrorInfo),
});

export const RunRecordSchema = Type.Object(
  {
    id: Type.String(),
    scenario: Type.String(),
    status: Type.String({ description: "queued, running, passed, failed, error or aborted" }),
    createdAt: Type.String(),
    startedAt: Type.Optional(Type.String()),
    finishedAt: Type.Optional(Type.String()),
    durationMs: Type.Optional(Type.Number()),
    steps: Type.Array(StepRecord),
    cleanup: Type.Array(
      Type.Object({ service: Type.String(), action: Type.String(), ok: Type.Boolean(), message: Type.String() }),
    ),
    error: Type.Optional(ErrorInfo),
  },
  { $id: "RunRecord" },
);

export const ScenarioSummary = Type.Object({
  name: Type.String(),
  file: Type.String(),
  valid: Type.Boolean(),
  title: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  steps: Type.Optional(Type.Integer()),
  errors: Type.Array(Type.String()),
});
