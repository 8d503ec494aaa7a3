import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance, InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProbeRegistry } from "../probes/registry.ts";
import { ScenarioCatalog } from "../scenarios/catalog.ts";
import { ScenarioEngine } from "../engine/engine.ts";
import { Topology } from "../lab/topology.ts";
import { constantProbe, fakeProbe, FakeDocker, hangingProbe, SERVICES, testTopology } from "../scenarios/testing/fakes.ts";
import { ExperimentCatalog } from "../experiments/catalog.ts";
import { ExperimentRunner } from "../experiments/runner.ts";
import { ManualFaults } from "../faults/manual-faults.ts";
import { systemClock } from "../common/clock.ts";
import { buildApp } from "./app.ts";

// The API over a fake Docker: what every route answers, and that bad input changes nothing.
// (test/integration/api.test.ts asks the same of the real lab.) `inject` sends Host localhost:80.
const TOKEN = "unit-test-token";
describe("API", () => {
  let app: FastifyInstance;
  let dir: string;
  const docker = Object.assign(new FakeDocker([...SERVICES, "orchestrator"]), { project: "l7lab", ping: () => Promise.resolve(true) });
  let release: () => void = () => undefined;
  /** A request as the CLI makes it: with the token, and a JSON body ({} by default) when it changes something. */
  const call = (options: InjectOptions) => {
    const mutating = options.method !== undefined && options.method !== "GET";
    return app.inject({ ...options, ...(mutating && options.payload === undefined ? { payload: {} } : {}), headers: { authorization: `Bearer ${TOKEN}`, ...options.headers } });
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "l7lab-api-"));
    await writeFile(join(dir, "ok.yaml"), "name: ok\ntitle: a probe\nsteps:\n  - id: one\n    probe: fixed\n    expect: [{ path: answer, equals: 42 }]\n");
    await writeFile(join(dir, "absent.yaml"), "name: absent\ntitle: an assertion on a path that is not there\nsteps:\n  - id: one\n    probe: fixed\n    expect: [{ path: nothing.here, equals: 1 }]\n");
    await writeFile(join(dir, "slow.yaml"), "name: slow\ntitle: a probe that waits\nsteps:\n  - id: one\n    probe: gate\n");
    await writeFile(join(dir, "broken.yaml"), "name: broken\ntitle: broken\nsteps:\n  - id: one\n    service: dns-resolvr\n    action: stop\n");
    const gate = fakeProbe("gate", () => new Promise((resolve) => (release = () => resolve({ ok: true, data: {}, transcript: [] }))));
    const registry = new ProbeRegistry([constantProbe("fixed", { answer: 42 }), gate]);
    const lab = testTopology();
    const topology = new Topology(lab.project, [...lab.services, { name: "orchestrator", hostnames: [], role: "orchestrator", description: "", networks: [] }], [...lab.networks]);
    const catalog = await ScenarioCatalog.load(dir, { registry, topology });
    const engine = new ScenarioEngine({ registry, docker, topology });
    const experimentDir = join(dir, "experiments");
    await mkdir(experimentDir);
    const experimentCatalog = new ExperimentCatalog(experimentDir, { registry, topology });
    const experiments = { catalog: experimentCatalog, runner: new ExperimentRunner(experimentCatalog, engine, { registry, topology }, systemClock) };
    app = await buildApp({ docker, topology, registry, catalog, engine, faults: new ManualFaults(docker, topology, systemClock), experiments, access: { token: () => TOKEN, ports: [80] } });
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("answers an experiment that is not there with a 404 naming the known ones, and a bad body with a 400", async () => {
    expect((await call({ method: "GET", url: "/api/experiments" })).json()).toEqual([]);
    const missing = await call({ method: "POST", url: "/api/experiments/dns-latency/runs", payload: {} });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<{ message: string }>().message).toMatch(/experiment "dns-latency" is not known/);
    expect((await call({ method: "POST", url: "/api/experiments/dns-latency/runs", payload: { quick: "yes" } })).statusCode).toBe(400);
    expect((await call({ method: "GET", url: "/api/experiments/dns-latency/runs/abcd1234" })).statusCode).toBe(404);
  });

  it("runs a scenario and returns its record", async () => {
    const res = await call({ method: "POST", url: "/api/scenarios/ok/runs?wait=true" });
    expect(res.statusCode).toBe(200);
    const run = res.json();
    expect(run).toMatchObject({ scenario: "ok", status: "passed", steps: [{ id: "one", status: "passed", result: { answer: 42 } }] });
    const again = await call({ method: "GET", url: `/api/runs/${run.id}` });
    expect(again.json()).toMatchObject({ id: run.id, status: "passed" });
  });

  it("reports an assertion on a path that found nothing as failed, not as a server error", async () => {
    const res = await call({ method: "POST", url: "/api/scenarios/absent/runs?wait=true" });
    expect(res.statusCode).toBe(200);
    const run = res.json<{ status: string; steps: { assertions: { passed: boolean; actual?: unknown; message: string }[] }[] }>();
    expect(run.status).toBe("failed");
    expect(run.steps[0]!.assertions[0]).toMatchObject({ passed: false });
    expect(run.steps[0]!.assertions[0]!.actual).toBeUndefined();
  });

  it("starts a run without waiting: 202", async () => {
    const res = await call({ method: "POST", url: "/api/scenarios/ok/runs" });
    expect(res.statusCode).toBe(202);
    expect(["queued", "running", "passed"]).toContain(res.json().status);
  });

  it.each([
    ["an unknown service", "POST", "/api/services/dns-resolvr/stop", 404, /service "dns-resolvr" is not known\. Valid services are .*"dns-resolver"/],
    ["an unknown action", "POST", "/api/services/dns-resolver/reboot", 404, /action "reboot" is not known\. Valid actions are "kill", "pause", "restart", "start", "stop" and "unpause"/],
    ["an unknown scenario", "POST", "/api/scenarios/nope/runs", 404, /scenario "nope" is not known\. Valid scenarios are "absent", "broken", "ok" and "slow"/],
    ["an action on the orchestrator", "POST", "/api/services/orchestrator/stop", 409, /service "orchestrator" cannot be acted on .*serves the API/],
    ["an invalid scenario", "POST", "/api/scenarios/broken/runs", 400, /"dns-resolvr".*"dns-resolver"/],
    ["a malformed query", "POST", "/api/scenarios/ok/runs?wait=sometimes", 400, /querystring\/wait must be boolean/],
    ["an unknown run", "GET", "/api/runs/zzz", 404, /run "zzz" is not known/],
    ["an unknown route", "GET", "/api/scenario", 404, /no route GET \/api\/scenario\. Routes are: .*GET \/api\/scenarios/],
  ] as const)("%s gets %i with a message naming what to fix", async (_what, method, url, status, message) => {
    const before = docker.calls.filter((c) => c.startsWith("act")).length;
    const res = await call({ method, url });
    expect(res.statusCode).toBe(status);
    expect(res.json().message).toMatch(message);
    expect(docker.calls.filter((c) => c.startsWith("act")).length, "no service was touched").toBe(before);
  });

  it("lists scenarios with their validity and problems", async () => {
    const res = await call({ method: "GET", url: "/api/scenarios" });
    const list = res.json() as { name: string; valid: boolean; errors: string[] }[];
    expect(list.map((s) => [s.name, s.valid])).toEqual([["absent", true], ["broken", false], ["ok", true], ["slow", true]]);
    expect(list.find((s) => s.name === "broken")!.errors.join()).toContain('"dns-resolvr"');
  });

  it("acts on a service", async () => {
    const res = await call({ method: "POST", url: "/api/services/dns-resolver/pause" });
    expect(res.json()).toMatchObject({ service: "dns-resolver", state: "paused" });
    await call({ method: "POST", url: "/api/services/dns-resolver/unpause" });
    expect(docker.services.get("dns-resolver")?.state).toBe("running");
  });

  it("refuses service actions while a run is in progress: the run's own cleanup would fight them", async () => {
    const started = (await call({ method: "POST", url: "/api/scenarios/slow/runs" })).json();
    const res = await call({ method: "POST", url: "/api/services/dns-resolver/stop" });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toContain(`run ${started.id} of scenario "slow" is running`);
    expect(docker.services.get("dns-resolver")?.state).toBe("running");
    release();
    const done = await call({ method: "GET", url: `/api/runs/${started.id}?wait=true` });
    expect(done.json().status).toBe("passed");
    expect((await call({ method: "POST", url: "/api/services/dns-resolver/restart" })).statusCode).toBe(200);
  });

  it("refuses a run past the queue's bound with 429 and Retry-After, and leaves the queue as it was", async () => {
    const started = [];
    for (let i = 0; i < 11; i++) started.push((await call({ method: "POST", url: "/api/scenarios/slow/runs" })).json<{ id: string; status: string }>());
    expect(started.map((r) => r.status)).toEqual(["running", ...Array<string>(10).fill("queued")]);
    const refused = await call({ method: "POST", url: "/api/scenarios/slow/runs" });
    expect(refused.statusCode).toBe(429);
    expect(refused.headers["retry-after"]).toBe("10");
    expect(refused.json()).toMatchObject({ error: "RUN_QUEUE_FULL", details: { queued: 10, limit: 10 } });
    const listed = (await call({ method: "GET", url: "/api/runs" })).json<{ status: string }[]>();
    expect(listed.filter((r) => r.status === "queued")).toHaveLength(10);
    for (const r of started.slice(1)) expect((await call({ method: "POST", url: `/api/runs/${r.id}/abort` })).statusCode).toBe(200);
    release();
    expect((await call({ method: "GET", url: `/api/runs/${started[0]!.id}?wait=true` })).json().status).toBe("passed");
  });

  it("calls a probe by hand, and refuses an unknown probe with the valid ones", async () => {
    const res = await call({ method: "POST", url: "/api/probes/fixed/calls", payload: {} });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, data: { answer: 42 }, transcript: [] });
    const unknown = await call({ method: "POST", url: "/api/probes/fixd/calls", payload: {} });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toMatch(/probe "fixd" is not known\. Valid probes are "fixed" and "gate"/);
  });

  it("applies a network fault by hand, lists it, refuses a second one on the same service, and removes it with its counters", async () => {
    const applied = await call({ method: "POST", url: "/api/faults", payload: { service: "dns-resolver", loss: 10 } });
    expect(applied.statusCode).toBe(201);
    const fault = applied.json<{ id: string; helper: string }>();
    expect(fault).toMatchObject({ service: "dns-resolver", loss: 10, direction: "both" });
    expect(docker.netFaults.has(fault.helper)).toBe(true);
    expect((await call({ method: "GET", url: "/api/faults" })).json()).toEqual([expect.objectContaining({ id: fault.id })]);

    const again = await call({ method: "POST", url: "/api/faults", payload: { service: "dns-resolver", loss: 5, direction: "egress" } });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ message: string }>().message).toMatch(new RegExp(`already has network fault ${fault.id} .*DELETE /api/faults/${fault.id}`));

    const healed = await call({ method: "DELETE", url: `/api/faults/${fault.id}` });
    expect(healed.statusCode).toBe(200);
    expect(healed.json()).toMatchObject({ fault: fault.id, counters: { measuredPercent: 10 } });
    expect(docker.netFaults.size).toBe(0);
    const gone = await call({ method: "DELETE", url: `/api/faults/${fault.id}` });
    expect(gone.statusCode).toBe(404);
    expect(gone.json<{ message: string }>().message).toBe(`fault "${fault.id}" is not known. Valid faults are (none).`);
  });

  it("refuses a bad fault request before touching anything, saying what to fix", async () => {
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ service: "dns-resolvr", loss: 10 }, 404, /service "dns-resolvr" is not known\. Valid services are .*"dns-resolver"/],
      [{ service: "orchestrator", loss: 10 }, 409, /cannot be acted on/],
      [{ service: "dns-resolver", loss: 0 }, 400, /more than 0 and at most 100; got 0/],
      // 4 decimals would make it 0, which the helper refuses: it was a 502 after a helper started.
      [{ service: "dns-resolver", loss: 1e-5 }, 400, /at least 0\.0001 percent \(it is applied to 4 decimals\); got 0\.00001/],
      [{ service: "dns-resolver", loss: 10, direction: "up" }, 400, /direction must be one of both, ingress, egress; got "up"/],
      [{ service: "dns-resolver" }, 400, /loss/],
    ];
    for (const [payload, status, message] of cases) {
      const res = await call({ method: "POST", url: "/api/faults", payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(res.json<{ message: string }>().message).toMatch(message);
    }
    expect(docker.netFaults.size).toBe(0);
  });

  it("applies a rate limit by hand, lists it beside a loss, refuses a loss on the same service, and removes it with the shaper's counters", async () => {
    const applied = await call({ method: "POST", url: "/api/faults", payload: { service: "dns-resolver", rateKbit: 1500 } });
    expect(applied.statusCode).toBe(201);
    const fault = applied.json<{ id: string; helper: string }>();
    expect(fault).toEqual({ id: fault.id, service: "dns-resolver", rateKbit: 1500, helper: fault.helper, appliedAt: expect.any(String) as unknown as string });
    expect(docker.netFaults.get(fault.helper)?.args).toEqual(["rate", "1500"]);

    const lossy = (await call({ method: "POST", url: "/api/faults", payload: { service: "dns-hamburger-1", loss: 10 } })).json<{ id: string }>();
    const list = (await call({ method: "GET", url: "/api/faults" })).json<Record<string, unknown>[]>();
    expect(list).toEqual([
      expect.objectContaining({ id: fault.id, service: "dns-resolver", rateKbit: 1500 }),
      expect.objectContaining({ id: lossy.id, service: "dns-hamburger-1", loss: 10, direction: "both" }),
    ]);
    expect(list[0]).not.toHaveProperty("loss");
    expect(list[1]).not.toHaveProperty("rateKbit");

    for (const payload of [{ service: "dns-resolver", loss: 5 }, { service: "dns-resolver", rateKbit: 64 }]) {
      const again = await call({ method: "POST", url: "/api/faults", payload });
      expect(again.statusCode).toBe(409);
      expect(again.json<{ message: string }>().message).toBe(`service "dns-resolver" already has network fault ${fault.id} (rate 1500 kbit/s); remove it first with DELETE /api/faults/${fault.id}`);
    }

    const healed = await call({ method: "DELETE", url: `/api/faults/${fault.id}` });
    expect(healed.statusCode).toBe(200);
    expect(healed.json()).toEqual({
      fault: fault.id,
      service: "dns-resolver",
      rateKbit: 1500,
      heldMs: expect.any(Number) as unknown as number,
      counters: { sentBytes: 150_000, sentPackets: 100, dropped: 3, overlimits: 40 },
    });
    const healedLoss = await call({ method: "DELETE", url: `/api/faults/${lossy.id}` });
    expect(healedLoss.json()).toEqual({
      fault: lossy.id,
      service: "dns-hamburger-1",
      loss: 10,
      direction: "both",
      heldMs: expect.any(Number) as unknown as number,
      counters: { ingressSeen: 100, ingressDropped: 10, egressSeen: 100, egressDropped: 10, measuredPercent: 10 },
    });
    expect(docker.netFaults.size).toBe(0);
  });

  it("takes a JSON body as sent: a list for a name or true for a number is refused, not coerced; the query string is still read as text", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ service: ["dns-resolver"], loss: 10 }, /body\/service must be string/],
      [{ service: "dns-resolver", loss: true }, /body\/loss must be number/],
      [{ service: "dns-resolver", loss: "10" }, /body\/loss must be number/],
      [{ service: "dns-resolver", loss: [10] }, /body\/loss must be number/],
    ];
    for (const [payload, message] of cases) {
      const res = await call({ method: "POST", url: "/api/faults", payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json<{ message: string }>().message, JSON.stringify(payload)).toMatch(message);
    }
    expect(docker.netFaults.size).toBe(0);
    expect((await call({ method: "POST", url: "/api/scenarios/ok/runs?wait=true" })).statusCode).toBe(200);
    expect((await call({ method: "POST", url: "/api/scenarios/ok/runs?wait=true&wait=false" })).statusCode).toBe(400);
  });

  it("refuses a body nested deeper than 32 levels with a 400 naming the limit, and takes one 32 deep", async () => {
    const deep = (depth: number) => `{"service":${"[".repeat(depth - 1)}1${"]".repeat(depth - 1)}}`;
    for (const depth of [33, 10_000, 100_000]) {
      const res = await call({ method: "POST", url: "/api/probes/fixed/calls", headers: { "content-type": "application/json" }, payload: deep(depth) });
      expect(res.statusCode, `${depth} levels`).toBe(400);
      expect(res.json().message).toBe("The body nests more than 32 levels deep (arrays and objects inside each other); the most is 32.");
    }
    expect((await call({ method: "POST", url: "/api/probes/fixed/calls", headers: { "content-type": "application/json" }, payload: deep(32) })).statusCode).toBe(200);
  });

  it("refuses a bad rate request with a 400 naming what to fix, touching nothing", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ service: "dns-resolver", rateKbit: 7 }, /^the fault is invalid: rateKbit must be a whole number of kbit\/s from 8 to 10000000 \(10 Gbit\/s\); got 7$/],
      [{ service: "dns-resolver", rateKbit: 10_000_001 }, /from 8 to 10000000 .*got 10000001/],
      [{ service: "dns-resolver", rateKbit: 1500.5 }, /whole number of kbit\/s .*got 1500\.5/],
      [{ service: "dns-resolver", rateKbit: "fast" }, /rateKbit must be number/],
      [{ service: "dns-resolver", rateKbit: 1500, partition: "dns-hamburger-1" }, /this one mixes a link profile .* and partition/],
      [{ service: "dns-resolver", rateKbit: 1500, direction: "egress" }, /direction applies only to loss; remove it, or give loss/],
      [{ service: "dns-resolver" }, /a fault needs one of loss, rateKbit, delayMs .*; it has none/],
      [{ service: "dns-resolver", rateKbit: 1500, to: "nowhere" }, /to names unknown service "nowhere"/],
      [{ service: "dns-resolver", delayMs: 20, to: "dns-resolver" }, /to names "dns-resolver", the service the fault is on/],
      [{ service: "dns-resolver", delayMs: 20, jitterMs: 5, distribution: "pareto" }, /distribution must be one of uniform, normal; got "pareto"/],
      [{ service: "dns-resolver", delayMs: 10_001 }, /delayMs must be a number of milliseconds from 0 to 10000; got 10001/],
      [{ service: "dns-resolver", linkDown: "nowhere" }, /linkDown names network "nowhere", which service "dns-resolver" is not on; its networks: /],
      [{ service: "dns-resolver", rate: 1500 }, /must NOT have additional properties/],
    ];
    for (const [payload, message] of cases) {
      const res = await call({ method: "POST", url: "/api/faults", payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json<{ message: string }>().message, JSON.stringify(payload)).toMatch(message);
    }
    expect(docker.netFaults.size).toBe(0);
    expect((await call({ method: "GET", url: "/api/faults" })).json()).toEqual([]);
  });

  it("serves an OpenAPI 3 document with every route", async () => {
    const doc = (await call({ method: "GET", url: "/api/openapi.json" })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/api/capabilities", "/api/capture", "/api/experiments", "/api/experiments/{name}/runs", "/api/experiments/{name}/runs/{id}", "/api/experiments/{name}/runs/{id}/abort",
      "/api/faults", "/api/faults/{id}", "/api/health", "/api/probes", "/api/probes/{name}/calls", "/api/runs", "/api/runs/{id}", "/api/runs/{id}/abort", "/api/runs/{id}/events", "/api/runs/{id}/pcap", "/api/scenarios",
      "/api/scenarios/{name}", "/api/scenarios/{name}/runs", "/api/services", "/api/services/{name}", "/api/services/{name}/{action}", "/api/topology",
    ]);
  });

  it("documents, on every operation, the statuses the access checks and the parsers answer with before it runs", async () => {
    const doc = (await call({ method: "GET", url: "/api/openapi.json" })).json<{ paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: { required?: string[] } }> }> }>> }>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const codes = Object.keys(op.responses);
        const expected = ["403", ...(path === "/api/health" ? [] : ["401"]), ...(method === "get" ? [] : ["400", "413", "415"]), ...(path.includes("{") ? ["400", "414"] : [])];
        for (const code of expected) {
          expect(codes, `${method.toUpperCase()} ${path} documents ${code}`).toContain(code);
          expect(op.responses[code]!.content?.["application/json"]?.schema.required, `${method} ${path} ${code}`).toEqual(["statusCode", "error", "message"]);
        }
        if (path === "/api/health") expect(codes).not.toContain("401");
      }
    }
    // The route's own answers stay as they were.
    expect(Object.keys(doc.paths["/api/faults"]!["post"]!.responses).sort()).toEqual(["201", "400", "401", "403", "404", "409", "413", "415", "502"]);
    expect(Object.keys(doc.paths["/api/services/{name}"]!["get"]!.responses).sort()).toEqual(["200", "400", "401", "403", "404", "409", "414", "502"]);
  });

  describe("a URL the router refuses: malformed percent-encoding, an overlong segment", () => {
    it("checks the Host and the token first, as for any request: 403, 401", async () => {
      for (const url of ["/api/services/%zz", "/api/runs/%E0%A4%A/abort", "/api/health/%", `/api/services/${"a".repeat(101)}`, `/api/faults/${"f".repeat(500)}`]) {
        const method = url.includes("abort") || url.includes("faults") ? "POST" : "GET";
        const anonymous = await app.inject({ method, url, payload: method === "POST" ? {} : undefined });
        expect(anonymous.statusCode, url).toBe(401);
        expect(anonymous.headers["www-authenticate"], url).toBe('Bearer realm="l7lab"');
        expect(anonymous.json(), url).toMatchObject({ statusCode: 401, error: "UNAUTHORIZED" });
        expect((await call({ method: "GET", url, headers: { host: "evil.example:80" } })).statusCode, url).toBe(403);
      }
    });

    it("answers 400 INVALID_URL and 414 URI_TOO_LONG, in the API's error shape, touching nothing", async () => {
      const before = docker.calls.length;
      const bad = await call({ method: "POST", url: "/api/services/%zz/stop" });
      expect(bad.statusCode).toBe(400);
      expect(bad.json()).toEqual({ statusCode: 400, error: "INVALID_URL", message: 'The path "/api/services/%zz/stop" is not valid percent-encoding: each % must begin a %XX escape of UTF-8.' });
      const long = await call({ method: "GET", url: `/api/services/${"a".repeat(101)}` });
      expect(long.statusCode).toBe(414);
      expect(long.json()).toEqual({ statusCode: 414, error: "URI_TOO_LONG", message: "A segment of the path is longer than 100 characters; no name in the lab is that long." });
      expect((await call({ method: "GET", url: `/api/services/${"a".repeat(100)}` })).statusCode, "100 characters: the route's own 404").toBe(404);
      expect(docker.calls.length, "no Docker call").toBe(before);
    });
  });

  describe("deadlines", () => {
    const bare = async (options: Parameters<typeof buildApp>[1] = {}) => {
      const none = new Topology("l7lab", [], []);
      const probes = new ProbeRegistry([]);
      return buildApp({ docker, topology: none, registry: probes, catalog: await ScenarioCatalog.load(dir, { registry: probes, topology: none }), engine: new ScenarioEngine({ registry: probes, docker, topology: none }), faults: new ManualFaults(docker, none, systemClock), access: { token: () => TOKEN, ports: [80] } }, { logger: false, ...options });
    };

    it("gives a client 30 s to send a whole request and 10 s for its headers (REQUEST_DEADLINE_MS)", async () => {
      const fresh = await bare();
      try {
        await fresh.listen({ host: "127.0.0.1", port: 0 });
        expect([fresh.server.requestTimeout, fresh.server.headersTimeout]).toEqual([30_000, 10_000]);
      } finally {
        await fresh.close();
      }
    });

    it("answers 408 and closes the connection when a request does not arrive in time", async () => {
      const slow = await bare({ requestTimeout: 300, http: { headersTimeout: 300, requestTimeout: 300, connectionsCheckingInterval: 50 } });
      try {
        await slow.listen({ host: "127.0.0.1", port: 0 });
        const { port } = slow.server.address() as AddressInfo;
        const { createConnection } = await import("node:net");
        const answer = await new Promise<string>((resolve, reject) => {
          const socket = createConnection({ host: "127.0.0.1", port }, () => socket.write("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n")); // never ends its headers
          let text = "";
          socket.on("data", (d) => (text += d.toString()));
          socket.on("close", () => resolve(text));
          socket.on("error", reject);
          setTimeout(() => { socket.destroy(); resolve(text + "[still open after 3 s]"); }, 3_000);
        });
        expect(answer).toMatch(/^HTTP\/1\.1 408 /);
      } finally {
        await slow.close();
      }
    });
  });

  describe("access: Host, token and JSON body, before any route runs", () => {
    it("answers GET /api/health without a token, and nothing else", async () => {
      expect((await app.inject({ method: "GET", url: "/api/health" })).statusCode).toBe(200);
      for (const [method, url] of [["GET", "/api/topology"], ["GET", "/api/scenarios"], ["GET", "/api/openapi.json"], ["POST", "/api/health"], ["GET", "/api/nowhere"]] as const) {
        const res = await app.inject({ method, url, ...(method === "POST" ? { payload: {} } : {}) });
        expect(res.statusCode, `${method} ${url}`).toBe(401);
        expect(res.headers["www-authenticate"]).toBe('Bearer realm="l7lab"');
        expect(res.json().message).toMatch(/Authorization: Bearer <token> \(\.\/l7lab token prints it\)/);
      }
    });

    it("refuses a wrong token, another scheme, and a token with something after it: 401, touching nothing", async () => {
      const before = docker.calls.length;
      for (const authorization of [`Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `Basic ${TOKEN}`, TOKEN, `Bearer ${TOKEN} extra`, "Bearer "]) {
        const res = await app.inject({ method: "POST", url: "/api/services/dns-resolver/stop", payload: {}, headers: { authorization } });
        expect(res.statusCode, authorization).toBe(401);
      }
      expect(docker.calls.length, "no Docker call").toBe(before);
      expect((await call({ method: "GET", url: "/api/topology", headers: { authorization: `bearer  ${TOKEN}` } })).statusCode).toBe(200);
    });

    it("refuses every request, the health check included, whose Host is not the host's loopback: 403 listing the valid ones", async () => {
      for (const host of ["evil.example:80", "127.0.0.1.nip.io:80", "localhost:8081", "10.254.0.250:80", "localhost"]) {
        for (const url of ["/api/health", "/api/topology"]) {
          const res = await call({ method: "GET", url, headers: { host } });
          expect(res.statusCode, `Host "${host}" ${url}`).toBe(403);
          expect(res.json()).toMatchObject({ error: "HOST_NOT_ALLOWED", details: { hosts: ["127.0.0.1:80", "localhost:80", "[::1]:80"] } });
        }
      }
      for (const host of ["127.0.0.1:80", "LOCALHOST:80", "[::1]:80"]) expect((await call({ method: "GET", url: "/api/topology", headers: { host } })).statusCode, host).toBe(200);
    });

    it("refuses a request that changes something unless its body is JSON: 415, touching nothing", async () => {
      const before = docker.calls.length;
      const cases: [string, Record<string, string>, string | undefined][] = [
        ["text/plain", { "content-type": "text/plain" }, '{"service":"dns-resolver","loss":10}'],
        ["a form", { "content-type": "application/x-www-form-urlencoded" }, "service=dns-resolver&loss=10"],
        ["no body at all", {}, undefined],
      ];
      for (const [what, headers, payload] of cases) {
        const res = await app.inject({ method: "POST", url: "/api/faults", headers: { authorization: `Bearer ${TOKEN}`, ...headers }, ...(payload === undefined ? {} : { payload }) });
        expect(res.statusCode, what).toBe(415);
        expect(res.json().message, what).toMatch(/must send its body as application\/json \(\{\} when it has nothing to send\)/);
      }
      const stop = await app.inject({ method: "POST", url: "/api/services/dns-resolver/stop", headers: { authorization: `Bearer ${TOKEN}` } });
      expect(stop.statusCode).toBe(415);
      expect(docker.calls.length, "no Docker call").toBe(before);
      expect((await call({ method: "POST", url: "/api/probes/fixed/calls", headers: { "content-type": "application/json; charset=utf-8" }, payload: "{}" })).statusCode).toBe(200);
    });

    it("refuses everything but the health check while no token is set", async () => {
      const open = await buildApp({ docker, topology: new Topology("l7lab", [], []), registry: new ProbeRegistry([]), catalog: await ScenarioCatalog.load(dir, { registry: new ProbeRegistry([]), topology: new Topology("l7lab", [], []) }), engine: new ScenarioEngine({ registry: new ProbeRegistry([]), docker, topology: new Topology("l7lab", [], []) }), faults: new ManualFaults(docker, new Topology("l7lab", [], []), systemClock), access: { token: () => undefined, ports: [80] } });
      try {
        expect((await open.inject({ method: "GET", url: "/api/health" })).statusCode).toBe(200);
        const res = await open.inject({ method: "GET", url: "/api/topology", headers: { authorization: "Bearer undefined" } });
        expect(res.statusCode).toBe(401);
        expect(res.json().message).toMatch(/no token yet: run \.\/l7lab token/);
      } finally {
        await open.close();
      }
    });

    it("declares the bearer scheme in the OpenAPI document, with the health check open", async () => {
      const doc = (await call({ method: "GET", url: "/api/openapi.json" })).json();
      expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: "http", scheme: "bearer" });
      expect(doc.security).toEqual([{ bearerAuth: [] }]);
      expect(doc.paths["/api/health"].get.security).toEqual([]);
    });
  });

  describe("a probe called by hand is stopped at the call's deadline, or when its client goes away", () => {
    const smallApp = async (probes: ReturnType<typeof hangingProbe>[], probeCallDeadlineMs?: number) => {
      const registry = new ProbeRegistry(probes);
      const topology = testTopology();
      const catalog = await ScenarioCatalog.load(dir, { registry, topology });
      return buildApp({
        docker, topology, registry, catalog, engine: new ScenarioEngine({ registry, docker, topology }), faults: new ManualFaults(docker, topology, systemClock),
        access: { token: () => TOKEN, ports: [80] }, ...(probeCallDeadlineMs === undefined ? {} : { probeCallDeadlineMs }),
      });
    };

    it("answers 504 naming the deadline, and the probe sees its signal abort", async () => {
      const small = await smallApp([hangingProbe("hang")], 100);
      try {
        const res = await small.inject({ method: "POST", url: "/api/probes/hang/calls", payload: {}, headers: { authorization: `Bearer ${TOKEN}` } });
        expect(res.statusCode).toBe(504);
        expect(res.json()).toMatchObject({ error: "PROBE_CALL_DEADLINE", message: 'probe "hang" was stopped after 100 ms, the deadline of a probe call; a probe\'s own timeouts and waits fit well inside it' });
      } finally {
        await small.close();
      }
    });

    it("stops the probe as soon as the client closes the connection", async () => {
      let started!: () => void;
      const running = new Promise<void>((resolve) => (started = resolve));
      let stopped!: (reason: unknown) => void;
      const reason = new Promise<unknown>((resolve) => (stopped = resolve));
      const watch = fakeProbe("watch", (_params, ctx) => {
        started();
        return new Promise((_resolve, reject) => ctx.signal.addEventListener("abort", () => {
          stopped(ctx.signal.reason);
          reject(ctx.signal.reason as Error);
        }, { once: true }));
      });
      const small = await smallApp([watch]);
      try {
        await small.listen({ host: "127.0.0.1", port: 0 });
        const { port } = small.server.address() as AddressInfo;
        const req = request({ host: "127.0.0.1", port, method: "POST", path: "/api/probes/watch/calls", headers: { host: "localhost:80", authorization: `Bearer ${TOKEN}`, "content-type": "application/json" } });
        req.on("error", () => undefined);
        req.end("{}");
        await running;
        req.destroy();
        expect(await reason).toMatchObject({ code: "CLIENT_GONE" });
      } finally {
        await small.close();
      }
    });
  });
});
