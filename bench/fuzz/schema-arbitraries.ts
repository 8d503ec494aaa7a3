/**
 * fast-check arbitraries of JSON values from a JSON Schema (as TypeBox and @fastify/swagger write
 * it): values the schema accepts, and values it refuses, each with the flaw that makes it invalid.
 * Pure: no network. Every value is checked against the schema before it is handed out (ajv, the
 * validator Fastify uses), so a "valid" value is valid and an "invalid" one is not, whatever the
 * generator below got wrong.
 *
 * Keywords read: type (and OpenAPI's nullable), const, enum, anyOf, oneOf, allOf, properties,
 * required, additionalProperties, patternProperties, items, prefixItems, minItems, maxItems,
 * uniqueItems, minimum, maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, minLength,
 * maxLength, pattern, format (date-time, date, time, email, hostname, ipv4, ipv6, uri, uuid).
 */
import fc from "fast-check";
import type { JsonSchema, SchemaObject, SchemaValidator } from "./openapi.ts";

export interface ValueOptions {
  /** How deep generated arrays and objects nest where the schema leaves it open (default 3). */
  maxDepth?: number;
  /** The longest string where the schema sets no maxLength (default 40). */
  maxStringLength?: number;
  /** The most items or extra keys where the schema sets no limit (default 4). */
  maxItems?: number;
}

/** A value a schema refuses, and what is wrong with it ("body.loss: above the maximum 100"). */
export interface Flawed {
  value: unknown;
  flaw: string;
}

type JsonType = "null" | "boolean" | "integer" | "number" | "string" | "array" | "object";
const JSON_TYPES: readonly JsonType[] = ["null", "boolean", "integer", "number", "string", "array", "object"];

interface Ctx {
  maxDepth: number;
  maxStringLength: number;
  maxItems: number;
}
const ctxOf = (o: ValueOptions = {}): Ctx => ({ maxDepth: o.maxDepth ?? 3, maxStringLength: o.maxStringLength ?? 40, maxItems: o.maxItems ?? 4 });

const isObject = (s: JsonSchema): s is SchemaObject => typeof s === "object" && s !== null;

/** Whether the schema accepts every value ({} or true, or only annotations). */
export function acceptsAnything(s: JsonSchema): boolean {
  if (s === true) return true;
  if (s === false) return false;
  const annotations = new Set(["description", "title", "default", "examples", "example", "$id", "$schema", "deprecated", "readOnly", "writeOnly", "$comment"]);
  return Object.keys(s).every((k) => annotations.has(k));
}

/** The JSON types a schema allows, or undefined when it does not say (any). */
function typesOf(s: SchemaObject): JsonType[] | undefined {
  let types: JsonType[] | undefined;
  if (typeof s.type === "string") types = [s.type as JsonType];
  else if (Array.isArray(s.type)) types = s.type as JsonType[];
  else if (s.properties || s.required || s.additionalProperties !== undefined || s.patternProperties) types = ["object"];
  else if (s.items || s.prefixItems) types = ["array"];
  else if (s.minLength !== undefined || s.maxLength !== undefined || s.pattern !== undefined) types = ["string"];
  else if (s.minimum !== undefined || s.maximum !== undefined || s.exclusiveMinimum !== undefined || s.exclusiveMaximum !== undefined) types = ["number"];
  if (types && s.nullable === true && !types.includes("null")) types = [...types, "null"];
  return types;
}

const allows = (types: readonly JsonType[], t: JsonType) => types.includes(t) || (t === "integer" && types.includes("number"));

/** The schema without the keywords named (to merge a union's siblings into its branches). */
function omit(s: SchemaObject, ...keys: string[]): SchemaObject {
  const out: SchemaObject = { ...s };
  for (const k of keys) delete out[k];
  return out;
}

/** allOf, merged into one schema: properties and required joined, the rest of the later ones win. */
function mergeAll(parts: JsonSchema[]): SchemaObject {
  const out: SchemaObject = {};
  for (const p of parts) {
    if (!isObject(p)) continue;
    const flat = p.allOf ? mergeAll([omit(p, "allOf"), ...p.allOf]) : p;
    const { properties, required, ...rest } = flat;
    Object.assign(out, rest);
    if (properties) out.properties = { ...(out.properties ?? {}), ...properties };
    if (required) out.required = [...new Set([...(out.required ?? []), ...required])];
  }
  return out;
}

// ------------------------------------------------------------------ strings

/** One character: mostly printable ASCII, sometimes any code point (controls, emoji, NUL). */
const char: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) },
  { weight: 1, arbitrary: fc.constantFrom("/", "%", "?", "#", "&", "=", ".", " ", "\u0000", "\n", "\"", "\\", "é", "\u{1F600}") },
);

/** Strings of `min` to `max` characters (code points, as JSON Schema counts them). */
export const text = (min: number, max: number): fc.Arbitrary<string> => fc.string({ unit: char, minLength: min, maxLength: Math.max(min, max) });

const FORMATS: Record<string, () => fc.Arbitrary<string>> = {
  "date-time": () => fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString()),
  date: () => fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
  time: () => fc.date({ noInvalidDate: true, min: new Date("2000-01-01T00:00:00Z"), max: new Date("2000-01-01T23:59:59Z") }).map((d) => `${d.toISOString().slice(11, 19)}Z`),
  email: () => fc.emailAddress(),
  hostname: () => fc.domain(),
  ipv4: () => fc.ipV4(),
  ipv6: () => fc.ipV6(),
  uri: () => fc.webUrl(),
  uuid: () => fc.uuid(),
};

function stringArb(s: SchemaObject, c: Ctx): fc.Arbitrary<string> {
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? min + c.maxStringLength, min + Math.max(c.maxStringLength, 200));
  const length = (v: string) => [...v].length >= min && [...v].length <= (s.maxLength ?? Infinity);
  const format = s.format !== undefined ? FORMATS[s.format] : undefined;
  if (format) return format().filter(length);
  if (s.pattern !== undefined) {
    try {
      return fc.stringMatching(new RegExp(s.pattern), { size: "small" }).filter(length);
    } catch {
      // a pattern fast-check cannot build from: plain strings, and the check filters them
    }
  }
  return text(min, max);
}

// ------------------------------------------------------------------ numbers

interface Bounds {
  min?: number;
  minExcl: boolean;
  max?: number;
  maxExcl: boolean;
}

function boundsOf(s: SchemaObject): Bounds {
  const b: Bounds = { minExcl: false, maxExcl: false };
  if (s.minimum !== undefined) b.min = s.minimum;
  if (s.exclusiveMinimum === true) b.minExcl = b.min !== undefined;
  if (typeof s.exclusiveMinimum === "number" && (b.min === undefined || s.exclusiveMinimum >= b.min)) Object.assign(b, { min: s.exclusiveMinimum, minExcl: true });
  if (s.maximum !== undefined) b.max = s.maximum;
  if (s.exclusiveMaximum === true) b.maxExcl = b.max !== undefined;
  if (typeof s.exclusiveMaximum === "number" && (b.max === undefined || s.exclusiveMaximum <= b.max)) Object.assign(b, { max: s.exclusiveMaximum, maxExcl: true });
  return b;
}

/** Whole numbers within the schema's bounds; undefined when there is none. */
function wholeNumbers(s: SchemaObject): fc.Arbitrary<number> | undefined {
  const b = boundsOf(s);
  const lo = b.min === undefined ? undefined : b.minExcl ? Math.floor(b.min) + 1 : Math.ceil(b.min);
  const hi = b.max === undefined ? undefined : b.maxExcl ? Math.ceil(b.max) - 1 : Math.floor(b.max);
  const min = Math.max(lo ?? -(2 ** 31), Number.MIN_SAFE_INTEGER);
  const max = Math.min(hi ?? 2 ** 31 - 1, Number.MAX_SAFE_INTEGER);
  if (min > max) return undefined;
  const small = fc.integer({ min, max });
  const arb = lo === undefined && hi === undefined ? fc.oneof({ weight: 5, arbitrary: small }, { weight: 1, arbitrary: fc.maxSafeInteger() }) : small;
  return s.multipleOf ? arb.map((n) => Math.round(n / s.multipleOf!) * s.multipleOf!) : arb;
}

/** Integers within the bounds (a range with none gives its lower bound, which the check refuses). */
const integerArb = (s: SchemaObject): fc.Arbitrary<number> => wholeNumbers(s) ?? fc.constant(Math.ceil(boundsOf(s).min ?? 0));

function numberArb(s: SchemaObject): fc.Arbitrary<number> {
  const b = boundsOf(s);
  const double = fc.double({
    noNaN: true,
    noDefaultInfinity: true,
    ...(b.min !== undefined ? { min: b.min, minExcluded: b.minExcl } : {}),
    ...(b.max !== undefined ? { max: b.max, maxExcluded: b.maxExcl } : {}),
  });
  // Whole numbers too: a double arbitrary seldom draws one, and they are what servers mostly get.
  const whole = wholeNumbers({ ...s, multipleOf: undefined });
  return (whole ? fc.oneof(whole, double) : double).map((n) => (s.multipleOf ? Math.round(n / s.multipleOf) * s.multipleOf : n));
}

// ------------------------------------------------------------------ any value

/** Any JSON value nesting at most `depth` deep. */
export const anyJson = (depth: number): fc.Arbitrary<unknown> =>
  depth <= 0 ? fc.oneof(fc.constant(null), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), text(0, 20)) : fc.jsonValue({ maxDepth: depth });

/** A value of JSON type `t` (for wrong-type flaws), nothing else asked of it. */
function sampleOfType(t: JsonType): fc.Arbitrary<unknown> {
  switch (t) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
      return fc.integer();
    case "number":
      return fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).filter((n) => !Number.isInteger(n)), fc.constantFrom(0.5, -1.5, 1e308, -1e308, 5e-324));
    case "string":
      return fc.oneof(text(0, 12), fc.constantFrom("", "true", "1", "null", "{}", "[]"));
    case "array":
      return fc.array(anyJson(1), { maxLength: 3 });
    case "object":
      return fc.dictionary(text(1, 8), anyJson(1), { maxKeys: 3 });
  }
}

// ------------------------------------------------------------------ valid values

function gen(s: JsonSchema, depth: number, c: Ctx): fc.Arbitrary<unknown> {
  if (s === true) return anyJson(Math.min(depth, 2));
  if (s === false) return fc.constant(undefined);
  if ("const" in s) return fc.constant(s.const);
  if (s.enum) return fc.constantFrom(...s.enum);
  if (s.allOf) return gen(mergeAll([omit(s, "allOf"), ...s.allOf]), depth, c);
  const union = s.anyOf ?? s.oneOf;
  if (union) {
    const siblings = omit(s, "anyOf", "oneOf");
    const branches = union.map((b) => gen(isObject(b) ? mergeAll([siblings, b]) : b, depth, c));
    return s.nullable === true ? fc.oneof(fc.constant(null), ...branches) : fc.oneof(...branches);
  }
  const types = typesOf(s);
  if (!types) return anyJson(Math.min(depth, 2));
  const arbs = types.map((t) => genType(t, s, depth, c));
  return arbs.length === 1 ? arbs[0]! : fc.oneof(...arbs);
}

function genType(t: JsonType, s: SchemaObject, depth: number, c: Ctx): fc.Arbitrary<unknown> {
  switch (t) {
    case "null":
      return fc.constant(null);
    case "boolean":
      return fc.boolean();
    case "integer":
      return integerArb(s);
    case "number":
      return numberArb(s);
    case "string":
      return stringArb(s, c);
    case "array":
      return arrayArb(s, depth, c);
    case "object":
      return objectArb(s, depth, c);
  }
}

function arrayArb(s: SchemaObject, depth: number, c: Ctx): fc.Arbitrary<unknown[]> {
  const minItems = s.minItems ?? 0;
  const maxItems = Math.min(s.maxItems ?? minItems + c.maxItems, minItems + c.maxItems);
  const prefix = s.prefixItems ?? (Array.isArray(s.items) ? s.items : undefined);
  if (prefix) {
    const head = fc.tuple(...prefix.map((p) => gen(p, depth - 1, c)));
    const restSchema = s.prefixItems ? (Array.isArray(s.items) ? undefined : s.items) : (s.additionalItems as JsonSchema | undefined);
    if (restSchema === false || restSchema === undefined) return head;
    return fc.tuple(head, fc.array(gen(restSchema, depth - 1, c), { maxLength: Math.max(0, maxItems - prefix.length) })).map(([h, r]) => [...h, ...r]);
  }
  const items = (s.items as JsonSchema | undefined) ?? true;
  if (depth <= 0 && minItems === 0) return fc.constant([]);
  const item = gen(items, depth - 1, c);
  return s.uniqueItems
    ? fc.uniqueArray(item, { minLength: minItems, maxLength: maxItems, selector: (v) => JSON.stringify(v) })
    : fc.array(item, { minLength: minItems, maxLength: maxItems });
}

/** Keys for extra properties: short, and now and then one that means something to JavaScript. */
const extraKey = fc.oneof({ weight: 8, arbitrary: text(1, 10) }, { weight: 1, arbitrary: fc.constantFrom("constructor", "toString", "__proto__", "prototype", "") });

function objectArb(s: SchemaObject, depth: number, c: Ctx): fc.Arbitrary<Record<string, unknown>> {
  const props = s.properties ?? {};
  const required = new Set(s.required ?? []);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, p] of Object.entries(props)) model[k] = gen(p, depth - 1, c);
  for (const k of required) if (!(k in model)) model[k] = anyJson(Math.min(depth - 1, 1));
  const known = fc.record(model, { requiredKeys: [...required] });
  const patterns = Object.entries(s.patternProperties ?? {});
  const matchesPattern = (k: string) => patterns.some(([p]) => new RegExp(p, "u").test(k));
  const addl = s.additionalProperties;
  const extraArbs: fc.Arbitrary<Record<string, unknown>>[] = [];
  if (depth > 0) {
    for (const [p, ps] of patterns) {
      let keys: fc.Arbitrary<string>;
      try {
        keys = fc.stringMatching(new RegExp(p), { size: "xsmall" });
      } catch {
        keys = text(1, 10).filter((k) => new RegExp(p, "u").test(k));
      }
      extraArbs.push(fc.dictionary(keys.filter((k) => !(k in props)), gen(ps, depth - 1, c), { maxKeys: c.maxItems }));
    }
    if (addl !== false) {
      const addlSchema = addl === undefined ? true : addl;
      extraArbs.push(fc.dictionary(extraKey.filter((k) => !(k in props) && !matchesPattern(k)), gen(addlSchema, depth - 1, c), { maxKeys: c.maxItems }));
    }
  }
  if (extraArbs.length === 0) return known;
  // Spread, not Object.assign: a "__proto__" key stays a key (Object.assign would set the prototype).
  return fc.tuple(known, ...extraArbs).map(([k, ...extras]) => [...extras, k].reduce<Record<string, unknown>>((acc, e) => ({ ...acc, ...e }), {}));
}

/**
 * Values drawn from `schema` by its keywords, unchecked: nearly all valid (the unit tests hold it
 * to that for the API's schemas), which matters, since the check in validValue draws again until
 * a value passes.
 */
export function generatedValue(schema: JsonSchema, options?: ValueOptions): fc.Arbitrary<unknown> {
  const c = ctxOf(options);
  return gen(schema, c.maxDepth, c);
}

/**
 * Values `schema` accepts. The generator follows the keywords listed at the top; a value it gets
 * wrong anyway (a oneOf whose branches overlap, a format it does not know) is dropped by the check.
 */
export function validValue(schema: JsonSchema, validator: SchemaValidator, options?: ValueOptions): fc.Arbitrary<unknown> {
  return checked(generatedValue(schema, options), (v) => v !== undefined && validator.valid(schema, v), "valid value", schema);
}

/** How many draws in a row the check may refuse before it gives up. */
const MAX_REFUSED = 1000;

/**
 * `arb` filtered by `ok`; fast-check's filter draws again until a value passes, forever if none
 * does, so this one fails after MAX_REFUSED refusals in a row, naming the schema.
 */
function checked<T>(arb: fc.Arbitrary<T>, ok: (t: T) => boolean, what: string, schema: JsonSchema): fc.Arbitrary<T> {
  let refused = 0;
  return arb.filter((t) => {
    if (ok(t)) {
      refused = 0;
      return true;
    }
    if (++refused >= MAX_REFUSED) {
      refused = 0;
      throw new Error(`no ${what} in ${MAX_REFUSED} draws for the schema ${JSON.stringify(schema).slice(0, 300)}`);
    }
    return false;
  });
}

// ------------------------------------------------------------------ invalid values

const describe = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "number" && Number.isInteger(v) ? "an integer" : `a ${typeof v}`);

/** The ways `s` can be broken, each an arbitrary of flawed values (their check comes later). */
function flaws(s: JsonSchema, depth: number, c: Ctx, where: string): fc.Arbitrary<Flawed>[] {
  if (acceptsAnything(s)) return [];
  if (s === false) return [anyJson(1).map((value) => ({ value, flaw: `${where}: a value where none is allowed` }))];
  const out: fc.Arbitrary<Flawed>[] = [];
  const o = s as SchemaObject;
  const types = typesOf(o);

  if (types) {
    const wrong = JSON_TYPES.filter((t) => !allows(types, t) && !(t === "number" && types.includes("integer")));
    if (wrong.length > 0) out.push(fc.oneof(...wrong.map(sampleOfType)).map((value) => ({ value, flaw: `${where}: ${describe(value)} instead of ${types.join(" or ")}` })));
  }
  if ("const" in o || o.enum) {
    const allowed = "const" in o ? [o.const] : o.enum!;
    const nearMiss = allowed.filter((v) => typeof v === "string").flatMap((v) => [`${v as string}x`, (v as string).toUpperCase(), ` ${v as string}`, (v as string).slice(0, -1)]);
    out.push(
      fc.oneof(text(0, 12), fc.integer(), ...(nearMiss.length > 0 ? [fc.constantFrom(...nearMiss)] : [])).map((value) => ({ value, flaw: `${where}: ${JSON.stringify(value)} is not one of ${JSON.stringify(allowed)}` })),
    );
  }
  const union = o.anyOf ?? o.oneOf;
  if (union) {
    const siblings = omit(o, "anyOf", "oneOf");
    for (const b of union) out.push(...flaws(isObject(b) ? mergeAll([siblings, b]) : b, depth, c, where));
  }
  if (o.allOf) out.push(...flaws(mergeAll([omit(o, "allOf"), ...o.allOf]), depth, c, where));
  if (!types) return out;

  if (types.includes("integer") && !types.includes("number")) {
    out.push(integerArb(o).map((n) => ({ value: n + 0.5, flaw: `${where}: ${n + 0.5} is not a whole number` })));
  }
  if (allows(types, "number") || allows(types, "integer")) {
    const b = boundsOf(o);
    const step = fc.oneof(fc.constantFrom(0, 1, 0.001), fc.integer({ min: 1, max: 1_000_000 }), fc.constantFrom(1e15, 1e300));
    if (b.min !== undefined) {
      const min = b.min;
      out.push(step.map((d) => ({ value: d === 0 && !b.minExcl ? min - 1 : min - d, flaw: `${where}: below the ${b.minExcl ? "exclusive " : ""}minimum ${min}` })));
    }
    if (b.max !== undefined) {
      const max = b.max;
      out.push(step.map((d) => ({ value: d === 0 && !b.maxExcl ? max + 1 : max + d, flaw: `${where}: above the ${b.maxExcl ? "exclusive " : ""}maximum ${max}` })));
    }
  }
  if (types.includes("string")) {
    if (o.minLength !== undefined && o.minLength > 0) out.push(text(0, o.minLength - 1).map((value) => ({ value, flaw: `${where}: shorter than ${o.minLength} characters` })));
    if (o.maxLength !== undefined) {
      const max = o.maxLength;
      out.push(fc.integer({ min: max + 1, max: max + 1 + c.maxStringLength }).map((n) => ({ value: "x".repeat(n), flaw: `${where}: longer than ${max} characters (${n})` })));
    }
    if (o.pattern !== undefined) {
      const re = new RegExp(o.pattern, "u");
      out.push(text(0, 20).filter((v) => !re.test(v)).map((value) => ({ value, flaw: `${where}: does not match ${o.pattern}` })));
    }
  }
  if (types.includes("array")) {
    const item = (o.items as JsonSchema | undefined) ?? true;
    const itemArb = Array.isArray(item) ? anyJson(1) : gen(item, depth - 1, c);
    if (o.maxItems !== undefined) {
      const max = o.maxItems;
      out.push(fc.array(itemArb, { minLength: max + 1, maxLength: max + 3 }).map((value) => ({ value, flaw: `${where}: more than ${max} items` })));
    }
    if (o.minItems !== undefined && o.minItems > 0) {
      const min = o.minItems;
      out.push(fc.array(itemArb, { maxLength: min - 1 }).map((value) => ({ value, flaw: `${where}: fewer than ${min} items` })));
    }
    if (!Array.isArray(item) && depth > 0) {
      const itemFlaws = flaws(item, depth - 1, c, `${where}[i]`);
      if (itemFlaws.length > 0) {
        const valid = arrayArb({ ...o, minItems: Math.max(1, o.minItems ?? 0), maxItems: Math.max(1, o.maxItems ?? 3) }, depth, c);
        out.push(
          fc.tuple(valid, fc.oneof(...itemFlaws), fc.nat()).map(([arr, f, i]) => {
            const at = i % arr.length;
            const value = arr.slice();
            value[at] = f.value;
            return { value, flaw: f.flaw.replace(`${where}[i]`, `${where}[${at}]`) };
          }),
        );
      }
    }
  }
  if (types.includes("object")) {
    const props = o.properties ?? {};
    const valid = objectArb(o, depth, c);
    for (const k of o.required ?? []) {
      out.push(valid.map((v) => {
        const { [k]: _gone, ...rest } = v;
        return { value: rest, flaw: `${where}.${k}: required, missing` };
      }));
    }
    if (o.additionalProperties === false) {
      const patterns = Object.keys(o.patternProperties ?? {}).map((p) => new RegExp(p, "u"));
      const unknownKey = extraKey.filter((k) => k !== "__proto__" && !(k in props) && !patterns.some((p) => p.test(k)));
      out.push(fc.tuple(valid, unknownKey, anyJson(1)).map(([v, k, x]) => ({ value: { ...v, [k]: x }, flaw: `${where}: unknown field ${JSON.stringify(k)}` })));
    }
    if (depth > 0) {
      for (const [k, p] of Object.entries(props)) {
        const propFlaws = flaws(p, depth - 1, c, `${where}.${k}`);
        if (propFlaws.length > 0) out.push(fc.tuple(valid, fc.oneof(...propFlaws)).map(([v, f]) => ({ value: { ...v, [k]: f.value }, flaw: f.flaw })));
      }
      if (isObject(o.additionalProperties ?? true) && !acceptsAnything(o.additionalProperties ?? true)) {
        const addlFlaws = flaws(o.additionalProperties as JsonSchema, depth - 1, c, `${where}.<extra>`);
        const key = extraKey.filter((k) => k !== "__proto__" && !(k in props));
        if (addlFlaws.length > 0) out.push(fc.tuple(valid, key, fc.oneof(...addlFlaws)).map(([v, k, f]) => ({ value: { ...v, [k]: f.value }, flaw: f.flaw.replace("<extra>", k) })));
      }
    }
  }
  return out;
}

/**
 * Values `schema` refuses, each with its flaw: a wrong type, a missing required field, an unknown
 * field, a number out of range, a string too long or off its pattern, a value outside an enum,
 * too many items, and the same inside any property or item. Undefined when the schema accepts
 * every value (nothing is invalid).
 */
export function invalidValue(schema: JsonSchema, validator: SchemaValidator, options?: ValueOptions, where = "value"): fc.Arbitrary<Flawed> | undefined {
  const flawed = generatedFlaw(schema, options, where);
  return flawed && checked(flawed, (f) => f.value !== undefined && !validator.valid(schema, f.value), "invalid value", schema);
}

/** The flawed values of invalidValue, unchecked (as generatedValue for valid ones). */
export function generatedFlaw(schema: JsonSchema, options?: ValueOptions, where = "value"): fc.Arbitrary<Flawed> | undefined {
  const c = ctxOf(options);
  const all = flaws(schema, c.maxDepth, c, where);
  return all.length === 0 ? undefined : fc.oneof(...all);
}
