import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { LoadedScenario } from "../../scenarios/loader.ts";
import { ErrorReply, RunRecordSchema, ScenarioSummary } from "../schemas.ts";
import { CaptureSpecSchema } from "../../capture/plan.ts";
import type { AppDeps } from "../app.ts";

function summary(e: LoadedScenario) {
  return {
    name: e.name,
    file: e.file,
    valid: e.valid,
    ...(e.title !== undefined ? { title: e.title } : {}),
    ...(e.valid ? { description: e.scenario.description ?? "", steps: e.scenario.steps.length } : {}),
    errors: e.errors,
  };
}

export const scenarioRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.get(
    "/scenarios",
    {
      schema: {
        summary: "Every scenario file, valid or not; invalid ones list what to fix",
        response: { 200: Type.Array(ScenarioSummary) },
      },
    },
    async () => {
      await deps.catalog.reload();
      return deps.catalog.list().map(summary);
    },
  );

  app.get(
    "/scenarios/:name",
    {
      schema: {
        summary: "One scenario: its summary and, when valid, its steps",
        params: Type.Object({ name: Type.String() }),
        response: { 200: Type.Object({ ...ScenarioSummary.properties, scenario: Type.Optional(Type.Unknown()) }), 404: ErrorReply },
      },
    },
    async (req) => {
      await deps.catalog.reload();
      const entry = deps.catalog.entry(req.params.name);
      return { ...summary(entry), ...(entry.valid ? { scenario: entry.scenario } : {}) };
    },
  );

  app.post(
    "/scenarios/:name/runs",
    {
      schema: {
        summary: "Start a run of a scenario",
        description: "Answers 202 with the queued run at once, or with ?wait=true 200 with the finished run; 429 with Retry-After when 10 runs are waiting already.",
        params: Type.Object({ name: Type.String() }),
        querystring: Type.Object({ wait: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
        body: Type.Optional(Type.Object({ capture: Type.Optional(CaptureSpecSchema) }, { additionalProperties: false })),
        response: { 200: RunRecordSchema, 202: RunRecordSchema, 400: ErrorReply, 404: ErrorReply, 429: ErrorReply, 503: ErrorReply },
      },
    },
    async (req, reply) => {
      await deps.catalog.reload();
      const scenario = deps.catalog.get(req.params.name);
      const run = deps.engine.start(scenario, req.body?.capture === undefined ? {} : { capture: req.body.capture });
      if (req.query.wait) return reply.code(200).send(await deps.engine.waitFor(run.id));
      return reply.code(202).send(run);
    },
  );
};
