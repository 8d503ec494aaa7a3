import type { Clock } from "../common/clock.ts";
import { InvalidInputError, L7labError, UnknownNameError } from "../common/errors.ts";
import type { DockerAdapter } from "../docker/docker-adapter.ts";
import { describeNetFault, LOSS_DIRECTIONS, netFaultProblems, netFaultSpec, type NetFaultFields, type NetFaultSpec } from "./net-fault-args.ts";
import { netFaultTargetProblems } from "./targets.ts";
import type { Topology } from "../lab/topology.ts";
import type { NetFaultEntry } from "./ledger.ts";
import { removeNetFault, startNetFault, type HealedFault } from "./net-faults.ts";

/** A network fault applied by hand (API or CLI), as the API shows it: its id, service, helper and fields. */
export type ManualFault = { id: string; service: string; helper: string; appliedAt: string } & NetFaultSpec;

const view = (e: NetFaultEntry): ManualFault => ({
  id: e.stepId,
  service: e.service,
  ...e.fault,
  helper: e.handle.helper,
  appliedAt: new Date(e.appliedAt).toISOString(),
});

/**
 * Network faults applied by hand, for experiments outside scenarios (what Pumba's CLI does). They
 * stay until removed here; the orchestrator removes any that are left when it shuts down, and a
 * new orchestrator removes helpers an old one left behind.
 */
export class ManualFaults {
  readonly #docker: DockerAdapter;
  readonly #topology: Topology;
  readonly #clock: Clock;
  readonly #faults = new Map<string, NetFaultEntry>();
  /** Services whose fault is being applied right now: a second request for one is refused. */
  readonly #starting = new Set<string>();
  #next = 0;

  constructor(docker: DockerAdapter, topology: Topology, clock: Clock) {
    this.#docker = docker;
    this.#topology = topology;
    this.#clock = clock;
  }

  list(): ManualFault[] {
    return [...this.#faults.values()].map(view);
  }

  /**
   * Applies { service, ...fault fields }. Checks everything first: a bad request changes nothing.
   * One fault per service, whatever its kind.
   */
  async apply(body: { service: string } & NetFaultFields): Promise<ManualFault> {
    this.#topology.service(body.service);
    const reason = this.#topology.protectedReason(body.service);
    if (reason) throw new L7labError("PROTECTED_SERVICE", 409, reason, { service: body.service });
    const problems = netFaultProblems(body);
    if (problems.length === 0) problems.push(...netFaultTargetProblems(body.service, body, this.#topology));
    if (problems.length > 0) throw new InvalidInputError("the fault", problems);
    if (this.#starting.has(body.service)) {
      throw new L7labError("FAULT_EXISTS", 409, `a network fault is being applied to service "${body.service}" right now; wait for it, then remove it first`, { service: body.service });
    }
    const held = [...this.#faults.values()].find((f) => f.service === body.service);
    if (held) {
      throw new L7labError("FAULT_EXISTS", 409, `service "${body.service}" already has network fault ${held.stepId} (${describeNetFault(held.fault)}); remove it first with DELETE /api/faults/${held.stepId}`, { service: body.service, fault: held.stepId });
    }
    const id = `f${++this.#next}`;
    this.#starting.add(body.service);
    try {
      const entry = await startNetFault(id, body.service, netFaultSpec(body), this.#docker, this.#topology, this.#clock);
      this.#faults.set(id, entry);
      return view(entry);
    } finally {
      this.#starting.delete(body.service);
    }
  }

  async heal(id: string): Promise<HealedFault> {
    const entry = this.#faults.get(id);
    if (!entry) throw new UnknownNameError("fault", id, [...this.#faults.keys()]);
    const healed = await removeNetFault(entry, this.#docker, this.#clock);
    this.#faults.delete(id);
    return healed;
  }

  /** Removes every fault; for shutdown. Never throws: returns what could not be removed. */
  async healAll(): Promise<string[]> {
    const results = await Promise.allSettled([...this.#faults.keys()].map((id) => this.heal(id)));
    return results.flatMap((r) => (r.status === "rejected" ? [(r.reason as Error).message] : []));
  }
}

export { LOSS_DIRECTIONS };
