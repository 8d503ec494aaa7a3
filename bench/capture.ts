/**
 * Benchmark: what a packet capture costs a run. Each scenario runs without and with a capture
 * (`capture: true`: the namespaces of every service it touches), alternately, so that both sides
 * see the same machine; the figures are medians over the rounds, side by side.
 *
 *   npm run bench:capture [-- --rounds N] [name ...]
 *
 * Reported per scenario: the run's duration (the orchestrator's own: with a capture it includes
 * starting the helpers and tcpdumps, and stopping and merging them), the steps' time alone (what
 * the capture does to the protocol exchanges themselves), and the capture's packets and size.
 * Needs the lab up (`./l7lab up`); run it alone.
 */
import { call, machine, median, opt } from "./api.ts";
import type { RunRecord } from "../orchestrator/src/engine/run-record.ts";

const args = process.argv.slice(2);
const rounds = opt(args, "rounds", 3);
const named = args.filter((a, i) => !a.startsWith("--") && args[i - 1] !== "--rounds");
const names = named.length > 0 ? named : ["dns-resolution", "mail-alice-to-bob", "ftp-transfer", "proxy-cache", "pxe-boot"];

const stepsMs = (r: RunRecord) => r.steps.reduce((sum, s) => sum + (s.durationMs ?? 0), 0);
const ratio = (a: number, b: number) => `${(b / a).toFixed(2)}×`;

console.log(`${rounds} rounds each, without and with a capture in turn; medians`);
console.log("| scenario | run without | run with | ratio | steps without | steps with | ratio | packets | pcapng |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
let failed = 0;
for (const name of names) {
  const plain: RunRecord[] = [];
  const captured: RunRecord[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const capture of i % 2 === 0 ? [false, true] : [true, false]) {
      const run = await call<RunRecord>("POST", `/scenarios/${name}/runs?wait=true`, capture ? { capture: true } : {});
      if (run.status !== "passed" || (capture && !run.capture?.pcap)) {
        failed++;
        console.error(`${name}${capture ? " (captured)" : ""}: ${run.status}: ${run.error?.message ?? run.capture?.errors.join("; ") ?? ""}`);
      }
      (capture ? captured : plain).push(run);
    }
  }
  const runA = median(plain.map((r) => r.durationMs ?? NaN));
  const runB = median(captured.map((r) => r.durationMs ?? NaN));
  const stepA = median(plain.map(stepsMs));
  const stepB = median(captured.map(stepsMs));
  const packets = median(captured.map((r) => r.capture?.packets ?? 0));
  const bytes = median(captured.map((r) => r.capture?.bytes ?? 0));
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log(`| ${name} | ${s(runA)} | ${s(runB)} | ${ratio(runA, runB)} | ${s(stepA)} | ${s(stepB)} | ${ratio(stepA, stepB)} | ${packets} | ${(bytes / 2 ** 20).toFixed(1)} MiB${captured.some((r) => r.capture?.truncated) ? " (limit reached)" : ""} |`);
}
console.log(`\n${machine()}`);
if (failed > 0) process.exitCode = 1;
