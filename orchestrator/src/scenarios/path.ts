import { kindOf } from "./format.ts";

/**
 * Paths into result data: `a.b[0].c`, `a.b.0.c`, and `a["key.with.dots"]` for keys that are not
 * plain words. On an array or a string, `length` is its length. `[*]` takes every item of an
 * array: `results[*].messageId` is the list of each result's messageId.
 */

export type PathSegment = string | number;

/** The segment `[*]` stands for: every item of an array. */
export const EVERY_ITEM = "*";

/** Splits a path into its keys and indexes; throws on a path that cannot be read. */
export function parsePath(path: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let i = 0;
  const fail = (why: string): never => {
    throw new Error(`path "${path}" cannot be read: ${why} at character ${i + 1}`);
  };
  if (path.length === 0) fail("it is empty");
  let expectKey = true;
  while (i < path.length) {
    const ch = path[i]!;
    if (ch === "[") {
      const quote = path[i + 1];
      if (quote === '"' || quote === "'") {
        const end = path.indexOf(quote + "]", i + 2);
        if (end < 0) fail(`no closing ${quote}]`);
        segments.push(path.slice(i + 2, end));
        i = end + 2;
      } else {
        const end = path.indexOf("]", i);
        if (end < 0) fail("no closing ]");
        const inner = path.slice(i + 1, end);
        if (inner === EVERY_ITEM) segments.push(EVERY_ITEM);
        else if (!/^[0-9]+$/.test(inner)) fail(`[${inner}] is not an index (write ["${inner}"] for a key, or [*] for every item)`);
        else segments.push(Number(inner));
        i = end + 1;
      }
      expectKey = false;
    } else if (ch === ".") {
      if (expectKey) fail("an empty key");
      i += 1;
      expectKey = true;
      if (i >= path.length) fail("an empty key");
    } else {
      if (!expectKey) fail("a key that does not follow a dot");
      let end = i;
      while (end < path.length && path[end] !== "." && path[end] !== "[") end += 1;
      const key = path.slice(i, end);
      segments.push(/^[0-9]+$/.test(key) ? Number(key) : key);
      i = end;
      expectKey = false;
    }
  }
  return segments;
}

/** Writes segments back as a path, the `a.b[0].c` way. */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (s === EVERY_ITEM) out += "[*]";
    else if (/^[A-Za-z_$][\w$-]*$/.test(s)) out += out === "" ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

export type Lookup = { found: true; value: unknown } | { found: false; reason: string };


/** The value at `segments` in `root`, or why there is none (which key was missing, and in what). */
export function lookup(root: unknown, segments: readonly PathSegment[]): Lookup {
  let current: unknown = root;
  for (let k = 0; k < segments.length; k++) {
    const seg = segments[k]!;
    const where = k === 0 ? "the root" : `"${formatPath(segments.slice(0, k))}"`;
    if (seg === EVERY_ITEM) {
      if (!Array.isArray(current)) return { found: false, reason: `${where} is ${kindOf(current)}, not an array, so [*] cannot take its items` };
      const rest = segments.slice(k + 1);
      const values: unknown[] = [];
      for (const [i, item] of current.entries()) {
        const r = lookup(item, rest);
        if (!r.found) return { found: false, reason: `item ${i} of ${where}: ${r.reason}` };
        values.push(r.value);
      }
      return { found: true, value: values };
    }
    if (seg === "length" && (Array.isArray(current) || typeof current === "string")) {
      current = current.length;
      continue;
    }
    if (Array.isArray(current)) {
      if (typeof seg !== "number") return { found: false, reason: `${where} is an array, and "${seg}" is not an index` };
      if (seg >= current.length) return { found: false, reason: `${where} has ${current.length} item(s), so there is no index ${seg}` };
      current = current[seg];
    } else if (current !== null && typeof current === "object") {
      const key = String(seg);
      if (!Object.hasOwn(current, key)) {
        const keys = Object.keys(current);
        const has = keys.length === 0 ? "no keys" : `only ${keys.slice(0, 12).map((x) => `"${x}"`).join(", ")}${keys.length > 12 ? ", ..." : ""}`;
        return { found: false, reason: `${where} has no key "${key}" (it has ${has})` };
      }
      current = (current as Record<string, unknown>)[key];
    } else {
      return { found: false, reason: `${where} is ${kindOf(current)}, not an object or array` };
    }
  }
  return { found: true, value: current };
}

/** `lookup` with a path given as text. */
export function lookupPath(root: unknown, path: string): Lookup {
  return lookup(root, parsePath(path));
}
