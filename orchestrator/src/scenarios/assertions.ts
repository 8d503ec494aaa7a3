import { linearRegex } from "../common/linear-regex.ts";
import { isDeepStrictEqual } from "node:util";
import { formatValue, kindOf } from "./format.ts";
import { lookupPath } from "./path.ts";
import { isRef, resolveRef } from "./refs.ts";
import { ASSERTION_OPERATORS, type Assertion, type AssertionOperator } from "./schema.ts";

/** The outcome of one assertion; `message` reads on its own. */
export interface AssertionRecord {
  path: string;
  op: string;
  /** The expected value, with a ref already resolved. */
  expected: unknown;
  actual: unknown;
  passed: boolean;
  message: string;
}

/** The operator of a raw assertion object: its one key that names an operator. */
export function operatorsIn(raw: Record<string, unknown>): AssertionOperator[] {
  return ASSERTION_OPERATORS.filter((op) => Object.hasOwn(raw, op));
}

/** A raw assertion (as in the file) in the engine's form. The caller has validated it. */
export function normalizeAssertion(raw: Record<string, unknown>): Assertion {
  const op = operatorsIn(raw)[0];
  if (op === undefined) throw new Error(`assertion has no operator: ${formatValue(raw)}`);
  const out: Assertion = { path: String(raw["path"]), op, expected: raw[op] };
  if (typeof raw["message"] === "string") out.message = raw["message"];
  return out;
}

/** `got` replaces the usual "got <value>"; `note` says why the operator could not apply. */
type Verdict = { passed: boolean; got?: string; note?: string };


function compare(actual: unknown, expected: unknown, test: (a: number | string, e: number | string) => boolean, op: string): Verdict {
  const bothNumbers = typeof actual === "number" && typeof expected === "number";
  const bothStrings = typeof actual === "string" && typeof expected === "string";
  if (!bothNumbers && !bothStrings) {
    return { passed: false, note: `${op} compares two numbers or two strings, not ${kindOf(actual)} with ${kindOf(expected)}` };
  }
  return { passed: test(actual, expected) };
}

function contains(actual: unknown, expected: unknown, op: string): Verdict | undefined {
  if (typeof actual === "string") {
    if (typeof expected !== "string") return { passed: false, note: `${op} on a string needs a string, not ${kindOf(expected)}` };
    return { passed: actual.includes(expected) };
  }
  if (Array.isArray(actual)) return { passed: actual.some((item) => isDeepStrictEqual(item, expected)) };
  return undefined;
}

/** Each operator's test of the actual value (known to exist, except for `exists`). */
const OPERATORS: Record<AssertionOperator, (actual: unknown, expected: unknown) => Verdict> = {
  equals: (a, e) => ({ passed: isDeepStrictEqual(a, e) }),
  notEquals: (a, e) => ({ passed: !isDeepStrictEqual(a, e) }),
  contains: (a, e) => contains(a, e, "contains") ?? { passed: false, note: `contains needs a string or an array, not ${kindOf(a)}` },
  notContains: (a, e) => {
    const v = contains(a, e, "notContains");
    if (!v) return { passed: false, note: `notContains needs a string or an array, not ${kindOf(a)}` };
    return v.note ? v : { passed: !v.passed };
  },
  matches: (a, e) => {
    if (typeof e !== "string") return { passed: false, note: `matches needs a regular expression as a string, not ${kindOf(e)}` };
    if (typeof a !== "string" && typeof a !== "number") return { passed: false, note: `matches needs a string, not ${kindOf(a)}` };
    try {
      return { passed: linearRegex(e).test(String(a)) };
    } catch (error) {
      return { passed: false, note: `the regular expression is invalid: ${(error as Error).message}` };
    }
  },
  exists: () => ({ passed: true }),
  lessThan: (a, e) => compare(a, e, (x, y) => x < y, "lessThan"),
  atMost: (a, e) => compare(a, e, (x, y) => x <= y, "atMost"),
  greaterThan: (a, e) => compare(a, e, (x, y) => x > y, "greaterThan"),
  atLeast: (a, e) => compare(a, e, (x, y) => x >= y, "atLeast"),
  oneOf: (a, e) => {
    if (!Array.isArray(e)) return { passed: false, note: `oneOf needs an array of choices, not ${kindOf(e)}` };
    return { passed: e.some((choice) => isDeepStrictEqual(a, choice)) };
  },
  length: (a, e) => {
    if (typeof a !== "string" && !Array.isArray(a)) return { passed: false, note: `length applies to an array or a string, not ${kindOf(a)}` };
    if (typeof e !== "number") return { passed: false, note: `length needs a number, not ${kindOf(e)}` };
    return { passed: a.length === e, got: `got length ${a.length}` };
  },
};

function finish(a: Assertion, expected: unknown, actual: unknown, passed: boolean, statement: string, detail: string): AssertionRecord {
  const auto = `${statement}: ${detail}`;
  const message = !passed && a.message ? `${a.message} (${auto})` : auto;
  return { path: a.path, op: a.op, expected, actual, passed, message };
}

/**
 * Evaluates one assertion. `root` is what the path is read from; `results` holds the results of
 * earlier steps by step id, for refs. Never throws: a missing path or a bad ref is a failure.
 */
export function evaluateAssertion(a: Assertion, root: unknown, results: unknown): AssertionRecord {
  let expected = a.expected;
  let expectedText = formatValue(expected);
  if (isRef(a.expected)) {
    const ref = a.expected.ref;
    let resolved;
    try {
      resolved = resolveRef(a.expected, results);
    } catch (error) {
      resolved = { found: false as const, reason: (error as Error).message };
    }
    if (!resolved.found) {
      return finish(a, undefined, undefined, false, `${a.path} ${a.op} ${ref}`, `the ref cannot be resolved: ${resolved.reason}`);
    }
    expected = resolved.value;
    expectedText = `${ref} (${formatValue(expected)})`;
  }
  const statement = a.op === "exists" ? `${a.path} ${expected === false ? "does not exist" : "exists"}` : `${a.path} ${a.op} ${expectedText}`;

  let found;
  try {
    found = lookupPath(root, a.path);
  } catch (error) {
    return finish(a, expected, undefined, false, statement, (error as Error).message);
  }

  if (a.op === "exists") {
    const passed = found.found === (expected !== false);
    const detail = found.found ? (passed ? "ok" : `got ${formatValue(found.value)}`) : passed ? "ok (path not found)" : `path not found: ${found.reason}`;
    return finish(a, expected, found.found ? found.value : undefined, passed, statement, detail);
  }
  if (!found.found) return finish(a, expected, undefined, false, statement, `path not found: ${found.reason}`);

  const verdict = OPERATORS[a.op](found.value, expected);
  const got = verdict.got ?? `got ${formatValue(found.value)}`;
  const detail = verdict.passed ? "ok" : `${got}${verdict.note ? ` (${verdict.note})` : ""}`;
  return finish(a, expected, found.value, verdict.passed, statement, detail);
}

export function evaluateAssertions(list: readonly Assertion[], root: unknown, results: unknown): AssertionRecord[] {
  return list.map((a) => evaluateAssertion(a, root, results));
}
