import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { systemClock } from "../../common/clock.ts";
import { InvalidInputError } from "../../common/errors.ts";
import { probeParams } from "../../scenarios/probe-params.ts";
import { refuseDuringRun } from "./guards.ts";
import { ErrorReply } from "../schemas.ts";
import type { AppDeps } from "../app.ts";

const TranscriptLine = Type.Object({ dir: Type.String(), peer: Type.String(), text: Type.String(), atMs: Type.Number() });

export const probeRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.get(
    "/probes",
    {
      schema: {
        summary: "The probes a scenario step can call, with the JSON schema of their parameters",
        response: { 200: Type.Array(Type.Object({ name: Type.String(), description: Type.String(), params: Type.Unknown() })) },
      },
    },
    async () => deps.registry.list().map((p) => ({ name: p.name, description: p.description, params: p.paramsSchema })),
  );

  app.post(
    "/probes/:name/calls",
    {
      schema: {
        summary: "Call one probe now, outside any scenario (for checks by hand and benchmarks)",
        description:
          "The body is the probe's parameters, as in a scenario step's `with`. A probe acts as a client would (an SMTP send, a POP3 DELE, an IMAP STORE change mailboxes) but stops no service. Refused with 409 while a scenario run is in progress.",
        params: Type.Object({ name: Type.String() }),
        body: Type.Record(Type.String(), Type.Unknown()),
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            durationMs: Type.Number(),
            data: Type.Unknown(),
            error: Type.Optional(Type.Object({ code: Type.String(), message: Type.String() })),
            transcript: Type.Array(TranscriptLine),
          }),
          400: ErrorReply,
          404: ErrorReply,
          409: ErrorReply,
        },
      },
    },
    async (req) => {
      const probe = deps.registry.get(req.params.name);
      refuseDuringRun(deps.engine, "a probe called");
      const params = probeParams(probe, req.body, { what: `the parameters of probe "${probe.name}"`, label: "body", fieldPrefix: [] });
      const problems = probe.check?.(params, { topology: deps.topology, earlierStepIds: [] }) ?? [];
      if (problems.length > 0) throw new InvalidInputError(`the parameters of probe "${probe.name}"`, problems);
      const t0 = performance.now();
      const outcome = await probe.run(params, {
        signal: new AbortController().signal,
        clock: systemClock,
        topology: deps.topology,
        docker: deps.docker,
        stepStartedAt: () => undefined,
      });
      return { ...outcome, durationMs: Math.round((performance.now() - t0) * 10) / 10 };
    },
  );
};
