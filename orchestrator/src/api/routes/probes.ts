import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import type { AppDeps } from "../app.ts";

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
};
