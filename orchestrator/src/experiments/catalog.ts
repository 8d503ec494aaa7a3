/**
 * The experiments of a directory (experiments/*.yaml), each checked the way scenario files are:
 * the schema, then what it names (factors, the metric's step, the models at every point), then
 * the scenario of its first point, through the scenario validator, so that a bad step is found
 * when the file is loaded rather than half-way through a sweep.
 */
import { readdir, readFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { Value } from "typebox/value";
import { UnknownNameError } from "../common/errors.ts";
import { InvalidScenarioError } from "../scenarios/errors.ts";
import { parseText, type LoaderContext } from "../scenarios/loader.ts";
import { schemaProblems, validateScenario } from "../scenarios/validate.ts";
import { matches } from "./model.ts";
import { allPoints, describePoint, modelAt, pointScenario } from "./plan.ts";
import { ExperimentSchema, type Experiment, type Level } from "./schema.ts";

export interface LoadedExperiment {
  name: string;
  file: string;
  valid: boolean;
  title?: string;
  experiment?: Experiment;
  errors: string[];
}

/** Problems with an experiment as parsed from its file; none when it can run. */
export function experimentProblems(raw: unknown, name: string, ctx: LoaderContext): string[] {
  const schema = schemaProblems(ExperimentSchema, undefined, raw, "the experiment");
  if (schema.length > 0) return schema;
  const exp = raw as Experiment;
  const problems: string[] = [];
  if (exp.name !== name) problems.push(`name "${exp.name}" must equal the file name "${name}"; rename the file or change the name`);
  const factorNames = exp.factors.map((f) => f.name);
  if (new Set(factorNames).size !== factorNames.length) problems.push(`factor names must differ; got ${factorNames.join(", ")}`);
  for (const [f, levels] of Object.entries(exp.quick ?? {})) {
    const factor = exp.factors.find((x) => x.name === f);
    if (!factor) problems.push(`quick names "${f}", which is not a factor; factors: ${factorNames.join(", ")}`);
    else for (const l of levels) if (!factor.levels.includes(l)) problems.push(`quick level ${JSON.stringify(l)} of "${f}" is not one of its levels: ${factor.levels.map((x) => JSON.stringify(x)).join(", ")}`);
  }
  const whens = [...exp.model.map((m) => m.when), exp.bound.when, ...[...exp.steps, ...exp.measure.steps].map((s) => s["when"] as Record<string, unknown> | undefined)];
  for (const when of whens) {
    for (const [k, v] of Object.entries(when ?? {})) {
      const factor = exp.factors.find((x) => x.name === k);
      if (!factor) {
        problems.push(`when names "${k}", which is not a factor; factors: ${factorNames.join(", ")}`);
        continue;
      }
      for (const l of (Array.isArray(v) ? v : [v]) as Level[]) {
        if (!factor.levels.includes(l)) problems.push(`when gives "${k}" the level ${JSON.stringify(l)}, which is not one of its levels: ${factor.levels.map((x) => JSON.stringify(x)).join(", ")}`);
      }
    }
  }
  if (!exp.measure.steps.some((s) => s["id"] === exp.measure.metric.step)) {
    problems.push(`metric.step "${exp.measure.metric.step}" is not the id of a measure step; they are: ${exp.measure.steps.map((s) => String(s["id"])).join(", ")}`);
  }
  if (problems.length > 0) return problems;
  const points = allPoints(exp.factors);
  for (const p of points) {
    try {
      modelAt(exp, p);
    } catch (error) {
      problems.push(`model at ${describePoint(p)}: ${(error as Error).message}`);
    }
  }
  if (!points.some((p) => matches(p, exp.bound.when))) problems.push("bound.when matches no point: the experiment could never pass or fail");
  // Every distinct set of steps a point can have, through the scenario validator (2 repetitions,
  // so that the repeated ids are checked too).
  const seen = new Set<string>();
  for (const p of points) {
    const scenario = pointScenario(exp, p, 2);
    const key = JSON.stringify(scenario["steps"]);
    if (seen.has(key)) continue;
    seen.add(key);
    const result = validateScenario(scenario, ctx);
    if (!result.ok) problems.push(...result.problems.map((q) => `the scenario of point ${describePoint(p)}: ${q}`));
    if (problems.length > 20) break;
  }
  return problems;
}

export function parseExperimentText(text: string, file: string, ctx: LoaderContext): LoadedExperiment {
  const name = basename(file, extname(file));
  const prefix = `experiment file ${file}: `;
  const parsed = parseText(text, file);
  if (parsed.problem) return { name, file, valid: false, errors: [prefix + parsed.problem.replace("a name, a title and steps", "a name, a title, factors, steps, measure and a model")] };
  const title = Value.Check(ExperimentSchema, parsed.value) ? (parsed.value as Experiment).title : undefined;
  const problems = experimentProblems(parsed.value, name, ctx);
  if (problems.length > 0) return { name, file, valid: false, ...(title ? { title } : {}), errors: problems.map((p) => prefix + p) };
  const experiment = parsed.value as Experiment;
  return { name, file, valid: true, title: experiment.title, experiment, errors: [] };
}

/** The experiments of one directory, valid and invalid, by name; read again on each reload. */
export class ExperimentCatalog {
  readonly dir: string;
  readonly #ctx: LoaderContext;
  #entries: LoadedExperiment[] = [];

  constructor(dir: string, ctx: LoaderContext) {
    this.dir = dir;
    this.#ctx = ctx;
  }

  async reload(): Promise<this> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch {
      names = [];
    }
    const files = names.filter((n) => !n.startsWith(".") && !n.endsWith(".schema.json") && [".yaml", ".yml", ".json"].includes(extname(n))).sort();
    this.#entries = await Promise.all(files.map(async (n) => parseExperimentText(await readFile(join(this.dir, n), "utf8"), join(this.dir, n), this.#ctx)));
    return this;
  }

  list(): LoadedExperiment[] {
    return [...this.#entries];
  }

  get(name: string): Experiment {
    const found = this.#entries.find((e) => e.name === name);
    if (!found) throw new UnknownNameError("experiment", name, this.#entries.map((e) => e.name));
    if (!found.valid) throw new InvalidScenarioError(`experiment "${name}" (${found.file})`, found.errors);
    return found.experiment!;
  }
}
