/**
 * The parts of an OpenAPI 3 document the fuzzer reads, as plain data: each operation's method and
 * path, its parameters, its JSON request body and its documented responses, with every `$ref` to
 * `#/components/...` resolved in place. Pure: no network, no fast-check.
 */
import AjvModule, { type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

/** A JSON Schema as TypeBox and @fastify/swagger write it (a subset of draft 2020-12 / OAS 3.0). */
export type JsonSchema = boolean | SchemaObject;
export interface SchemaObject {
  $ref?: string;
  type?: string | string[];
  nullable?: boolean;
  const?: unknown;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  not?: JsonSchema;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema;
  patternProperties?: Record<string, JsonSchema>;
  minProperties?: number;
  maxProperties?: number;
  items?: JsonSchema | JsonSchema[];
  prefixItems?: JsonSchema[];
  minItems?: number;
  maxItems?: number;
  uniqueItems?: boolean;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number | boolean;
  exclusiveMaximum?: number | boolean;
  multipleOf?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  default?: unknown;
  description?: string;
  [keyword: string]: unknown;
}

export interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components?: Record<string, Record<string, unknown>>;
  security?: Record<string, string[]>[];
}

export interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required: boolean;
  schema: JsonSchema;
}

export interface DocumentedResponse {
  /** The JSON body's schema; undefined when the response documents no JSON content. */
  schema?: JsonSchema;
}

export interface Operation {
  /** Upper case: GET, POST, ... */
  method: string;
  /** The path template as documented: /api/services/{name} */
  path: string;
  summary?: string;
  parameters: Parameter[];
  /** The JSON request body, when the operation documents one. */
  body?: { required: boolean; schema: JsonSchema };
  /** By status code as documented: "200", "4XX" or "default". */
  responses: Record<string, DocumentedResponse>;
  /** Whether the operation needs credentials (its own `security`, else the document's). */
  secured: boolean;
}

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/** The object a local `$ref` ("#/components/schemas/X") points at. */
function pointer(doc: OpenApiDocument, ref: string): unknown {
  if (!ref.startsWith("#/")) throw new Error(`only local $refs are supported, not ${ref}`);
  let at: unknown = doc;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (at === null || typeof at !== "object" || !(key in at)) throw new Error(`$ref ${ref} points at nothing`);
    at = (at as Record<string, unknown>)[key];
  }
  return at;
}

/**
 * `value` with every local `$ref` replaced by what it points at (a copy; the document is not
 * changed). A reference to a schema that is being resolved already (a recursive schema) becomes
 * `{}`, any value: the fuzzer's schemas need no recursion.
 */
export function resolveRefs<T>(doc: OpenApiDocument, value: T, active: ReadonlySet<string> = new Set()): T {
  if (Array.isArray(value)) return value.map((v) => resolveRefs(doc, v, active)) as T;
  if (value === null || typeof value !== "object") return value;
  const obj = value as Record<string, unknown>;
  if (typeof obj["$ref"] === "string") {
    const ref = obj["$ref"];
    if (active.has(ref)) return {} as T;
    const { $ref: _ref, ...siblings } = obj;
    const target = resolveRefs(doc, pointer(doc, ref), new Set([...active, ref]));
    return (Object.keys(siblings).length === 0 ? target : { ...(target as object), ...resolveRefs(doc, siblings, active) }) as T;
  }
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, resolveRefs(doc, v, active)])) as T;
}

const jsonContent = (content: unknown): JsonSchema | undefined => {
  if (content === null || typeof content !== "object") return undefined;
  const entry = Object.entries(content as Record<string, { schema?: JsonSchema }>).find(([type]) => /^application\/(.+\+)?json\b/i.test(type));
  return entry ? (entry[1].schema ?? {}) : undefined;
};

/** Every operation of the document, in document order, with its `$ref`s resolved. */
export function operations(doc: OpenApiDocument): Operation[] {
  const out: Operation[] = [];
  for (const [path, rawItem] of Object.entries(doc.paths ?? {})) {
    const item = resolveRefs(doc, rawItem);
    const shared = (item["parameters"] as Parameter[] | undefined) ?? [];
    for (const method of METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (!op) continue;
      const params = new Map<string, Parameter>();
      for (const p of [...shared, ...((op["parameters"] as Parameter[] | undefined) ?? [])]) {
        params.set(`${p.in}:${p.name}`, { name: p.name, in: p.in, required: p.in === "path" ? true : p.required === true, schema: p.schema ?? {} });
      }
      const requestBody = op["requestBody"] as { required?: boolean; content?: unknown } | undefined;
      const bodySchema = requestBody ? jsonContent(requestBody.content) : undefined;
      const responses: Record<string, DocumentedResponse> = {};
      for (const [status, r] of Object.entries((op["responses"] as Record<string, { content?: unknown }> | undefined) ?? {})) {
        const schema = jsonContent(r?.content);
        responses[status] = schema === undefined ? {} : { schema };
      }
      const security = (op["security"] as unknown[] | undefined) ?? doc.security ?? [];
      out.push({
        method: method.toUpperCase(),
        path,
        ...(typeof op["summary"] === "string" ? { summary: op["summary"] } : {}),
        parameters: [...params.values()],
        ...(bodySchema !== undefined ? { body: { required: requestBody?.required === true, schema: bodySchema } } : {}),
        responses,
        // An empty requirement ({}) among the alternatives means "no credentials needed".
        secured: security.length > 0 && !security.some((s) => s !== null && typeof s === "object" && Object.keys(s).length === 0),
      });
    }
  }
  return out;
}

/**
 * `schema` with OpenAPI 3.0's boolean exclusiveMinimum/exclusiveMaximum (beside minimum/maximum)
 * written as draft 7's numbers, which ajv reads. Everything else as it is.
 */
export function draft7(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(draft7);
  if (schema === null || typeof schema !== "object") return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = k === "const" || k === "enum" || k === "default" || k === "example" || k === "examples" ? v : draft7(v);
  for (const [bound, exclusive] of [["minimum", "exclusiveMinimum"], ["maximum", "exclusiveMaximum"]] as const) {
    if (typeof out[exclusive] !== "boolean") continue;
    if (out[exclusive] === true && typeof out[bound] === "number") {
      out[exclusive] = out[bound];
      delete out[bound];
    } else delete out[exclusive];
  }
  return out;
}

// ajv is CommonJS; under Node's ESM loader its class is the default export's `default`.
type AjvClass = typeof AjvModule.default;
const Ajv = ((AjvModule as unknown as { default?: AjvClass }).default ?? AjvModule) as AjvClass;
type AddFormats = typeof addFormatsModule.default;
const addFormats = ((addFormatsModule as unknown as { default?: AddFormats }).default ?? addFormatsModule) as AddFormats;

/**
 * A validator of JSON values against schemas, compiled once per schema object. Lenient about
 * keywords it does not know (OpenAPI's `example`, `xml`...), strict about the ones it does;
 * `nullable` is OpenAPI 3.0's. No type coercion, no defaults filled in: a value is checked as sent.
 */
export class SchemaValidator {
  readonly #ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true, unicodeRegExp: true });
  readonly #compiled = new WeakMap<object, ValidateFunction>();

  constructor() {
    addFormats(this.#ajv);
  }

  #compile(schema: JsonSchema): ValidateFunction | undefined {
    if (typeof schema === "boolean") return undefined;
    let fn = this.#compiled.get(schema);
    if (!fn) {
      // $id would make ajv refuse a second schema with the same id: the fuzzer's schemas are resolved.
      const { $id: _id, ...rest } = schema;
      fn = this.#ajv.compile(draft7(rest) as SchemaObject);
      this.#compiled.set(schema, fn);
    }
    return fn;
  }

  /** Whether `value` is valid against `schema`. */
  valid(schema: JsonSchema, value: unknown): boolean {
    if (typeof schema === "boolean") return schema;
    return this.#compile(schema)!(value) === true;
  }

  /** What is wrong with `value`, one line per problem ("/path must be string"); [] when it is valid. */
  problems(schema: JsonSchema, value: unknown): string[] {
    if (typeof schema === "boolean") return schema ? [] : ["no value is allowed here (schema false)"];
    const fn = this.#compile(schema)!;
    if (fn(value) === true) return [];
    return (fn.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? "is invalid"}${e.params && "additionalProperty" in e.params ? ` (${String(e.params["additionalProperty"])})` : ""}`);
  }
}
