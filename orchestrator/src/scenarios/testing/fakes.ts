/** Test doubles for the scenario engine: a virtual clock, a fake Docker, fake probes, a small topology. */
import { Type, type TSchema } from "typebox";
import { DockerError, L7labError } from "../../common/errors.ts";
import type { ContainerHealth, NetFaultCapabilities, NetFaultHandle, DockerAdapter, ExecResult, LogLine, ServiceAction, ServiceState } from "../../docker/docker-adapter.ts";
import { Topology } from "../../lab/topology.ts";
import type { Probe, ProbeContext, ProbeOutcome } from "../../probes/probe.ts";

// The virtual clock lives with the other test clocks.
export { VirtualClock } from "../../common/testing/fake-clock.ts";

export interface FakeService {
  state: string;
  health: ContainerHealth;
}

/**
 * Docker as a table of service states. `act` changes the state the way Docker would; `calls` logs
 * every call as "act dns-1 stop" etc. A started service is "starting" for `startPolls` health polls.
 */
export class FakeDocker implements DockerAdapter {
  readonly services = new Map<string, FakeService>();
  readonly calls: string[] = [];
  startPolls = 1;
  failActions = new Set<string>();
  execHandler: (service: string, command: readonly string[]) => Promise<ExecResult> = () => Promise.resolve({ exitCode: 0, stdout: "", stderr: "" });
  readonly #pollsLeft = new Map<string, number>();

  constructor(names: readonly string[]) {
    for (const n of names) this.services.set(n, { state: "running", health: "healthy" });
  }

  #get(service: string): FakeService {
    const s = this.services.get(service);
    // As the real adapter: a service without a container is a 409 that says so.
    if (!s) throw new L7labError("NO_CONTAINER", 409, `service "${service}" has no container`, { service });
    return s;
  }

  #state(service: string): ServiceState {
    const s = this.#get(service);
    return { service, container: `lab-${service}-1`, id: `id-${service}`, state: s.state, health: s.health, networks: [] };
  }

  listServices(): Promise<ServiceState[]> {
    return Promise.resolve([...this.services.keys()].map((n) => this.#state(n)));
  }

  serviceState(service: string): Promise<ServiceState> {
    this.calls.push(`state ${service}`);
    const s = this.#get(service);
    const left = this.#pollsLeft.get(service);
    if (left !== undefined) {
      if (left <= 0) {
        s.health = "healthy";
        this.#pollsLeft.delete(service);
      } else {
        this.#pollsLeft.set(service, left - 1);
      }
    }
    return Promise.resolve(this.#state(service));
  }

  act(service: string, action: ServiceAction): Promise<ServiceState> {
    this.calls.push(`act ${service} ${action}`);
    if (this.failActions.has(`${service} ${action}`)) return Promise.reject(new DockerError(action, service));
    const s = this.#get(service);
    const up = () => {
      s.state = "running";
      s.health = "starting";
      this.#pollsLeft.set(service, this.startPolls);
    };
    switch (action) {
      case "stop":
      case "kill":
        s.state = "exited";
        s.health = "unhealthy";
        break;
      case "pause":
        s.state = "paused";
        break;
      case "unpause":
        s.state = "running";
        break;
      case "start":
        if (s.state !== "running") up();
        break;
      case "restart":
        up();
        break;
    }
    return Promise.resolve(this.#state(service));
  }

  exec(service: string, command: readonly string[]): Promise<ExecResult> {
    this.calls.push(`exec ${service} ${command.join(" ")}`);
    this.#get(service);
    return this.execHandler(service, command);
  }

  logs(): Promise<LogLine[]> {
    return Promise.resolve([]);
  }

  /** Network faults in place, by helper name. `netFaultFails` makes apply or remove of a service fail. */
  readonly netFaults = new Map<string, NetFaultHandle>();
  netFaultFails = new Set<string>();
  /** What `net-fault.sh stats` prints: both kinds' counters, as the script always prints them. */
  netFaultCounters: Record<string, number> = {
    ingress_seen: 100,
    ingress_dropped: 10,
    egress_seen: 100,
    egress_dropped: 10,
    rate_sent_bytes: 150_000,
    rate_sent_packets: 100,
    rate_dropped: 3,
    rate_overlimits: 40,
  };
  #helpers = 0;

  applyNetFault(service: string, args: readonly string[]): Promise<NetFaultHandle> {
    this.calls.push(`netfault ${service} ${args.join(" ")}`);
    this.#get(service);
    if (this.netFaultFails.has(`${service} apply`)) return Promise.reject(new DockerError("apply a network fault to", service));
    const handle = { service, helper: `fault-${service}-${++this.#helpers}`, helperId: `hid-${this.#helpers}`, args: [...args] };
    this.netFaults.set(handle.helper, handle);
    return Promise.resolve(handle);
  }

  netFaultStats(handle: NetFaultHandle): Promise<Record<string, number>> {
    if (!this.netFaults.has(handle.helper)) return Promise.reject(new DockerError("read counters of", handle.helper));
    return Promise.resolve({ ...this.netFaultCounters });
  }

  removeNetFault(handle: NetFaultHandle): Promise<void> {
    this.calls.push(`unfault ${handle.service} ${handle.args.join(" ")}`);
    if (this.netFaultFails.has(`${handle.service} remove`)) return Promise.reject(new DockerError("remove the network fault of", handle.service));
    this.netFaults.delete(handle.helper);
    return Promise.resolve();
  }

  capabilities: NetFaultCapabilities = { netem: false, nfqueue: true, statistic: true, tbf: true };
  netFaultCapabilities(): Promise<NetFaultCapabilities> {
    return Promise.resolve({ ...this.capabilities });
  }

  removeStrayNetFaults(): Promise<string[]> {
    const names = [...this.netFaults.keys()];
    this.netFaults.clear();
    return Promise.resolve(names);
  }
}

export const SERVICES = ["dns-hamburger-1", "dns-hamburger-2", "dns-resolver"] as const;

export function testTopology(): Topology {
  return new Topology(
    "l7lab",
    SERVICES.map((name, i) => ({ name, hostnames: [], role: "dns", description: "", networks: [{ network: "lab", ipv4: `10.0.0.${i + 2}` }] })),
    [{ name: "lab", subnet: "10.0.0.0/24", internal: true, private: false, description: "" }],
  );
}

/** A probe whose `run` is the given function. */
export function fakeProbe(
  name: string,
  run: (params: Record<string, unknown>, ctx: ProbeContext) => Promise<ProbeOutcome>,
  paramsSchema: TSchema = Type.Object({}, { additionalProperties: true }),
): Probe {
  return { name, description: `fake ${name}`, paramsSchema, run: (params, ctx) => run(params as Record<string, unknown>, ctx) };
}

/** A probe that answers `data` (ok) at once. */
export function constantProbe(name: string, data: unknown): Probe {
  return fakeProbe(name, () => Promise.resolve({ ok: true, data, transcript: [] }));
}

/** A probe that never answers by itself, and rejects when its signal aborts (or ignores it). */
export function hangingProbe(name: string, honourSignal = true): Probe {
  return fakeProbe(
    name,
    (_params, ctx) =>
      new Promise<ProbeOutcome>((_resolve, reject) => {
        if (honourSignal) ctx.signal.addEventListener("abort", () => reject(ctx.signal.reason as Error), { once: true });
      }),
  );
}
