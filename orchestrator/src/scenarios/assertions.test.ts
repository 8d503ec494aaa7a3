import { describe, expect, it } from "vitest";
import { evaluateAssertion, normalizeAssertion, operatorsIn } from "./assertions.ts";
import type { Assertion, AssertionOperator } from "./schema.ts";

const data = {
  zones: [".", "com."],
  answers: [{ ttl: 300, data: "192.0.2.10" }, { ttl: 60, data: "192.0.2.11" }],
  rcode: "NOERROR",
  count: 3,
  flags: { aa: true },
  empty: [],
  nothing: null,
};
const results = { first: { ttl: 300, rcode: "NOERROR", zones: [".", "com."] }, second: { ttl: 100 } };

const a = (path: string, op: AssertionOperator, expected: unknown, message?: string): Assertion =>
  message === undefined ? { path, op, expected } : { path, op, expected, message };

describe("evaluateAssertion", () => {
  // [assertion, passed, message]
  const cases: [Assertion, boolean, string][] = [
    [a("zones", "equals", [".", "com."]), true, 'zones equals [".","com."]: ok'],
    [a("zones", "equals", [".", "edu."]), false, 'zones equals [".","edu."]: got [".","com."]'],
    [a("answers[0]", "equals", { ttl: 300, data: "192.0.2.10" }), true, 'answers[0] equals {"ttl":300,"data":"192.0.2.10"}: ok'],
    [a("count", "equals", "3"), false, 'count equals "3": got 3'],
    [a("rcode", "notEquals", "NXDOMAIN"), true, 'rcode notEquals "NXDOMAIN": ok'],
    [a("rcode", "notEquals", "NOERROR"), false, 'rcode notEquals "NOERROR": got "NOERROR"'],
    [a("rcode", "contains", "ERR"), true, 'rcode contains "ERR": ok'],
    [a("rcode", "contains", "FAIL"), false, 'rcode contains "FAIL": got "NOERROR"'],
    [a("zones", "contains", "com."), true, 'zones contains "com.": ok'],
    [a("answers", "contains", { ttl: 60, data: "192.0.2.11" }), true, 'answers contains {"ttl":60,"data":"192.0.2.11"}: ok'],
    [a("zones", "contains", "edu."), false, 'zones contains "edu.": got [".","com."]'],
    [a("count", "contains", 3), false, "count contains 3: got 3 (contains needs a string or an array, not a number)"],
    [a("rcode", "contains", 3), false, 'rcode contains 3: got "NOERROR" (contains on a string needs a string, not a number)'],
    [a("zones", "notContains", "edu."), true, 'zones notContains "edu.": ok'],
    [a("zones", "notContains", "com."), false, 'zones notContains "com.": got [".","com."]'],
    [a("count", "notContains", 1), false, "count notContains 1: got 3 (notContains needs a string or an array, not a number)"],
    [a("answers[0].data", "matches", "^192\\.0\\.2\\."), true, 'answers[0].data matches "^192\\\\.0\\\\.2\\\\.": ok'],
    [a("rcode", "matches", "^NX"), false, 'rcode matches "^NX": got "NOERROR"'],
    [a("count", "matches", "^[0-9]$"), true, 'count matches "^[0-9]$": ok'],
    [a("flags", "matches", "x"), false, 'flags matches "x": got {"aa":true} (matches needs a string, not an object)'],
    [a("rcode", "matches", "("), false, 'rcode matches "(": got "NOERROR" (the regular expression is invalid: error parsing regexp: missing closing ): `(` (the lab runs regular expressions with RE2, in linear time: no backreferences like \\1, no lookaround like (?= or (?!))'],
    [a("flags.aa", "exists", true), true, "flags.aa exists: ok"],
    [a("nothing", "exists", true), true, "nothing exists: ok"],
    [a("flags.ad", "exists", true), false, 'flags.ad exists: path not found: "flags" has no key "ad" (it has only "aa")'],
    [a("flags.ad", "exists", false), true, "flags.ad does not exist: ok (path not found)"],
    [a("flags.aa", "exists", false), false, "flags.aa does not exist: got true"],
    [a("answers[0].ttl", "lessThan", 301), true, "answers[0].ttl lessThan 301: ok"],
    [a("answers[0].ttl", "lessThan", 300), false, "answers[0].ttl lessThan 300: got 300"],
    [a("answers[0].ttl", "atMost", 300), true, "answers[0].ttl atMost 300: ok"],
    [a("answers[0].ttl", "atMost", 299), false, "answers[0].ttl atMost 299: got 300"],
    [a("answers[0].ttl", "greaterThan", 299), true, "answers[0].ttl greaterThan 299: ok"],
    [a("answers[0].ttl", "greaterThan", 300), false, "answers[0].ttl greaterThan 300: got 300"],
    [a("answers[0].ttl", "atLeast", 300), true, "answers[0].ttl atLeast 300: ok"],
    [a("answers[0].ttl", "atLeast", 301), false, "answers[0].ttl atLeast 301: got 300"],
    [a("rcode", "lessThan", "Z"), true, 'rcode lessThan "Z": ok'],
    [a("rcode", "atLeast", 1), false, 'rcode atLeast 1: got "NOERROR" (atLeast compares two numbers or two strings, not a string with a number)'],
    [a("rcode", "oneOf", ["NOERROR", "NXDOMAIN"]), true, 'rcode oneOf ["NOERROR","NXDOMAIN"]: ok'],
    [a("rcode", "oneOf", ["SERVFAIL"]), false, 'rcode oneOf ["SERVFAIL"]: got "NOERROR"'],
    [a("rcode", "oneOf", "NOERROR"), false, 'rcode oneOf "NOERROR": got "NOERROR" (oneOf needs an array of choices, not a string)'],
    [a("answers", "length", 2), true, "answers length 2: ok"],
    [a("rcode", "length", 7), true, "rcode length 7: ok"],
    [a("empty", "length", 1), false, "empty length 1: got length 0"],
    [a("count", "length", 1), false, "count length 1: got 3 (length applies to an array or a string, not a number)"],
    [a("answers.length", "equals", 2), true, "answers.length equals 2: ok"],
    [a("answers[2].ttl", "atMost", 300), false, 'answers[2].ttl atMost 300: path not found: "answers" has 2 item(s), so there is no index 2'],
    [a("authority", "equals", []), false, 'authority equals []: path not found: the root has no key "authority" (it has only "zones", "answers", "rcode", "count", "flags", "empty", "nothing")'],
    [a("zones..x", "equals", 1), false, 'zones..x equals 1: path "zones..x" cannot be read: an empty key at character 7'],
    [a("answers[0].ttl", "equals", { ref: "first.ttl" }), true, "answers[0].ttl equals first.ttl (300): ok"],
    [a("answers[1].ttl", "lessThan", { ref: "second.ttl" }), true, "answers[1].ttl lessThan second.ttl (100): ok"],
    [a("answers[0].ttl", "lessThan", { ref: "second.ttl" }), false, "answers[0].ttl lessThan second.ttl (100): got 300"],
    [a("zones", "equals", { ref: "first.zones" }), true, 'zones equals first.zones ([".","com."]): ok'],
    [a("answers[0].ttl", "equals", { ref: "first.tll" }), false, 'answers[0].ttl equals first.tll: the ref cannot be resolved: "first" has no key "tll" (it has only "ttl", "rcode", "zones")'],
    [a("answers[0].ttl", "equals", { ref: "third.ttl" }), false, 'answers[0].ttl equals third.ttl: the ref cannot be resolved: the root has no key "third" (it has only "first", "second")'],
    [a("rcode", "equals", "NXDOMAIN", "the name should not exist"), false, 'the name should not exist (rcode equals "NXDOMAIN": got "NOERROR")'],
    [a("rcode", "equals", "NOERROR", "shown only on failure"), true, 'rcode equals "NOERROR": ok'],
  ];

  it.each(cases)("%j", (assertion, passed, message) => {
    const record = evaluateAssertion(assertion, data, results);
    expect(record.message).toBe(message);
    expect(record.passed).toBe(passed);
    expect(record.path).toBe(assertion.path);
    expect(record.op).toBe(assertion.op);
  });

  it("records the actual value, and the expected value with its ref resolved", () => {
    expect(evaluateAssertion(a("answers[1].ttl", "lessThan", { ref: "second.ttl" }), data, results)).toEqual({
      path: "answers[1].ttl",
      op: "lessThan",
      expected: 100,
      actual: 60,
      passed: true,
      message: "answers[1].ttl lessThan second.ttl (100): ok",
    });
  });

  it("records a missing path as actual undefined", () => {
    const record = evaluateAssertion(a("nope", "equals", 1), data, results);
    expect(record).toMatchObject({ actual: undefined, expected: 1, passed: false });
    expect("actual" in record).toBe(true);
  });

  it("reads from any root: a string, null, nothing", () => {
    expect(evaluateAssertion(a("length", "equals", 3), "abc", {}).passed).toBe(true);
    expect(evaluateAssertion(a("x", "exists", false), null, {}).passed).toBe(true);
    expect(evaluateAssertion(a("x", "exists", true), undefined, {}).message).toBe("x exists: path not found: the root is undefined, not an object or array");
  });

  it("cuts long values short in messages", () => {
    const long = "x".repeat(500);
    const record = evaluateAssertion(a("s", "equals", "y"), { s: long }, {});
    expect(record.message.length).toBeLessThan(250);
    expect(record.message).toMatch(/\.\.\.$/);
    expect(record.actual).toBe(long);
  });
});

describe("normalizeAssertion", () => {
  it("takes the operator out of its key", () => {
    expect(normalizeAssertion({ path: "a", atMost: 3, message: "m" })).toEqual({ path: "a", op: "atMost", expected: 3, message: "m" });
    expect(normalizeAssertion({ path: "a", exists: false })).toEqual({ path: "a", op: "exists", expected: false });
  });

  it("keeps an expected value of null or a ref as it is", () => {
    expect(normalizeAssertion({ path: "a", equals: null })).toEqual({ path: "a", op: "equals", expected: null });
    expect(normalizeAssertion({ path: "a", equals: { ref: "b.c" } })).toEqual({ path: "a", op: "equals", expected: { ref: "b.c" } });
  });

  it("lists the operators present", () => {
    expect(operatorsIn({ path: "a", atLeast: 1, atMost: 2 })).toEqual(["atMost", "atLeast"]);
    expect(operatorsIn({ path: "a" })).toEqual([]);
  });
});
