import { describe, expect, it } from "vitest";
import { formatPath, lookupPath, parsePath } from "./path.ts";

describe("parsePath", () => {
  it.each([
    ["zones", ["zones"]],
    ["a.b[0].c", ["a", "b", 0, "c"]],
    ["a.b.0.c", ["a", "b", 0, "c"]],
    ["answers[10]", ["answers", 10]],
    ['zones["hamburger.edu."].ns', ["zones", "hamburger.edu.", "ns"]],
    ["zones['edu.']", ["zones", "edu."]],
    ["a[0][1]", ["a", 0, 1]],
    ["0", [0]],
  ] as const)("%s", (path, segments) => {
    expect(parsePath(path)).toEqual(segments);
  });

  it.each([
    ["", /it is empty/],
    ["a..b", /an empty key at character 3/],
    ["a.", /an empty key/],
    [".a", /an empty key at character 1/],
    ["a[x]", /\[x\] is not an index \(write \["x"\] for a key, or \[\*\] for every item\)/],
    ["a[0", /no closing \]/],
    ['a["x', /no closing "\]/],
    ["a[0]b", /a key that does not follow a dot/],
  ] as const)("rejects %j", (path, message) => {
    expect(() => parsePath(path)).toThrow(message);
  });
});

describe("formatPath", () => {
  it.each([
    [["a", "b", 0, "c"], "a.b[0].c"],
    [["zones", "edu."], 'zones["edu."]'],
    [[0, "x"], "[0].x"],
    [["dns-1", "state"], "dns-1.state"],
  ] as const)("%j is %s", (segments, text) => {
    expect(formatPath(segments)).toBe(text);
  });
});

describe("lookupPath", () => {
  const data = { zones: [".", "edu."], answers: [{ ttl: 300 }], nested: { "0": "zero", empty: {} }, nothing: null, text: "abc" };

  it.each([
    ["zones", [".", "edu."]],
    ["zones[1]", "edu."],
    ["zones.1", "edu."],
    ["answers[0].ttl", 300],
    ["answers.0.ttl", 300],
    ["nested.0", "zero"],
    ["nested[0]", "zero"],
    ["zones.length", 2],
    ["text.length", 3],
    ["nothing", null],
  ])("finds %s", (path, value) => {
    expect(lookupPath(data, path)).toEqual({ found: true, value });
  });

  it.each([
    ["missing", 'the root has no key "missing" (it has only "zones", "answers", "nested", "nothing", "text")'],
    ["answers[1].ttl", '"answers" has 1 item(s), so there is no index 1'],
    ["zones.first", '"zones" is an array, and "first" is not an index'],
    ["answers[0].ttl.x", '"answers[0].ttl" is a number, not an object or array'],
    ["nothing.x", '"nothing" is null, not an object or array'],
    ["nested.empty.x", '"nested.empty" has no key "x" (it has no keys)'],
  ])("explains why %s is not found", (path, reason) => {
    expect(lookupPath(data, path)).toEqual({ found: false, reason });
  });
});

describe("[*]: every item of an array", () => {
  const root = { results: [{ messageId: "<1@x>", ok: true }, { messageId: "<2@x>", ok: false }], n: 3 };
  it.each([
    { title: "a field of every item", path: "results[*].messageId", expected: { found: true, value: ["<1@x>", "<2@x>"] } },
    { title: "the items themselves", path: "results[*]", expected: { found: true, value: root.results } },
    { title: "written back the same way", path: "results[*].ok", expected: { found: true, value: [true, false] } },
  ])("$title", ({ path, expected }) => {
    expect(lookupPath(root, path)).toEqual(expected);
    expect(formatPath(parsePath(path))).toBe(path);
  });

  it("says which item lacks the field, and that [*] needs an array", () => {
    expect(lookupPath({ r: [{ a: 1 }, {}] }, "r[*].a")).toEqual({ found: false, reason: 'item 1 of "r": the root has no key "a" (it has no keys)' });
    expect(lookupPath(root, "n[*]")).toMatchObject({ found: false, reason: expect.stringContaining("not an array, so [*] cannot take its items") });
  });
});
