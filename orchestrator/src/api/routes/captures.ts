import { createReadStream } from "node:fs";
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyReply } from "fastify";
import { Type } from "typebox";
import { InvalidInputError, L7labError } from "../../common/errors.ts";
import { MAX_FILTER_LENGTH, planCapture } from "../../capture/plan.ts";
import { ErrorReply } from "../schemas.ts";
import type { AppDeps } from "../app.ts";

/** The longest a live capture runs (it ends sooner when the client goes away). */
export const MAX_LIVE_CAPTURE_S = 3600;
/** How many live captures may run at once. */
export const MAX_LIVE_CAPTURES = 4;
const PCAPNG = "application/x-pcapng";
/** The most a live capture's reader may fall behind before the capture ends. */
const LIVE_BUFFER_CAP = 8 * 2 ** 20;
/** A 200 answer that is a pcapng file, for the OpenAPI document. */
const pcapngResponse = (description: string) => ({ description, content: { [PCAPNG]: { schema: Type.String({ format: "binary" }) } } });

export const captureRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  let live = 0;
  // The running live captures' ends: the orchestrator's shutdown ends them all (so that their
  // helpers go and their connections close) before the server closes.
  const ending = new Set<() => void>();
  app.addHook("preClose", async () => {
    for (const end of [...ending]) end();
  });
  const unavailable = () => new L7labError("CAPTURE_UNAVAILABLE", 503, "this orchestrator cannot capture packets (it was started without a capture helper)", {});

  app.get(
    "/runs/:id/pcap",
    {
      schema: {
        summary: "A run's packet capture, as pcapng (Wireshark opens it)",
        description: "404 when the run is unknown, was not captured (start it with capture, or give its scenario capture:), or its file was dropped to keep only the newest 20.",
        params: Type.Object({ id: Type.String() }),
        response: { 200: pcapngResponse("the run's capture, one interface per captured service and interface"), 404: ErrorReply, 503: ErrorReply },
      },
    },
    async (req, reply) => {
      const run = deps.engine.get(req.params.id);
      if (!deps.capture) throw unavailable();
      if (!run.capture) throw new L7labError("NOT_CAPTURED", 404, `run ${run.id} was not captured: start it with a capture (./l7lab run ${run.scenario} --pcap FILE, or POST /api/scenarios/${run.scenario}/runs with {"capture": true}), or give the scenario capture:`, { run: run.id });
      if (!run.capture.pcap) throw new L7labError("NO_PCAP_YET", 404, run.status === "running" || run.status === "queued" ? `run ${run.id} is ${run.status}: its capture is there once it has finished` : `run ${run.id}'s capture was not kept: ${run.capture.errors.join("; ") || "no reason recorded"}`, { run: run.id });
      const file = await deps.capture.store.find(run.id);
      if (file === undefined) throw new L7labError("PCAP_GONE", 404, `run ${run.id}'s capture is no longer kept (only the newest runs' are)`, { run: run.id });
      // A file, not the JSON the typed reply expects.
      const raw: FastifyReply = reply;
      return raw.header("content-type", PCAPNG).header("content-disposition", `attachment; filename="${run.scenario}-${run.id}.pcapng"`).send(createReadStream(file));
    },
  );

  app.get(
    "/capture",
    {
      schema: {
        summary: "A live packet capture of a service's namespace or a network's bridge, streamed as pcapng",
        description: `Streams until the client goes away, \`seconds\` pass (${MAX_LIVE_CAPTURE_S} at most) or \`limitMB\` is reached; pipe it to \`wireshark -k -i -\`. ${MAX_LIVE_CAPTURES} at once at most.`,
        querystring: Type.Object(
          {
            service: Type.Optional(Type.String({ minLength: 1 })),
            network: Type.Optional(Type.String({ minLength: 1 })),
            filter: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_FILTER_LENGTH })),
            seconds: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LIVE_CAPTURE_S })),
            limitMB: Type.Optional(Type.Integer({ minimum: 1, maximum: 512 })),
          },
          { additionalProperties: false },
        ),
        response: { 200: pcapngResponse("a pcapng stream: the section header at once, each interface before its first packet"), 400: ErrorReply, 404: ErrorReply, 409: ErrorReply, 429: ErrorReply, 503: ErrorReply },
      },
    },
    async (req, reply) => {
      if (!deps.capture) throw unavailable();
      const q = req.query;
      if ((q.service === undefined) === (q.network === undefined)) throw new InvalidInputError("the capture", ["name one service (?service=) or one network (?network=)"]);
      const plan = planCapture(
        { ...(q.service === undefined ? {} : { services: [q.service] }), ...(q.network === undefined ? {} : { networks: [q.network] }), ...(q.filter === undefined ? {} : { filter: q.filter }), limitMB: q.limitMB ?? 64 },
        deps.topology,
        [],
      );
      if (live >= MAX_LIVE_CAPTURES) throw new L7labError("TOO_MANY_CAPTURES", 429, `${MAX_LIVE_CAPTURES} live captures are running already; end one first`, {});
      live += 1;
      const out = reply.raw;
      // A client that goes away while the capture starts (Ctrl-C) must end it too: its close is
      // heard from now on, not only once the capture runs.
      let gone = false;
      let finish = () => void (gone = true);
      out.once("close", () => finish());
      // Blocks that come before the capture is known to have started wait here: until then an
      // error still gets its JSON answer. A reader slower than the capture does not make the
      // orchestrator hold more than LIVE_BUFFER_CAP: the capture ends, marked truncated.
      let pending: Buffer[] | undefined = [];
      let session;
      try {
        session = await deps.capture.capturer.start(plan, {
          live: (block) => {
            if (pending) pending.push(block);
            else if (out.writableLength > LIVE_BUFFER_CAP) finish();
            else out.write(block);
          },
        });
      } catch (error) {
        live -= 1;
        throw error;
      }
      if (gone || out.destroyed) {
        await session.stop().finally(() => (live -= 1));
        return reply.hijack();
      }
      reply.hijack();
      out.writeHead(200, { "content-type": PCAPNG, "cache-control": "no-store" });
      for (const block of pending) out.write(block);
      pending = undefined;
      const running = session;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => finish(), (q.seconds ?? MAX_LIVE_CAPTURE_S) * 1000);
        const limit = setInterval(() => running.stats().truncated && finish(), 500);
        const stop = () => finish();
        ending.add(stop);
        finish = () => {
          ending.delete(stop);
          clearTimeout(timer);
          clearInterval(limit);
          resolve();
        };
        void running.ended.then(() => finish());
      });
      const result = await session.stop().finally(() => (live -= 1));
      for (const e of result.errors) req.log.warn(`live capture: ${e}`);
      out.end();
    },
  );
};
