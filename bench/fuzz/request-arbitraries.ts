/**
 * fast-check arbitraries of HTTP requests for one OpenAPI operation: requests the document says
 * are valid (path and query parameters and JSON body drawn from their schemas), and invalid ones,
 * each naming its flaw: a body the schema refuses (wrong type, missing or unknown field, out of
 * range, bad enum value, too long), a missing body, a wrong Content-Type, a body that is not JSON,
 * a body nested deeper than any parser should walk, a huge string, bad query values, malformed or
 * overlong path segments, odd headers. Pure: the requests are data; bench/fuzz.ts sends them.
 */
import fc from "fast-check";
import type { JsonSchema, Operation, Parameter, SchemaObject, SchemaValidator } from "./openapi.ts";
import { invalidValue, text, validValue, type ValueOptions } from "./schema-arbitraries.ts";

export type FlawKind = "body" | "missing-body" | "content-type" | "syntax" | "prototype" | "depth" | "size" | "query" | "path" | "header" | "get-body";

export interface FuzzRequest {
  method: string;
  /** The path and query as sent, percent-encoded: /api/runs/ab%2Fc?wait=true */
  path: string;
  headers: Record<string, string>;
  /** The body as sent, when there is one. */
  body?: string;
  /** What is wrong or unusual about the request; undefined when the document says it is valid. */
  flaw?: string;
  kind?: FlawKind;
}

export interface RequestOptions {
  /** Headers every request carries (Authorization). */
  headers?: Record<string, string>;
  /** Values to draw parameters from besides their schemas', by parameter name (known service names). */
  examples?: Record<string, readonly string[]>;
  /** The same for the top-level properties of a JSON body ({ service: [...] }). */
  bodyExamples?: Record<string, readonly string[]>;
  /**
   * The body of a POST, PUT, PATCH or DELETE whose operation documents none. This API wants `{}`
   * as application/json for every request that changes something; undefined sends no body.
   */
  emptyBody?: string;
  /** Whether invalid requests may send a Host header other than the one of the URL. */
  hostFlaws?: boolean;
  values?: ValueOptions;
}

export const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** The longest value a generated path or query parameter has: URLs stay well under Node's 16 KiB of headers. */
const LONG_PARAM = 3000;

interface Parts {
  params: Record<string, string>;
  /** Already encoded name=value pairs. */
  query: string[];
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  method?: string;
}

function build(op: Operation, options: RequestOptions, parts: Parts, flaw?: { kind: FlawKind; flaw: string }): FuzzRequest {
  const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => parts.params[name] ?? "");
  const headers: Record<string, string> = { ...(options.headers ?? {}) };
  if (parts.contentType !== undefined) headers["content-type"] = parts.contentType;
  Object.assign(headers, parts.headers ?? {});
  return {
    method: parts.method ?? op.method,
    path: parts.query.length > 0 ? `${path}?${parts.query.join("&")}` : path,
    headers,
    ...(parts.body !== undefined ? { body: parts.body } : {}),
    ...(flaw ? { flaw: flaw.flaw, kind: flaw.kind } : {}),
  };
}

/** A parameter value as text: a string as it is, anything else as JSON (true, 5, null). */
const asText = (v: unknown): string => (typeof v === "string" ? v : JSON.stringify(v));

const encodeQuery = (name: string, v: unknown): string[] =>
  (Array.isArray(v) ? v : [v]).map((item) => `${encodeURIComponent(name)}=${encodeURIComponent(asText(item))}`);

/** A path parameter's schema as a URL can carry it: at least one character, at most 40 generated. */
function pathSchema(s: JsonSchema): JsonSchema {
  if (typeof s !== "object" || (s.type !== undefined && s.type !== "string")) return s;
  return { ...s, minLength: Math.max(1, s.minLength ?? 0), maxLength: Math.min(s.maxLength ?? 40, 40) } satisfies SchemaObject;
}

function paramValue(p: Parameter, validator: SchemaValidator, options: RequestOptions): fc.Arbitrary<string> {
  const fromSchema = validValue(p.in === "path" ? pathSchema(p.schema) : p.schema, validator, options.values).map(asText);
  const examples = (options.examples?.[p.name] ?? []).filter((e) => validator.valid(p.schema, e));
  return examples.length > 0 ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...examples) }, { weight: 2, arbitrary: fromSchema }) : fromSchema;
}

/** Arbitraries of the valid parts: path parameters, query, and body (as a value). */
function validParts(op: Operation, validator: SchemaValidator, options: RequestOptions): fc.Arbitrary<{ params: Record<string, string>; query: [string, unknown][]; body: unknown }> {
  const pathParams = op.parameters.filter((p) => p.in === "path");
  const params = fc.record(Object.fromEntries(pathParams.map((p) => [p.name, paramValue(p, validator, options).map(encodeURIComponent)])));
  const queryParams = op.parameters.filter((p) => p.in === "query");
  const query = fc
    .record(
      Object.fromEntries(queryParams.map((p) => [p.name, validValue(p.schema, validator, options.values)])),
      { requiredKeys: queryParams.filter((p) => p.required).map((p) => p.name) },
    )
    .map((q) => Object.entries(q));
  const body: fc.Arbitrary<unknown> = op.body
    ? op.body.required
      ? withBodyExamples(validValue(op.body.schema, validator, options.values), op.body.schema, true, validator, options)
      : fc.option(withBodyExamples(validValue(op.body.schema, validator, options.values), op.body.schema, true, validator, options), { nil: undefined })
    : fc.constant(undefined);
  return fc.record({ params, query, body });
}

/**
 * Bodies whose top-level properties sometimes take one of their examples instead of the drawn
 * value, when the body stays as valid (or as invalid) as it was: `{ "service": "router", ... }`
 * reaches code behind the check of the name that a random name never does.
 */
function withBodyExamples<T>(arb: fc.Arbitrary<T>, schema: JsonSchema, valid: boolean, validator: SchemaValidator, options: RequestOptions, value: (t: T) => unknown = (t) => t, set: (t: T, v: unknown) => T = (_t, v) => v as T): fc.Arbitrary<T> {
  const entries = Object.entries(options.bodyExamples ?? {}).filter(([, values]) => values.length > 0);
  if (entries.length === 0) return arb;
  const picks = fc.record(Object.fromEntries(entries.map(([k, values]) => [k, fc.option(fc.constantFrom(...values), { nil: undefined, freq: 2 })])));
  return fc.tuple(arb, picks).map(([t, pick]) => {
    const v = value(t);
    if (v === null || typeof v !== "object" || Array.isArray(v)) return t;
    const chosen = Object.entries(pick).filter(([, x]) => x !== undefined);
    if (chosen.length === 0) return t;
    const next = { ...(v as Record<string, unknown>), ...Object.fromEntries(chosen) };
    return validator.valid(schema, next) === valid ? set(t, next) : t;
  });
}

/** The body and its Content-Type for a valid request: JSON when there is one, else the empty body option. */
function bodyParts(op: Operation, options: RequestOptions, body: unknown): { body?: string; contentType?: string } {
  if (body !== undefined) return { body: JSON.stringify(body), contentType: "application/json" };
  if (MUTATING.has(op.method) && options.emptyBody !== undefined) return { body: options.emptyBody, contentType: "application/json" };
  return {};
}

/** Requests the operation's document says are valid. */
export function validRequest(op: Operation, validator: SchemaValidator, options: RequestOptions = {}): fc.Arbitrary<FuzzRequest> {
  return validParts(op, validator, options).map(({ params, query, body }) =>
    build(op, options, { params, query: query.flatMap(([k, v]) => encodeQuery(k, v)), ...bodyParts(op, options, body) }),
  );
}

/** JSON text nested `n` levels deep: [[[...]]] or {"a":{"a":...}}. */
export const nested = (n: number, kind: "array" | "object"): string => (kind === "array" ? "[".repeat(n) + "]".repeat(n) : '{"a":'.repeat(n) + "1" + "}".repeat(n));

/** Text that is not JSON: broken on purpose, or random. */
const notJson: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom("{", "[", "{\"a\":}", "{'a':1}", "{\"a\":1,}", "[1,]", "\uFEFF{}", "{}{}", "nul", "tru", "NaN", "Infinity", "undefined", "0x10", "01", "{\"a\":1", "\"\\x\"", "\"\u0001\"", " "),
  text(1, 30).filter((t) => {
    try {
      JSON.parse(t);
      return false;
    } catch {
      return true;
    }
  }),
);

const BAD_CONTENT_TYPES = ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml", "application/jsonx", "json", "application/", "*/*", "application/json-patch+json", ""];

/**
 * Requests the document says are invalid, or that are unusual at the HTTP level, each with its
 * flaw (see the top of the file). Every operation has some: at least a stray query parameter,
 * odd headers, and for a GET a body it should not read.
 */
export function invalidRequest(op: Operation, validator: SchemaValidator, options: RequestOptions = {}): fc.Arbitrary<FuzzRequest> {
  const base = validParts(op, validator, options);
  const mutating = MUTATING.has(op.method);
  const arbs: fc.WeightedArbitrary<FuzzRequest>[] = [];
  const add = (weight: number, arbitrary: fc.Arbitrary<FuzzRequest>) => arbs.push({ weight, arbitrary });
  const encoded = (query: [string, unknown][]) => query.flatMap(([k, v]) => encodeQuery(k, v));

  // The body: refused by its schema, missing, not JSON, too deep, huge, or sent with the wrong type.
  if (op.body) {
    const raw = invalidValue(op.body.schema, validator, options.values, "body");
    const bad = raw && withBodyExamples(raw, op.body.schema, false, validator, options, (f) => f.value, (f, value) => ({ ...f, value }));
    if (bad) {
      add(6, fc.tuple(base, bad).map(([p, f]) => build(op, options, { params: p.params, query: encoded(p.query), body: JSON.stringify(f.value), contentType: "application/json" }, { kind: "body", flaw: f.flaw })));
    }
    if (op.body.required) {
      add(1, base.map((p) => build(op, options, { params: p.params, query: encoded(p.query), contentType: "application/json" }, { kind: "missing-body", flaw: "no body, with Content-Type application/json" })));
    }
    const stringProp = typeof op.body.schema === "object" ? Object.entries(op.body.schema.properties ?? {}).find(([, s]) => typeof s === "object" && s.type === "string")?.[0] : undefined;
    add(1, fc.tuple(base, fc.integer({ min: 16 * 1024, max: 512 * 1024 })).map(([p, n]) => {
      const huge = "x".repeat(n);
      const value = stringProp !== undefined && p.body !== null && typeof p.body === "object" ? { ...(p.body as object), [stringProp]: huge } : huge;
      return build(op, options, { params: p.params, query: encoded(p.query), body: JSON.stringify(value), contentType: "application/json" }, { kind: "size", flaw: `a ${Math.round(n / 1024)} KiB string${stringProp !== undefined ? ` in body.${stringProp}` : " as the body"}` });
    }));
  }
  if (mutating) {
    add(1, fc.tuple(base, fc.constantFrom(...BAD_CONTENT_TYPES, undefined)).map(([p, type]) => {
      const { body } = bodyParts(op, options, p.body);
      return build(op, options, { params: p.params, query: encoded(p.query), ...(body !== undefined ? { body } : {}), ...(type !== undefined ? { contentType: type } : {}) }, { kind: "content-type", flaw: type === undefined ? "no Content-Type" : `Content-Type ${JSON.stringify(type)}` });
    }));
    add(2, fc.tuple(base, notJson).map(([p, body]) => build(op, options, { params: p.params, query: encoded(p.query), body, contentType: "application/json" }, { kind: "syntax", flaw: `a body that is not JSON: ${JSON.stringify(body)}` })));
    // JSON, but with the keys a prototype-pollution attack uses, which Fastify's parser refuses.
    add(1, fc.tuple(base, fc.constantFrom('{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"service":"x","__proto__":{"isAdmin":true}}')).map(([p, body]) =>
      build(op, options, { params: p.params, query: encoded(p.query), body, contentType: "application/json" }, { kind: "prototype", flaw: `a body with a prototype key: ${body}` }),
    ));
    add(1, fc.tuple(base, fc.integer({ min: 33, max: 20_000 }), fc.constantFrom("array" as const, "object" as const)).map(([p, n, kind]) =>
      build(op, options, { params: p.params, query: encoded(p.query), body: nested(n, kind), contentType: "application/json" }, { kind: "depth", flaw: `a body of ${kind}s nested ${n} deep` }),
    ));
  } else {
    add(1, fc.tuple(base, fc.oneof(notJson, fc.jsonValue().map((v) => JSON.stringify(v)))).map(([p, body]) =>
      build(op, options, { params: p.params, query: encoded(p.query), body, contentType: "application/json" }, { kind: "get-body", flaw: `a ${op.method} with a body: ${JSON.stringify(body.slice(0, 80))}` }),
    ));
  }

  // The query: values their schemas refuse, a parameter twice, and parameters nobody asked for.
  const known = new Set(op.parameters.filter((p) => p.in === "query").map((p) => p.name));
  for (const p of op.parameters.filter((q) => q.in === "query")) {
    const bad = invalidValue(p.schema, validator, options.values, `query.${p.name}`);
    const values = fc.oneof(
      ...(bad ? [bad.map((f) => ({ pairs: encodeQuery(p.name, f.value), flaw: f.flaw }))] : []),
      fc.tuple(text(0, 12), text(0, 12)).map(([a, b]) => ({ pairs: [...encodeQuery(p.name, a), ...encodeQuery(p.name, b)], flaw: `query.${p.name} given twice` })),
      fc.integer({ min: 100, max: LONG_PARAM }).map((n) => ({ pairs: encodeQuery(p.name, "1".repeat(n)), flaw: `query.${p.name}: ${n} characters` })),
    );
    add(2, fc.tuple(base, values).map(([b, v]) => {
      const rest = b.query.filter(([k]) => k !== p.name);
      const body = bodyParts(op, options, b.body);
      return build(op, options, { params: b.params, query: [...encoded(rest), ...v.pairs], ...body }, { kind: "query", flaw: v.flaw });
    }));
  }
  add(1, fc.tuple(base, text(1, 12).filter((k) => !known.has(k)), text(0, 20)).map(([b, k, v]) =>
    build(op, options, { params: b.params, query: [...encoded(b.query), ...encodeQuery(k, v)], ...bodyParts(op, options, b.body) }, { kind: "query", flaw: `unknown query parameter ${JSON.stringify(k)}` }),
  ));

  // Path parameters: malformed percent-encoding, overlong, and values that look like path syntax.
  for (const p of op.parameters.filter((q) => q.in === "path")) {
    const raw = fc.oneof(
      fc.constantFrom("%", "%zz", "%E0%A4%A", "%C0%AF", "%FF", "a%2", "%00", "%2e%2e", ".", "..", "%2F", "a%2Fb", "%20", "%u0041").map((seg) => ({ seg, flaw: `path.${p.name} sent as ${JSON.stringify(seg)}` })),
      fc.integer({ min: 101, max: LONG_PARAM }).map((n) => ({ seg: "a".repeat(n), flaw: `path.${p.name}: ${n} characters` })),
    );
    add(2, fc.tuple(base, raw).map(([b, r]) =>
      build(op, options, { params: { ...b.params, [p.name]: r.seg }, query: encoded(b.query), ...bodyParts(op, options, b.body) }, { kind: "path", flaw: r.flaw }),
    ));
  }

  // Headers: another Host (a DNS-rebinding page sends its own name), what it accepts, a big one.
  const headerFlaws: fc.Arbitrary<{ headers: Record<string, string>; flaw: string }>[] = [
    fc.constantFrom("text/html", "application/xml", "*/*;q=0", "application/json;q=0", "").map((a) => ({ headers: { accept: a }, flaw: `Accept ${JSON.stringify(a)}` })),
    fc.integer({ min: 1024, max: 8 * 1024 }).map((n) => ({ headers: { "x-l7lab-fuzz": "h".repeat(n) }, flaw: `a ${n}-byte header` })),
    fc.constantFrom("gzip", "br", "identity;q=0").map((e) => ({ headers: { "accept-encoding": e }, flaw: `Accept-Encoding ${e}` })),
  ];
  if (options.hostFlaws) {
    headerFlaws.push(fc.constantFrom("example.com", "127.0.0.1", "127.0.0.1:1", "localhost.example.com:8080", "[::1]", "0.0.0.0:8080", "127.0.0.2:8080").map((h) => ({ headers: { host: h }, flaw: `Host ${h}` })));
  }
  add(1, fc.tuple(base, fc.oneof(...headerFlaws)).map(([b, h]) => build(op, options, { params: b.params, query: encoded(b.query), ...bodyParts(op, options, b.body), headers: h.headers }, { kind: "header", flaw: h.flaw })));

  return fc.oneof(...arbs);
}
