import { PassThrough } from "node:stream";
import Docker from "dockerode";
import { DockerError, L7labError } from "../common/errors.ts";
import { retryUntil } from "../common/retry.ts";
import type { ContainerHealth, DockerAdapter, ExecResult, LogLine, NetFaultHandle, ServiceAction, ServiceState } from "./docker-adapter.ts";
import type { ProberSession } from "../prober/link.ts";
import { parseDockerLogs } from "./docker-log.ts";
import { parseNetFaultStats } from "./net-fault-args.ts";

const PROJECT_LABEL = "com.docker.compose.project";
const SERVICE_LABEL = "com.docker.compose.service";
/** On fault helpers: the project and the service whose namespace they hold a fault in. */
const FAULT_PROJECT_LABEL = "l7lab.fault.project";
const FAULT_SERVICE_LABEL = "l7lab.fault.service";
const NET_FAULT_SCRIPT = "/usr/local/bin/net-fault.sh";

export interface DockerodeAdapterOptions {
  /** The image of fault helpers (compose's x-l7lab.fault-helper-image); without it network faults are refused. */
  faultHelperImage?: string;
  /** How long a helper may take to report its fault applied. */
  faultApplyTimeoutMs?: number;
  /**
   * Service → its one-shot init services (Topology.initServices()), run again, and awaited,
   * whenever the service starts: they set up its network namespace, which a stop takes away.
   */
  initServices?: Record<string, string[]>;
}

/** How long a one-shot init service (it sets a route) may take to run. */
const INIT_TIMEOUT_MS = 30_000;

/** The Docker adapter over dockerode. Containers are found by their compose labels. */
export class DockerodeAdapter implements DockerAdapter {
  readonly #docker: Docker;
  readonly project: string;

  readonly #options: DockerodeAdapterOptions;

  constructor(project: string, docker: Docker = new Docker(), options: DockerodeAdapterOptions = {}) {
    this.project = project;
    this.#docker = docker;
    this.#options = options;
  }

  async ping(): Promise<boolean> {
    try {
      await this.#docker.ping();
      return true;
    } catch {
      return false;
    }
  }

  async listServices(): Promise<ServiceState[]> {
    let containers: Docker.ContainerInfo[];
    try {
      containers = await this.#docker.listContainers({ all: true, filters: { label: [`${PROJECT_LABEL}=${this.project}`] } });
    } catch (cause) {
      throw new DockerError("list the containers of project", this.project, { cause });
    }
    return containers
      .map((c) => ({
        service: c.Labels[SERVICE_LABEL] ?? "",
        container: (c.Names[0] ?? c.Id).replace(/^\//, ""),
        id: c.Id,
        state: c.State,
        health: healthFromStatus(c.Status),
        networks: Object.entries(c.NetworkSettings?.Networks ?? {}).map(([name, n]) => ({
          name: name.startsWith(`${this.project}_`) ? name.slice(this.project.length + 1) : name,
          ipv4: n.IPAddress,
        })),
      }))
      .sort((a, b) => a.service.localeCompare(b.service));
  }

  async serviceState(service: string): Promise<ServiceState> {
    const all = await this.listServices();
    const found = all.find((s) => s.service === service);
    if (!found) {
      throw new L7labError("NO_CONTAINER", 409, `service "${service}" has no container in compose project "${this.project}". Is the lab up? Start it with "docker compose up -d ${service}".`, {
        service,
        containers: all.map((s) => s.service),
      });
    }
    return found;
  }

  async act(service: string, action: ServiceAction): Promise<ServiceState> {
    const before = await this.serviceState(service);
    const container = this.#docker.getContainer(before.id);
    const running = before.state === "running";
    const paused = before.state === "paused";
    try {
      switch (action) {
        case "stop":
          if (paused) await container.unpause();
          if (running || paused) await container.stop({ t: 5 });
          break;
        case "kill":
          if (running || paused) await container.kill();
          break;
        case "start":
          if (paused) await container.unpause();
          else if (!running) await container.start();
          break;
        case "restart":
          if (paused) await container.unpause();
          await container.restart({ t: 5 });
          break;
        case "pause":
          if (!running) throw new L7labError("NOT_RUNNING", 409, `service "${service}" is ${before.state}, not running, so it cannot be paused`, { service });
          await container.pause();
          break;
        case "unpause":
          if (paused) await container.unpause();
          break;
      }
    } catch (cause) {
      if (cause instanceof L7labError) throw cause;
      throw new DockerError(action, `service "${service}"`, { cause });
    }
    // A new network namespace (a start from stopped, a restart) has lost what the service's
    // one-shot init services set in it: run them again.
    if ((action === "start" && !running && !paused) || action === "restart") await this.#runInitServices(service);
    // The container list (docker ps) is a view that the daemon updates just after a state change:
    // on a busy machine it said "running" right after a stop had returned. The state, and the
    // health while it runs, come from inspecting the container itself.
    const after = await this.serviceState(service);
    let live: Docker.ContainerInspectInfo["State"];
    try {
      live = (await container.inspect()).State;
    } catch (cause) {
      throw new DockerError("inspect", `service "${service}"`, { cause });
    }
    const health: ContainerHealth = live.Status === "running" ? (live.Health?.Status as ContainerHealth | undefined) ?? "none" : "none";
    return { ...after, state: live.Status, health };
  }

  /** Starts each one-shot init service of `service` again and waits for it to exit 0. */
  async #runInitServices(service: string): Promise<void> {
    for (const init of this.#options.initServices?.[service] ?? []) {
      const { id } = await this.serviceState(init);
      const container = this.#docker.getContainer(id);
      let status: number;
      try {
        await container.start();
        status = await Promise.race([
          container.wait().then((r: { StatusCode: number }) => r.StatusCode),
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`it did not exit within ${INIT_TIMEOUT_MS / 1000} s`)), INIT_TIMEOUT_MS).unref()),
        ]);
      } catch (cause) {
        throw new DockerError("run the one-shot init service", `"${init}" of service "${service}"`, { cause });
      }
      if (status !== 0) {
        const log = (await this.logs(init, { tail: 5 }).catch(() => [])).map((l) => l.text).join("; ");
        throw new L7labError("INIT_FAILED", 502, `service "${service}" started, but its one-shot "${init}" (which sets its routes) exited with ${status}: ${log || "no output"}`, { service, init, status });
      }
    }
  }

  async exec(service: string, command: readonly string[], options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const { id, state } = await this.serviceState(service);
    if (state !== "running") {
      throw new L7labError("NOT_RUNNING", 409, `service "${service}" is ${state}, so nothing can be run in it`, { service, state });
    }
    const timeoutMs = options.timeoutMs ?? 30_000;
    try {
      return await execIn(this.#docker, id, command, timeoutMs, `service "${service}"`);
    } catch (cause) {
      if (cause instanceof L7labError) throw cause;
      throw new DockerError(`run "${command.join(" ")}" in`, `service "${service}"`, { cause });
    }
  }

  /**
   * Starts `command` in the service's container as a long-lived `docker exec` session with its
   * stdin open: the controller's link to the prober (orchestrator/src/prober). Its stdout and
   * stderr arrive apart; closing the session closes the process's stdin.
   */
  async openSession(service: string, command: readonly string[]): Promise<ProberSession> {
    const { id, state } = await this.serviceState(service);
    if (state !== "running") {
      throw new L7labError("NOT_RUNNING", 409, `service "${service}" is ${state}, so nothing can be run in it`, { service, state });
    }
    let stream: NodeJS.ReadWriteStream & { destroy(): void };
    try {
      const exec = await this.#docker.getContainer(id).exec({ Cmd: [...command], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false });
      stream = (await exec.start({ hijack: true, stdin: true })) as typeof stream;
    } catch (cause) {
      throw new DockerError(`start "${command.join(" ")}" in`, `service "${service}"`, { cause });
    }
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    this.#docker.modem.demuxStream(stream, stdout, stderr);
    const closeListeners: ((why: string) => void)[] = [];
    let closed = false;
    const close = (why: string) => {
      if (closed) return;
      closed = true;
      for (const l of closeListeners) l(why);
    };
    stream.on("end", () => close("its process exited"));
    stream.on("close", () => close("its process exited"));
    stream.on("error", (e: Error) => close(`the session failed: ${e.message}`));
    return {
      write: (text) => void stream.write(text),
      onStdout: (listener) => void stdout.on("data", listener),
      onStderr: (listener) => void stderr.on("data", listener),
      onClose: (listener) => void closeListeners.push(listener),
      close: () => {
        stream.end();
        setTimeout(() => stream.destroy(), 5_000).unref();
      },
    };
  }

  applyNetFault(service: string, args: readonly string[]): Promise<NetFaultHandle> {
    return DockerodeNetFaults.apply(this, this.#docker, this.#options, service, args);
  }

  netFaultStats(handle: NetFaultHandle): Promise<Record<string, number>> {
    return DockerodeNetFaults.stats(this.#docker, handle);
  }

  removeNetFault(handle: NetFaultHandle): Promise<void> {
    return DockerodeNetFaults.remove(this, this.#docker, this.#options, handle);
  }

  removeStrayNetFaults(): Promise<string[]> {
    return DockerodeNetFaults.removeStray(this, this.#docker, this.#options);
  }

  async logs(service: string, options: { sinceMs?: number; tail?: number } = {}): Promise<LogLine[]> {
    const { id } = await this.serviceState(service);
    try {
      const buffer = (await this.#docker.getContainer(id).logs({
        stdout: true,
        stderr: true,
        timestamps: true,
        follow: false,
        // Docker's `since` is in whole seconds: ask from the second before, and filter exactly below.
        ...(options.sinceMs !== undefined ? { since: Math.floor(options.sinceMs / 1000) - 1 } : {}),
        ...(options.tail !== undefined ? { tail: options.tail } : {}),
      })) as unknown as Buffer;
      const lines = parseDockerLogs(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer)));
      return options.sinceMs === undefined ? lines : lines.filter((l) => l.at >= options.sinceMs!);
    } catch (cause) {
      throw new DockerError("read the logs of", `service "${service}"`, { cause });
    }
  }
}

// ------------------------------------------------------------------ network faults
export class DockerodeNetFaults {
  static async apply(adapter: DockerodeAdapter, docker: Docker, options: DockerodeAdapterOptions, service: string, args: readonly string[]): Promise<NetFaultHandle> {
    const image = helperImage(options);
    const target = await adapter.serviceState(service);
    if (target.state !== "running") {
      throw new L7labError("NOT_RUNNING", 409, `service "${service}" is ${target.state}, so no network fault can be applied to it`, { service, state: target.state });
    }
    const name = `${adapter.project}-fault-${service}-${Date.now().toString(36)}`;
    let container: Docker.Container;
    try {
      container = await docker.createContainer(helperSpec(adapter.project, image, target.id, service, name, args, `network fault ${args.join(" ")} on ${service}`));
      await container.start();
    } catch (cause) {
      throw new DockerError(`start a fault helper (${image}) for`, `service "${service}"`, { cause });
    }
    const handle: NetFaultHandle = { service, helper: name, helperId: container.id, args: [...args] };
    // Wait until the helper says the fault is applied, or exits (a refusal, or a failure it has
    // cleaned up after). Docker errors are retried until the time is up; then the helper is stopped
    // with SIGTERM, so that its trap removes whatever it had applied, and the namespace is checked.
    const timeoutMs = options.faultApplyTimeoutMs ?? 15_000;
    let outcome: HelperVerdict;
    try {
      outcome = await retryUntil(
        () => helperVerdict({ state: async () => (await container.inspect()).State, log: () => helperLog(container) }),
        `the fault helper ${name} reporting the fault applied`,
        { timeoutMs, intervalMs: 100 },
      );
    } catch (error) {
      const cause = (error as Error).cause instanceof Error ? ` (Docker: ${((error as Error).cause as Error).message})` : "";
      const cleanup = await DockerodeNetFaults.remove(adapter, docker, options, handle).then(
        () => "",
        (failure: unknown) => ` Removing what it may have applied failed too: ${(failure as Error).message}`,
      );
      throw new L7labError("NET_FAULT_FAILED", 502, `the network fault ${args.join(" ")} could not be applied to service "${service}": it did not report the fault applied within ${timeoutMs} ms${cause}.${cleanup}`, { service, args: [...args] });
    }
    if (outcome.applied) return handle;
    // It refused (another fault holds the namespace: exit 3, nothing touched) or failed and its
    // EXIT trap removed what it had made: only the container is left to remove.
    await container.remove({ force: true }).catch(() => undefined);
    throw new L7labError("NET_FAULT_FAILED", outcome.exitCode === 3 ? 409 : 502, `the network fault ${args.join(" ")} could not be applied to service "${service}": ${outcome.log.trim() || `the helper exited with code ${outcome.exitCode}`}`, { service, args: [...args] });
  }

  static async stats(docker: Docker, handle: NetFaultHandle): Promise<Record<string, number>> {
    const r = await execIn(docker, handle.helperId, [NET_FAULT_SCRIPT, "stats"], 10_000, `fault helper ${handle.helper}`);
    if (r.exitCode !== 0) throw new L7labError("NET_FAULT_STATS", 502, `could not read the counters of fault helper ${handle.helper}: ${r.stderr.trim() || `exit ${r.exitCode}`}`, { helper: handle.helper });
    return parseNetFaultStats(r.stdout);
  }

  /**
   * Stops the helper with SIGTERM (its trap removes the fault and says so), then removes it. The
   * removal is checked: when the helper is gone, was killed, or did not report the fault removed,
   * a short-lived helper runs `net-fault.sh clear` in the service's namespace, which fails naming
   * anything still in place. Throws when the fault may still be there.
   */
  static async remove(adapter: DockerodeAdapter, docker: Docker, options: DockerodeAdapterOptions, handle: NetFaultHandle): Promise<void> {
    const container = docker.getContainer(handle.helperId);
    let confirmed = false;
    try {
      await container.stop({ t: 20 }).catch((cause: unknown) => {
        if (!isNotModified(cause)) throw cause;
      });
      const info = await container.inspect();
      confirmed = info.State.ExitCode === 0 && /l7lab-fault: (removed|cleared)/.test(await helperLog(container));
      await container.remove({ force: true });
    } catch (cause) {
      if (!isNotFound(cause)) throw new DockerError("stop the fault helper", handle.helper, { cause });
    }
    if (!confirmed) await DockerodeNetFaults.clear(adapter, docker, options, handle.service);
  }

  /** Runs `net-fault.sh clear` in the service's namespace (when it runs); throws when anything is left. */
  static async clear(adapter: DockerodeAdapter, docker: Docker, options: DockerodeAdapterOptions, service: string): Promise<void> {
    let target: ServiceState;
    try {
      target = await adapter.serviceState(service);
    } catch {
      return; // no container: no namespace, nothing left
    }
    if (target.state !== "running" && target.state !== "paused") return; // its namespace went with it
    const name = `${adapter.project}-fault-clear-${service}-${Date.now().toString(36)}`;
    let container: Docker.Container | undefined;
    try {
      container = await docker.createContainer(helperSpec(adapter.project, helperImage(options), target.id, service, name, ["clear"], `clears network faults on ${service}`));
      await container.start();
      const result = (await container.wait()) as { StatusCode: number };
      if (result.StatusCode !== 0) {
        throw new L7labError("NET_FAULT_LEFT", 502, `a network fault on service "${service}" could not be removed: ${(await helperLog(container)).trim()}`, { service });
      }
    } catch (cause) {
      if (cause instanceof L7labError) throw cause;
      throw new DockerError("clear the network faults of", `service "${service}"`, { cause });
    } finally {
      await container?.remove({ force: true }).catch(() => undefined);
    }
  }

  /** Removes every helper of the project, checking each service's namespace; goes on after a failure. */
  static async removeStray(adapter: DockerodeAdapter, docker: Docker, options: DockerodeAdapterOptions): Promise<string[]> {
    const helpers = await docker.listContainers({ all: true, filters: { label: [`${FAULT_PROJECT_LABEL}=${adapter.project}`] } });
    const removed: string[] = [];
    const failures: string[] = [];
    for (const h of helpers) {
      const name = (h.Names[0] ?? h.Id).replace(/^\//, "");
      try {
        await DockerodeNetFaults.remove(adapter, docker, options, { service: h.Labels[FAULT_SERVICE_LABEL] ?? "", helper: name, helperId: h.Id, args: [] });
        removed.push(name);
      } catch (error) {
        failures.push(`${name}: ${(error as Error).message}`);
      }
    }
    if (failures.length > 0) throw new L7labError("NET_FAULT_LEFT", 502, `removed ${removed.length} fault helper(s), but not: ${failures.join("; ")}`, { removed });
    return removed;
  }
}

function helperImage(options: DockerodeAdapterOptions): string {
  if (options.faultHelperImage === undefined) {
    throw new L7labError("NO_FAULT_HELPER", 500, "network faults need a helper image: set x-l7lab.fault-helper-image in docker-compose.yml", {});
  }
  return options.faultHelperImage;
}

/** A helper container in the target's network namespace, running net-fault.sh with `args`. */
function helperSpec(project: string, image: string, targetId: string, service: string, name: string, args: readonly string[], description: string): Docker.ContainerCreateOptions {
  return {
    name,
    Image: image,
    Entrypoint: [NET_FAULT_SCRIPT],
    Cmd: [...args],
    Labels: { [FAULT_PROJECT_LABEL]: project, [FAULT_SERVICE_LABEL]: service, "l7lab.description": description },
    // No health check: the router image's own would run in the target's namespace.
    Healthcheck: { Test: ["NONE"] },
    HostConfig: { NetworkMode: `container:${targetId}`, CapAdd: ["NET_ADMIN"], Init: true, AutoRemove: false },
  };
}

export type HelperVerdict = { applied: true } | { applied: false; exitCode: number; log: string };

/**
 * One look at a fault helper: undefined while it runs without having said "applied". The state is
 * read before the log, so that the log of a helper found exited is complete (Docker drains a
 * container's output before it marks it exited); read the other way round, a helper that refuses
 * between the two reads would leave its reason out.
 */
export async function helperVerdict(helper: { state(): Promise<{ Running: boolean; ExitCode: number }>; log(): Promise<string> }): Promise<HelperVerdict | undefined> {
  const state = await helper.state();
  const log = await helper.log();
  if (state.Running) return /l7lab-fault: applied/.test(log) ? { applied: true } : undefined;
  return { applied: false, exitCode: state.ExitCode, log };
}

async function helperLog(container: Docker.Container): Promise<string> {
  const buffer = (await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer;
  return parseDockerLogs(Buffer.isBuffer(buffer) ? buffer : Buffer.from(String(buffer))).map((l) => l.text).join("\n");
}

const statusOf = (e: unknown): number | undefined => (e as { statusCode?: number }).statusCode;
const isNotFound = (e: unknown) => statusOf(e) === 404;
const isNotModified = (e: unknown) => statusOf(e) === 304;

/** Runs a command in a container and collects its output; `where` names the container in a timeout error. */
async function execIn(docker: Docker, id: string, command: readonly string[], timeoutMs: number, where: string): Promise<ExecResult> {
  const exec = await docker.getContainer(id).exec({ Cmd: [...command], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (b: Buffer) => out.push(b));
  stderr.on("data", (b: Buffer) => err.push(b));
  docker.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new L7labError("EXEC_TIMEOUT", 504, `"${command.join(" ")}" in ${where} did not finish within ${timeoutMs} ms`, { where }));
    }, timeoutMs);
    stream.on("end", () => { clearTimeout(timer); resolve(); });
    stream.on("close", () => { clearTimeout(timer); resolve(); });
    stream.on("error", (e: Error) => { clearTimeout(timer); reject(e); });
  });
  // The stream can end a moment before Docker records the exit code.
  let info = await exec.inspect();
  for (let i = 0; i < 20 && (info.Running || info.ExitCode === null); i++) {
    await new Promise((r) => setTimeout(r, 50));
    info = await exec.inspect();
  }
  return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}

function healthFromStatus(status: string): ContainerHealth {
  if (/\(healthy\)/.test(status)) return "healthy";
  if (/\(unhealthy\)/.test(status)) return "unhealthy";
  if (/\(health: starting\)/.test(status)) return "starting";
  return "none";
}
