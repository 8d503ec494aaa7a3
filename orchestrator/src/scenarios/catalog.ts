import { UnknownNameError } from "../common/errors.ts";
import { InvalidScenarioError } from "./errors.ts";
import { loadScenarioDir, type LoadedScenario, type LoaderContext } from "./loader.ts";
import type { Scenario } from "./schema.ts";

/** The scenarios of one directory, valid and invalid, by name; `reload()` reads the files again. */
export class ScenarioCatalog {
  readonly dir: string;
  readonly #ctx: LoaderContext;
  #entries: LoadedScenario[] = [];

  constructor(dir: string, ctx: LoaderContext) {
    this.dir = dir;
    this.#ctx = ctx;
  }

  static async load(dir: string, ctx: LoaderContext): Promise<ScenarioCatalog> {
    return new ScenarioCatalog(dir, ctx).reload();
  }

  async reload(): Promise<this> {
    this.#entries = await loadScenarioDir(this.dir, this.#ctx);
    return this;
  }

  /** Every scenario file, sorted by name, each with `valid` and its `errors`. */
  list(): LoadedScenario[] {
    return [...this.#entries];
  }

  names(): string[] {
    return [...new Set(this.#entries.map((e) => e.name))].sort();
  }

  /** The entry of the named scenario, valid or not; an unknown name lists the known ones. */
  entry(name: string): LoadedScenario {
    const found = this.#entries.find((e) => e.name === name);
    if (!found) throw new UnknownNameError("scenario", name, this.names());
    return found;
  }

  /** The named scenario, ready to run; an invalid one throws its problems. */
  get(name: string): Scenario {
    const found = this.entry(name);
    if (!found.valid) throw new InvalidScenarioError(`scenario "${name}" (${found.file})`, found.errors);
    return found.scenario;
  }
}
