import { Type } from "typebox";

/** Response schemas shared by the routes; they also make up the OpenAPI document. */

/** The record of a scenario run, declared with the engine that fills it in. */
export { RunRecordSchema } from "../engine/run-record.ts";

export const ErrorReply = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String({ description: "a stable error code, e.g. UNKNOWN_SERVICE, INVALID_INPUT" }),
    message: Type.String({ description: "what is wrong and what to do, with the valid choices where there are any" }),
    details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { $id: "ErrorReply" },
);

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
      profiles: Type.Optional(Type.Array(Type.String(), { description: "compose profiles: a service in one is on demand (the diskless VM): not started with the lab, started by a scenario" })),
      state: Type.String({ description: "running, exited, paused, ... or absent when no container exists" }),
      health: Type.String(),
    }),
  ),
});

export const ScenarioSummary = Type.Object({
  name: Type.String(),
  file: Type.String(),
  valid: Type.Boolean(),
  title: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  steps: Type.Optional(Type.Integer()),
  errors: Type.Array(Type.String()),
});
