import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the integration suites find the lab and its API. */
export const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
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
