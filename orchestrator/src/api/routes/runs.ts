import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorReply, RunRecordSchema } from "../schemas.ts";
import type { AppDeps } from "../app.ts";
import { FINISHED_RUN_STATUSES } from "../../engine/run-types.ts";

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

  app.get(
    "/runs/:id/events",
    {
      schema: {
        summary: "A run's progress as Server-Sent Events: its whole record at each change, then `event: end`",
        description: "Each message's data is the run record (as GET /api/runs/:id answers it), sent now and whenever the run starts, a step starts or ends, or the run ends; then one `end` event, and the stream closes. A comment line every 15 s keeps idle connections open.",
        params: Type.Object({ id: Type.String() }),
        response: { 200: { description: "text/event-stream", content: { "text/event-stream": { schema: Type.String() } } }, 404: ErrorReply },
      },
    },
    async (req, reply) => {
      deps.engine.get(req.params.id); // 404 before the stream starts
      reply.hijack();
      const out = reply.raw;
      out.writeHead(200, { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no" });
      let stop = () => undefined as void;
      const ping = setInterval(() => out.write(": ping\n\n"), 15_000);
      const close = () => {
        clearInterval(ping);
        stop();
        out.end();
      };
      out.once("close", close);
      stop = deps.engine.watch(req.params.id, (record) => {
        out.write(`data: ${JSON.stringify(record)}\n\n`);
        if (FINISHED_RUN_STATUSES.includes(record.status)) {
          out.write("event: end\ndata: {}\n\n");
          queueMicrotask(close);
        }
      });
    },
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
