/**
 * The helper containers that hold a network fault in a service's network namespace (docker run
 * --network container:<target> --cap-add NET_ADMIN, services/router/net-fault.sh), as Pumba does:
 * starting one and waiting until it reports the fault applied, reading its counters, stopping it
 * (its trap removes the fault) and removing those an earlier orchestrator left behind.
 */
import type Docker from "dockerode";
import { DockerError, L7labError } from "../common/errors.ts";
import { retryUntil } from "../common/retry.ts";
import type { NetFaultCapabilities, NetFaultHandle, ServiceState } from "../docker/docker-adapter.ts";
import { parseDockerLogs } from "../docker/docker-log.ts";
import type { DockerodeAdapter, DockerodeAdapterOptions } from "../docker/dockerode-adapter.ts";
import { execIn } from "../docker/exec-in.ts";
import { parseNetFaultStats } from "./net-fault-args.ts";

/** On fault helpers: the project and the service whose namespace they hold a fault in. */
const FAULT_PROJECT_LABEL = "l7lab.fault.project";
const FAULT_SERVICE_LABEL = "l7lab.fault.service";
const NET_FAULT_SCRIPT = "/usr/local/bin/net-fault.sh";

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

  /**
   * Asks a throwaway helper, in a network namespace of its own (no lab network), what the kernel
   * offers: netem, NFQUEUE, the statistic match, tbf. Qdiscs and iptables targets are the kernel's,
   * so any namespace gives the same answer.
   */
  static async capabilities(adapter: DockerodeAdapter, docker: Docker, options: DockerodeAdapterOptions): Promise<NetFaultCapabilities> {
    const name = `${adapter.project}-fault-capabilities-${Date.now().toString(36)}`;
    let container: Docker.Container | undefined;
    try {
      const spec = helperSpec(adapter.project, helperImage(options), "", "", name, ["capabilities"], "asks the kernel what network faults it can do");
      container = await docker.createContainer({ ...spec, HostConfig: { ...spec.HostConfig, NetworkMode: "none" } });
      await container.start();
      const result = (await container.wait()) as { StatusCode: number };
      const log = await helperLog(container);
      if (result.StatusCode !== 0) throw new L7labError("NET_FAULT_FAILED", 502, `the fault helper could not tell what this kernel offers: ${log.trim() || `exit ${result.StatusCode}`}`, {});
      return parseCapabilities(log);
    } catch (cause) {
      if (cause instanceof L7labError) throw cause;
      throw new DockerError("ask a fault helper what this kernel offers", "capabilities", { cause });
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

/**
 * Compose stamps the images it builds with its project and service labels, and a container
 * inherits its image's labels: a helper made from the router's image would pass for a second
 * "router" container of the project, to Compose and to the orchestrator (an exec "in the router"
 * could land in the namespace the helper holds a fault in). Its own labels blank them out.
 */
export const NOT_A_COMPOSE_SERVICE = { "com.docker.compose.project": "", "com.docker.compose.service": "", "com.docker.compose.version": "" };

/** A helper container in the target's network namespace, running net-fault.sh with `args`. */
export function helperSpec(project: string, image: string, targetId: string, service: string, name: string, args: readonly string[], description: string): Docker.ContainerCreateOptions {
  return {
    name,
    Image: image,
    Entrypoint: [NET_FAULT_SCRIPT],
    Cmd: [...args],
    Labels: { ...NOT_A_COMPOSE_SERVICE, [FAULT_PROJECT_LABEL]: project, [FAULT_SERVICE_LABEL]: service, "l7lab.description": description },
    // No health check: the router image's own would run in the target's namespace.
    Healthcheck: { Test: ["NONE"] },
    HostConfig: { NetworkMode: `container:${targetId}`, CapAdd: ["NET_ADMIN"], Init: true, AutoRemove: false },
  };
}

/** Reads `net-fault.sh capabilities` ("netem no", "nfqueue yes", ...); a name it does not print is no. */
export function parseCapabilities(text: string): NetFaultCapabilities {
  const yes = (name: string) => new RegExp(`^${name} yes$`, "m").test(text);
  return { netem: yes("netem"), nfqueue: yes("nfqueue"), statistic: yes("statistic"), tbf: yes("tbf") };
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
