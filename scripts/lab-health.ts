/**
 * What is wrong with a compose project that did not come up: for each container that exited or is
 * not healthy, its state, its last health-check output and the last lines of its log. Used by
 * `./l7lab up` (scripts/lab-up.ts) and by the integration tests' global setup. Node built-ins only:
 * it runs before `npm ci` may have run.
 */
import { spawnSync } from "node:child_process";

interface PsEntry {
  Name: string;
  Service: string;
  State: string;
  Health: string;
  ExitCode: number;
}

interface HealthLog {
  ExitCode: number;
  Output: string;
}

/** Runs a docker command; returns its stdout, or throws with its stderr. */
function docker(args: string[], env?: NodeJS.ProcessEnv): string {
  const r = spawnSync("docker", args, { encoding: "utf8", env: env ?? process.env, maxBuffer: 16 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`docker ${args.join(" ")} failed: ${(r.stderr || r.error?.message || "").trim()}`);
  return r.stdout;
}

/** `docker compose ps --all` as records (Compose prints one JSON object per line, or one array). */
export function composePs(composeArgs: string[] = [], env?: NodeJS.ProcessEnv): PsEntry[] {
  const out = docker(["compose", ...composeArgs, "ps", "--all", "--format", "json"], env).trim();
  if (out === "") return [];
  if (out.startsWith("[")) return JSON.parse(out) as PsEntry[];
  return out.split("\n").map((line) => JSON.parse(line) as PsEntry);
}

/** Whether a container counts as up: running, and healthy if it has a health check. */
function isUp(c: PsEntry): boolean {
  return c.State === "running" && (c.Health === "" || c.Health === "healthy");
}

function indent(text: string, prefix = "    "): string {
  return text
    .trimEnd()
    .split("\n")
    .map((line) => prefix + line)
    .join("\n");
}

/**
 * A report on every container of the project that is not up, or "" when all are. Exited and
 * unhealthy containers get their last health output and their last `tail` log lines; containers
 * still starting are listed by name.
 */
export function diagnose(composeArgs: string[] = [], env?: NodeJS.ProcessEnv, tail = 20): string {
  let containers: PsEntry[];
  try {
    containers = composePs(composeArgs, env);
  } catch (error) {
    return `could not list the lab's containers: ${(error as Error).message}`;
  }
  const down = containers.filter((c) => !isUp(c));
  if (down.length === 0) return "";
  const starting = down.filter((c) => c.State === "running" && c.Health === "starting");
  const failed = down.filter((c) => !starting.includes(c));
  const parts: string[] = [];
  for (const c of failed) {
    const what = c.State === "running" ? `is ${c.Health}` : `is ${c.State}${c.State === "exited" ? ` (exit code ${c.ExitCode})` : ""}`;
    parts.push(`service ${c.Service} (container ${c.Name}) ${what}`);
    try {
      const logs = JSON.parse(docker(["inspect", "--format", "{{json .State.Health.Log}}", c.Name], env)) as HealthLog[] | null;
      const last = logs?.at(-1);
      if (last) parts.push(`  last health check (exit ${last.ExitCode}):\n${indent(last.Output || "(no output)")}`);
    } catch {
      // no health record: nothing to show
    }
    try {
      const log = docker(["compose", "--ansi", "never", ...composeArgs, "logs", "--no-color", "--no-log-prefix", "--tail", String(tail), c.Service], env);
      // Compose 2.26 starts stderr lines with an erase-line escape even with --ansi never.
      // eslint-disable-next-line no-control-regex
      const plain = log.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "");
      parts.push(`  last ${tail} lines of its log:\n${indent(plain || "(empty)")}`);
    } catch (error) {
      parts.push(`  its log could not be read: ${(error as Error).message}`);
    }
  }
  if (starting.length > 0) parts.push(`still starting (health checks not yet passing): ${starting.map((c) => c.Service).join(", ")}`);
  return parts.join("\n");
}
