import { UnknownNameError } from "../common/errors.ts";
import type { Probe } from "./probe.ts";

/** The probes a scenario can call, by name. */
export class ProbeRegistry {
  readonly #probes = new Map<string, Probe>();

  constructor(probes: readonly Probe[] = []) {
    for (const p of probes) this.register(p);
  }

  register(probe: Probe): this {
    if (this.#probes.has(probe.name)) throw new Error(`probe "${probe.name}" is registered twice`);
    this.#probes.set(probe.name, probe);
    return this;
  }

  /** The named probe; an unknown name throws an error that lists the valid ones. */
  get(name: string): Probe {
    const probe = this.#probes.get(name);
    if (!probe) throw new UnknownNameError("probe", name, this.names());
    return probe;
  }

  names(): string[] {
    return [...this.#probes.keys()].sort();
  }

  list(): Probe[] {
    return this.names().map((n) => this.#probes.get(n)!);
  }
}
