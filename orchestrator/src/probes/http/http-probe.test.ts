import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../common/clock.ts";
import { InvalidInputError } from "../../common/errors.ts";
import { OUTLASTS_STALLS_MS, PATIENT_TIMEOUT_MS } from "../../common/testing/timing.ts";
import type { DockerAdapter } from "../../docker/docker-adapter.ts";
import { Topology, type ServiceSpec } from "../../lab/topology.ts";
import type { ProbeCheckContext, ProbeContext } from "../probe.ts";
import { formatTranscript } from "../transcript.ts";
import { closedPort, type FakeHandler, type FakeHttpServer, type FakeResponse, startFakeHttpServer, startRawServer } from "./fake-http-server.ts";
import { flattenHeaders, headerFacts, httpProbe, type HttpProbeParams } from "./http-probe.ts";

const service = (name: string, ipv4: string, hostnames: string[] = []): ServiceSpec => ({
  name, role: "web", hostnames, description: "", networks: [{ network: "lab", ipv4 }],
});
// The web server and the proxy live on 127.0.0.1 here; "outside" must never be connected to.
const topology = new Topology("l7lab", [
  service("web", "127.0.0.1", ["www.someschool.edu"]),
  service("proxy", "127.0.0.1", ["proxy.hamburger.edu"]),
  service("outside", "198.51.100.7", ["www.outside.example"]),
], [{ name: "lab", subnet: "10.0.0.0/24", internal: true, private: false, description: "" }]);

function context(signal = new AbortController().signal): ProbeContext {
  return { signal, clock: systemClock, topology, docker: {} as DockerAdapter, stepStartedAt: () => undefined };
}
const checkContext: ProbeCheckContext = { topology, earlierStepIds: [] };

const sha256 = (s: string | Buffer) => createHash("sha256").update(s).digest("hex");
const PAGE = "<html><body>Hello from someschool</body></html>\n";
const LAST_MODIFIED = "Tue, 01 Apr 2025 10:00:00 GMT";

const servers: FakeHttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function fake(handler: FakeHandler): Promise<FakeHttpServer> {
  const s = await startFakeHttpServer(handler);
  servers.push(s);
  return s;
}
async function raw(...args: Parameters<typeof startRawServer>): Promise<FakeHttpServer> {
  const s = await startRawServer(...args);
  servers.push(s);
  return s;
}

/** A small origin: /x is a page with validators, /missing is 404, a matching If-Modified-Since is 304. */
const origin: FakeHandler = (req): FakeResponse => {
  const path = req.target.replace(/^http:\/\/[^/]+/, "");
  if (path !== "/x" && path !== "/x?q=1") return { status: 404, headers: { "Content-Type": "text/plain" }, body: "no such page\n" };
  if (req.headers["if-modified-since"] === LAST_MODIFIED) return { status: 304, headers: { "Last-Modified": LAST_MODIFIED } };
  return {
    status: 200,
    headers: { "Content-Type": "text/html", "Last-Modified": LAST_MODIFIED, ETag: '"v1"', "Set-Cookie": ["a=1", "b=2"] },
    body: PAGE,
  };
};

async function run(params: HttpProbeParams, ctx = context()) {
  const out = await httpProbe.run({ timeoutMs: PATIENT_TIMEOUT_MS, ...params }, ctx);
  expect(() => JSON.stringify(out)).not.toThrow();
  return out;
}

describe("httpProbe", () => {
  it("is named http", () => {
    expect(httpProbe.name).toBe("http");
  });

  it("GETs a page directly: status, headers, body hash, body, transcript", async () => {
    const s = await fake(origin);
    const out = await run({ url: `http://www.someschool.edu:${s.port}/x`, includeBody: true });
    expect(out.ok).toBe(true);
    expect(out.error).toBeUndefined();
    const d = out.data;
    expect(d).toMatchObject({
      url: `http://www.someschool.edu:${s.port}/x`,
      method: "GET",
      via: "direct",
      status: 200,
      statusText: "OK",
      httpVersion: "1.1",
      bodyBytes: Buffer.byteLength(PAGE),
      sha256: sha256(PAGE),
      body: PAGE,
      lastModified: LAST_MODIFIED,
      etag: '"v1"',
    });
    expect(d.proxy).toBeUndefined();
    expect(d.cache).toBeUndefined();
    expect(d.headers["content-type"]).toBe("text/html");
    expect(d.headers["set-cookie"]).toBe("a=1, b=2");
    expect(Object.keys(d.headers).every((k) => k === k.toLowerCase())).toBe(true);
    expect(d.timing.ttfbMs).toBeGreaterThanOrEqual(0);
    expect(d.timing.totalMs).toBeGreaterThanOrEqual(d.timing.ttfbMs);
    // The body's bits over the whole exchange (totalMs is rounded to 0.1 ms, goodput is not).
    if (d.timing.totalMs >= 1) expect(d.timing.goodputKbit! / ((d.bodyBytes * 8) / d.timing.totalMs)).toBeCloseTo(1, 1);
    else expect(d.timing.goodputKbit).toBeGreaterThan(0);

    expect(s.seen).toHaveLength(1);
    expect(s.seen[0]).toMatchObject({ method: "GET", target: "/x" });
    expect(s.seen[0]!.headers.host).toBe(`www.someschool.edu:${s.port}`);

    const text = formatTranscript(out.transcript);
    expect(text).toContain("C: GET /x HTTP/1.1");
    expect(text).toMatch(new RegExp(`^C: host: www\\.someschool\\.edu:${s.port}$`, "im"));
    expect(text).toContain("S: HTTP/1.1 200 OK");
    expect(text).toContain(`S: Last-Modified: ${LAST_MODIFIED}`);
    expect(text).toMatch(/^\* \d+ body bytes; status line after [\d.]+ ms, end of body after [\d.]+ ms$/m);
    expect(text).not.toContain("Hello from someschool");
    expect(out.transcript.every((l) => l.peer === `127.0.0.1:${s.port}`)).toBe(true);
  });

  it("leaves the body out unless asked, and keeps the query", async () => {
    const s = await fake(origin);
    const out = await run({ url: `http://127.0.0.1:${s.port}/x?q=1` });
    expect(out.data.status).toBe(200);
    expect(out.data.body).toBeUndefined();
    expect(out.data.sha256).toBe(sha256(PAGE));
    expect(s.seen[0]!.target).toBe("/x?q=1");
    expect(s.seen[0]!.headers.host).toBe(`127.0.0.1:${s.port}`);
  });

  it("omits a body over 64 KiB but still counts and hashes it", async () => {
    const big = Buffer.alloc(70_000, 0x61);
    const s = await fake(() => ({ status: 200, body: big }));
    const out = await run({ url: `http://web:${s.port}/big`, includeBody: true });
    expect(out.data.bodyBytes).toBe(70_000);
    expect(out.data.sha256).toBe(sha256(big));
    expect(out.data.body).toBeUndefined();
    expect(out.data.bodyOmitted).toContain("70000 bytes");
  });

  it("HEAD has no body bytes", async () => {
    const s = await fake(origin);
    const out = await run({ url: `http://www.someschool.edu:${s.port}/x`, method: "HEAD" });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ method: "HEAD", status: 200, bodyBytes: 0, sha256: sha256("") });
    expect(out.data.headers["content-type"]).toBe("text/html");
    expect(s.seen[0]!.method).toBe("HEAD");
    expect(out.data.timing.goodputKbit).toBeUndefined();
    expect(formatTranscript(out.transcript)).toContain("C: HEAD /x HTTP/1.1");
  });

  it("a 404 is a result", async () => {
    const s = await fake(origin);
    const out = await run({ url: `http://www.someschool.edu:${s.port}/missing`, includeBody: true });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ status: 404, statusText: "Not Found", body: "no such page\n" });
  });

  it("a conditional GET sends If-Modified-Since as given, and a 304 is a result", async () => {
    const s = await fake(origin);
    const out = await run({
      url: `http://www.someschool.edu:${s.port}/x`,
      headers: { "If-Modified-Since": LAST_MODIFIED, "Cache-Control": "max-age=0" },
    });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ status: 304, statusText: "Not Modified", bodyBytes: 0, lastModified: LAST_MODIFIED });
    expect(s.seen[0]!.rawHeaders).toContainEqual(["If-Modified-Since", LAST_MODIFIED]);
    expect(s.seen[0]!.rawHeaders).toContainEqual(["Cache-Control", "max-age=0"]);
    const text = formatTranscript(out.transcript);
    expect(text).toContain(`C: If-Modified-Since: ${LAST_MODIFIED}`);
    expect(text).toContain("S: HTTP/1.1 304 Not Modified");
  });

  it("through a proxy sends the absolute-form target with the origin's Host, and reports the cache verdict", async () => {
    const proxy = await fake((req) => ({
      status: 200,
      headers: { "X-Cache": "HIT from proxy.hamburger.edu", Age: "42", "Last-Modified": LAST_MODIFIED },
      body: `proxied ${req.target}`,
    }));
    const out = await run({ url: "http://www.someschool.edu/x", proxy: `proxy.hamburger.edu:${proxy.port}`, includeBody: true });
    expect(out.ok).toBe(true);
    expect(proxy.seen).toHaveLength(1);
    expect(proxy.seen[0]).toMatchObject({ method: "GET", target: "http://www.someschool.edu/x" });
    expect(proxy.seen[0]!.headers.host).toBe("www.someschool.edu");
    expect(out.data).toMatchObject({
      url: "http://www.someschool.edu/x",
      via: "proxy",
      proxy: `127.0.0.1:${proxy.port}`,
      status: 200,
      cache: "HIT from proxy.hamburger.edu",
      age: 42,
      body: "proxied http://www.someschool.edu/x",
    });
    const text = formatTranscript(out.transcript);
    expect(text).toContain("C: GET http://www.someschool.edu/x HTTP/1.1");
    expect(text).toMatch(/^C: host: www\.someschool\.edu$/im);
    expect(text).toContain("S: X-Cache: HIT from proxy.hamburger.edu");
  });

  it("a proxy's 502 is a result, and X-Cache-Status is the verdict when there is no X-Cache", async () => {
    const proxy = await fake(() => ({ status: 502, statusText: "Bad Gateway", headers: { "X-Cache-Status": "MISS" }, body: "origin down" }));
    const out = await run({ url: "http://www.someschool.edu/x", proxy: `proxy:${proxy.port}` });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ status: 502, statusText: "Bad Gateway", cache: "MISS", via: "proxy" });
  });

  it("an HTTP/1.0 answer reports its version", async () => {
    const s = await raw((socket) => {
      socket.once("data", () => socket.end("HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi"));
    });
    const out = await run({ url: `http://web:${s.port}/`, includeBody: true });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ status: 200, httpVersion: "1.0", body: "hi" });
  });

  // The timeout (undici's, which takes no clock) covers the connection the fake accepts too: it
  // outlasts a stalled event loop, so only the silence ends the request.
  it("a server that never answers is a timeout (ok false, PROBE_TIMEOUT)", async () => {
    const s = await raw(() => undefined);
    const out = await run({ url: `http://web:${s.port}/x`, timeoutMs: OUTLASTS_STALLS_MS });
    expect(out.ok).toBe(false);
    expect(out.error).toEqual({ code: "PROBE_TIMEOUT", message: `HTTP probe got no answer from web:${s.port} (127.0.0.1:${s.port}) to GET /x within ${OUTLASTS_STALLS_MS} ms` });
    expect(out.data.status).toBe(0);
    const text = formatTranscript(out.transcript);
    expect(text).toContain("C: GET /x HTTP/1.1");
    expect(text).toContain(`* ${out.error!.message}`);
  });

  it("a body that stops coming is a timeout too", async () => {
    const s = await raw((socket) => {
      socket.once("data", () => socket.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"));
    });
    const out = await run({ url: `http://web:${s.port}/x`, timeoutMs: OUTLASTS_STALLS_MS });
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_TIMEOUT");
    expect(out.data.status).toBe(200);
  });

  it("connection refused is ok false, PROBE_NETWORK", async () => {
    const port = await closedPort();
    const out = await run({ url: `http://web:${port}/x` });
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_NETWORK");
    expect(out.error?.message).toMatch(/ECONNREFUSED/);
    expect(out.transcript.filter((l) => l.dir === "C")).toEqual([]);
  });

  it("an answer that is not HTTP is ok false, PROBE_NETWORK", async () => {
    const s = await raw((socket) => {
      socket.once("data", () => socket.end("+OK POP3 server ready\r\n"));
    });
    const out = await run({ url: `http://web:${s.port}/x` });
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_NETWORK");
  });

  it("refuses a url host or a proxy outside the lab, without connecting", async () => {
    expect(httpProbe.check!({ url: "http://www.outside.example/x" }, checkContext).join("\n")).toMatch(/not in the lab's networks/);
    expect(httpProbe.check!({ url: "http://198.51.100.7/x" }, checkContext).join("\n")).toMatch(/not in the lab's networks/);
    expect(httpProbe.check!({ url: "http://www.someschool.edu/x", proxy: "outside:3128" }, checkContext).join("\n")).toMatch(/198\.51\.100\.7/);
    expect(httpProbe.check!({ url: "http://nowhere.example/x" }, checkContext).join("\n")).toMatch(/not a lab service/);
    await expect(httpProbe.run({ url: "http://www.outside.example/x", timeoutMs: 200 }, context())).rejects.toBeInstanceOf(InvalidInputError);
    await expect(httpProbe.run({ url: "http://www.someschool.edu/x", proxy: "198.51.100.7:3128", timeoutMs: 200 }, context())).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("accepts lab hosts and a lab proxy in check", () => {
    expect(httpProbe.check!({ url: "http://www.someschool.edu/x", proxy: "proxy.hamburger.edu:3128" }, checkContext)).toEqual([]);
    expect(httpProbe.check!({ url: "http://web:8080/" }, checkContext)).toEqual([]);
  });

  it("reports parameter problems in check and refuses them in run", async () => {
    expect(httpProbe.check!({ url: "https://www.someschool.edu/" }, checkContext).join("\n")).toMatch(/not http:\/\//);
    await expect(httpProbe.run({ url: "http://web/x", headers: { Host: "evil" } }, context())).rejects.toBeInstanceOf(InvalidInputError);
  });
});

describe("header helpers", () => {
  it("flattens repeated headers and lower-cases names", () => {
    expect(flattenHeaders({ "Set-Cookie": ["a", "b"], via: "1.1 proxy" })).toEqual({ "set-cookie": "a, b", via: "1.1 proxy" });
  });

  it("derives cache, age, lastModified, etag", () => {
    expect(headerFacts({ "x-cache": "MISS from p", "x-cache-status": "HIT", age: "7", etag: '"e"', "last-modified": "x" }))
      .toEqual({ cache: "MISS from p", age: 7, etag: '"e"', lastModified: "x" });
    expect(headerFacts({ age: "soon" })).toEqual({});
  });
});
