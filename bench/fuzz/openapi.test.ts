import { describe, expect, it } from "vitest";
import { draft7, operations, resolveRefs, SchemaValidator, type OpenApiDocument } from "./openapi.ts";
import { apiDocument } from "./testing.ts";

const DOC: OpenApiDocument = {
  openapi: "3.0.3",
  security: [{ bearerAuth: [] }],
  components: {
    schemas: {
      Error: { type: "object", required: ["message"], properties: { message: { type: "string" } } },
      Node: { type: "object", properties: { next: { $ref: "#/components/schemas/Node" } } },
    },
    parameters: { Name: { name: "name", in: "path", required: true, schema: { type: "string" } } },
  },
  paths: {
    "/api/health": { get: { security: [], responses: { "200": { description: "ok", content: { "application/json": { schema: { type: "object" } } } } } } },
    "/api/things/{name}": {
      parameters: [{ $ref: "#/components/parameters/Name" }],
      post: {
        parameters: [{ name: "wait", in: "query", schema: { type: "boolean" } }],
        requestBody: { required: true, content: { "application/json": { schema: { $ref: "#/components/schemas/Node" } } } },
        responses: { "404": { description: "none", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } }, "204": { description: "done" } },
      },
    },
  },
};

describe("operations", () => {
  it("lists each operation with its parameters, body and responses, $refs resolved", () => {
    const [health, post] = operations(DOC);
    expect(health).toEqual({ method: "GET", path: "/api/health", parameters: [], responses: { "200": { schema: { type: "object" } } }, secured: false });
    expect(post!.method).toBe("POST");
    expect(post!.secured).toBe(true);
    expect(post!.parameters).toEqual([
      { name: "name", in: "path", required: true, schema: { type: "string" } },
      { name: "wait", in: "query", required: false, schema: { type: "boolean" } },
    ]);
    expect(post!.responses).toEqual({ "404": { schema: { type: "object", required: ["message"], properties: { message: { type: "string" } } } }, "204": {} });
    // A recursive schema stops where it refers to itself: any value there.
    expect(post!.body).toEqual({ required: true, schema: { type: "object", properties: { next: {} } } });
  });

  it("reads the orchestrator's own document: every route, the health check open, the rest behind the token", async () => {
    const ops = operations(await apiDocument());
    expect(ops.map((o) => `${o.method} ${o.path}`)).toContain("POST /api/faults");
    expect(ops.filter((o) => !o.secured).map((o) => `${o.method} ${o.path}`)).toEqual(["GET /api/health"]);
    const fault = ops.find((o) => o.method === "POST" && o.path === "/api/faults")!;
    expect(fault.body?.required).toBe(true);
    expect(Object.keys(fault.responses)).toEqual(expect.arrayContaining(["201", "400", "401", "403", "415"]));
  });
});

describe("resolveRefs", () => {
  it("leaves the document as it was, and refuses a $ref that points at nothing", () => {
    const before = JSON.stringify(DOC);
    resolveRefs(DOC, DOC.paths);
    expect(JSON.stringify(DOC)).toBe(before);
    expect(() => resolveRefs(DOC, { $ref: "#/components/schemas/Nope" })).toThrow(/points at nothing/);
  });
});

describe("SchemaValidator", () => {
  const v = new SchemaValidator();
  it("reads OpenAPI 3.0's nullable and boolean exclusive bounds", () => {
    expect(v.valid({ type: "integer", nullable: true }, null)).toBe(true);
    expect(v.valid({ type: "integer" }, null)).toBe(false);
    const open = { type: "number", minimum: 0, exclusiveMinimum: true };
    expect(v.valid(open, 0)).toBe(false);
    expect(v.valid(open, 0.1)).toBe(true);
    expect(draft7(open)).toEqual({ type: "number", exclusiveMinimum: 0 });
  });

  it("names every problem with where it is", () => {
    expect(v.problems({ type: "object", required: ["a"], properties: { b: { type: "string" } }, additionalProperties: false }, { b: 1, c: 2 })).toEqual([
      "/ must have required property 'a'",
      "/ must NOT have additional properties (c)",
      "/b must be string",
    ]);
  });
});
