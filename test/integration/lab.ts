import Docker from "dockerode";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DockerodeAdapter } from "../../orchestrator/src/docker/dockerode-adapter.ts";
import { parseComposeTopology } from "../../orchestrator/src/lab/topology.ts";
import { ensureToken, tokenFile } from "../../orchestrator/src/common/api-token.ts";

/** Where the integration suites find the lab and its API. */
export const repoRoot = resolve(fileURLToPath(new URL("../..", import.meta.url)));
/** The lab as docker-compose.yml declares it: project name, networks, bridges, addresses. */
export const topology = parseComposeTopology(readFileSync(join(repoRoot, "docker-compose.yml"), "utf8"));
/** The lab's containers, for commands run in them as a user would type them. */
export const lab = new DockerodeAdapter(topology.project, undefined, { initServices: topology.initServices() });
/**
 * The one-shot services (role net-init: they set a host's routes, then exit 0): "exited" is their
 * state when all is well.
 */
export const oneShots: ReadonlySet<string> = new Set(topology.services.filter((s) => s.role === "net-init").map((s) => s.name));
/** The on-demand services (a compose profile's: the diskless VM): created by ./l7lab up, started only by a scenario. */
export const onDemand: ReadonlySet<string> = new Set(topology.services.filter((s) => topology.isOnDemand(s.name)).map((s) => s.name));
/** Whether a service runs all the time the lab is up (not a one-shot, not on demand). */
export const longRunning = (service: string): boolean => !oneShots.has(service) && !onDemand.has(service);

/** Fault helpers of the lab still in place, running or not (there must be none once a run or a heal is over). */
export async function faultHelpers(): Promise<string[]> {
  const list = await new Docker().listContainers({ all: true, filters: { label: [`l7lab.fault.project=${topology.project}`] } });
  return list.map((c) => c.Names[0] ?? c.Id);
}

/** Runs a shell command in a service's container; stdout and stderr together in `out`. */
export async function sh(service: string, command: string, timeoutMs = 60_000): Promise<{ exitCode: number; out: string }> {
  const r = await lab.exec(service, ["sh", "-c", command], { timeoutMs });
  return { exitCode: r.exitCode, out: r.stdout + r.stderr };
}

/**
 * From a service, whether a TCP connection to address:port opens within 3 s: "open" or "closed"
 * (bash's /dev/tcp). Throws when the check itself did not run, so that a failure never passes as "closed".
 */
export async function tcpCheck(from: string, address: string, port: number): Promise<"open" | "closed"> {
  const r = await sh(from, `timeout 3 bash -c 'exec 3<>/dev/tcp/${address}/${port}' 2>/dev/null && echo open || echo closed`);
  const answer = r.out.trim();
  if (r.exitCode !== 0 || (answer !== "open" && answer !== "closed")) throw new Error(`the TCP check from ${from} to ${address}:${port} did not run: exit ${r.exitCode}: ${r.out}`);
  return answer;
}

export const apiBase = `http://127.0.0.1:${process.env["L7LAB_API_PORT"] ?? "8080"}/api`;

export interface Reply<T = unknown> {
  status: number;
  body: T;
}

/** The lab's API token (made by ./l7lab up, or by the global setup before it starts the lab). */
export const apiToken = (): string => ensureToken(tokenFile());

/**
 * One call to the orchestrator's API on the host's loopback, as the CLI makes it: with the token,
 * and a JSON body (`{}` when there is none) on a request that changes something.
 */
export async function api<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<Reply<T>> {
  const mutating = method !== "GET" && method !== "HEAD";
  const res = await fetch(apiBase + path, {
    method,
    headers: { authorization: `Bearer ${apiToken()}`, ...(mutating ? { "content-type": "application/json" } : {}) },
    ...(mutating ? { body: JSON.stringify(body ?? {}) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export interface RunStep {
  id: string;
  status: string;
  durationMs?: number;
  result?: Record<string, unknown>;
  assertions: { passed: boolean; message: string }[];
  transcript: { dir: string; text: string }[];
  error?: { message: string };
}

export interface Run {
  id: string;
  scenario: string;
  status: string;
  durationMs?: number;
  steps: RunStep[];
  cleanup: { service: string; action: string; ok: boolean; message: string }[];
  error?: { message: string };
}

/** A failed run's story, so that a red test says which step failed and why. */
export function explain(run: Run): string {
  const bad = run.steps.filter((s) => s.status === "failed" || s.status === "error");
  return [
    `run ${run.id} of ${run.scenario}: ${run.status}${run.error ? ` (${run.error.message})` : ""}`,
    ...bad.map((s) => `  step ${s.id}: ${s.status}: ${s.error?.message ?? s.assertions.filter((a) => !a.passed).map((a) => a.message).join("; ")}`),
  ].join("\n");
}

/** Runs a scenario through the API and waits for it; returns the run and a lookup of its steps. */
export async function runScenario(name: string): Promise<{ run: Run; step: (id: string) => RunStep }> {
  const reply = await api<Run>("POST", `/scenarios/${name}/runs?wait=true`);
  if (reply.status !== 200) throw new Error(`POST /scenarios/${name}/runs answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  const run = reply.body;
  const step = (id: string): RunStep => {
    const found = run.steps.find((s) => s.id === id);
    if (!found) throw new Error(`run of ${name} has no step "${id}"`);
    return found;
  };
  return { run, step };
}
