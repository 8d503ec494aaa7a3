import { PassThrough } from "node:stream";
import Docker from "dockerode";
import { DockerError, L7labError } from "../common/errors.ts";
import type { ContainerHealth, DockerAdapter, ExecResult, LogLine, ServiceAction, ServiceState } from "./docker-adapter.ts";
import { parseDockerLogs } from "./docker-log.ts";

const PROJECT_LABEL = "com.docker.compose.project";
const SERVICE_LABEL = "com.docker.compose.service";

/** The Docker adapter over dockerode. Containers are found by their compose labels. */
export class DockerodeAdapter implements DockerAdapter {
  readonly #docker: Docker;
  readonly project: string;

  constructor(project: string, docker: Docker = new Docker()) {
    this.project = project;
    this.#docker = docker;
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
    return this.serviceState(service);
  }

  async exec(service: string, command: readonly string[], options: { timeoutMs?: number } = {}): Promise<ExecResult> {
    const { id, state } = await this.serviceState(service);
    if (state !== "running") {
      throw new L7labError("NOT_RUNNING", 409, `service "${service}" is ${state}, so nothing can be run in it`, { service, state });
    }
    const timeoutMs = options.timeoutMs ?? 30_000;
    try {
      const exec = await this.#docker.getContainer(id).exec({ Cmd: [...command], AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({ hijack: true, stdin: false });
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      stdout.on("data", (b: Buffer) => out.push(b));
      stderr.on("data", (b: Buffer) => err.push(b));
      this.#docker.modem.demuxStream(stream, stdout, stderr);
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          stream.destroy();
          reject(new L7labError("EXEC_TIMEOUT", 504, `"${command.join(" ")}" in service "${service}" did not finish within ${timeoutMs} ms`, { service }));
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
    } catch (cause) {
      if (cause instanceof L7labError) throw cause;
      throw new DockerError(`run "${command.join(" ")}" in`, `service "${service}"`, { cause });
    }
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

function healthFromStatus(status: string): ContainerHealth {
  if (/\(healthy\)/.test(status)) return "healthy";
  if (/\(unhealthy\)/.test(status)) return "unhealthy";
  if (/\(health: starting\)/.test(status)) return "starting";
  return "none";
}
