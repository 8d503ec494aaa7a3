import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { retryUntil } from "../../orchestrator/src/common/retry.ts";
import { api, explain, lab, runScenario, sh, topology, type Run, type RunStep } from "./lab.ts";

const run = promisify(execFile);

describe("scenario proxy-cache", () => {
  let result: Run;
  beforeAll(async () => {
    ({ run: result } = await runScenario("proxy-cache"));
  });

  it("passes", () => {
    expect(result.status, explain(result)).toBe("passed");
  });
});

describe("the web from Bob's workstation, as the README shows", () => {
  it("curl goes through the proxy: a MISS, then a HIT", async () => {
    const url = `http://www.someschool.edu/index.html?by-hand=${Date.now()}`;
    const r = await sh("bob", `curl -sS -o /dev/null -D - '${url}'; curl -sS -o /dev/null -D - '${url}'`);
    expect(r.exitCode, r.out).toBe(0);
    const verdicts = r.out.split(/\r?\n/).filter((l) => /^x-cache:/i.test(l));
    expect(verdicts).toEqual(["X-Cache: MISS from proxy.hamburger.edu", "X-Cache: HIT from proxy.hamburger.edu"]);
  });

  it("cannot reach the web without the proxy: the campus router resets the connection", async () => {
    const r = await sh("bob", "curl -sS --noproxy '*' -m 5 -o /dev/null http://www.someschool.edu/; echo rc=$?");
    expect(r.out).toMatch(/rc=7/);
    expect(r.out).toMatch(/Couldn't connect|Connection refused/);
  });
});

/** The proxy's access-log lines for `url`: Squid's log reaches stdout through a tail of its file, a moment later. */
function proxyLogLines(url: string, what: string): Promise<string[]> {
  return retryUntil(
    async () => {
      const lines = (await lab.logs("proxy", { tail: 200 })).map((l) => l.text).filter((t) => t.includes(url));
      return lines.length > 0 ? lines : undefined;
    },
    `the proxy's log line for ${what}`,
    { timeoutMs: 10_000, intervalMs: 200 },
  );
}

describe("the proxy serves the campus only", () => {
  /** Adds or removes, in Alice's namespace, a route into the campus through the campus router. */
  async function campusRoute(action: "add" | "del"): Promise<void> {
    const { id } = await lab.serviceState("alice");
    const helperImage = topology.settings.faultHelperImage ?? "l7lab/router:dev";
    await run("docker", ["run", "--rm", "--network", `container:${id}`, "--cap-add", "NET_ADMIN", "--entrypoint", "ip", helperImage, "route", action, "10.1.0.0/24", "via", "10.0.0.254"]);
  }

  it("a client outside the campus (Alice, given a route in) gets 403 and the proxy logs TCP_DENIED", async () => {
    const url = `http://www.someschool.edu/index.html?from-alice=${Date.now()}`;
    await campusRoute("add");
    try {
      const r = await sh("alice", `curl -sS -m 10 -o /dev/null -w '%{http_code}\\n' -x http://proxy.hamburger.edu:3128 '${url}'`);
      expect(r.out.trim(), r.out).toBe("403");
    } finally {
      await campusRoute("del");
    }
    const logged = await proxyLogLines(url, "Alice's request");
    expect(logged).toEqual([expect.stringMatching(/^\S+ \S+ 10\.0\.0\.22 "GET .*" 403 \d+ TCP_DENIED:HIER_NONE$/)]);
    // The route is gone again: Alice has no way into the campus.
    expect((await sh("alice", "ip route")).out).not.toMatch(/10\.1\.0\.0/);
  });

  it("fetches from the lab's own servers only: a campus request for an address outside the lab gets 403 at once, TCP_DENIED", async () => {
    // Without the rule Squid tried, and answered 503 after its connect failed.
    const url = `http://198.51.100.7/outside-the-lab?t=${Date.now()}`;
    const t0 = performance.now();
    const r = await sh("bob", `curl -sS -m 10 -o /dev/null -w '%{http_code}\\n' -x http://proxy.hamburger.edu:3128 '${url}'`);
    expect(r.out.trim(), r.out).toBe("403");
    expect(performance.now() - t0, "ms for the refusal; bound: 5000").toBeLessThan(5000);
    const logged = await proxyLogLines(url, "Bob's request");
    expect(logged).toEqual([expect.stringMatching(/^\S+ \S+ 10\.1\.0\.100 "GET .*" 403 \d+ TCP_DENIED:HIER_NONE$/)]);
  });
});

describe("scenario web-caching-experiment", () => {
  let result: Run;
  let step: (id: string) => RunStep;
  beforeAll(async () => {
    ({ run: result, step } = await runScenario("web-caching-experiment"));
  }, 300_000);

  it("passes: a hit rate of about 0.4 cuts the mean delay, and both means are within 20% of the slides' model", () => {
    expect(result.status, explain(result)).toBe("passed");
    expect(result.cleanup.filter((c) => !c.ok)).toEqual([]);
  });

  it("measures each mean within 20% of the slides' model, whose LAN delay was timed apart from the mix", () => {
    type Mix = {
      idealHitRate: number;
      lan?: { hits: number; hit: { meanMs: number } };
      model: { predictedMeanMs: number; measuredMeanMs: number; hitFraction: number; lanDelayMs: number };
    };
    const mixes = { "no-cache": step("no-cache").result as Mix, cache: step("cache").result as Mix };
    for (const [id, { model: m, lan }] of Object.entries(mixes)) {
      const off = ((m.measuredMeanMs - m.predictedMeanMs) / m.predictedMeanMs) * 100;
      console.log(`[web-caching-experiment] ${id}: hit fraction ${m.hitFraction}, LAN delay ${m.lanDelayMs} ms (${lan?.hits} hits timed apart), model ${m.predictedMeanMs} ms, measured ${m.measuredMeanMs} ms (${off.toFixed(1)}%)`);
      expect(Math.abs(off), `${id}: measured ${m.measuredMeanMs} ms, model ${m.predictedMeanMs} ms: ${off.toFixed(1)}% off, bound 20%`).toBeLessThanOrEqual(20);
      // The model's LAN term is the one timed before the mix, not the mix's own hits.
      expect(m.lanDelayMs, `${id}: the model's LAN delay against the one timed apart`).toBe(lan?.hit.meanMs);
    }
    const { cache, "no-cache": none } = mixes;
    const missed = Math.abs(cache.model.hitFraction - cache.idealHitRate);
    expect(missed, `hit fraction ${cache.model.hitFraction}, ideal ${cache.idealHitRate} (from the requests as answered): ${missed.toFixed(3)} apart, bound 0.04`).toBeLessThanOrEqual(0.04);
    expect(cache.model.measuredMeanMs, `mean ${cache.model.measuredMeanMs} ms with the cache, ${none.model.measuredMeanMs} ms without; bound: below`).toBeLessThan(none.model.measuredMeanMs);
  });
});

describe("the access link shaped by hand", () => {
  it("POST /api/faults {service: router, rateKbit: 1500} slows Bob's download to about 1.5 Mbit/s; DELETE restores it and counts the bytes", async () => {
    // 375,000 octets of the large object (a range, which Squid passes to the origin): 2 s at 1.5 Mbit/s.
    // "code size bytes/s connect=s first-byte=s total=s": the times go into every failure message.
    const fetch = (tag: string) => sh("bob", `curl -sS -o /dev/null -r 0-374999 -w '%{http_code} %{size_download} %{speed_download} connect=%{time_connect} first-byte=%{time_starttransfer} total=%{time_total}' 'http://www.someschool.edu/objects/large.bin?shaped=${tag}-${Date.now()}'`);
    const applied = await api<{ id: string; rateKbit: number }>("POST", "/faults", { service: "router", rateKbit: 1500 });
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    let shaped: { exitCode: number; out: string } | undefined;
    let healed: { status: number; body: { counters: { sentBytes: number } | null } } | undefined;
    try {
      shaped = await fetch("on");
    } finally {
      healed = await api("DELETE", `/faults/${applied.body.id}`);
    }
    const [code, size, speed] = shaped.out.trim().split(" ").map(Number);
    expect(code, shaped.out).toBe(206);
    expect(size, shaped.out).toBe(375_000);
    const mbits = (speed! * 8) / 1e6;
    expect(mbits, `shaped download at ${mbits.toFixed(2)} Mbit/s, bound > 1.0 Mbit/s (curl: ${shaped.out.trim()})`).toBeGreaterThan(1.0);
    expect(mbits, `shaped download at ${mbits.toFixed(2)} Mbit/s, bound < 1.7 Mbit/s (curl: ${shaped.out.trim()})`).toBeLessThan(1.7);
    expect(healed?.status).toBe(200);
    expect(healed?.body.counters?.sentBytes, `the shaper sent ${healed?.body.counters?.sentBytes} octets, bound > 375,000 (the range fetched)`).toBeGreaterThan(375_000);
    const after = await fetch("off");
    const free = (Number(after.out.trim().split(" ")[2]) * 8) / 1e6;
    if (free <= 10) {
      // Say whether the shaper is still on the router, and what the origin's TCP thinks of the
      // proxy's connections (a congestion control that kept the shaped rate would show here).
      const qdiscs = await sh("router", "tc qdisc show");
      const tcp = await sh("www", "ss -tin state established '( sport = :80 )'");
      expect.fail(`unshaped download at ${free.toFixed(2)} Mbit/s, bound > 10 Mbit/s (curl: ${after.out.trim()}); router qdiscs: ${qdiscs.out.trim()}; the origin's connections: ${tcp.out.trim()}`);
    }
  }, 60_000);
});
