/**
 * JUnit XML reports, for CI servers: a scenario run (runJunit) and the whole test suite of
 * `./l7lab test` (suiteJunit). Pure: records in, text out. The output is valid against Jenkins'
 * xUnit plugin's junit-10.xsd (test/fixtures/junit.xsd says why that one); junit.test.ts checks it.
 */
import type { RunRecord, StepRecord } from "../engine/run-record.ts";
import { transcriptText } from "../cli/format.ts";

/** How a test case ended. failed: a check found something wrong; error: the test could not be carried out. */
export type JunitOutcome =
  | { status: "passed" }
  | { status: "failed" | "error"; type: string; message: string; detail?: string }
  | { status: "skipped"; message?: string };

export interface JunitCase {
  name: string;
  classname: string;
  timeMs?: number;
  outcome: JunitOutcome;
  /** What the test wrote or exchanged: its <system-out>. */
  output?: string;
}

export interface JunitSuite {
  name: string;
  id?: string;
  /** When the suite started (ISO 8601). */
  timestamp?: string;
  timeMs?: number;
  properties?: readonly (readonly [string, string])[];
  cases: JunitCase[];
  output?: string;
}

export interface JunitTotals {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

export function junitTotals(cases: readonly JunitCase[]): JunitTotals {
  const count = (s: JunitOutcome["status"]) => cases.filter((c) => c.outcome.status === s).length;
  return { tests: cases.length, failures: count("failed"), errors: count("error"), skipped: count("skipped") };
}

// --- XML text -------------------------------------------------------------------------------------

/**
 * Characters XML 1.0 does not allow (C0 controls but tab, LF and CR; lone surrogates; U+FFFE,
 * U+FFFF), written as `\uXXXX` instead: the document stays well-formed and the reader still sees
 * what was there.
 */
// eslint-disable-next-line no-control-regex
const ILLEGAL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

export function xmlSafe(text: string): string {
  return text.replace(ILLEGAL, (c) => `\\u${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`);
}

/** Character data: `>` is escaped too, so no `]]>` can appear. */
function escapeText(text: string): string {
  return xmlSafe(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** An attribute value in double quotes; tabs and line breaks as references, so they survive attribute normalisation. */
function escapeAttr(text: string): string {
  return escapeText(text).replace(/"/g, "&quot;").replace(/\t/g, "&#9;").replace(/\n/g, "&#10;").replace(/\r/g, "&#13;");
}

function element(name: string, attrs: Record<string, string | undefined>, children?: string): string {
  const attrText = Object.entries(attrs)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => ` ${k}="${escapeAttr(v)}"`)
    .join("");
  return children === undefined ? `<${name}${attrText}/>` : `<${name}${attrText}>${children}</${name}>`;
}

/** Seconds with at most three decimals: the schema's SUREFIRE_TIME for a suite's time. */
function seconds(ms: number | undefined): string | undefined {
  return ms === undefined || !Number.isFinite(ms) ? undefined : (Math.max(0, ms) / 1000).toFixed(3);
}

/** A timestamp as Ant writes it: ISO 8601 in UTC to the second, without the zone. */
function antTimestamp(iso: string | undefined): string | undefined {
  const t = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString().slice(0, 19);
}

function caseXml(c: JunitCase): string {
  const o = c.outcome;
  const parts: string[] = [];
  if (o.status === "failed" || o.status === "error") {
    parts.push(element(o.status === "failed" ? "failure" : "error", { message: o.message, type: o.type }, o.detail === undefined ? "" : escapeText(o.detail)));
  } else if (o.status === "skipped") {
    parts.push(element("skipped", { message: o.message }));
  }
  if (c.output) parts.push(element("system-out", {}, escapeText(c.output)));
  const attrs = { name: c.name, classname: c.classname, time: seconds(c.timeMs) ?? "0.000" };
  return parts.length === 0 ? `    ${element("testcase", attrs)}` : `    ${element("testcase", attrs, `\n      ${parts.join("\n      ")}\n    `)}`;
}

function suiteXml(s: JunitSuite): string {
  const t = junitTotals(s.cases);
  const attrs = {
    name: s.name,
    tests: String(t.tests),
    failures: String(t.failures),
    errors: String(t.errors),
    skipped: String(t.skipped),
    time: seconds(s.timeMs ?? s.cases.reduce((sum, c) => sum + (c.timeMs ?? 0), 0)),
    timestamp: antTimestamp(s.timestamp),
    id: s.id,
  };
  const body: string[] = [];
  if (s.properties?.length) {
    body.push(`    <properties>\n${s.properties.map(([name, value]) => `      ${element("property", { name, value })}`).join("\n")}\n    </properties>`);
  }
  body.push(...s.cases.map(caseXml));
  if (s.output) body.push(`    ${element("system-out", {}, escapeText(s.output))}`);
  return body.length === 0 ? `  ${element("testsuite", attrs)}` : `  ${element("testsuite", attrs, `\n${body.join("\n")}\n  `)}`;
}

/** A whole JUnit document: one <testsuites> around the suites, with their totals. */
export function junitDocument(name: string, suites: readonly JunitSuite[]): string {
  const t = junitTotals(suites.flatMap((s) => s.cases));
  const timeMs = suites.reduce((sum, s) => sum + (s.timeMs ?? s.cases.reduce((x, c) => x + (c.timeMs ?? 0), 0)), 0);
  const attrs = { name, tests: String(t.tests), failures: String(t.failures), errors: String(t.errors), time: seconds(timeMs) };
  const inner = suites.length === 0 ? undefined : `\n${suites.map(suiteXml).join("\n")}\n`;
  return `<?xml version="1.0" encoding="UTF-8"?>\n${element("testsuites", attrs, inner)}\n`;
}

// --- a scenario run -------------------------------------------------------------------------------

const show = (value: unknown): string => (value === undefined ? "(nothing)" : JSON.stringify(value));

function stepOutcome(step: StepRecord): JunitOutcome {
  const failed = step.assertions.filter((a) => !a.passed);
  const detail = [
    ...(step.error ? [`${step.error.code}: ${step.error.message}`] : []),
    ...failed.map((a) => `${a.message}\n  path: ${a.path}\n  op: ${a.op}\n  expected: ${show(a.expected)}\n  actual: ${show(a.actual)}`),
  ].join("\n\n");
  switch (step.status) {
    case "passed":
      return { status: "passed" };
    case "failed":
      return {
        status: "failed",
        type: step.error?.code ?? "ASSERTION_FAILED",
        message: failed.length > 0 ? failed.map((a) => a.message).join("; ") : (step.error?.message ?? "the step failed"),
        detail,
      };
    case "error":
      return { status: "error", type: step.error?.code ?? "ERROR", message: step.error?.message ?? "the step could not be carried out", detail };
    case "skipped":
      return { status: "skipped", message: "not run: an earlier step failed, or the run ended" };
    case "pending":
    case "running":
      return { status: "skipped", message: `not finished: ${step.status}` };
  }
}

/** A scenario run as one JUnit suite: a test case per step, and cases for a broken cleanup or a run that failed outside its steps. */
export function runSuite(run: RunRecord): JunitSuite {
  const classname = `l7lab.${run.scenario}`;
  const cases: JunitCase[] = run.steps.map((step) => {
    const transcript = transcriptText(step);
    return {
      name: step.title ? `${step.id}: ${step.title}` : step.id,
      classname,
      ...(step.durationMs === undefined ? {} : { timeMs: step.durationMs }),
      outcome: stepOutcome(step),
      ...(transcript ? { output: transcript } : {}),
    };
  });
  const broken = run.cleanup.filter((c) => !c.ok);
  if (broken.length > 0) {
    cases.push({ name: "cleanup", classname, outcome: { status: "error", type: "CLEANUP_FAILED", message: broken.map((c) => c.message).join("; ") } });
  }
  // A run that did not pass fails its suite even when no step says why (an engine failure, an abort, a timeout).
  const caseFailed = cases.some((c) => c.outcome.status === "failed" || c.outcome.status === "error");
  if (run.status !== "passed" && !caseFailed) {
    const outcome: JunitOutcome =
      run.status === "queued" || run.status === "running"
        ? { status: "skipped", message: `the run has not finished: ${run.status}` }
        : { status: "error", type: run.error?.code ?? run.status.toUpperCase(), message: run.error?.message ?? `the run ended ${run.status}` };
    cases.push({ name: "run", classname, ...(run.durationMs === undefined ? {} : { timeMs: run.durationMs }), outcome });
  }
  const output = [
    ...(run.error ? [`run ${run.status}: ${run.error.code}: ${run.error.message}`] : []),
    ...run.cleanup.map((c) => `cleanup: ${c.ok ? "" : "FAILED "}${c.service}: ${c.action}: ${c.message}`),
  ].join("\n");
  return {
    name: run.scenario,
    id: run.id,
    timestamp: run.startedAt ?? run.createdAt,
    ...(run.durationMs === undefined ? {} : { timeMs: run.durationMs }),
    properties: [
      ["run.id", run.id],
      ["run.status", run.status],
      ...(run.capture ? ([["run.capture.pcap", String(run.capture.pcap)]] as const) : []),
    ],
    cases,
    ...(output ? { output } : {}),
  };
}

/** The JUnit report of one scenario run (`./l7lab run <scenario> --junit FILE`). */
export function runJunit(run: RunRecord): string {
  return junitDocument("l7lab", [runSuite(run)]);
}

// --- the whole test suite -------------------------------------------------------------------------

/** The parts of vitest's JSON report (--reporter=json) that the JUnit report reads. */
export interface VitestJsonReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  testResults: {
    name: string;
    status: string;
    message?: string;
    startTime?: number;
    endTime?: number;
    assertionResults: { ancestorTitles?: string[]; fullName?: string; title: string; status: string; duration?: number | null; failureMessages?: string[] }[];
  }[];
}

/** A check run as one command (the type-check, the lint). */
export interface CheckOutcome {
  name: string;
  command: string;
  /** How the command ended: "exit 0", "exit 2", "signal SIGTERM". */
  exit: string;
  passed: boolean;
  durationMs: number;
  /** What it printed. */
  output: string;
}

/** One vitest project's process, counted as `./l7lab test` counts it. */
export interface VitestOutcome {
  passed: number;
  failed: number;
  skipped: number;
  /** What to tell about the failures that are not tests' own: a file that failed before any test ran, no report. */
  notes: string[];
  suites: JunitSuite[];
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001B\[[0-9;]*[A-Za-z]/g;

function relativeTo(root: string, file: string): string {
  const prefix = root.endsWith("/") ? root : `${root}/`;
  return file.startsWith(prefix) ? file.slice(prefix.length) : file;
}

/**
 * A vitest project's JSON report (undefined when vitest wrote none, with `reportError` saying why)
 * as counts and JUnit suites, one per test file. Beyond the tests' own results, counted as one
 * failure each: a file that failed before any test ran (a broken import, a failed globalSetup),
 * vitest exiting non-zero although no test failed, and no report at all.
 */
export function vitestOutcome(
  project: string,
  report: VitestJsonReport | undefined,
  /** How vitest ended; text: its exit code or signal ("1", "SIGKILL"). */
  exit: { ok: boolean; text: string },
  /** The folder that test file names are given relative to. */
  root: string,
  reportError = "no report",
): VitestOutcome {
  const classPrefix = `${project}.`;
  if (!report) {
    const message = `vitest ${project} wrote no report (exit ${exit.text}), counted as 1 failed: ${reportError}`;
    return {
      passed: 0,
      failed: 1,
      skipped: 0,
      notes: [message],
      suites: [{ name: project, cases: [{ name: `vitest ${project}`, classname: `${classPrefix}vitest`, outcome: { status: "error", type: "NO_REPORT", message } }] }],
    };
  }
  const notes: string[] = [];
  let failed = report.numFailedTests;
  const suites = report.testResults.map((file): JunitSuite => {
    const name = relativeTo(root, file.name);
    const classname = classPrefix + name.replace(/\.test\.[cm]?[jt]sx?$/, "").replace(/\.[cm]?[jt]sx?$/, "").replace(/\//g, ".");
    const cases = file.assertionResults.map((a): JunitCase => {
      const messages = (a.failureMessages ?? []).map((m) => m.replace(ANSI, ""));
      const outcome: JunitOutcome =
        a.status === "passed"
          ? { status: "passed" }
          : a.status === "failed"
            ? { status: "failed", type: "AssertionError", message: (messages[0] ?? "failed").split("\n", 1)[0]!, detail: messages.join("\n\n") }
            : { status: "skipped", message: a.status };
      return { name: [...(a.ancestorTitles ?? []), a.title].join(" > "), classname, ...(typeof a.duration === "number" ? { timeMs: a.duration } : {}), outcome };
    });
    if (file.status === "failed" && file.assertionResults.length === 0) {
      failed += 1;
      const message = (file.message ?? "").replace(ANSI, "");
      notes.push(`${file.name}: failed before any test ran: ${message}`);
      cases.push({ name, classname, outcome: { status: "error", type: "FILE_FAILED", message: `failed before any test ran: ${message}` } });
    }
    const timed = file.startTime !== undefined && file.endTime !== undefined;
    return { name, ...(timed ? { timeMs: file.endTime! - file.startTime!, timestamp: new Date(file.startTime!).toISOString() } : {}), cases };
  });
  if (!exit.ok && failed === 0) {
    failed = 1;
    const message = `vitest ${project} exited with ${exit.text} although no test failed: counted as 1 failed`;
    notes.push(message);
    suites.push({ name: project, cases: [{ name: `vitest ${project}`, classname: `${classPrefix}vitest`, outcome: { status: "error", type: "VITEST_FAILED", message } }] });
  }
  return { passed: report.numPassedTests, failed, skipped: report.numPendingTests + report.numTodoTests, notes, suites };
}

/** The checks (type-check, lint) as one suite, a test case each; a failed check's output is its failure's text. */
export function checksSuite(checks: readonly CheckOutcome[]): JunitSuite {
  return {
    name: "checks",
    cases: checks.map((c) => ({
      name: c.name,
      classname: "l7lab.checks",
      timeMs: c.durationMs,
      outcome: c.passed ? { status: "passed" } : { status: "failed", type: "CHECK_FAILED", message: `${c.command}: ${c.exit}`, detail: c.output.replace(ANSI, "") },
      ...(c.passed && c.output.trim() ? { output: c.output.replace(ANSI, "") } : {}),
    })),
  };
}

/** A vitest project that could not run (the lab did not come up), as one failed test. */
export function notRunSuite(project: string, reason: string): JunitSuite {
  return { name: project, cases: [{ name: `${project} not run`, classname: `${project}.lab`, outcome: { status: "error", type: "LAB_FAILED", message: reason } }] };
}

/** What `./l7lab test` ran and how each part ended. */
export interface TestSuiteResults {
  checks: readonly CheckOutcome[];
  projects: readonly VitestOutcome[];
  /** The vitest project that could not run, and why (the lab did not come up). */
  notRun?: { project: string; reason: string };
}

/**
 * reports/junit.xml of `./l7lab test`: the checks, then each vitest project's files, then what did
 * not run. Its failures and errors together are the final line's failed count.
 */
export function suiteJunit(results: TestSuiteResults): string {
  return junitDocument("l7lab test", [
    checksSuite(results.checks),
    ...results.projects.flatMap((p) => p.suites),
    ...(results.notRun ? [notRunSuite(results.notRun.project, results.notRun.reason)] : []),
  ]);
}
