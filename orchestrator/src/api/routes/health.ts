import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { AppDeps } from "../app.ts";

export const healthRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.get(
    "/health",
    {
      logLevel: "warn", // the container's health check asks it
      schema: {
        summary: "Is the orchestrator up, and can it reach Docker?",
        description: "The one route that wants no token (the container's health check asks it).",
        security: [],
        response: {
          200: Type.Object({
            status: Type.String(),
            docker: Type.Boolean({ description: "whether the Docker engine answers" }),
            project: Type.String(),
            uptimeS: Type.Number(),
          }),
        },
      },
    },
    async () => ({
      status: "ok",
      docker: await deps.docker.ping(),
      project: deps.docker.project,
      uptimeS: Math.round(process.uptime()),
    }),
  );
};
