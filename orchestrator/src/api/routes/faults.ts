import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { LOSS_DIRECTIONS } from "../../docker/net-fault-args.ts";
import { ErrorReply } from "../schemas.ts";
import { refuseDuringRun } from "./guards.ts";
import type { AppDeps } from "../app.ts";

const ManualFaultSchema = Type.Object({
  id: Type.String(),
  service: Type.String(),
  loss: Type.Number({ description: "percent of packets dropped at random" }),
  direction: Type.String({ description: LOSS_DIRECTIONS.join(", ") }),
  helper: Type.String({ description: "the helper container holding the fault in the service's network namespace" }),
  appliedAt: Type.String(),
});

const Counters = Type.Union([
  Type.Object({ ingressSeen: Type.Integer(), ingressDropped: Type.Integer(), egressSeen: Type.Integer(), egressDropped: Type.Integer(), measuredPercent: Type.Number() }),
  Type.Null(),
]);

const HealedSchema = Type.Object({
  fault: Type.String(),
  service: Type.String(),
  loss: Type.Number(),
  direction: Type.String(),
  heldMs: Type.Number(),
  counters: Counters,
});

/**
 * Network faults by hand, for experiments outside scenarios. Scenario runs apply and remove their
 * own (fault and heal steps); these stay until DELETE removes them or the orchestrator stops.
 */
export const faultRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  const faults = deps.faults;
  app.get("/faults", { schema: { summary: "The network faults applied by hand", response: { 200: Type.Array(ManualFaultSchema) } } }, async () => faults.list());

  app.post(
    "/faults",
    {
      schema: {
        summary: "Apply random packet loss to a service's traffic",
        description: "iptables' statistic match, from a helper container in the service's network namespace. One fault per service at a time.",
        body: Type.Object(
          {
            service: Type.String({ minLength: 1 }),
            loss: Type.Number({ description: "percent, more than 0 and at most 100" }),
            direction: Type.Optional(Type.String({ description: `${LOSS_DIRECTIONS.join(", ")} (default both)` })),
          },
          { additionalProperties: false },
        ),
        response: { 201: ManualFaultSchema, 400: ErrorReply, 404: ErrorReply, 409: ErrorReply, 502: ErrorReply },
      },
    },
    async (req, reply) => {
      deps.topology.service(req.body.service);
      refuseDuringRun(deps.engine, `a fault applied to ${req.body.service}`);
      const fault = await faults.apply(req.body);
      return reply.code(201).send(fault);
    },
  );

  app.delete(
    "/faults/:id",
    {
      schema: {
        summary: "Remove a network fault, and report what it dropped",
        params: Type.Object({ id: Type.String() }),
        response: { 200: HealedSchema, 404: ErrorReply, 502: ErrorReply },
      },
    },
    async (req) => faults.heal(req.params.id),
  );
};
