import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultProbes } from "../../orchestrator/src/probes/default-probes.ts";
import { SchemaValidator, type JsonSchema } from "./openapi.ts";
import { acceptsAnything, generatedFlaw, generatedValue, invalidValue, validValue } from "./schema-arbitraries.ts";
import { apiDocument } from "./testing.ts";

const validator = new SchemaValidator();

// Schemas with the keywords TypeBox and @fastify/swagger write, one or a few at a time.
const SCHEMAS: Record<string, JsonSchema> = {
  "the fault body": {
    type: "object",
    required: ["service"],
    additionalProperties: false,
    properties: { service: { type: "string", minLength: 1 }, loss: { type: "number" }, direction: { type: "string" }, rateKbit: { type: "number" } },
  },
  "integer range": { type: "integer", minimum: 8, maximum: 10_000_000 },
  "exclusive bounds (2020-12)": { type: "number", exclusiveMinimum: 0, exclusiveMaximum: 100 },
  "exclusive bounds (OpenAPI 3.0)": { type: "number", minimum: 0, exclusiveMinimum: true, maximum: 1, exclusiveMaximum: true },
  enum: { type: "string", enum: ["both", "ingress", "egress"] },
  const: { const: "a" },
  "anyOf of objects": { anyOf: [{ type: "object", required: ["a"], properties: { a: { type: "integer" } }, additionalProperties: false }, { type: "object", required: ["b"], properties: { b: { type: "string", maxLength: 3 } }, additionalProperties: false }] },
  "oneOf with null": { oneOf: [{ type: "string", pattern: "^[a-z]+$" }, { type: "null" }] },
  "nullable (OpenAPI 3.0)": { type: "integer", nullable: true, minimum: 0 },
  "array with bounds": { type: "array", items: { type: "string", maxLength: 5 }, minItems: 1, maxItems: 3 },
  "unique items": { type: "array", items: { type: "integer", minimum: 0, maximum: 3 }, uniqueItems: true, maxItems: 4 },
  "tuple (as TypeBox writes it)": { type: "array", items: [{ type: "string" }, { type: "boolean" }], additionalItems: false, minItems: 2, maxItems: 2 },
  "a record (additionalProperties schema)": { type: "object", additionalProperties: { type: "boolean" } },
  patternProperties: { type: "object", patternProperties: { "^x-[a-z]+$": { type: "integer" } }, additionalProperties: false },
  allOf: { allOf: [{ type: "object", properties: { a: { type: "integer" } }, required: ["a"] }, { properties: { b: { type: "boolean" } }, required: ["b"] }] },
  "string length and pattern": { type: "string", minLength: 2, maxLength: 6, pattern: "^[0-9a-f]+$" },
  "date-time": { type: "string", format: "date-time" },
  "deep object": { type: "object", required: ["a"], properties: { a: { type: "object", required: ["b"], properties: { b: { type: "array", items: { type: "object", required: ["c"], properties: { c: { enum: [1, 2] } } } } } } } },
};

/** The share of `n` drawn values for which `ok` holds. */
function share<T>(arb: fc.Arbitrary<T>, ok: (t: T) => boolean, n = 300): number {
  return fc.sample(arb, { numRuns: n, seed: 42 }).filter(ok).length / n;
}

describe("validValue", () => {
  it.each(Object.entries(SCHEMAS))("%s: every value is valid, and nearly every value is valid before the check", (_name, schema) => {
    fc.assert(fc.property(validValue(schema, validator), (v) => validator.valid(schema, v)), { numRuns: 200, seed: 1 });
    expect(share(generatedValue(schema), (v) => validator.valid(schema, v))).toBeGreaterThan(0.9);
  });

  it("draws from the whole schema: every enum value, optional fields present and absent, both anyOf branches", () => {
    const values = fc.sample(validValue(SCHEMAS["enum"]!, validator), { numRuns: 100, seed: 3 });
    expect(new Set(values)).toEqual(new Set(["both", "ingress", "egress"]));
    const faults = fc.sample(validValue(SCHEMAS["the fault body"]!, validator), { numRuns: 200, seed: 3 }) as Record<string, unknown>[];
    expect(faults.some((f) => "loss" in f)).toBe(true);
    expect(faults.some((f) => !("loss" in f))).toBe(true);
    const unions = fc.sample(validValue(SCHEMAS["anyOf of objects"]!, validator), { numRuns: 100, seed: 3 }) as Record<string, unknown>[];
    expect(unions.some((u) => "a" in u) && unions.some((u) => "b" in u)).toBe(true);
  });

  it("a value the check refuses is not handed out: a schema the generator gets wrong still gives valid values", () => {
    // The generator does not read "not": here, strings of an even number of code points only.
    const schema: JsonSchema = { type: "string", maxLength: 4, not: { pattern: "^([\\s\\S]{2})*[\\s\\S]$" } };
    fc.assert(fc.property(validValue(schema, validator), (v) => typeof v === "string" && [...v].length % 2 === 0), { numRuns: 300, seed: 4 });
  });

  it("gives up, naming the schema, rather than draw forever when the generator cannot satisfy it", () => {
    const schema: JsonSchema = { type: "string", not: { type: "string" } };
    expect(() => fc.sample(validValue(schema, validator), { numRuns: 1 })).toThrow(/no valid value in 1000 draws for the schema \{"type":"string","not"/);
  });
});

describe("invalidValue", () => {
  it.each(Object.entries(SCHEMAS).filter(([, s]) => !acceptsAnything(s)))("%s: every value is invalid, and most are before the check", (_name, schema) => {
    fc.assert(fc.property(invalidValue(schema, validator)!, (f) => !validator.valid(schema, f.value) && f.flaw.length > 0), { numRuns: 200, seed: 1 });
    expect(share(generatedFlaw(schema)!, (f) => !validator.valid(schema, f.value))).toBeGreaterThan(0.5);
  });

  it("breaks a body every way: wrong type, missing required field, unknown field, a field of the wrong type", () => {
    const flaws = fc.sample(invalidValue(SCHEMAS["the fault body"]!, validator, undefined, "body")!, { numRuns: 300, seed: 5 }).map((f) => f.flaw);
    expect(flaws.some((f) => /^body: .* instead of object$/.test(f))).toBe(true);
    expect(flaws).toContain("body.service: required, missing");
    expect(flaws.some((f) => /^body: unknown field /.test(f))).toBe(true);
    expect(flaws.some((f) => /^body\.loss: .* instead of number$/.test(f))).toBe(true);
    expect(flaws.some((f) => f === "body.service: shorter than 1 characters")).toBe(true);
  });

  it("goes out of range, off the enum, past maxItems, and into nested fields", () => {
    const range = fc.sample(invalidValue(SCHEMAS["integer range"]!, validator)!, { numRuns: 200, seed: 5 });
    expect(range.some((f) => typeof f.value === "number" && f.value < 8)).toBe(true);
    expect(range.some((f) => typeof f.value === "number" && f.value > 10_000_000)).toBe(true);
    expect(range.some((f) => typeof f.value === "number" && !Number.isInteger(f.value))).toBe(true);
    expect(fc.sample(invalidValue(SCHEMAS["enum"]!, validator)!, { numRuns: 100, seed: 5 }).some((f) => f.value === "BOTH" || f.value === "bothx")).toBe(true);
    expect(fc.sample(invalidValue(SCHEMAS["array with bounds"]!, validator)!, { numRuns: 200, seed: 5 }).some((f) => Array.isArray(f.value) && f.value.length > 3)).toBe(true);
    expect(fc.sample(invalidValue(SCHEMAS["deep object"]!, validator)!, { numRuns: 300, seed: 5 }).some((f) => /^value\.a\.b\[\d+\]\.c: /.test(f.flaw))).toBe(true);
  });

  it("has nothing to offer for a schema that takes anything", () => {
    expect(invalidValue({}, validator)).toBeUndefined();
    expect(invalidValue(true, validator)).toBeUndefined();
    expect(invalidValue({ description: "anything" }, validator)).toBeUndefined();
  });
});

describe("the API's own schemas (the fuzzer must not stall on them: a value the check refuses is drawn again)", () => {
  it("draws valid path, query and body values, and invalid bodies, mostly right the first time", async () => {
    const doc = await apiDocument();
    const schemas: [string, JsonSchema][] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item as Record<string, { parameters?: { name: string; schema: JsonSchema }[]; requestBody?: { content: Record<string, { schema: JsonSchema }> } }>)) {
        for (const p of op.parameters ?? []) schemas.push([`${method} ${path} ${p.name}`, p.schema]);
        const body = op.requestBody?.content["application/json"]?.schema;
        if (body) schemas.push([`${method} ${path} body`, body]);
      }
    }
    expect(schemas.length).toBeGreaterThan(10);
    for (const [name, schema] of schemas) {
      expect(share(generatedValue(schema), (v) => validator.valid(schema, v), 100), name).toBeGreaterThan(0.9);
      const flaw = generatedFlaw(schema);
      if (flaw) expect(share(flaw, (f) => !validator.valid(schema, f.value), 100), name).toBeGreaterThan(0.5);
    }
  });

  it.each(defaultProbes().list().map((p) => [p.name, JSON.parse(JSON.stringify(p.paramsSchema)) as JsonSchema] as const))("probe %s: its parameters, valid and invalid", (_name, schema) => {
    expect(share(generatedValue(schema), (v) => validator.valid(schema, v), 100)).toBeGreaterThan(0.3);
    expect(share(generatedFlaw(schema)!, (f) => !validator.valid(schema, f.value), 100)).toBeGreaterThan(0.5);
  });
});
