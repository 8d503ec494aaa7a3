/**
 * Benchmark: how long the headline scenarios take, one after another through the orchestrator's
 * API, as `./l7lab run` runs them.
 *
 *   npm run bench:scenarios [-- name ...]
 *
 * The headline scenarios are the lab's end-to-end stories without a fault experiment: every
 * scenario except the lossy ones (pxe-boot-lossy, rtsp-lossy) and the dead-MTA outage
 * (mail-queue-outage), whose durations are set by the faults they wait out. Name scenarios to time
 * others. Prints each run's duration (the orchestrator's own) and status, and the sum. Needs the
 * lab up (`./l7lab up`).
 */
import { call, machine, runScenario } from "./api.ts";

const HEADLINE = ["dns-resolution", "mail-alice-to-bob", "smtp-errors", "ftp-transfer", "pxe-boot", "proxy-cache", "web-caching-experiment", "rtsp-playback"];

const named = process.argv.slice(2).filter((a) => !a.startsWith("--"));
const names = named.length > 0 ? named : HEADLINE;
const known = (await call<{ name: string }[]>("GET", "/scenarios")).map((s) => s.name);
const unknown = names.filter((n) => !known.includes(n));
if (unknown.length > 0) {
  console.error(`unknown scenario(s): ${unknown.join(", ")}. Valid: ${known.join(", ")}`);
  process.exit(2);
}

let total = 0;
let failed = 0;
console.log("| scenario | status | duration |");
console.log("| --- | --- | --- |");
for (const name of names) {
  const t0 = performance.now();
  const run = await runScenario(name);
  const ms = run.durationMs ?? performance.now() - t0;
  total += ms;
  if (run.status !== "passed") failed++;
  console.log(`| ${name} | ${run.status} | ${(ms / 1000).toFixed(1)} s |`);
}
console.log(`| **sum of ${names.length}** | ${failed === 0 ? "all passed" : `${failed} not passed`} | **${(total / 1000).toFixed(1)} s** |`);
console.log(`\n${machine()}`);
if (failed > 0) process.exitCode = 1;
