import { PassThrough } from "node:stream";
import Docker from "dockerode";
import { DockerError, L7labError } from "../common/errors.ts";
import type { ContainerHealth, DockerAdapter, ExecResult, LogLine, NetFaultCapabilities, NetFaultHandle, ServiceAction, ServiceState } from "./docker-adapter.ts";
import type { ProberSession } from "../prober/link.ts";
import { parseDockerLogs } from "./docker-log.ts";
import { DockerodeNetFaults } from "../faults/net-fault-helpers.ts";
import { execIn } from "./exec-in.ts";

const PROJECT_LABEL = "com.docker.compose.project";
const SERVICE_LABEL = "com.docker.compose.service";

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
      // A fault helper is no service, whatever labels its image carries (see helperSpec); nor is a
      // `docker compose run` container (one-off: the README's VM with another MAC), which carries
      // its service's label too.
      .filter((c) => c.Labels["l7lab.fault.project"] === undefined && c.Labels["com.docker.compose.oneoff"] !== "True")
      .map((c) => ({
        service: c.Labels[SERVICE_LABEL] ?? "",
        container: (c.Names[0] ?? c.Id).replace(/^\//, ""),
        id: c.Id,
        state: c.State,
        health: healthFromStatus(c.Status),
        ...exitCodeFromStatus(c.Status),
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

  #capabilities: Promise<NetFaultCapabilities> | undefined;
  netFaultCapabilities(): Promise<NetFaultCapabilities> {
    this.#capabilities ??= DockerodeNetFaults.capabilities(this, this.#docker, this.#options).catch((error: unknown) => {
      this.#capabilities = undefined; // asked again next time
      throw error;
    });
    return this.#capabilities;
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
function healthFromStatus(status: string): ContainerHealth {
  if (/\(healthy\)/.test(status)) return "healthy";
  if (/\(unhealthy\)/.test(status)) return "unhealthy";
  if (/\(health: starting\)/.test(status)) return "starting";
  return "none";
}

/** The exit code in Docker's status text of an exited container: "Exited (137) 3 seconds ago". */
function exitCodeFromStatus(status: string): { exitCode?: number } {
  const m = /^Exited \((-?\d+)\)/.exec(status);
  return m ? { exitCode: Number(m[1]) } : {};
}
