import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseComposeTopology } from "../../orchestrator/src/docker/topology.ts";

/** Where the integration suites find the lab and its API. */
export const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
/** The lab as docker-compose.yml declares it: project name, networks, bridges, addresses. */
export const topology = parseComposeTopology(readFileSync(join(repoRoot, "docker-compose.yml"), "utf8"));
export const apiBase = `http://127.0.0.1:${process.env["L7LAB_API_PORT"] ?? "8080"}/api`;

export interface Reply<T = unknown> {
  status: number;
  body: T;
}

/** One call to the orchestrator's API on the host's loopback. */
export async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<Reply<T>> {
  const res = await fetch(apiBase + path, {
    method,
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}
