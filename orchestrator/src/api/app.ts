import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from "fastify";
import type { ServerOptions } from "node:http";
import swagger from "@fastify/swagger";
import { AjvCompiler } from "@fastify/ajv-compiler";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import { L7labError } from "../common/errors.ts";
import type { DockerAdapter } from "../docker/docker-adapter.ts";
import type { Topology } from "../lab/topology.ts";
import type { ProbeRegistry } from "../probes/registry.ts";
import type { ScenarioCatalog } from "../scenarios/catalog.ts";
import type { ScenarioEngine } from "../engine/engine.ts";
import { ErrorReply } from "./schemas.ts";
import { accessCheck, accessResponses, registerAccess, sendRefusal, type AccessOptions } from "./access.ts";
import { registerBodyLimits } from "./limits.ts";
import type { ExperimentCatalog } from "../experiments/catalog.ts";
import type { ExperimentRunner } from "../experiments/runner.ts";
import { experimentRoutes } from "./routes/experiments.ts";
import { faultRoutes } from "./routes/faults.ts";
import type { ManualFaults } from "../faults/manual-faults.ts";
import { healthRoutes } from "./routes/health.ts";
import { probeRoutes } from "./routes/probes.ts";
import { runRoutes } from "./routes/runs.ts";
import { scenarioRoutes } from "./routes/scenarios.ts";
import { serviceRoutes } from "./routes/services.ts";
import { topologyRoutes } from "./routes/topology.ts";
import { captureRoutes } from "./routes/captures.ts";
import { registerUi } from "./ui.ts";
import type { Capturer } from "../capture/docker-capture.ts";
import type { PcapStore } from "../capture/store.ts";

export interface AppDeps {
  docker: DockerAdapter & { project: string; ping(): Promise<boolean> };
  topology: Topology;
  registry: ProbeRegistry;
  catalog: ScenarioCatalog;
  engine: ScenarioEngine;
  faults: ManualFaults;
  /** Experiments (experiments/*.yaml) and their runner; without them the experiment routes are not served. */
  experiments?: { catalog: ExperimentCatalog; runner: ExperimentRunner };
  /** Who may call the API: its token and the ports of its Host allowlist (access.ts). */
  access: AccessOptions;
  /** Packet capture: the helpers that capture and the runs' pcapng files; without it the capture routes answer 503. */
  capture?: { capturer: Capturer; store: PcapStore };
  /** The built web UI's directory (index.html, app.js, app.css); without it, no UI is served. */
  uiDir?: string;
  /** How long a probe call may run before it is stopped (default 15 minutes: routes/probes.ts). */
  probeCallDeadlineMs?: number;
}

const ajvCompilers = AjvCompiler();
/**
 * The request validators. A JSON body is taken as it is: no type coercion, so `"loss": true` or
 * `"service": ["router"]` is refused rather than read as 1 and "router". The query string and the
 * path, which are text, have their values converted to the schema's types (`?wait=true`), one value
 * per name: no arrays made of single values.
 */
const validators: typeof ajvCompilers = (externalSchemas, ajvOptions) => {
  const { onCreate, plugins } = ajvOptions ?? {};
  const customOptions = ajvOptions?.mode === "JTD" ? {} : (ajvOptions?.customOptions ?? {});
  const build = (coerceTypes: boolean) =>
    ajvCompilers(externalSchemas, { ...(onCreate ? { onCreate } : {}), ...(plugins ? { plugins } : {}), customOptions: { ...customOptions, coerceTypes, removeAdditional: false } });
  const asSent = build(false);
  const fromText = build(true);
  return (route) => (route.httpPart === "body" ? asSent : fromText)(route);
};

/** How long a client has to send a whole request, and its headers. */
export const REQUEST_DEADLINE_MS = 30_000;
export const HEADERS_DEADLINE_MS = 10_000;

/** The longest path parameter the router takes (Fastify's default); any name in the lab is far shorter. */
export const MAX_PARAM_LENGTH = 100;

/**
 * The answer to a request the router refuses before any route or hook runs: a path that is not
 * valid percent-encoding (400), or with a segment longer than MAX_PARAM_LENGTH (414). The Host
 * and token are checked first, as for every other request, and the answer has the API's error
 * shape. (Fastify's own answers skipped both: 400 and 414 without the token, `error: "Bad Request"`.)
 */
function routerRefusal(access: AccessOptions) {
  const check = accessCheck(access);
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const refusal = check(request, { body: false });
    if (refusal) return sendRefusal(reply, refusal);
    const path = request.url.split("?", 1)[0]!;
    if (error.code === "FST_ERR_BAD_URL") {
      return sendRefusal(reply, { status: 400, error: "INVALID_URL", message: `The path ${JSON.stringify(path)} is not valid percent-encoding: each % must begin a %XX escape of UTF-8.` });
    }
    if (error.code === "FST_ERR_MAX_PARAM_LENGTH") {
      return sendRefusal(reply, { status: 414, error: "URI_TOO_LONG", message: `A segment of the path is longer than ${MAX_PARAM_LENGTH} characters; no name in the lab is that long.` });
    }
    request.log.error({ err: error }, "the router refused a request");
    return sendRefusal(reply, { status: 500, error: "INTERNAL", message: "internal error: see the orchestrator's log" });
  };
}

/**
 * Builds the API as a Fastify instance that does not listen (server.ts listens; tests use
 * `app.inject`). Every route declares its schemas, which also make the OpenAPI document at
 * /api/openapi.json. Every request first passes the access checks (access.ts): Host, token,
 * JSON body.
 */
export async function buildApp(deps: AppDeps, options: FastifyServerOptions & { http?: ServerOptions } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    // A request must arrive whole within REQUEST_DEADLINE_MS (its headers within HEADERS_DEADLINE_MS),
    // or the server answers 408 and closes: a client that sends slowly holds no connection for
    // long. Node looks for late requests every second. What happens after a request has arrived has
    // its own bound: a probe call 15 min (routes/probes.ts), a run waited for its run's timeout.
    requestTimeout: REQUEST_DEADLINE_MS,
    http: { headersTimeout: HEADERS_DEADLINE_MS, requestTimeout: REQUEST_DEADLINE_MS, connectionsCheckingInterval: 1_000 },
    ...options,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: routerRefusal(deps.access),
    schemaController: { compilersFactory: { buildValidator: validators } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  await app.register(swagger, {
    openapi: {
      info: {
        title: "l7lab orchestrator",
        version: "0.1.0",
        description:
          "Topology, health, scenarios, runs and service actions for the l7lab application-layer testbed. Every route but GET /api/health wants the lab's token (`./l7lab token` prints it) as `Authorization: Bearer <token>`, and the Host header of the host's loopback; a request that changes something sends its body as application/json (`{}` when it has nothing to say).",
      },
      components: { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer", description: "the lab's token: ./l7lab token" } } },
      security: [{ bearerAuth: [] }],
    },
  });
  registerAccess(app, deps.access);
  registerBodyLimits(app);
  app.addSchema(ErrorReply);

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof L7labError) {
      if (error.status >= 500) request.log.error({ err: error }, error.message);
      if (typeof error.details["retryAfterS"] === "number") reply.header("retry-after", String(error.details["retryAfterS"]));
      return reply.code(error.status).send({ statusCode: error.status, error: error.code, message: error.message, details: error.details });
    }
    if (error.validation) {
      const where = error.validationContext ?? "request";
      const problems = error.validation.map((v) => {
        const allowed = (v.params as { allowedValues?: unknown[] })?.allowedValues;
        return `${where}${v.instancePath || ""} ${v.message ?? "is invalid"}${allowed ? ` (valid values: ${allowed.join(", ")})` : ""}`;
      });
      return reply.code(400).send({ statusCode: 400, error: "INVALID_INPUT", message: `Invalid request: ${problems.join("; ")}`, details: { problems } });
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      return reply.code(status).send({ statusCode: status, error: error.code ?? "BAD_REQUEST", message: error.message });
    }
    request.log.error({ err: error }, "request failed");
    return reply.code(500).send({ statusCode: 500, error: "INTERNAL", message: "internal error: see the orchestrator's log" });
  });

  // Every route documents the answers the access checks and the body parser may give before it
  // runs (access.ts), so that the OpenAPI document lists every status a route answers with.
  app.addHook("onRoute", (route) => {
    const schema = (route.schema ?? {}) as { hide?: boolean; response?: Record<string, unknown> };
    if (schema.hide) return;
    const shared = Object.fromEntries(accessResponses(route).map((status) => [status, ErrorReply]));
    route.schema = { ...schema, response: { ...shared, ...(schema.response ?? {}) } };
  });

  // Every route, for the 404 answer to list.
  const routes: string[] = [];
  app.addHook("onRoute", (route) => {
    if (route.method === "HEAD" || (Array.isArray(route.method) && route.method.includes("HEAD"))) return;
    routes.push(`${String(route.method)} ${route.url}`);
  });

  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({
      statusCode: 404,
      error: "NO_ROUTE",
      message: `There is no route ${request.method} ${request.url}. Routes are: ${routes.join(", ")}.`,
      details: { routes },
    });
  });

  await app.register(
    async (api) => {
      await api.register(healthRoutes, deps);
      await api.register(topologyRoutes, deps);
      await api.register(serviceRoutes, deps);
      await api.register(probeRoutes, deps);
      await api.register(scenarioRoutes, deps);
      await api.register(runRoutes, deps);
      await api.register(faultRoutes, deps);
      await api.register(captureRoutes, deps);
      if (deps.experiments) await api.register(experimentRoutes, { ...deps, experiments: deps.experiments });
      api.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
    },
    { prefix: "/api" },
  );
  if (deps.uiDir !== undefined) registerUi(app, { dir: deps.uiDir, access: deps.access });
  return app;
}
