import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../common/clock.ts";
import { InvalidInputError } from "../../common/errors.ts";
import type { DockerAdapter } from "../../docker/docker-adapter.ts";
import { Topology, type ServiceSpec } from "../../docker/topology.ts";
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
], [{ name: "lab", subnet: "10.0.0.0/24", internal: true, description: "" }]);
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
    expect(proxy.seen).toHaveLength(25);
    expect(d.requests).toBe(25);
    expect(d.idealHitRate).toBe(0.6);
    expect(d.hits).toBe(15);
    expect(d.misses).toBe(10);
    expect(d.hitRate).toBe(0.6);
    expect(d.failed).toBe(0);
    expect(d.meanObjectBytes).toBe(1000);
    expect(d.all.count).toBe(25);
    expect(d.sequence).toHaveLength(25);
    // Every request carries the call's fresh suffix, in absolute form through the proxy.
    expect(d.suffix).toMatch(/^l7lab-mix=[0-9a-f]{12}$/);
    expect(proxy.seen.every((r) => r.target.startsWith("http://www.someschool.edu/o/0") && r.target.endsWith(`?${d.suffix}`))).toBe(true);
    // 1000 octets over 8000 kbit/s is 1 ms of access delay.
    expect(d.model?.accessDelayMs).toBe(1);
    expect(d.model?.hitFraction).toBe(0.6);
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

  it("stops when the run is aborted", async () => {
    const proxy = await cachingProxy();
    const abort = new AbortController();
    abort.abort(new Error("aborted by test"));
    await expect(httpmixProbe.run(params(proxy.port), context(abort.signal))).rejects.toThrow(/aborted by test/);
  });
});
