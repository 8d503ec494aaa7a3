import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { L7labError, UnknownNameError } from "../../common/errors.ts";
import { SERVICE_ACTIONS, type ServiceAction } from "../../docker/docker-adapter.ts";
import { ErrorReply, ServiceStateSchema } from "../schemas.ts";
import { refuseDuringRun } from "./guards.ts";
import type { AppDeps } from "../app.ts";

export const serviceRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.get(
    "/services",
    { schema: { summary: "Every service with its state and health", response: { 200: Type.Array(ServiceStateSchema), 502: ErrorReply } } },
    async () => deps.docker.listServices(),
  );

  app.get(
    "/services/:name",
    {
      schema: {
        summary: "One service's state and health",
        description: "404 for a name the lab does not have; 409 when the service has no container (the lab is down); 502 when Docker does not answer.",
        params: Type.Object({ name: Type.String() }),
        response: { 200: ServiceStateSchema, 404: ErrorReply, 409: ErrorReply, 502: ErrorReply },
      },
    },
    async (req) => {
      deps.topology.service(req.params.name);
      return deps.docker.serviceState(req.params.name);
    },
  );

  app.post(
    "/services/:name/:action",
    {
      schema: {
        summary: "Stop, start, restart, pause, unpause or kill a service",
        description: `action is one of ${SERVICE_ACTIONS.join(", ")}. Scenario runs undo their own faults; a fault set here stays until it is undone here.`,
        params: Type.Object({ name: Type.String(), action: Type.String() }),
        response: { 200: ServiceStateSchema, 404: ErrorReply, 409: ErrorReply, 502: ErrorReply },
      },
    },
    async (req) => {
      const { name, action } = req.params;
      // Check everything before touching anything: bad input must change nothing.
      deps.topology.service(name);
      if (!(SERVICE_ACTIONS as readonly string[]).includes(action)) throw new UnknownNameError("action", action, SERVICE_ACTIONS);
      const reason = deps.topology.protectedReason(name);
      if (reason) throw new L7labError("PROTECTED_SERVICE", 409, reason, { service: name, action });
      refuseDuringRun(deps.engine, `to ${action} ${name}`);
      return deps.docker.act(name, action as ServiceAction);
    },
  );
};
