import { mkdtemp, readFile, rm, writeFile, copyFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { isScenarioFileName, loadScenarioDir, loadScenarioFile, parseScenarioText } from "./loader.ts";
import { testContext } from "./testing/context.ts";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));
const invalidDir = join(fixtures, "invalid");
const validDir = join(fixtures, "valid");
const SERVICES = '"dns-hamburger-1", "dns-hamburger-2" and "dns-resolver"';

/** One invalid fixture file each, and the one error it must give (after "scenario file <path>: "). */
const INVALID: [file: string, error: string][] = [
  ["assert-unknown-step.yaml", 'step "compare": assert[0]: path "answers[0].ttl" refers to step "answers", which is not known; only earlier steps can be referred to: "first" (in an assert step a path starts with the id of an earlier step, as in "first.answers[0].ttl")'],
  ["bad-duration.yaml", 'step "settle": field "wait" must be a duration: "500ms", "2s", "1m", "1h", or a number of milliseconds; 1h at most; got "2 seconds"'],
  ["bad-json.json", "is not valid JSON: Expected double-quoted property name in JSON at position 64 (line 1 column 65)"],
  ["bad-operator-value.yaml", 'step "first": field "expect[0].exists" must be boolean; got "yes"'],
  ["bad-path.yaml", 'step "first": expect[0]: path "answers..ttl" cannot be read: an empty key at character 9'],
  ["bad-probe-param.yaml", 'step "trace": field "with.mode" must be one of "iterative", "recursive"; got "sideways" (probe "dns" parameters)'],
  ["bad-regex.yaml", 'step "flush": expect[0]: matches has an invalid regular expression: error parsing regexp: missing closing ): `is running (` (the lab runs regular expressions with RE2, in linear time: no backreferences like \\1, no lookaround like (?= or (?!)'],
  ["bad-step-id.yaml", 'step "Trace_WWW": field "id" must match pattern "^[a-z0-9-]+$" (Unique within the scenario: lower-case letters, digits and dashes. Later steps refer to this step\'s result by it.); got "Trace_WWW"'],
  ["bad-yaml.yaml", "is not valid YAML at line 6, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]"],
  ["duplicate-step-id.yaml", 'step "pause": the id "pause" is already used by step 1; step ids must be unique'],
  ["empty-command.yaml", 'step "flush": field "command" must have at least 1 item; got []'],
  ["empty.yaml", "the file is empty; it needs a name, a title and steps"],
  ["missing-probe-param.yaml", 'step "trace": field "with" is missing required field "name" (probe "dns" parameters)'],
  ["missing-title.yaml", 'missing required field "title"'],
  ["misspelt-operator.yaml", 'step "first": expect[0] has unknown field "equal". An assertion has "path", an optional "message" and exactly one operator: equals, notEquals, contains, notContains, matches, exists, lessThan, atMost, greaterThan, atLeast, oneOf, length'],
  ["name-mismatch.yaml", 'name "other-name" must equal the file name "name-mismatch"; rename the file or change the name'],
  ["no-kind.yaml", 'step "nothing": has none of the keys probe, service, exec, wait, assert, reconcile, fault, heal; a step needs exactly one of them to say what it does'],
  ["no-steps.yaml", 'field "steps" must have at least 1 item; got []'],
  ["not-a-mapping.yaml", 'the file must hold one scenario: a mapping with name, title and steps; got [{"id":"a","wait":"1s"}]'],
  ["ref-to-later-step.yaml", 'step "first": expect[0]: ref "second.answers[0].ttl" refers to step "second", which runs later (step 2); only earlier steps can be referred to, and there are none before this one'],
  ["ref-to-own-step.yaml", 'step "first": expect[0]: ref "first.answers[1].ttl" refers to step "first", which is this step itself; only earlier steps can be referred to, and there are none before this one'],
  ["ref-to-unknown-step.yaml", 'step "second": expect[0]: ref "frist.answers[0].ttl" refers to step "frist", which is not known; only earlier steps can be referred to: "first"'],
  ["two-kinds.yaml", 'step "trace": has "probe" and "wait"; a step needs exactly one of probe, service, exec, wait, assert, reconcile, fault, heal (split it into 2 steps)'],
  ["two-operators.yaml", 'step "first": expect[0] has 2 operators (atMost, atLeast); use exactly one per assertion, and write one assertion for each check'],
  ["unknown-action.yaml", 'step "stop-primary": action "halt" is not known. Valid actions are "kill", "pause", "restart", "start", "stop" and "unpause".'],
  ["unknown-exec-service.yaml", `step "flush": service "resolver" is not known. Valid services are ${SERVICES}.`],
  ["unknown-probe-param.yaml", 'step "trace": field "with" has unknown field "tpye". Valid fields are "mode", "name" and "type" (probe "dns" parameters)'],
  ["unknown-probe.yaml", 'step "trace": probe "dnz" is not known. Valid probes are "dns" and "smtp".'],
  ["unknown-service.yaml", `step "stop-primary": service "dns-hambuger-1" is not known. Valid services are ${SERVICES}.`],
  ["unknown-step-field.yaml", 'step "settle": unknown field "expect". Valid fields are "id", "title" and "wait"'],
  ["unknown-top-field.yaml", 'unknown field "timeout". Valid fields are "$schema", "capture", "description", "name", "steps", "timeoutMs" and "title"'],
  ["wait-healthy-on-stop.yaml", 'step "stop-primary": waitHealthy applies only to start, restart, unpause, not to "stop"; remove it'],
];

describe("invalid scenario fixtures", () => {
  it.each(INVALID)("%s gives one clear error", async (file, error) => {
    const path = join(invalidDir, file);
    const loaded = await loadScenarioFile(path, testContext());
    expect(loaded.valid).toBe(false);
    expect(loaded.errors).toEqual([`scenario file ${path}: ${error}`]);
  });

  it("has a test case for every fixture file, and no case without a file", async () => {
    const loaded = await loadScenarioDir(invalidDir, testContext());
    expect(loaded.map((l) => `${l.name}${l.file.slice(l.file.lastIndexOf("."))}`).sort()).toEqual(INVALID.map(([f]) => f).sort());
    expect(loaded.every((l) => !l.valid)).toBe(true);
  });
});

describe("valid scenario fixtures", () => {
  it("loads example.yaml into the engine's form", async () => {
    const loaded = await loadScenarioFile(join(validDir, "example.yaml"), testContext());
    expect(loaded.errors).toEqual([]);
    if (!loaded.valid) throw new Error("expected a valid scenario");
    const s = loaded.scenario;
    expect(s).toMatchObject({ name: "example", title: "Resolve a name, break a server, and compare", timeoutMs: 60000 });
    expect(s.steps.map((st) => `${st.id}:${st.kind}`)).toEqual(["first:probe", "stop-primary:service", "settle:wait", "flush:exec", "second:probe", "compare:assert"]);
    expect(s.steps[0]).toEqual({
      id: "first",
      title: "Ask the resolver",
      kind: "probe",
      probe: "dns",
      with: { mode: "recursive", name: "www.hamburger.edu" },
      expect: [
        { path: "zones", op: "equals", expected: [".", "edu.", "hamburger.edu."] },
        { path: "answers[0].ttl", op: "atMost", expected: 300 },
      ],
    });
    expect(s.steps[2]).toEqual({ id: "settle", kind: "wait", wait: "2s", waitMs: 2000 });
    expect(s.steps[5]).toMatchObject({ kind: "assert", assert: [{ op: "atMost", expected: { ref: "first.answers[0].ttl" } }, { op: "matches", message: "unbound-control should say ok" }] });
  });

  it("loads a JSON scenario with a $schema key", async () => {
    const loaded = await loadScenarioFile(join(validDir, "json-example.json"), testContext());
    expect(loaded).toMatchObject({ name: "json-example", valid: true, errors: [] });
    if (!loaded.valid) throw new Error("expected a valid scenario");
    expect(loaded.scenario.steps).toEqual([
      { id: "start-primary", kind: "service", service: "dns-hamburger-1", action: "start", waitHealthy: false },
      { id: "pause", kind: "wait", wait: 500, waitMs: 500 },
    ]);
  });
});

describe("parseScenarioText", () => {
  const one = (text: string) => parseScenarioText(text, "scenarios/x.yaml", testContext());

  it("reports every problem of a file, not only the first", () => {
    const loaded = one(`name: x
title: t
steps:
  - { id: a, service: dns-hambuger-1, action: stop }
  - { id: a, probe: dnz }
  - { id: c, assert: [{ path: "z.q", equals: 1 }] }
`);
    expect(loaded.errors).toEqual([
      'scenario file scenarios/x.yaml: step "a": service "dns-hambuger-1" is not known. Valid services are "dns-hamburger-1", "dns-hamburger-2" and "dns-resolver".',
      'scenario file scenarios/x.yaml: step "a": the id "a" is already used by step 1; step ids must be unique',
      'scenario file scenarios/x.yaml: step "a": probe "dnz" is not known. Valid probes are "dns" and "smtp".',
      'scenario file scenarios/x.yaml: step "c": assert[0]: path "z.q" refers to step "z", which is not known; only earlier steps can be referred to: "a" (in an assert step a path starts with the id of an earlier step, as in "first.answers[0].ttl")',
    ]);
  });

  it("names a step without an id by its position", () => {
    expect(one("name: x\ntitle: t\nsteps:\n  - { wait: 1s }\n  - 7\n").errors).toEqual([
      'scenario file scenarios/x.yaml: step 1: missing required field "id"',
      "scenario file scenarios/x.yaml: step 2: must be a mapping with an id and one of probe, service, exec, wait, assert, reconcile, fault, heal; got 7",
    ]);
  });

  it("applies the probe's defaults before checking its parameters", () => {
    const loaded = one("name: x\ntitle: t\nsteps:\n  - { id: a, probe: dns, with: { mode: iterative, name: n } }\n");
    expect(loaded.errors).toEqual([]);
  });

  it("checks each operator's value", () => {
    const loaded = one(`name: x
title: t
steps:
  - id: a
    exec: dns-resolver
    command: [true]
    expect:
      - { path: exitCode, length: -1 }
      - { path: exitCode, oneOf: 0 }
      - { path: exitCode, atMost: [1] }
      - { path: exitCode, equals: 0, note: x }
      - { equals: 0 }
`);
    expect(loaded.errors.map((e) => e.replace("scenario file scenarios/x.yaml: ", ""))).toEqual([
      'step "a": field "command[0]" must be string; got true',
      'step "a": field "expect[0].length" must be an integer (0 or more), the length the array or string must have; or a { ref }; got -1',
      'step "a": field "expect[1].oneOf" must be an array of choices (1000 at most), one of which the value must deeply equal; or a { ref }; got 0',
      'step "a": field "expect[2].atMost" must be a number (or a string, compared as text), or a { ref } to an earlier step\'s result; got [1]',
      'step "a": expect[3] has unknown field "note". An assertion has "path", an optional "message" and exactly one operator: equals, notEquals, contains, notContains, matches, exists, lessThan, atMost, greaterThan, atLeast, oneOf, length',
      'step "a": field "expect[4]" is missing required field "path"',
    ]);
  });
});

describe("loadScenarioDir", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("loads the valid files of a directory that also holds invalid ones, and reports those", async () => {
    dir = await mkdtemp(join(tmpdir(), "l7lab-scenarios-"));
    await copyFile(join(validDir, "example.yaml"), join(dir, "example.yaml"));
    await copyFile(join(invalidDir, "unknown-service.yaml"), join(dir, "unknown-service.yaml"));
    await writeFile(join(dir, "scenario.schema.json"), "{}");
    await writeFile(join(dir, "README.md"), "# not a scenario");
    const loaded = await loadScenarioDir(dir, testContext());
    expect(loaded.map((l) => [l.name, l.valid])).toEqual([
      ["example", true],
      ["unknown-service", false],
    ]);
    expect(loaded[1]).toMatchObject({ title: "A misspelt service", file: join(dir, "unknown-service.yaml") });
    expect(loaded[1]!.errors[0]).toMatch(/service "dns-hambuger-1" is not known/);
  });

  it("marks two files of one name invalid", async () => {
    dir = await mkdtemp(join(tmpdir(), "l7lab-scenarios-"));
    const text = await readFile(join(validDir, "example.yaml"), "utf8");
    await writeFile(join(dir, "example.yaml"), text);
    await writeFile(join(dir, "example.yml"), text);
    const loaded = await loadScenarioDir(dir, testContext());
    expect(loaded.map((l) => [l.file, l.valid])).toEqual([
      [join(dir, "example.yaml"), false],
      [join(dir, "example.yml"), false],
    ]);
    expect(loaded[0]!.errors).toEqual([`scenario file ${join(dir, "example.yaml")}: scenario "example" is also defined by ${join(dir, "example.yml")}; keep only one file per scenario`]);
  });

  it("says so when the directory cannot be read", async () => {
    await expect(loadScenarioDir("/nonexistent/l7lab/scenarios", testContext())).rejects.toThrow(
      "scenario directory is invalid: /nonexistent/l7lab/scenarios cannot be read (ENOENT); it should hold the scenario files",
    );
  });
});

describe("isScenarioFileName", () => {
  it.each([
    ["dns.yaml", true],
    ["dns.yml", true],
    ["dns.json", true],
    ["scenario.schema.json", false],
    [".hidden.yaml", false],
    ["README.md", false],
    ["dns.yaml.bak", false],
  ])("%s: %s", (name, expected) => {
    expect(isScenarioFileName(name)).toBe(expected);
  });
});
