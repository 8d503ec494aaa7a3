import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../common/clock.ts";
import { InvalidInputError } from "../../common/errors.ts";
import type { DockerAdapter } from "../../docker/docker-adapter.ts";
import { Topology, type ServiceSpec } from "../../lab/topology.ts";
import type { ProbeContext } from "../probe.ts";
import { type FakeHttpServer, startFakeHttpServer } from "../http/fake-http-server.ts";
import { httpmixProbe, type HttpmixParams, requestSequence } from "./httpmix-probe.ts";

const requestSequenceFor = (objects: number, requests: number) => requestSequence(objects, requests, 1);

const service = (name: string, ipv4: string, hostnames: string[] = []): ServiceSpec => ({
  name, role: "web", hostnames, description: "", networks: [{ network: "lab", ipv4 }],
});
const topology = new Topology("l7lab", [
  service("web", "127.0.0.1", ["www.someschool.edu"]),
  service("outside", "198.51.100.7", ["www.outside.example"]),
], [{ name: "lab", subnet: "10.0.0.0/24", internal: true, private: false, description: "" }]);
const context = (signal = new AbortController().signal): ProbeContext => ({ signal, clock: systemClock, topology, docker: {} as DockerAdapter, stepStartedAt: () => undefined });

const servers: FakeHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** A caching "proxy": the first request for a target is a MISS, later ones HIT; /o/013 is a 404. */
async function cachingProxy(): Promise<FakeHttpServer> {
  const cached = new Set<string>();
  const s = await startFakeHttpServer((req) => {
    if (req.target.includes("/o/013")) return { status: 404, body: "no\n" };
    const hit = cached.has(req.target) && req.headers["cache-control"] !== "no-cache";
    cached.add(req.target);
    return { status: 200, headers: { "X-Cache": `${hit ? "HIT" : "MISS"} from fake`, "Content-Type": "application/octet-stream" }, body: Buffer.alloc(1000, 1) };
  });
  servers.push(s);
  return s;
}

const params = (port: number, extra: Partial<HttpmixParams> = {}): HttpmixParams => ({
  url: "http://www.someschool.edu/o/{n}",
  objects: 10,
  requests: 25,
  proxy: `127.0.0.1:${port}`,
  ...extra,
});

describe("httpmix probe", () => {
  it("replays the mix through the proxy: every repeat is a hit, the hit rate is the ideal one", async () => {
    const proxy = await cachingProxy();
    const out = await httpmixProbe.run(params(proxy.port, { model: { internetDelayMs: 0, accessKbit: 8000 } }), context());
    expect(out.ok).toBe(true);
    const d = out.data;
    // The LAN object first (1 + 5 fetches), then the 25 of the mix.
    expect(proxy.seen).toHaveLength(31);
    expect(d.requests).toBe(25);
    expect(d.idealHitRate).toBe(0.6);
    expect(d.repeats).toBe(15);
    expect(d.hits).toBe(15);
    expect(d.misses).toBe(10);
    expect(d.hitRate).toBe(0.6);
    expect(d.failed).toBe(0);
    expect(d.meanObjectBytes).toBe(1000);
    expect(d.all.count).toBe(25);
    expect(d.sequence).toHaveLength(25);
    // Every request carries the call's fresh suffix, in absolute form through the proxy.
    expect(d.suffix).toMatch(/^l7lab-mix=[0-9a-f]{12}$/);
    expect(proxy.seen.slice(6).every((r) => r.target.startsWith("http://www.someschool.edu/o/0") && r.target.endsWith(`?${d.suffix}`))).toBe(true);
    // 1000 octets over 8000 kbit/s is 1 ms of access delay.
    expect(d.model?.accessDelayMs).toBe(1);
    expect(d.model?.hitFraction).toBe(0.6);
  });

  it("times the LAN delay on an object of its own before the mix, without the call's headers, and feeds the model with it", async () => {
    const proxy = await cachingProxy();
    const out = await httpmixProbe.run(params(proxy.port, { headers: { "Cache-Control": "no-cache" }, model: { internetDelayMs: 0, accessKbit: 8000, lanSamples: 3 } }), context());
    const lan = out.data.lan!;
    expect(lan.url).toMatch(/^http:\/\/www\.someschool\.edu\/o\/001\?l7lab-lan=[0-9a-f]{12}$/);
    expect(proxy.seen.slice(0, 4).map((r) => r.target)).toEqual([lan.url, lan.url, lan.url, lan.url]);
    expect(proxy.seen.slice(0, 4).every((r) => r.headers["cache-control"] === undefined)).toBe(true);
    expect(lan.prime).toMatchObject({ status: 200, cache: "MISS from fake" });
    expect(lan).toMatchObject({ requests: 3, hits: 3 });
    expect(lan.hit.count).toBe(3);
    expect(out.data.model?.lanDelayMs).toBe(lan.hit.meanMs);
    // The mix itself kept its no-cache header, and its URLs are not the LAN object's.
    expect(out.data.hits).toBe(0);
    expect(proxy.seen.slice(4).every((r) => r.headers["cache-control"] === "no-cache" && r.target !== lan.url)).toBe(true);
  });

  it("without a model times no LAN delay and sends only the mix", async () => {
    const proxy = await cachingProxy();
    const out = await httpmixProbe.run(params(proxy.port), context());
    expect(out.data.lan).toBeUndefined();
    expect(proxy.seen).toHaveLength(25);
  });

  it("computes the ideal hit rate from what was answered: repeats of an object that failed are no repeats", async () => {
    const proxy = await cachingProxy();
    // Object 13 is a 404; in this sequence it is asked for 4 times.
    const out = await httpmixProbe.run(params(proxy.port, { objects: 15, requests: 40 }), context());
    const failing = requestSequenceFor(15, 40).filter((n) => n === 13).length;
    expect(failing).toBe(4);
    const answeredCount = 40 - failing;
    const repeats = answeredCount - 14; // every answered object's first request is no repeat
    expect(out.data.failed).toBe(failing);
    expect(out.data.repeats).toBe(repeats);
    expect(out.data.idealHitRate).toBe(Math.round((repeats / answeredCount) * 1000) / 1000); // 22 / 36, not the planned 25 / 40
    expect(out.data.hits).toBe(repeats);
  });

  it("a second call with fresh URLs misses again; without fresh it hits what the first call left", async () => {
    const proxy = await cachingProxy();
    await httpmixProbe.run(params(proxy.port, { fresh: false }), context());
    const fresh = await httpmixProbe.run(params(proxy.port), context());
    expect(fresh.data.misses).toBe(10);
    const stale = await httpmixProbe.run(params(proxy.port, { fresh: false }), context());
    expect(stale.data.hits).toBe(25);
    expect(stale.data.suffix).toBe("");
  });

  it("sends the headers given: no-cache makes every request a miss", async () => {
    const proxy = await cachingProxy();
    const out = await httpmixProbe.run(params(proxy.port, { headers: { "Cache-Control": "no-cache" } }), context());
    expect(out.data.hits).toBe(0);
    expect(out.data.misses).toBe(25);
    expect(out.data.hitRate).toBe(0);
  });

  it("counts a 404 as failed and names it in the transcript", async () => {
    const proxy = await cachingProxy();
    const out = await httpmixProbe.run(params(proxy.port, { objects: 13, requests: 13 }), context());
    expect(out.data.failed).toBe(1);
    expect(out.data.statuses).toEqual({ "200": 12, "404": 1 });
    expect(out.transcript.some((l) => l.text.includes("object 13: status 404"))).toBe(true);
  });

  it("refuses a URL without {n}, fewer requests than objects, and a server outside the lab", async () => {
    await expect(httpmixProbe.run({ url: "http://www.someschool.edu/o/1", objects: 5, requests: 4 }, context())).rejects.toThrow(InvalidInputError);
    const problems = httpmixProbe.check!({ url: "http://www.someschool.edu/o/1", objects: 5, requests: 4 }, { topology, earlierStepIds: [] });
    expect(problems.join("\n")).toMatch(/no "\{n\}"/);
    expect(problems.join("\n")).toMatch(/requests \(4\) must be at least objects \(5\)/);
    expect(httpmixProbe.check!({ url: "http://www.outside.example/{n}", objects: 1, requests: 1 }, { topology, earlierStepIds: [] }).join("\n")).toMatch(/not in the lab's networks/);
    const racing = httpmixProbe.check!({ url: "http://www.someschool.edu/o/{n}", objects: 5, requests: 10, concurrency: 4, model: { internetDelayMs: 200, accessKbit: 1500 } }, { topology, earlierStepIds: [] });
    expect(racing.join("\n")).toMatch(/"model" needs concurrency 1/);
  });

  it("with concurrency runs the whole sequence and lists it in sequence order", async () => {
    const proxy = await cachingProxy();
    const out = await httpmixProbe.run(params(proxy.port, { objects: 5, requests: 40, concurrency: 4 }), context());
    expect(out.data.concurrency).toBe(4);
    expect(proxy.seen).toHaveLength(40);
    expect(out.data.hits + out.data.misses).toBe(40);
    expect(out.data.requestsPerSecond).toBeGreaterThan(0);
    expect(out.data.sequence.map((r) => r.n)).toEqual(requestSequenceFor(5, 40));
  });

  it("open loop (arrivalsPerSecond): requests start at random times whether or not earlier ones are answered", async () => {
    // An origin that answers each request after 150 ms: one at a time, 20 requests would take 3 s.
    const sockets = new Set<Socket>();
    const slow = createServer((_req, res) => void setTimeout(() => res.end("x".repeat(100)), 150));
    slow.on("connection", (c) => (sockets.add(c), c.on("close", () => sockets.delete(c))));
    slow.listen(0, "127.0.0.1");
    await once(slow, "listening");
    try {
      const port = (slow.address() as AddressInfo).port;
      const out = await httpmixProbe.run({ url: `http://www.someschool.edu:${port}/o/{n}`, objects: 20, requests: 20, arrivalsPerSecond: 200, seed: 7 }, context());
      expect(out.ok).toBe(true);
      expect(out.data.misses).toBe(20);
      expect(out.data.arrivalsPerSecond).toBe(200);
      // 19 exponential gaps of 5 ms on average: the requests all start within a fraction of a second.
      expect(out.data.startedPerSecond).toBeGreaterThan(50);
      expect(out.data.startedPerSecond).toBeLessThan(1000);
      expect(out.data.durationMs).toBeLessThan(1500);
      expect(out.data.concurrency).toBeGreaterThan(3); // the most under way at once
    } finally {
      for (const c of sockets) c.destroy();
      await new Promise((resolve) => slow.close(resolve));
    }
  });

  it("refuses arrivalsPerSecond with concurrency, and with the one-at-a-time model", () => {
    const check = (extra: Partial<HttpmixParams>) => httpmixProbe.check!({ url: "http://www.someschool.edu/o/{n}", objects: 5, requests: 10, arrivalsPerSecond: 10, ...extra }, { topology, earlierStepIds: [] }).join("\n");
    expect(check({ concurrency: 2 })).toMatch(/concurrency .* or arrivalsPerSecond .*, not both/);
    expect(check({ model: { internetDelayMs: 200, accessKbit: 1500 } })).toMatch(/does not apply to arrivalsPerSecond/);
    expect(check({})).toBe("");
  });

  it("stops when the run is aborted", async () => {
    const proxy = await cachingProxy();
    const abort = new AbortController();
    abort.abort(new Error("aborted by test"));
    await expect(httpmixProbe.run(params(proxy.port), context(abort.signal))).rejects.toThrow(/aborted by test/);
  });
});
