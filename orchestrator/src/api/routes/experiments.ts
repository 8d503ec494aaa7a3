import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { ExperimentCatalog } from "../../experiments/catalog.ts";
import type { ExperimentRunner } from "../../experiments/runner.ts";
import { ErrorReply } from "../schemas.ts";
import type { AppDeps } from "../app.ts";

const Level = Type.Union([Type.Number(), Type.String()]);
const Stats = Type.Object({ n: Type.Integer(), mean: Type.Number(), sd: Type.Number(), min: Type.Number(), max: Type.Number() });
const PointSchema = Type.Object({
  point: Type.Record(Type.String(), Level, { description: "the point's level of each factor" }),
  status: Type.String({ description: "waiting, running, done, error or aborted" }),
  runId: Type.Optional(Type.String({ description: "the scenario run that measured it (GET /api/runs/:id)" })),
  values: Type.Array(Type.Number(), { description: "the metric at each repetition" }),
  stats: Type.Optional(Stats),
  model: Type.Number(),
  allowed: Type.Number({ description: "how far the mean may be from the model" }),
  checked: Type.Boolean({ description: "whether the bound applies at this point" }),
  withinBound: Type.Optional(Type.Boolean()),
  error: Type.Optional(Type.String()),
});
export const ExperimentRunSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  title: Type.String(),
  quick: Type.Boolean(),
  repetitions: Type.Integer(),
  status: Type.String({ description: "running, passed (every checked point within its bound), failed, error or aborted" }),
  startedAt: Type.String(),
  finishedAt: Type.Optional(Type.String()),
  factors: Type.Array(Type.Object({ name: Type.String(), unit: Type.Optional(Type.String()), title: Type.Optional(Type.String()) })),
  metric: Type.Object({ name: Type.String(), unit: Type.Optional(Type.String()) }),
  bound: Type.Object({ relative: Type.Number(), absolute: Type.Number() }),
  points: Type.Array(PointSchema),
});
const ExperimentSummary = Type.Object({
  name: Type.String(),
  file: Type.String(),
  valid: Type.Boolean(),
  title: Type.Optional(Type.String()),
  description: Type.Optional(Type.String()),
  factors: Type.Optional(Type.Array(Type.Object({ name: Type.String(), levels: Type.Array(Level), unit: Type.Optional(Type.String()) }))),
  repetitions: Type.Optional(Type.Integer()),
  errors: Type.Array(Type.String()),
});
const NameParams = Type.Object({ name: Type.String() });
const RunParams = Type.Object({ name: Type.String(), id: Type.String() });

/** Experiments: sweeps of a factor, measured point by point against a model (experiments/*.yaml). */
export const experimentRoutes: FastifyPluginAsyncTypebox<AppDeps & { experiments: { catalog: ExperimentCatalog; runner: ExperimentRunner } }> = async (app, deps) => {
  const { catalog, runner } = deps.experiments;
  app.get(
    "/experiments",
    { schema: { summary: "The experiment files, valid or with what to fix", response: { 200: Type.Array(ExperimentSummary) } } },
    async () => {
      await catalog.reload();
      return catalog.list().map((e) => ({
        name: e.name,
        file: e.file,
        valid: e.valid,
        ...(e.title ? { title: e.title } : {}),
        ...(e.experiment?.description ? { description: e.experiment.description } : {}),
        ...(e.experiment ? { factors: e.experiment.factors.map((f) => ({ name: f.name, levels: f.levels, ...(f.unit ? { unit: f.unit } : {}) })), repetitions: e.experiment.repetitions } : {}),
        errors: e.errors,
      }));
    },
  );
  app.post(
    "/experiments/:name/runs",
    {
      schema: {
        summary: "Run an experiment: each point as a scenario run, one after the other (quick: two levels of the first factor, once)",
        params: NameParams,
        body: Type.Object({ quick: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
        response: { 202: ExperimentRunSchema, 400: ErrorReply, 404: ErrorReply, 409: ErrorReply },
      },
    },
    async (req, reply) => {
      await catalog.reload();
      return reply.code(202).send(runner.start(req.params.name, req.body.quick ?? false));
    },
  );
  app.get(
    "/experiments/:name/runs",
    { schema: { summary: "The runs of an experiment, newest first (the last 20 of all experiments are kept)", params: NameParams, response: { 200: Type.Array(ExperimentRunSchema) } } },
    async (req) => runner.list(req.params.name),
  );
  app.get(
    "/experiments/:name/runs/:id",
    { schema: { summary: "An experiment run: per point, the measured values, mean, spread and n, and the model", params: RunParams, response: { 200: ExperimentRunSchema, 404: ErrorReply } } },
    async (req) => runner.get(req.params.name, req.params.id),
  );
  app.post(
    "/experiments/:name/runs/:id/abort",
    {
      schema: {
        summary: "Abort an experiment run: the point under way is aborted (its faults undone), the rest are not measured",
        params: RunParams,
        body: Type.Optional(Type.Object({}, { additionalProperties: false })),
        response: { 200: ExperimentRunSchema, 404: ErrorReply },
      },
    },
    async (req) => runner.abort(req.params.name, req.params.id),
  );
};
