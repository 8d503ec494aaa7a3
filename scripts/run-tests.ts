/**
 * The whole test suite, as CI runs it: type-check, lint, then vitest's unit and integration
 * projects (the integration project brings the lab up with testcontainers). Ends with one line
 * `N passed, N failed` (plus `, N skipped`), where the type-check and the lint count as one test
 * each. Exits non-zero if anything failed.
 *
 *   node scripts/run-tests.ts [--unit]     --unit: skip the integration project (no Docker needed)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";

const unitOnly = process.argv.includes("--unit");
let passed = 0;
let failed = 0;
let skipped = 0;

function check(name: string, command: string, args: string[]): void {
  console.log(`\n=== ${name}: ${command} ${args.join(" ")}`);
  const r = spawnSync(command, args, { stdio: "inherit" });
  if (r.status === 0) {
    passed += 1;
    console.log(`=== ${name}: passed`);
  } else {
    failed += 1;
    console.log(`=== ${name}: FAILED (exit ${r.status ?? r.signal})`);
  }
}

check("typecheck", "npx", ["--no-install", "tsc", "-p", "tsconfig.json"]);
check("lint", "npx", ["--no-install", "eslint", "--max-warnings=0", "."]);

mkdirSync("test-results", { recursive: true });
const report = "test-results/vitest.json";
rmSync(report, { force: true });
const projects = unitOnly ? ["--project", "unit"] : [];
console.log(`\n=== vitest ${unitOnly ? "(unit only)" : "(unit and integration)"}`);
const v = spawnSync("npx", ["--no-install", "vitest", "run", ...projects, "--reporter=default", "--reporter=json", `--outputFile.json=${report}`], { stdio: "inherit" });

try {
  const result = JSON.parse(readFileSync(report, "utf8")) as {
    numPassedTests: number;
    numFailedTests: number;
    numPendingTests: number;
    numTodoTests: number;
    testResults: { status: string; message?: string; name: string; assertionResults: unknown[] }[];
  };
  passed += result.numPassedTests;
  failed += result.numFailedTests;
  skipped += result.numPendingTests + result.numTodoTests;
  // A file that failed before any test ran (a broken import, a failed globalSetup) has no test
  // results of its own: count it as a failure, so it cannot pass unnoticed.
  for (const file of result.testResults) {
    if (file.status === "failed" && file.assertionResults.length === 0) {
      failed += 1;
      console.log(`=== ${file.name}: failed before any test ran: ${file.message ?? ""}`);
    }
  }
  if (v.status !== 0 && result.numFailedTests === 0 && failed === 0) failed += 1;
} catch (error) {
  console.log(`=== vitest wrote no report (exit ${v.status ?? v.signal}): ${(error as Error).message}`);
  failed += 1;
}

console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
process.exit(failed === 0 ? 0 : 1);
