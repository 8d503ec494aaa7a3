import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorReply, RunRecordSchema } from "../schemas.ts";
import type { AppDeps } from "../app.ts";

export const runRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.get(
    "/runs",
    { schema: { summary: "Every run kept in memory, newest first", response: { 200: Type.Array(RunRecordSchema) } } },
    async () => deps.engine.list(),
  );

  app.get(
    "/runs/:id",
    {
      schema: {
        summary: "One run: status, per-step timings, results, assertions, transcripts and cleanup",
        params: Type.Object({ id: Type.String() }),
        querystring: Type.Object({ wait: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
        response: { 200: RunRecordSchema, 404: ErrorReply },
      },
    },
    async (req) => (req.query.wait ? deps.engine.waitFor(req.params.id) : deps.engine.get(req.params.id)),
  );

  app.post(
    "/runs/:id/abort",
    {
      schema: {
        summary: "Abort a queued or running run; its faults are undone",
        params: Type.Object({ id: Type.String() }),
        response: { 200: RunRecordSchema, 404: ErrorReply },
      },
    },
    async (req) => deps.engine.abort(req.params.id),
  );
};
