import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { validateXML } from "xmllint-wasm";
import type { RunRecord, StepRecord } from "../engine/run-record.ts";
import { runJunit, suiteJunit, vitestOutcome, xmlSafe, type CheckOutcome, type VitestJsonReport } from "./junit.ts";

// Every document is checked against the schema CI servers validate JUnit reports with (Jenkins'
// xUnit plugin's junit-10.xsd), by libxml2's xmllint compiled to WebAssembly.
const XSD = readFileSync(new URL("../../../test/fixtures/junit.xsd", import.meta.url), "utf8");

/** The schema's complaints about each document, one list per document: empty when it is valid. */
async function complaints(...docs: string[]): Promise<string[][]> {
  const result = await validateXML({ xml: docs.map((contents, i) => ({ fileName: `doc${i}.xml`, contents })), schema: [{ fileName: "junit.xsd", contents: XSD }] });
  const found = docs.map((_, i) => result.errors.filter((e) => e.loc?.fileName === `doc${i}.xml`).map((e) => e.rawMessage));
  // A complaint that names no document must not pass unnoticed.
  if (!result.valid && found.every((c) => c.length === 0)) throw new Error(`xmllint found the documents invalid but named none: ${result.rawOutput}`);
  return found;
}

async function expectValid(xml: string): Promise<void> {
  expect(await complaints(xml), xml).toEqual([[]]);
}

const step = (fields: Pick<StepRecord, "id" | "status"> & Partial<StepRecord>): StepRecord => ({ kind: "probe", assertions: [], transcript: [], ...fields });

const run = (fields: Partial<RunRecord>): RunRecord => ({
  id: "ab12cd34",
  scenario: "dns-resolution",
  status: "passed",
  createdAt: "2025-03-01T10:00:00.000Z",
  startedAt: "2025-03-01T10:00:00.250Z",
  durationMs: 2345.6789,
  steps: [],
  cleanup: [],
  ...fields,
});

const LOOKUP = step({
  id: "lookup",
  title: "the resolver answers from the root down",
  status: "passed",
  durationMs: 41.27,
  assertions: [{ path: "rcode", op: "equals", expected: "NOERROR", actual: "NOERROR", passed: true, message: "rcode equals NOERROR: got NOERROR" }],
  transcript: [
    { dir: "C", peer: "10.0.0.10:53", text: "www.example. A? rd=0", atMs: 0.2 },
    { dir: "S", peer: "10.0.0.10:53", text: "referral to example.", atMs: 3.1 },
  ],
});

const testcases = (xml: string) => [...xml.matchAll(/<testcase name="([^"]*)"/g)].map((m) => m[1]);

describe("runJunit", () => {
  it("writes a passed run as a suite named after the scenario, a test case per step, times in seconds", async () => {
    const xml = runJunit(run({ steps: [LOOKUP, step({ id: "again", kind: "wait", status: "passed", durationMs: 1000 })] }));
    await expectValid(xml);
    expect(xml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<testsuites name="l7lab" tests="2" failures="0" errors="0" time="2.346">/);
    expect(xml).toContain('<testsuite name="dns-resolution" tests="2" failures="0" errors="0" skipped="0" time="2.346" timestamp="2025-03-01T10:00:00" id="ab12cd34">');
    expect(xml).toContain('<testcase name="lookup: the resolver answers from the root down" classname="l7lab.dns-resolution" time="0.041">');
    expect(xml).toContain('<testcase name="again" classname="l7lab.dns-resolution" time="1.000"/>');
    expect(xml).toContain("<system-out>  [10.0.0.10:53]\n  C: www.example. A? rd=0\n  S: referral to example.</system-out>");
    expect(xml).not.toMatch(/<failure|<error|<skipped/);
  });

  it("writes a failed step as a failure with its assertions' messages, what was expected and found, and its transcript", async () => {
    const failed = step({
      ...LOOKUP,
      status: "failed",
      assertions: [
        { path: "rcode", op: "equals", expected: "NOERROR", actual: "SERVFAIL", passed: false, message: "rcode equals NOERROR: got SERVFAIL" },
        { path: "answers.0.ttl", op: "lessThan", expected: 300, actual: undefined, passed: false, message: "answers.0.ttl lessThan 300: the path found nothing" },
        { path: "aa", op: "equals", expected: false, actual: false, passed: true, message: "aa equals false" },
      ],
    });
    const xml = runJunit(run({ status: "failed", steps: [failed, step({ id: "later", status: "skipped" })], error: { code: "ASSERTION_FAILED", message: 'step "lookup": rcode equals NOERROR: got SERVFAIL' } }));
    await expectValid(xml);
    expect(xml).toContain('tests="2" failures="1" errors="0" skipped="1"');
    expect(xml).toContain(
      '<failure message="rcode equals NOERROR: got SERVFAIL; answers.0.ttl lessThan 300: the path found nothing" type="ASSERTION_FAILED">' +
        'rcode equals NOERROR: got SERVFAIL\n  path: rcode\n  op: equals\n  expected: "NOERROR"\n  actual: "SERVFAIL"\n\n' +
        "answers.0.ttl lessThan 300: the path found nothing\n  path: answers.0.ttl\n  op: lessThan\n  expected: 300\n  actual: (nothing)</failure>",
    );
    expect(xml).not.toContain("aa equals false");
    expect(xml).toMatch(/<\/failure>\n {6}<system-out> {2}\[10\.0\.0\.10:53\]\n {2}C: www\.example\. A\? rd=0/);
    expect(xml).toContain('<testcase name="later" classname="l7lab.dns-resolution" time="0.000">\n      <skipped message="not run: an earlier step failed, or the run ended"/>');
    expect(testcases(xml)).toEqual(["lookup: the resolver answers from the root down", "later"]);
  });

  it("writes a step that could not be carried out as an error with its code, and the cleanup in the suite's output", async () => {
    const xml = runJunit(
      run({
        status: "error",
        steps: [step({ id: "send", status: "error", durationMs: 5000, error: { code: "PROBE_TIMEOUT", message: "no answer from 10.0.0.25:25 in 5 s" } }), step({ id: "fetch", status: "skipped" })],
        cleanup: [{ service: "mx", action: "unpause", ok: true, message: "unpaused mx; it is healthy" }],
        error: { code: "PROBE_TIMEOUT", message: 'step "send": no answer from 10.0.0.25:25 in 5 s' },
      }),
    );
    await expectValid(xml);
    expect(xml).toContain('tests="2" failures="0" errors="1" skipped="1"');
    expect(xml).toContain('<error message="no answer from 10.0.0.25:25 in 5 s" type="PROBE_TIMEOUT">PROBE_TIMEOUT: no answer from 10.0.0.25:25 in 5 s</error>');
    expect(xml).toContain('<system-out>run error: PROBE_TIMEOUT: step "send": no answer from 10.0.0.25:25 in 5 s\ncleanup: mx: unpause: unpaused mx; it is healthy</system-out>\n  </testsuite>');
  });

  it("fails the suite of a run that failed with no failing step: an error case 'run', and one for a broken cleanup", async () => {
    const engine = runJunit(run({ status: "error", steps: [LOOKUP], error: { code: "INTERNAL", message: "the engine failed: boom" } }));
    await expectValid(engine);
    expect(engine).toContain('tests="2" failures="0" errors="1"');
    expect(engine).toContain('<testcase name="run" classname="l7lab.dns-resolution" time="2.346">\n      <error message="the engine failed: boom" type="INTERNAL"></error>');

    const aborted = runJunit(run({ status: "aborted", steps: [step({ id: "a", status: "skipped" })] }));
    await expectValid(aborted);
    expect(aborted).toContain('<error message="the run ended aborted" type="ABORTED">');

    const cleanup = runJunit(
      run({
        status: "error",
        steps: [LOOKUP],
        cleanup: [{ service: "dns-root", action: "start", ok: false, message: "dns-root did not become healthy in 120 s" }],
        error: { code: "CLEANUP_FAILED", message: "the steps passed, but the lab could not be restored: dns-root did not become healthy in 120 s" },
      }),
    );
    await expectValid(cleanup);
    expect(testcases(cleanup)).toEqual(["lookup: the resolver answers from the root down", "cleanup"]);
    expect(cleanup).toContain('<error message="dns-root did not become healthy in 120 s" type="CLEANUP_FAILED">');
    expect(cleanup).toContain("cleanup: FAILED dns-root: start: dns-root did not become healthy in 120 s");
  });

  it("escapes text that is hostile to XML: markup, ]]>, quotes, line breaks in attributes, characters XML 1.0 forbids", async () => {
    const hostile = 'a <b> & c ]]> "d" \'e\'\tf\r\ng \u0001\u0000\u001F \uFFFE \uD800 \u{1F600} é';
    const xml = runJunit(
      run({
        scenario: "x&y<z>",
        status: "failed",
        steps: [
          step({
            id: "s",
            title: hostile,
            status: "failed",
            assertions: [{ path: "body", op: "matches", expected: hostile, actual: `${hostile}\n<![CDATA[x]]>`, passed: false, message: `body matches: ${hostile}` }],
            transcript: [{ dir: "S", peer: "10.0.0.80:80", text: hostile, atMs: 1 }],
          }),
        ],
        cleanup: [{ service: "web", action: "none", ok: true, message: hostile }],
      }),
    );
    await expectValid(xml);
    expect(xml).not.toMatch(/\]\]>/);
    // eslint-disable-next-line no-control-regex
    expect(xml).not.toMatch(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE]/);
    expect(xml).toContain('name="s: a &lt;b&gt; &amp; c ]]&gt; &quot;d&quot; \'e\'&#9;f&#13;&#10;g \\u0001\\u0000\\u001F \\uFFFE \\uD800 \u{1F600} é"');
    expect(xml).toContain('classname="l7lab.x&amp;y&lt;z&gt;"');
    expect(xml).toContain("&lt;![CDATA[x]]&gt;");
  });

  it("stays valid whatever text a run holds", async () => {
    // Any UTF-16 code unit (controls, lone surrogates, U+FFFE) and markup.
    const unit = fc.oneof(fc.constantFrom("<", "&", ">", "]]>", '"', "\r\n"), fc.nat(0xffff).map((c) => String.fromCharCode(c)));
    const text = fc.string({ unit, maxLength: 40 });
    const runs = fc.sample(
      fc.record({ scenario: text, title: text, message: text, line: text, code: text, status: fc.constantFrom("passed" as const, "failed" as const, "error" as const, "skipped" as const) }),
      { numRuns: 150, seed: 42 },
    );
    const docs = runs.map((r) =>
      runJunit(
        run({
          scenario: r.scenario,
          status: "failed",
          steps: [
            step({
              id: "s",
              title: r.title,
              status: r.status,
              assertions: [{ path: r.line, op: "equals", expected: r.message, actual: r.line, passed: false, message: r.message }],
              transcript: [{ dir: "C", peer: r.code, text: r.line, atMs: 0 }],
              error: { code: r.code, message: r.message },
            }),
          ],
          cleanup: [{ service: r.code, action: r.line, ok: false, message: r.message }],
          error: { code: r.code, message: r.message },
        }),
      ),
    );
    const found = await complaints(...docs);
    expect(found.flatMap((c, i) => (c.length ? [{ run: runs[i], complaints: c }] : []))).toEqual([]);
  });

  it("writes control characters and lone surrogates as \\uXXXX, and keeps surrogate pairs", () => {
    expect(xmlSafe("a\u0000b\u0008\t\n\r\u000B\u007F\uD83D\uDE00\uDC00")).toBe("a\\u0000b\\u0008\t\n\r\\u000B\u007F\uD83D\uDE00\\uDC00");
  });
});

describe("the validator", () => {
  it("rejects a document that is not JUnit as the schema has it, and one that is not well-formed", async () => {
    const good = runJunit(run({ steps: [LOOKUP] }));
    await expectValid(good);
    const [missing, notWellFormed, wrongElement, badTime] = await complaints(
      good.replace(/ failures="0" errors="0" skipped/, " skipped"),
      good.replace("the resolver answers", "the resolver & answers"),
      good.replace("<system-out>", "<stdout>").replace("</system-out>", "</stdout>"),
      good.replace('time="2.346" timestamp', 'time="2.3456" timestamp'),
    );
    expect(missing!.join("\n")).toMatch(/attribute 'failures' is required but missing/);
    expect(notWellFormed!.join("\n")).toMatch(/EntityRef|xmlParseEntityRef|parser error/);
    expect(wrongElement!.join("\n")).toMatch(/stdout.*not expected/);
    expect(badTime!.join("\n")).toMatch(/SUREFIRE_TIME|pattern/);
  });
});

// --- the whole test suite -----------------------------------------------------------------------

const ROOT = "/work/l7lab";
const REPORT: VitestJsonReport = {
  numPassedTests: 2,
  numFailedTests: 1,
  numPendingTests: 1,
  numTodoTests: 1,
  testResults: [
    {
      name: `${ROOT}/orchestrator/src/scenarios/duration.test.ts`,
      status: "failed",
      message: "",
      startTime: 1_740_823_200_000,
      endTime: 1_740_823_200_012.5,
      assertionResults: [
        { ancestorTitles: ["parseDuration"], fullName: "parseDuration reads ms", title: "reads ms", status: "passed", duration: 1.234567, failureMessages: [] },
        {
          ancestorTitles: ["parseDuration"],
          title: "reads s",
          status: "failed",
          duration: 3,
          failureMessages: ["AssertionError: expected \u001B[32m1000\u001B[39m to be 100 // Object.is equality\n    at duration.test.ts:12:5"],
        },
        { ancestorTitles: [], title: "one day", status: "skipped", duration: null, failureMessages: [] },
        { ancestorTitles: [], title: "weeks", status: "todo", failureMessages: [] },
      ],
    },
    { name: `${ROOT}/orchestrator/src/lab/topology.test.ts`, status: "passed", startTime: 1_740_823_200_000, endTime: 1_740_823_200_100, assertionResults: [{ title: "reads the compose file", status: "passed", duration: 99 }] },
    { name: `${ROOT}/scripts/lab-health.test.ts`, status: "failed", message: "Cannot find module './gone.ts'", assertionResults: [] },
  ],
};
const CHECKS: CheckOutcome[] = [
  { name: "typecheck", command: "npx --no-install tsc -p tsconfig.json", exit: "exit 0", passed: true, durationMs: 21_500, output: "" },
  { name: "lint", command: "npx --no-install eslint --max-warnings=0 .", exit: "exit 1", passed: false, durationMs: 9_000, output: "a.ts\n  1:1  error  'x' is never used  no-unused-vars\n" },
];

describe("vitestOutcome", () => {
  it("counts a project as ./l7lab test does: the tests, plus a file that failed before any test ran", () => {
    const o = vitestOutcome("unit", REPORT, { ok: false, text: "1" }, ROOT);
    expect([o.passed, o.failed, o.skipped]).toEqual([2, 2, 2]);
    expect(o.notes).toEqual([`${ROOT}/scripts/lab-health.test.ts: failed before any test ran: Cannot find module './gone.ts'`]);
    expect(o.suites.map((s) => s.name)).toEqual(["orchestrator/src/scenarios/duration.test.ts", "orchestrator/src/lab/topology.test.ts", "scripts/lab-health.test.ts"]);
    expect(o.suites[0]!.cases.map((c) => [c.name, c.classname, c.outcome.status])).toEqual([
      ["parseDuration > reads ms", "unit.orchestrator.src.scenarios.duration", "passed"],
      ["parseDuration > reads s", "unit.orchestrator.src.scenarios.duration", "failed"],
      ["one day", "unit.orchestrator.src.scenarios.duration", "skipped"],
      ["weeks", "unit.orchestrator.src.scenarios.duration", "skipped"],
    ]);
    expect(o.suites[0]!.cases[1]!.outcome).toEqual({
      status: "failed",
      type: "AssertionError",
      message: "AssertionError: expected 1000 to be 100 // Object.is equality",
      detail: "AssertionError: expected 1000 to be 100 // Object.is equality\n    at duration.test.ts:12:5",
    });
  });

  it("counts a project that exited non-zero with no failed test, or wrote no report, as one failure", () => {
    const clean: VitestJsonReport = { ...REPORT, numFailedTests: 0, testResults: [REPORT.testResults[1]!] };
    expect(vitestOutcome("unit", clean, { ok: true, text: "0" }, ROOT)).toMatchObject({ passed: 2, failed: 0, notes: [] });
    const exited = vitestOutcome("unit", clean, { ok: false, text: "1" }, ROOT);
    expect(exited).toMatchObject({ failed: 1, notes: ["vitest unit exited with 1 although no test failed: counted as 1 failed"] });
    expect(exited.suites.at(-1)!.cases[0]!.outcome).toMatchObject({ status: "error", type: "VITEST_FAILED" });
    const none = vitestOutcome("integration", undefined, { ok: false, text: "SIGKILL" }, ROOT, "ENOENT: no such file");
    expect(none).toMatchObject({ passed: 0, failed: 1, skipped: 0, notes: ["vitest integration wrote no report (exit SIGKILL), counted as 1 failed: ENOENT: no such file"] });
  });
});

describe("suiteJunit", () => {
  const unit = vitestOutcome("unit", REPORT, { ok: false, text: "1" }, ROOT);
  const xml = suiteJunit({ checks: CHECKS, projects: [unit], notRun: { project: "integration", reason: "the lab's images did not build (exit 1)" } });

  it("is valid, with the checks, every test file, and the project that did not run", async () => {
    await expectValid(xml);
    expect([...xml.matchAll(/<testsuite name="([^"]*)"/g)].map((m) => m[1])).toEqual([
      "checks",
      "orchestrator/src/scenarios/duration.test.ts",
      "orchestrator/src/lab/topology.test.ts",
      "scripts/lab-health.test.ts",
      "integration",
    ]);
    expect(xml).toContain('<failure message="npx --no-install eslint --max-warnings=0 .: exit 1" type="CHECK_FAILED">a.ts\n  1:1  error  \'x\' is never used  no-unused-vars\n</failure>');
    expect(xml).toContain('<testcase name="integration not run" classname="integration.lab" time="0.000">\n      <error message="the lab\'s images did not build (exit 1)" type="LAB_FAILED"></error>');
    expect(xml).toContain('<testcase name="scripts/lab-health.test.ts" classname="unit.scripts.lab-health" time="0.000">');
    expect(xml).toContain('timestamp="2025-03-01T10:00:00"');
    expect(xml).not.toContain("\u001B");
  });

  it("totals what the final line counts: failures and errors are the failed tests, skipped the skipped ones", () => {
    const [tests, failures, errors] = xml.match(/<testsuites name="l7lab test" tests="(\d+)" failures="(\d+)" errors="(\d+)"/)!.slice(1).map(Number);
    const skipped = [...xml.matchAll(/<skipped/g)].length;
    // typecheck passed and lint failed; integration not run: 1 failed.
    const passed = 1 + unit.passed;
    const failed = 1 + unit.failed + 1;
    expect([failures! + errors!, skipped, tests! - failures! - errors! - skipped]).toEqual([failed, unit.skipped, passed]);
  });
});
