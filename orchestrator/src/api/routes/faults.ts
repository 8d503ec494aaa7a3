import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { faultCapabilities } from "../../faults/capabilities.ts";
import { FaultCountersSchema, NetFaultProperties, NetFaultRequestSchema } from "../../faults/schema.ts";
import { ErrorReply } from "../schemas.ts";
import { refuseDuringRun } from "./guards.ts";
import type { AppDeps } from "../app.ts";

const ManualFaultSchema = Type.Object({
  id: Type.String(),
  service: Type.String(),
  ...NetFaultProperties,
  helper: Type.String({ description: "the helper container holding the fault in the service's network namespace" }),
  appliedAt: Type.String(),
});

const HealedSchema = Type.Object({
  fault: Type.String(),
  service: Type.String(),
  ...NetFaultProperties,
  heldMs: Type.Number(),
  counters: FaultCountersSchema,
});

const Backend = Type.Object({ backend: Type.String(), available: Type.Boolean() });
const CapabilitiesSchema = Type.Object({
  kernel: Type.Object(
    { netem: Type.Boolean(), nfqueue: Type.Boolean(), statistic: Type.Boolean(), tbf: Type.Boolean() },
    { description: "what this host's kernel offers, as a throwaway fault helper found it" },
  ),
  kinds: Type.Record(Type.String(), Backend, { description: "each fault kind: how it is applied on this host, and whether it can be" }),
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
        summary: "Apply a network fault to a service: a link profile (loss, rate, delay, jitter, duplicate, reorder, TCP window), a partition, a disconnect or a link down",
        description:
          "From a helper container in the service's network namespace. A link profile combines any of: loss (+ direction; iptables' statistic match), rateKbit (a tc tbf on each interface's egress, 100 ms of queue; on the campus router both directions of the access link), delayMs (+ jitterMs, distribution), duplicate and reorder (+ gapMs), all on what the service sends, through netem or, on kernels without it, a userspace delay line (GET /api/capabilities says which), and windowSegments (a fixed TCP window on what it sends: a locked cwnd on its routes); `to` narrows it to one peer service. partition cuts it off from other services (oneWay: only what it sends); disconnect cuts it from one of its networks; linkDown takes its interface on a network down. One fault per service at a time.",
        body: NetFaultRequestSchema,
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

  app.get(
    "/capabilities",
    {
      schema: {
        summary: "How each fault kind is applied on this host (netem, the userspace delay line, iptables, tc), and whether it can be",
        response: { 200: CapabilitiesSchema, 502: ErrorReply },
      },
    },
    async () => faultCapabilities(await deps.docker.netFaultCapabilities()),
  );

  app.delete(
    "/faults/:id",
    {
      schema: {
        summary: "Remove a network fault, and report its counters (what it dropped, sent, delayed, duplicated or reordered)",
        params: Type.Object({ id: Type.String() }),
        response: { 200: HealedSchema, 404: ErrorReply, 502: ErrorReply },
      },
    },
    async (req) => faults.heal(req.params.id),
  );
};
