import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { LOSS_DIRECTIONS, RATE_KBIT_MAX, RATE_KBIT_MIN } from "../../faults/net-fault-args.ts";
import { ErrorReply } from "../schemas.ts";
import { refuseDuringRun } from "./guards.ts";
import type { AppDeps } from "../app.ts";

const ManualFaultSchema = Type.Object({
  id: Type.String(),
  service: Type.String(),
  loss: Type.Optional(Type.Number({ description: "loss faults: percent of packets dropped at random" })),
  direction: Type.Optional(Type.String({ description: `loss faults: ${LOSS_DIRECTIONS.join(", ")}` })),
  rateKbit: Type.Optional(Type.Integer({ description: "rate faults: the most the service sends, in kbit/s, on each of its interfaces" })),
  helper: Type.String({ description: "the helper container holding the fault in the service's network namespace" }),
  appliedAt: Type.String(),
});

const Counters = Type.Union([
  Type.Object(
    { ingressSeen: Type.Integer(), ingressDropped: Type.Integer(), egressSeen: Type.Integer(), egressDropped: Type.Integer(), measuredPercent: Type.Number() },
    { description: "loss faults: packets seen and dropped each way" },
  ),
  Type.Object(
    { sentBytes: Type.Integer(), sentPackets: Type.Integer(), dropped: Type.Integer(), overlimits: Type.Integer() },
    { description: "rate faults: what the shaper sent, dropped (queue full), and how often it held a packet back (overlimits)" },
  ),
  Type.Null(),
]);

const HealedSchema = Type.Object({
  fault: Type.String(),
  service: Type.String(),
  loss: Type.Optional(Type.Number()),
  direction: Type.Optional(Type.String()),
  rateKbit: Type.Optional(Type.Integer()),
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
        summary: "Apply random packet loss or a rate limit to a service's traffic",
        description:
          "From a helper container in the service's network namespace. Either { service, loss, direction }: random loss (iptables' statistic match); or { service, rateKbit }: a rate limit like an access link (a tc tbf on the egress of each of its interfaces, 100 ms of queue; on the campus router both directions of the access link). One fault per service at a time.",
        body: Type.Object(
          {
            service: Type.String({ minLength: 1 }),
            loss: Type.Optional(Type.Number({ description: "percent, from 0.0001 to 100; give either loss or rateKbit" })),
            direction: Type.Optional(Type.String({ description: `with loss only: ${LOSS_DIRECTIONS.join(", ")} (default both)` })),
            rateKbit: Type.Optional(Type.Number({ description: `kbit/s, a whole number from ${RATE_KBIT_MIN} to ${RATE_KBIT_MAX}; give either loss or rateKbit` })),
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
        summary: "Remove a network fault, and report its counters (what it dropped; for a rate limit, what it sent)",
        params: Type.Object({ id: Type.String() }),
        response: { 200: HealedSchema, 404: ErrorReply, 502: ErrorReply },
      },
    },
    async (req) => faults.heal(req.params.id),
  );
};
