import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Value } from "typebox/value";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { ScenarioSchema, scenarioJsonSchema } from "./schema.ts";
import { SCHEMA_FILE, scenarioSchemaText } from "./write-schema.ts";

const fixture = async (path: string): Promise<unknown> => parse(await readFile(fileURLToPath(new URL(`./fixtures/${path}`, import.meta.url)), "utf8"));

describe("scenario.schema.json", () => {
  it("is up to date with schema.ts (else run: node orchestrator/src/scenarios/write-schema.ts)", async () => {
    expect(await readFile(SCHEMA_FILE, "utf8")).toBe(scenarioSchemaText());
  });

  it("is a draft-07 JSON Schema that needs no typebox to read", () => {
    const schema = scenarioJsonSchema();
    expect(schema["$schema"]).toBe("http://json-schema.org/draft-07/schema#");
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    expect(scenarioSchemaText()).not.toMatch(/"~|prefixItems|\$defs/);
  });
});

describe("ScenarioSchema (the whole file at once, as editors use it)", () => {
  it.each(["valid/example.yaml", "valid/json-example.json"])("accepts %s", async (path) => {
    expect(Value.Check(ScenarioSchema, await fixture(path))).toBe(true);
  });

  it.each([
    "invalid/two-operators.yaml",
    "invalid/misspelt-operator.yaml",
    "invalid/two-kinds.yaml",
    "invalid/no-kind.yaml",
    "invalid/unknown-step-field.yaml",
    "invalid/unknown-top-field.yaml",
    "invalid/bad-duration.yaml",
    "invalid/bad-step-id.yaml",
    "invalid/unknown-action.yaml",
    "invalid/no-steps.yaml",
    "invalid/empty-command.yaml",
    "invalid/bad-operator-value.yaml",
    "invalid/missing-title.yaml",
  ])("rejects %s, as the loader does", async (path) => {
    expect(Value.Check(ScenarioSchema, await fixture(path))).toBe(false);
  });
});
