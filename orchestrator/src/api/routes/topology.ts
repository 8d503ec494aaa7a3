import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { ErrorReply, TopologyReply } from "../schemas.ts";
import type { AppDeps } from "../app.ts";

export const topologyRoutes: FastifyPluginAsyncTypebox<AppDeps> = async (app, deps) => {
  app.get(
    "/topology",
    {
      schema: {
        summary: "The lab as docker-compose.yml declares it, with each service's live state and health",
        response: { 200: TopologyReply, 502: ErrorReply },
      },
    },
    async () => {
      const live = new Map((await deps.docker.listServices()).map((s) => [s.service, s]));
      const { topology } = deps;
      return {
        project: deps.docker.project,
        networks: topology.networks.map((n) => ({ ...n })),
        services: topology.services.map((s) => ({
          ...s,
          state: live.get(s.name)?.state ?? "absent",
          health: live.get(s.name)?.health ?? "none",
        })),
      };
    },
  );
};
