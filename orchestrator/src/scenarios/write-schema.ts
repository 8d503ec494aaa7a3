/**
 * Writes scenarios/scenario.schema.json from the typebox schema, for editors:
 *   node orchestrator/src/scenarios/write-schema.ts
 * A unit test fails when the committed file is out of date.
 */
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { scenarioJsonSchema } from "./schema.ts";

export const SCHEMA_FILE = fileURLToPath(new URL("../../../scenarios/scenario.schema.json", import.meta.url));

export function scenarioSchemaText(): string {
  return JSON.stringify(scenarioJsonSchema(), null, 2) + "\n";
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await writeFile(SCHEMA_FILE, scenarioSchemaText());
  console.log(`wrote ${SCHEMA_FILE}`);
}
