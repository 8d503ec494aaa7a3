import { readdir, readFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { LineCounter, parseDocument } from "yaml";
import { InvalidInputError } from "../common/errors.ts";
import type { Scenario } from "./schema.ts";
import { validateScenario, type ValidationContext } from "./validate.ts";

export const SCENARIO_EXTENSIONS = [".yaml", ".yml", ".json"] as const;

/** What a scenario file is checked against: the probes and the lab's services. */
export type LoaderContext = Omit<ValidationContext, "expectedName">;

/** One scenario file, loaded: valid with its scenario, or invalid with every problem found. */
export type LoadedScenario =
  | { name: string; file: string; valid: true; title: string; scenario: Scenario; errors: [] }
  | { name: string; file: string; valid: false; title?: string; errors: string[] };

/** Whether a file in the scenario directory is a scenario (not the schema, not a dotfile). */
export function isScenarioFileName(fileName: string): boolean {
  return !fileName.startsWith(".") && !fileName.endsWith(".schema.json") && (SCENARIO_EXTENSIONS as readonly string[]).includes(extname(fileName));
}

/** The scenario name a file name gives: the name without its extension. */
export function scenarioNameOf(file: string): string {
  return basename(file, extname(file));
}

export function parseText(text: string, file: string): { value?: unknown; problem?: string } {
  if (text.trim() === "") return { problem: "the file is empty; it needs a name, a title and steps" };
  if (extname(file) === ".json") {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (error) {
      return { problem: `is not valid JSON: ${(error as Error).message}` };
    }
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, lineCounter });
  const first = doc.errors[0];
  if (first) {
    const { line, col } = lineCounter.linePos(first.pos[0]);
    return { problem: `is not valid YAML at line ${line}, column ${col}: ${first.message.split("\n")[0]}` };
  }
  const value = doc.toJS() as unknown;
  if (value === null || value === undefined) return { problem: "the file is empty; it needs a name, a title and steps" };
  return { value };
}

/** Parses and validates the text of one scenario file. Pure: `file` is only used for names and messages. */
export function parseScenarioText(text: string, file: string, ctx: LoaderContext): LoadedScenario {
  const name = scenarioNameOf(file);
  const prefix = `scenario file ${file}: `;
  const parsed = parseText(text, file);
  if (parsed.problem) return { name, file, valid: false, errors: [prefix + parsed.problem] };
  const value = parsed.value;
  const title = value !== null && typeof value === "object" && typeof (value as { title?: unknown }).title === "string" ? (value as { title: string }).title : undefined;
  const result = validateScenario(value, { ...ctx, expectedName: name });
  if (!result.ok) return { name, file, valid: false, ...(title === undefined ? {} : { title }), errors: result.problems.map((p) => prefix + p) };
  return { name, file, valid: true, title: result.scenario.title, scenario: result.scenario, errors: [] };
}

export async function loadScenarioFile(file: string, ctx: LoaderContext): Promise<LoadedScenario> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    return { name: scenarioNameOf(file), file, valid: false, errors: [`scenario file ${file}: cannot be read: ${(error as Error).message}`] };
  }
  return parseScenarioText(text, file, ctx);
}

/**
 * Loads every scenario file in `dir`, sorted by name. An invalid file does not stop the others: it
 * is returned with `valid: false` and its errors. Two files with one name are both invalid.
 */
export async function loadScenarioDir(dir: string, ctx: LoaderContext): Promise<LoadedScenario[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    throw new InvalidInputError("scenario directory", [`${dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); it should hold the scenario files`]);
  }
  const files = names.filter(isScenarioFileName).sort();
  const loaded = await Promise.all(files.map((f) => loadScenarioFile(join(dir, f), ctx)));
  const byName = new Map<string, LoadedScenario[]>();
  for (const entry of loaded) byName.set(entry.name, [...(byName.get(entry.name) ?? []), entry]);
  return loaded.map((entry) => {
    const same = byName.get(entry.name)!;
    if (same.length === 1) return entry;
    const others = same.filter((o) => o !== entry).map((o) => o.file);
    const problem = `scenario file ${entry.file}: scenario "${entry.name}" is also defined by ${others.join(" and ")}; keep only one file per scenario`;
    return { name: entry.name, file: entry.file, valid: false as const, ...(entry.title === undefined ? {} : { title: entry.title }), errors: [problem, ...entry.errors] };
  });
}
