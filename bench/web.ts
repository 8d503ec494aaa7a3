/**
 * Benchmark: cache hits at the campus proxy against fetches straight from the origin, of the same
 * object, in the same run.
 *
 *   ./l7lab bench web [--requests 2000] [--concurrency 8] [--rounds 3]
 *
 * The orchestrator (the httpmix probe: one connection per request, `concurrency` at once) asks
 *   hits    Squid (proxy.hamburger.edu:3128) for an object it already holds (X-Cache: HIT);
 *   origin  nginx (www.someschool.edu) for the same object directly, on the Internet side.
 * Both are one bridge hop from the orchestrator, with no shaping and no delay. The rounds
 * alternate (hits, origin, hits, origin, ...) so both see the same host load; each figure is the
 * median over the rounds, and the ratios are hits / origin. Two objects: 12,500 octets (the
 * slides' 100 kbit) and the 8 MiB one (fewer requests). The lab must be up and idle.
 */
import { machine, median, opt, probe } from "./api.ts";

const args = process.argv.slice(2);
const requests = opt(args, "requests", 2000);
const concurrency = opt(args, "concurrency", 8);
const rounds = opt(args, "rounds", 3);

interface Summary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}
interface Mix {
  requests: number;
  hits: number;
  failed: number;
  requestsPerSecond: number;
  all: Summary;
  bytes: number;
}

const PROXY = "proxy.hamburger.edu:3128";
const objects = [
  { name: "100 kbit object (12,500 octets)", url: "http://www.someschool.edu/objects/100kbit/{n}.bin", pad: 3, requests },
  { name: "8 MiB object", url: "http://www.someschool.edu/objects/large.bin?copy={n}", pad: 1, requests: Math.max(20, Math.round(requests / 40)) },
];

async function mix(url: string, pad: number, n: number, viaProxy: boolean): Promise<Mix> {
  // objects: 1 and fresh: false, so every request is for the same URL, one the proxy already holds.
  const params = { url, pad, objects: 1, requests: n, concurrency, fresh: false, timeoutMs: 60_000, ...(viaProxy ? { proxy: PROXY } : {}) };
  const r = await probe<Mix>("httpmix", params);
  if (r.failed > 0) throw new Error(`${r.failed} of ${r.requests} requests failed (${url}${viaProxy ? " via the proxy" : ""})`);
  return r;
}

console.log(`web benchmark, ${machine()}; ${concurrency} requests at once, ${rounds} rounds (median)`);
for (const o of objects) {
  const url = o.url;
  await mix(url, o.pad, 1, true); // warm the cache: this request may be a miss
  const hit: Mix[] = [];
  const origin: Mix[] = [];
  for (let r = 0; r < rounds; r++) {
    const h = await mix(url, o.pad, o.requests, true);
    if (h.hits !== h.requests) throw new Error(`only ${h.hits} of ${h.requests} requests were hits for ${o.name}`);
    hit.push(h);
    origin.push(await mix(url, o.pad, o.requests, false));
  }
  const rps = (xs: Mix[]) => median(xs.map((x) => x.requestsPerSecond));
  const p = (xs: Mix[], k: "p50Ms" | "p99Ms") => median(xs.map((x) => x.all[k]));
  console.log(`\n${o.name}, ${o.requests} requests a round:`);
  console.log(`                 req/s      p50 ms    p99 ms`);
  console.log(`  proxy hits  ${rps(hit).toFixed(0).padStart(8)} ${p(hit, "p50Ms").toFixed(1).padStart(10)} ${p(hit, "p99Ms").toFixed(1).padStart(9)}`);
  console.log(`  origin      ${rps(origin).toFixed(0).padStart(8)} ${p(origin, "p50Ms").toFixed(1).padStart(10)} ${p(origin, "p99Ms").toFixed(1).padStart(9)}`);
  console.log(`  hits / origin: req/s ${(rps(hit) / rps(origin)).toFixed(2)}x, p50 ${(p(hit, "p50Ms") / p(origin, "p50Ms")).toFixed(2)}x, p99 ${(p(hit, "p99Ms") / p(origin, "p99Ms")).toFixed(2)}x`);
}
