/**
 * The whole test suite, as CI runs it: type-check, lint, then vitest's unit and integration
 * projects (the integration project brings the lab up with testcontainers). Ends with one line
 * `N passed, N failed` (plus `, N skipped`), where the two type-checks (the server's and the web UI's) and the lint count as one test
 * each. Exits non-zero if anything failed. Writes the same results as JUnit XML to reports/junit.xml
 * (valid against test/fixtures/junit.xsd), a test case per test, check and failure counted.
 *
 *   node scripts/run-tests.ts [--unit] [--build-images] [--lab-failed REASON]
 *
 * --unit: skip the integration project (no Docker needed). --build-images: build the lab's images
 * (docker compose build) in the background while the type-check, the lint and the unit tests run,
 * and start the integration project once they are built; if the build fails, the integration
 * project counts as one failed test. --lab-failed: the lab could not be prepared (./l7lab test
 * says why); the integration project counts as one failed test.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { suiteJunit, vitestOutcome, type CheckOutcome, type VitestJsonReport, type VitestOutcome } from "../orchestrator/src/report/junit.ts";

const args = process.argv.slice(2);
const labFailedAt = args.indexOf("--lab-failed");
let labFailure = labFailedAt >= 0 ? (args[labFailedAt + 1] ?? "the lab could not be brought up") : undefined;
const unitOnly = args.includes("--unit") || labFailure !== undefined;
let passed = 0;
let failed = 0;
let skipped = 0;
const checks: CheckOutcome[] = [];
const projects: VitestOutcome[] = [];
const JUNIT = "reports/junit.xml";

mkdirSync("test-results", { recursive: true });

// A cold image build mostly waits on the package archive, and the checks below mostly use the
// CPU: side by side they take about a minute less than one after the other (docs/benchmarks.md).
const BUILD_LOG = "test-results/build.log";
let build: Promise<string | undefined> | undefined;
if (args.includes("--build-images") && !unitOnly) {
  console.log(`=== building the lab's images in the background: docker compose --profile '*' build (log: ${BUILD_LOG})`);
  const log = openSync(BUILD_LOG, "w");
  // Then the tests' tools image (services/tools: tshark, chromium), from the same base image as the lab's;
  // the capture and UI tests would build it themselves, but here the build overlaps the unit tests.
  const tools = 'set -a; [ -f .env ] && . ./.env; set +a; docker build -q -t l7lab/tools:dev --build-arg "BASE_IMAGE=${BASE_IMAGE:-debian:bookworm-slim}" services/tools';
  const child = spawn("sh", ["-c", `docker compose --profile '*' build && (${tools})`], { stdio: ["ignore", log, log] });
  build = new Promise((resolve) => {
    child.on("error", (error) => resolve(`docker compose build could not run: ${error.message}`));
    child.on("exit", (code, signal) => resolve(code === 0 ? undefined : `the lab's images did not build (docker compose build or the tools image exited with ${code ?? signal}; see ${BUILD_LOG})`));
  });
}
function check(name: string, command: string, argv: string[]): void {
  console.log(`\n=== ${name}: ${command} ${argv.join(" ")}`);
  const startedAt = Date.now();
  // Its output is kept for the JUnit report, and shown as it would have been.
  const r = spawnSync(command, argv, { stdio: ["inherit", "pipe", "pipe"], encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write(r.stdout ?? "");
  process.stderr.write(r.stderr ?? "");
  const exit = r.error ? `could not run: ${r.error.message}` : `exit ${r.status ?? r.signal}`;
  checks.push({ name, command: `${command} ${argv.join(" ")}`, exit, passed: r.status === 0, durationMs: Date.now() - startedAt, output: `${r.stdout ?? ""}${r.stderr ?? ""}` });
  if (r.status === 0) {
    passed += 1;
    console.log(`=== ${name}: passed`);
  } else {
    failed += 1;
    console.log(`=== ${name}: FAILED (${exit})`);
  }
}

check("typecheck", "npx", ["--no-install", "tsc", "-p", "tsconfig.json"]);
check("typecheck of the web UI", "npx", ["--no-install", "tsc", "-p", "orchestrator/ui/tsconfig.json"]);
check("lint", "npx", ["--no-install", "eslint", "--max-warnings=0", "."]);

/**
 * One vitest project in its own vitest process, counted from its JSON report. The projects run
 * apart so that the unit tests are counted even when the integration project's global setup (the
 * lab coming up) fails and takes its vitest process down.
 */
function vitestProject(project: "unit" | "integration"): void {
  const report = `test-results/vitest-${project}.json`;
  rmSync(report, { force: true });
  console.log(`\n=== vitest: ${project}`);
  const v = spawnSync("npx", ["--no-install", "vitest", "run", "--project", project, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`], { stdio: "inherit" });
  let result: VitestJsonReport | undefined;
  let reportError: string | undefined;
  try {
    result = JSON.parse(readFileSync(report, "utf8")) as VitestJsonReport;
  } catch (error) {
    reportError = (error as Error).message;
  }
  // Counted from the report: its tests, plus one failure for each file that failed before any
  // test ran (a broken import, a failed globalSetup: no test results of its own, so it cannot pass
  // unnoticed), for a non-zero exit with no failed test, or for no report at all.
  const outcome = vitestOutcome(project, result, { ok: v.status === 0, text: String(v.status ?? v.signal) }, process.cwd(), reportError);
  for (const note of outcome.notes) console.log(`=== ${note}`);
  passed += outcome.passed;
  failed += outcome.failed;
  skipped += outcome.skipped;
  projects.push(outcome);
}

vitestProject("unit");
if (build) {
  const waitedFrom = Date.now();
  labFailure = await build;
  console.log(`\n=== image build: ${labFailure === undefined ? "done" : "FAILED"} (waited ${((Date.now() - waitedFrom) / 1000).toFixed(0)} s for it after the unit tests)`);
  if (labFailure !== undefined) {
    const lines = readFileSync(BUILD_LOG, "utf8").trimEnd().split("\n");
    console.log(lines.slice(-30).join("\n"));
  }
}
if (!unitOnly && labFailure === undefined) vitestProject("integration");

if (labFailure !== undefined) {
  failed += 1;
  console.log(`\n=== integration: not run, counted as 1 failed: ${labFailure}`);
}

mkdirSync("reports", { recursive: true });
writeFileSync(JUNIT, suiteJunit({ checks, projects, ...(labFailure === undefined ? {} : { notRun: { project: "integration", reason: labFailure } }) }));
console.log(`\n=== JUnit report: ${JUNIT}`);

console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed === 0 ? 0 : 1);
