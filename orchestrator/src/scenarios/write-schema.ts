/**
 * Writes scenarios/scenario.schema.json and experiments/experiment.schema.json from the typebox
 * schemas, for editors:
 *   node orchestrator/src/scenarios/write-schema.ts
 * A unit test fails when the committed file is out of date.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { ExperimentSchema } from "../experiments/schema.ts";
import { scenarioJsonSchema } from "./schema.ts";

export const SCHEMA_FILE = fileURLToPath(new URL("../../../scenarios/scenario.schema.json", import.meta.url));

export function scenarioSchemaText(): string {
  return JSON.stringify(scenarioJsonSchema(), null, 2) + "\n";
}

export const EXPERIMENT_SCHEMA_FILE = fileURLToPath(new URL("../../../experiments/experiment.schema.json", import.meta.url));

/** The experiment format as plain draft-07 JSON Schema (a JSON round trip drops typebox's symbols). */
export function experimentSchemaText(): string {
  const schema = { $schema: "http://json-schema.org/draft-07/schema#", title: "l7lab experiment", ...(JSON.parse(JSON.stringify(ExperimentSchema)) as object) };
  return JSON.stringify(schema, null, 2) + "\n";
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(SCHEMA_FILE, scenarioSchemaText());
  console.log(`wrote ${SCHEMA_FILE}`);
  await writeFile(EXPERIMENT_SCHEMA_FILE, experimentSchemaText());
  console.log(`wrote ${EXPERIMENT_SCHEMA_FILE}`);
}
