import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { systemClock } from "../../common/clock.ts";
import { InvalidInputError, L7labError, ProbeCallDeadlineError } from "../../common/errors.ts";
import { probeParams } from "../../scenarios/probe-params.ts";
import { refuseDuringRun } from "./guards.ts";
import { ErrorReply } from "../schemas.ts";
import { ErrorInfoSchema, TranscriptLineSchema } from "../../engine/run-record.ts";
import type { AppDeps } from "../app.ts";

/** How long a probe call may run: 15 minutes, above the longest wait a probe takes (10 minutes). */
export const PROBE_CALL_DEADLINE_MS = 900_000;

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
          "The body is the probe's parameters, as in a scenario step's `with`. A probe acts as a client would (an SMTP send, a POP3 DELE, an IMAP STORE change mailboxes) but stops no service. Refused with 409 while a scenario run is in progress. The probe is stopped when the client closes its connection, and after 15 minutes (504). 502 when what the probe needs from Docker fails (the logs probe reads containers' logs).",
        params: Type.Object({ name: Type.String() }),
        body: Type.Record(Type.String(), Type.Unknown()),
        response: {
          200: Type.Object({
            ok: Type.Boolean(),
            durationMs: Type.Number(),
            data: Type.Unknown(),
            error: Type.Optional(ErrorInfoSchema),
            transcript: Type.Array(TranscriptLineSchema),
          }),
          400: ErrorReply,
          404: ErrorReply,
          409: ErrorReply,
          502: ErrorReply,
          504: ErrorReply,
        },
      },
    },
    async (req, reply) => {
      const probe = deps.registry.get(req.params.name);
      refuseDuringRun(deps.engine, "a probe called");
      const params = probeParams(probe, req.body, { what: `the parameters of probe "${probe.name}"`, label: "body", fieldPrefix: [] });
      const problems = probe.check?.(params, { topology: deps.topology, earlierStepIds: [] }) ?? [];
      if (problems.length > 0) throw new InvalidInputError(`the parameters of probe "${probe.name}"`, problems);
      // The probe stops when the client goes away (nobody would read its answer) or at the deadline.
      const controller = new AbortController();
      const deadlineMs = deps.probeCallDeadlineMs ?? PROBE_CALL_DEADLINE_MS;
      const deadline = setTimeout(() => controller.abort(new ProbeCallDeadlineError(probe.name, deadlineMs)), deadlineMs);
      const gone = () => {
        if (reply.raw.writableFinished) return;
        req.log.info(`probe call of "${probe.name}" stopped: the client closed the connection`);
        controller.abort(new L7labError("CLIENT_GONE", 499, "the client closed the connection"));
      };
      reply.raw.on("close", gone);
      const t0 = performance.now();
      try {
        const outcome = await probe.run(params, {
          signal: controller.signal,
          clock: systemClock,
          topology: deps.topology,
          docker: deps.docker,
          stepStartedAt: () => undefined,
        });
        return { ...outcome, durationMs: Math.round((performance.now() - t0) * 10) / 10 };
      } catch (error) {
        // A probe stopped by the signal may throw its own error; the signal's reason says why.
        throw controller.signal.aborted ? (controller.signal.reason as Error) : error;
      } finally {
        clearTimeout(deadline);
        reply.raw.off("close", gone);
      }
    },
  );
};
