/**
 * The slides' web-caching example, measured: runs the web-caching-experiment scenario (a
 * 1.5 Mbit/s access link, an origin 200 ms away, 50 requests for 30 objects of 100 kbit, without
 * and with the campus cache) and prints its figures next to the slides' model:
 *
 *   total delay = miss fraction x (Internet delay + access delay) + hit fraction x LAN delay
 *
 *   ./l7lab bench caching [--rounds 1]
 *
 * The lab must be up and idle.
 */
import { machine, opt, runScenario } from "./api.ts";

const rounds = opt(process.argv.slice(2), "rounds", 1);

interface Model {
  hitFraction: number;
  missFraction: number;
  internetDelayMs: number;
  accessDelayMs: number;
  lanDelayMs: number;
  predictedMeanMs: number;
  measuredMeanMs: number;
  errorPercent: number;
}
interface Mix {
  requests: number;
  hits: number;
  hitRate: number;
  all: { meanMs: number; p50Ms: number; p95Ms: number };
  hit: { meanMs: number };
  miss: { meanMs: number };
  model: Model;
}

const cell = (x: number | string, width: number) => String(x).padStart(width);

console.log(`web caching experiment, ${machine()}`);
for (let r = 0; r < rounds; r++) {
  const run = await runScenario("web-caching-experiment");
  const failed = run.steps.filter((s) => s.status !== "passed");
  const mixOf = (id: string) => run.steps.find((s) => s.id === id)?.result as Mix | undefined;
  const none = mixOf("no-cache");
  const cache = mixOf("cache");
  if (!none || !cache) throw new Error(`run ${run.id} ended ${run.status} without both measurements: ${JSON.stringify(run.error ?? failed.map((s) => s.error ?? s.assertions.filter((a) => !a.passed)))}`);
  const link = run.steps.find((s) => s.id === "unshaped")?.result as { counters?: { sentBytes: number; dropped: number } } | undefined;
  console.log(`\nrun ${run.id}: ${run.status} in ${((run.durationMs ?? 0) / 1000).toFixed(1)} s${failed.length ? ` (not passed: ${failed.map((s) => s.id).join(", ")})` : ""}`);
  console.log("access link 1,500 kbit/s (tbf on the campus router), Internet delay 200 ms (the origin's /far/200/), objects of 12,500 octets");
  console.log(`access delay of one object: ${none.model.accessDelayMs} ms; LAN delay (measured apart, before the mix): ${cache.model.lanDelayMs} ms\n`);
  console.log(`                 requests  hit rate   mean ms   model ms   measured - model   miss mean ms   p95 ms`);
  for (const [name, m] of [["no cache", none], ["with cache", cache]] as const) {
    const diff = m.model.measuredMeanMs - m.model.predictedMeanMs;
    console.log(
      `  ${name.padEnd(12)} ${cell(m.requests, 8)} ${cell(m.hitRate.toFixed(2), 9)} ${cell(m.all.meanMs.toFixed(1), 9)} ${cell(m.model.predictedMeanMs.toFixed(1), 10)} ${cell(`${diff >= 0 ? "+" : ""}${diff.toFixed(1)} ms (${m.model.errorPercent}%)`, 18)} ${cell(m.miss.meanMs.toFixed(1), 14)} ${cell(m.all.p95Ms.toFixed(1), 8)}`,
    );
  }
  console.log(`\n  the cache cut the mean delay by ${(100 * (1 - cache.all.meanMs / none.all.meanMs)).toFixed(0)}% (the model: ${(100 * (1 - cache.model.predictedMeanMs / none.model.predictedMeanMs)).toFixed(0)}%)`);
  if (link?.counters) console.log(`  the access link carried ${link.counters.sentBytes} octets; tbf dropped ${link.counters.dropped} packets`);
}
