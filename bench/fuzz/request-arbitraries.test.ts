import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_BODY_DEPTH, depthBeyond } from "../../orchestrator/src/api/limits.ts";
import { operations, SchemaValidator, type Operation } from "./openapi.ts";
import { invalidRequest, validRequest, type FlawKind, type FuzzRequest } from "./request-arbitraries.ts";
import { apiDocument } from "./testing.ts";

const validator = new SchemaValidator();

const FAULT_BODY = {
  type: "object",
  required: ["service"],
  additionalProperties: false,
  properties: { service: { type: "string", minLength: 1 }, loss: { type: "number", minimum: 0, maximum: 100 }, direction: { type: "string", enum: ["both", "ingress", "egress"] } },
};
const POST_FAULTS: Operation = { method: "POST", path: "/api/faults", parameters: [], body: { required: true, schema: FAULT_BODY }, responses: { "201": {} }, secured: true };
const START_RUN: Operation = {
  method: "POST",
  path: "/api/scenarios/{name}/runs",
  parameters: [
    { name: "name", in: "path", required: true, schema: { type: "string" } },
    { name: "wait", in: "query", required: false, schema: { type: "boolean", default: false } },
  ],
  responses: { "202": {} },
  secured: true,
};
const GET_RUN: Operation = { method: "GET", path: "/api/runs/{id}", parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }], responses: { "200": {} }, secured: true };

const AUTH = { authorization: "Bearer t" };

/** The path's segments and query of a request, decoded; undefined for a path that is not valid percent-encoding. */
function parse(req: FuzzRequest): { segments: string[]; query: URLSearchParams } | undefined {
  const [path, query] = req.path.split("?", 2) as [string, string | undefined];
  try {
    return { segments: path.split("/").map(decodeURIComponent), query: new URLSearchParams(query ?? "") };
  } catch {
    return undefined;
  }
}

const parsesAsJson = (text: string | undefined) => {
  try {
    JSON.parse(text ?? "");
    return true;
  } catch {
    return false;
  }
};

describe("validRequest", () => {
  it("sends a body valid against the operation's schema, as application/json, with the given headers", () => {
    fc.assert(
      fc.property(validRequest(POST_FAULTS, validator, { headers: AUTH }), (req) => {
        expect(req).toMatchObject({ method: "POST", path: "/api/faults", headers: { authorization: "Bearer t", "content-type": "application/json" } });
        expect(req.flaw).toBeUndefined();
        expect(validator.problems(FAULT_BODY, JSON.parse(req.body!))).toEqual([]);
      }),
      { numRuns: 200, seed: 1 },
    );
  });

  it("fills the path's parameters (never empty, percent-encoded) and the query from their schemas, and sends {} where nothing else is documented", () => {
    const seen = { wait: new Set<string | null>(), odd: false };
    fc.assert(
      fc.property(validRequest(START_RUN, validator, { emptyBody: "{}" }), (req) => {
        const parts = parse(req)!;
        expect(parts.segments.slice(0, 3)).toEqual(["", "api", "scenarios"]);
        expect(parts.segments[4]).toBe("runs");
        expect(parts.segments).toHaveLength(5);
        expect(parts.segments[3]!.length).toBeGreaterThan(0);
        if (/[/?#%]/.test(parts.segments[3]!)) seen.odd = true;
        const wait = parts.query.get("wait");
        expect([null, "true", "false"]).toContain(wait);
        seen.wait.add(wait);
        expect(req.body).toBe("{}");
        expect(req.headers["content-type"]).toBe("application/json");
      }),
      { numRuns: 300, seed: 1 },
    );
    expect(seen.wait).toEqual(new Set([null, "true", "false"]));
    expect(seen.odd, "names with characters a URL must escape").toBe(true);
  });

  it("draws names from the examples given, as well as from the schema", () => {
    const names = fc.sample(validRequest(GET_RUN, validator, { examples: { id: ["ab12cd34"] } }), { numRuns: 100, seed: 2 }).map((r) => parse(r)!.segments[3]);
    expect(names.filter((n) => n === "ab12cd34").length).toBeGreaterThan(30);
    expect(names.filter((n) => n !== "ab12cd34").length).toBeGreaterThan(10);
  });

  it("sends no body on a GET", () => {
    for (const req of fc.sample(validRequest(GET_RUN, validator, { emptyBody: "{}" }), { numRuns: 50 })) {
      expect(req.body).toBeUndefined();
      expect(req.headers["content-type"]).toBeUndefined();
    }
  });
});

describe("invalidRequest", () => {
  const sample = (op: Operation, n = 1500) => fc.sample(invalidRequest(op, validator, { headers: AUTH, emptyBody: "{}", hostFlaws: true }), { numRuns: n, seed: 7 });

  it("breaks a request with a body every way, each request naming its flaw", () => {
    const requests = sample(POST_FAULTS);
    const kinds = new Set(requests.map((r) => r.kind));
    expect(kinds).toEqual(new Set<FlawKind>(["body", "missing-body", "size", "content-type", "syntax", "prototype", "depth", "query", "header"]));
    for (const req of requests) {
      expect(req.flaw, JSON.stringify(req)).toBeTruthy();
      expect(req.headers["authorization"]).toBe("Bearer t");
      switch (req.kind) {
        case "body":
          expect(validator.valid(FAULT_BODY, JSON.parse(req.body!)), req.flaw).toBe(false);
          expect(req.headers["content-type"]).toBe("application/json");
          break;
        case "missing-body":
          expect(req.body).toBeUndefined();
          break;
        case "syntax":
          expect(parsesAsJson(req.body), req.body).toBe(false);
          break;
        case "prototype":
          expect(req.body).toMatch(/"(__proto__|constructor)":/);
          break;
        case "depth":
          expect(depthBeyond(JSON.parse(req.body!), MAX_BODY_DEPTH)).toBeGreaterThan(MAX_BODY_DEPTH);
          break;
        case "size":
          expect(req.body!.length).toBeGreaterThan(16 * 1024);
          expect(req.body!.length).toBeLessThan(1024 * 1024); // under the API's body limit
          break;
        case "content-type":
          expect((req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase()).not.toBe("application/json");
          break;
      }
    }
    const flaws = requests.filter((r) => r.kind === "body").map((r) => r.flaw!);
    expect(flaws).toContain("body.service: required, missing");
    expect(flaws.some((f) => /^body: unknown field/.test(f))).toBe(true);
    expect(flaws.some((f) => /^body\.loss: above the maximum 100/.test(f))).toBe(true);
    expect(flaws.some((f) => /^body\.direction: .* is not one of/.test(f))).toBe(true);
  });

  it("breaks the path and the query: malformed or overlong segments, values of the wrong type, a parameter twice or unknown", () => {
    const requests = sample(START_RUN);
    const path = requests.filter((r) => r.kind === "path");
    expect(path.some((r) => parse(r) === undefined), "malformed percent-encoding").toBe(true);
    expect(path.some((r) => (parse(r)?.segments[3]?.length ?? 0) > 100), "overlong").toBe(true);
    const query = requests.filter((r) => r.kind === "query").map((r) => parse(r)?.query);
    expect(query.some((q) => q !== undefined && q.getAll("wait").length === 2)).toBe(true);
    expect(query.some((q) => q !== undefined && q.has("wait") && !["true", "false"].includes(q.get("wait")!))).toBe(true);
    expect(query.some((q) => q !== undefined && [...q.keys()].some((k) => k !== "wait"))).toBe(true);
    expect(requests.some((r) => r.kind === "header" && r.headers["host"] !== undefined)).toBe(true);
    // Nothing about the body is broken for an operation that documents none: it still sends {}.
    expect(requests.filter((r) => r.kind === "query" || r.kind === "path").every((r) => r.body === "{}")).toBe(true);
  });

  it("sends a GET a body it should not read, and never a Host of its own unless asked", () => {
    const requests = fc.sample(invalidRequest(GET_RUN, validator, {}), { numRuns: 500, seed: 3 });
    expect(requests.some((r) => r.kind === "get-body" && r.body !== undefined)).toBe(true);
    expect(requests.every((r) => r.headers["host"] === undefined)).toBe(true);
  });

  it("keeps every URL well under Node's 16 KiB of headers", async () => {
    for (const op of operations(await apiDocument())) {
      for (const req of fc.sample(invalidRequest(op, validator, { headers: AUTH, emptyBody: "{}", hostFlaws: true }), { numRuns: 200, seed: 9 })) {
        const headerBytes = req.path.length + Object.entries(req.headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
        expect(headerBytes, `${req.method} ${req.path.slice(0, 80)}`).toBeLessThan(12 * 1024);
      }
    }
  });
});
