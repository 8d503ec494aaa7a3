/**
 * Waiting for a compose project to be healthy (`waitHealthy`, from Docker's events), and what is
 * wrong with one that did not come up (`diagnose`: for each container that exited or is not
 * healthy, its state, its last health-check output and the last lines of its log). Used by
 * `./l7lab up` (scripts/lab-up.ts), the startup benchmark and the integration tests' global setup.
 * Node built-ins only: it runs before `npm ci` may have run.
 */
import { spawn, spawnSync } from "node:child_process";
import { createInterface } from "node:readline";

export interface PsEntry {
  ID: string;
  Name: string;
  Service: string;
  State: string;
  Health: string;
  ExitCode: number;
  /** When an exited container stopped (from `docker inspect`; compose ps does not say). */
  FinishedAt?: string;
  /** The container's labels, "key=value" joined by commas, as compose ps prints them. */
  Labels?: string;
}

/**
 * A one-shot init container (role net-init: it sets a host's routes and exits). It is done, not
 * down, once it has exited 0.
 */
export function isOneShot(c: Pick<PsEntry, "Labels">): boolean {
  return (c.Labels ?? "").split(",").includes("l7lab.role=net-init");
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
  if (isOneShot(c) && c.State === "exited" && c.ExitCode === 0) return true;
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

/** A container event as `docker events --format '{{json .}}'` prints it. */
export interface ContainerEvent {
  id: string;
  Action: string;
  /** For a die: exitCode, and the container's labels. */
  Actor?: { Attributes?: Record<string, string> };
}

export type WaitOutcome = { ok: true } | { ok: false; reason: string };

/**
 * What a wait for health has seen so far. Pure: `waitHealthy` feeds it `docker compose ps` and
 * Docker's events. Only the containers compose listed count: events about others (those a
 * recreate replaced, say) are ignored.
 */
export class HealthWait {
  readonly #services = new Map<string, string>(); // container id as compose prints it (short) -> service
  readonly #pending = new Set<string>();
  readonly #oneShots = new Set<string>();
  #failure: string | undefined;

  /** `sinceMs`: when this start began (epoch ms); a container that exited before it is not part of it. */
  constructor(containers: PsEntry[], sinceMs: number) {
    for (const c of containers) {
      this.#services.set(c.ID, c.Service);
      if (isOneShot(c)) {
        // A one-shot: pending until it exits, and then it must have exited 0.
        this.#oneShots.add(c.ID);
        if (c.State === "exited" || c.State === "dead") {
          if (c.ExitCode !== 0 && Date.parse(c.FinishedAt ?? "") >= sinceMs) this.#failure ??= `one-shot service ${c.Service} exited (exit code ${c.ExitCode})`;
        } else {
          this.#pending.add(c.ID);
        }
        continue;
      }
      if (c.State === "running") {
        // Healthy, or no health check: up.
        if (c.Health === "unhealthy") this.#failure ??= `service ${c.Service} is unhealthy`;
        else if (c.Health !== "healthy" && c.Health !== "") this.#pending.add(c.ID);
      } else if (c.State === "exited" || c.State === "dead") {
        const finished = Date.parse(c.FinishedAt ?? "");
        if (finished >= sinceMs) this.#failure ??= `service ${c.Service} exited (exit code ${c.ExitCode})`;
      } else {
        this.#pending.add(c.ID); // created, restarting: not up yet
      }
    }
  }

  /** Takes one event; returns the outcome once there is one. */
  event(e: ContainerEvent): WaitOutcome | undefined {
    const id = [...this.#services.keys()].find((known) => e.id.startsWith(known));
    if (id !== undefined) {
      const service = this.#services.get(id)!;
      if (e.Action === "health_status: healthy") this.#pending.delete(id);
      else if (e.Action === "health_status: unhealthy") this.#failure ??= `service ${service} is unhealthy`;
      else if (e.Action === "die" && this.#oneShots.has(id)) {
        const code = e.Actor?.Attributes?.["exitCode"];
        if (code === "0") this.#pending.delete(id);
        else this.#failure ??= `one-shot service ${service} exited (exit code ${code ?? "unknown"})`;
      } else if (e.Action === "die") this.#failure ??= `service ${service} exited`;
    }
    return this.outcome();
  }

  outcome(): WaitOutcome | undefined {
    if (this.#failure !== undefined) return { ok: false, reason: this.#failure };
    return this.#pending.size === 0 ? { ok: true } : undefined;
  }

  /** The services not yet healthy, sorted. */
  pending(): string[] {
    return [...this.#pending].map((id) => this.#services.get(id)!).sort();
  }
}

/**
 * Waits until every running container of the compose project is healthy (or has no health check),
 * from Docker's health events rather than by polling: `docker compose up --wait` asks Docker every
 * 0.5 s, which costs a lab start up to half a second for nothing. `sinceMs` is when the start
 * began (epoch ms). Fails at the first container that dies or turns unhealthy (or died since
 * `sinceMs`), or after `timeoutMs`; every `progressMs` it calls `progress` with the services
 * still starting.
 */
export async function waitHealthy(
  options: {
    composeArgs?: string[];
    env?: NodeJS.ProcessEnv;
    sinceMs: number;
    timeoutMs: number;
    progressMs?: number;
    progress?: (pending: string[]) => void;
    /** Services not to wait for: the on-demand ones (compose profiles), whose containers are only created. */
    ignore?: readonly string[];
  },
): Promise<WaitOutcome> {
  // Listen first, then look: whatever changes after `compose ps` arrives as an event. Docker
  // replays only its last 256 events, so what happened earlier in the start comes from `ps` and,
  // for an exited container, from when it stopped. Events of containers `ps` does not list (other
  // projects') are ignored.
  const events = spawn(
    "docker",
    ["events", "--since", (options.sinceMs / 1000).toFixed(3), "--format", "{{json .}}", "--filter", "type=container",
      "--filter", "event=health_status", "--filter", "event=die"],
    { env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  events.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  try {
    const now = composePs(options.composeArgs ?? [], options.env).filter((c) => !(options.ignore ?? []).includes(c.Service));
    for (const c of now.filter((c) => c.State === "exited" || c.State === "dead")) {
      try {
        c.FinishedAt = docker(["inspect", "--format", "{{.State.FinishedAt}}", c.ID], options.env).trim();
      } catch {
        // removed meanwhile: not part of this start
      }
    }
    const wait = new HealthWait(now, options.sinceMs);
    const first = wait.outcome();
    if (first) return first;
    return await new Promise<WaitOutcome>((resolve) => {
      const done = (outcome: WaitOutcome) => {
        clearTimeout(timer);
        if (ticker) clearInterval(ticker);
        resolve(outcome);
      };
      const timer = setTimeout(() => done({ ok: false, reason: `not healthy after ${options.timeoutMs / 1000} s: ${wait.pending().join(", ")}` }), options.timeoutMs);
      const ticker = options.progress && setInterval(() => options.progress!(wait.pending()), options.progressMs ?? 10_000);
      createInterface({ input: events.stdout }).on("line", (line) => {
        let event: ContainerEvent;
        try {
          event = JSON.parse(line) as ContainerEvent;
        } catch {
          return;
        }
        const outcome = wait.event(event);
        if (outcome) done(outcome);
      });
      events.on("close", (code) => done({ ok: false, reason: `docker events stopped (exit ${code}): ${stderr.trim()}` }));
      events.on("error", (error) => done({ ok: false, reason: `docker events could not run: ${error.message}` }));
    });
  } finally {
    events.kill();
  }
}
