import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProbeRegistry } from "../probes/registry.ts";
import { ScenarioCatalog } from "../scenarios/catalog.ts";
import { ScenarioEngine } from "../scenarios/engine.ts";
import { Topology } from "../docker/topology.ts";
import { constantProbe, fakeProbe, FakeDocker, SERVICES, testTopology } from "../scenarios/testing/fakes.ts";
import { ManualFaults } from "../scenarios/manual-faults.ts";
import { systemClock } from "../common/clock.ts";
import { buildApp } from "./app.ts";

// The API over a fake Docker: what every route answers, and that bad input changes nothing.
// (test/integration/api.test.ts asks the same of the real lab.)
describe("API", () => {
  let app: FastifyInstance;
  let dir: string;
  const docker = Object.assign(new FakeDocker([...SERVICES, "orchestrator"]), { project: "l7lab", ping: () => Promise.resolve(true) });
  let release: () => void = () => undefined;

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
    app = await buildApp({ docker, topology, registry, catalog, engine, faults: new ManualFaults(docker, topology, systemClock) });
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("runs a scenario and returns its record", async () => {
    const res = await app.inject({ method: "POST", url: "/api/scenarios/ok/runs?wait=true" });
    expect(res.statusCode).toBe(200);
    const run = res.json();
    expect(run).toMatchObject({ scenario: "ok", status: "passed", steps: [{ id: "one", status: "passed", result: { answer: 42 } }] });
    const again = await app.inject({ method: "GET", url: `/api/runs/${run.id}` });
    expect(again.json()).toMatchObject({ id: run.id, status: "passed" });
  });

  it("reports an assertion on a path that found nothing as failed, not as a server error", async () => {
    const res = await app.inject({ method: "POST", url: "/api/scenarios/absent/runs?wait=true" });
    expect(res.statusCode).toBe(200);
    const run = res.json<{ status: string; steps: { assertions: { passed: boolean; actual?: unknown; message: string }[] }[] }>();
    expect(run.status).toBe("failed");
    expect(run.steps[0]!.assertions[0]).toMatchObject({ passed: false });
    expect(run.steps[0]!.assertions[0]!.actual).toBeUndefined();
  });

  it("starts a run without waiting: 202", async () => {
    const res = await app.inject({ method: "POST", url: "/api/scenarios/ok/runs" });
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
    const res = await app.inject({ method, url });
    expect(res.statusCode).toBe(status);
    expect(res.json().message).toMatch(message);
    expect(docker.calls.filter((c) => c.startsWith("act")).length, "no service was touched").toBe(before);
  });

  it("lists scenarios with their validity and problems", async () => {
    const res = await app.inject({ method: "GET", url: "/api/scenarios" });
    const list = res.json() as { name: string; valid: boolean; errors: string[] }[];
    expect(list.map((s) => [s.name, s.valid])).toEqual([["absent", true], ["broken", false], ["ok", true], ["slow", true]]);
    expect(list.find((s) => s.name === "broken")!.errors.join()).toContain('"dns-resolvr"');
  });

  it("acts on a service", async () => {
    const res = await app.inject({ method: "POST", url: "/api/services/dns-resolver/pause" });
    expect(res.json()).toMatchObject({ service: "dns-resolver", state: "paused" });
    await app.inject({ method: "POST", url: "/api/services/dns-resolver/unpause" });
    expect(docker.services.get("dns-resolver")?.state).toBe("running");
  });

  it("refuses service actions while a run is in progress: the run's own cleanup would fight them", async () => {
    const started = (await app.inject({ method: "POST", url: "/api/scenarios/slow/runs" })).json();
    const res = await app.inject({ method: "POST", url: "/api/services/dns-resolver/stop" });
    expect(res.statusCode).toBe(409);
    expect(res.json().message).toContain(`run ${started.id} of scenario "slow" is running`);
    expect(docker.services.get("dns-resolver")?.state).toBe("running");
    release();
    const done = await app.inject({ method: "GET", url: `/api/runs/${started.id}?wait=true` });
    expect(done.json().status).toBe("passed");
    expect((await app.inject({ method: "POST", url: "/api/services/dns-resolver/restart" })).statusCode).toBe(200);
  });

  it("calls a probe by hand, and refuses an unknown probe with the valid ones", async () => {
    const res = await app.inject({ method: "POST", url: "/api/probes/fixed/calls", payload: {} });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ ok: true, data: { answer: 42 }, transcript: [] });
    const unknown = await app.inject({ method: "POST", url: "/api/probes/fixd/calls", payload: {} });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().message).toMatch(/probe "fixd" is not known\. Valid probes are "fixed" and "gate"/);
  });

  it("applies a network fault by hand, lists it, refuses a second one on the same service, and removes it with its counters", async () => {
    const applied = await app.inject({ method: "POST", url: "/api/faults", payload: { service: "dns-resolver", loss: 10 } });
    expect(applied.statusCode).toBe(201);
    const fault = applied.json<{ id: string; helper: string }>();
    expect(fault).toMatchObject({ service: "dns-resolver", loss: 10, direction: "both" });
    expect(docker.netFaults.has(fault.helper)).toBe(true);
    expect((await app.inject({ method: "GET", url: "/api/faults" })).json()).toEqual([expect.objectContaining({ id: fault.id })]);

    const again = await app.inject({ method: "POST", url: "/api/faults", payload: { service: "dns-resolver", loss: 5, direction: "egress" } });
    expect(again.statusCode).toBe(409);
    expect(again.json<{ message: string }>().message).toMatch(new RegExp(`already has network fault ${fault.id} .*DELETE /api/faults/${fault.id}`));

    const healed = await app.inject({ method: "DELETE", url: `/api/faults/${fault.id}` });
    expect(healed.statusCode).toBe(200);
    expect(healed.json()).toMatchObject({ fault: fault.id, counters: { measuredPercent: 10 } });
    expect(docker.netFaults.size).toBe(0);
    const gone = await app.inject({ method: "DELETE", url: `/api/faults/${fault.id}` });
    expect(gone.statusCode).toBe(404);
    expect(gone.json<{ message: string }>().message).toBe(`fault "${fault.id}" is not known. Valid faults are (none).`);
  });

  it("refuses a bad fault request before touching anything, saying what to fix", async () => {
    const cases: [Record<string, unknown>, number, RegExp][] = [
      [{ service: "dns-resolvr", loss: 10 }, 404, /service "dns-resolvr" is not known\. Valid services are .*"dns-resolver"/],
      [{ service: "orchestrator", loss: 10 }, 409, /cannot be acted on/],
      [{ service: "dns-resolver", loss: 0 }, 400, /more than 0 and at most 100; got 0/],
      [{ service: "dns-resolver", loss: 10, direction: "up" }, 400, /direction must be one of both, ingress, egress; got "up"/],
      [{ service: "dns-resolver" }, 400, /loss/],
    ];
    for (const [payload, status, message] of cases) {
      const res = await app.inject({ method: "POST", url: "/api/faults", payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(status);
      expect(res.json<{ message: string }>().message).toMatch(message);
    }
    expect(docker.netFaults.size).toBe(0);
  });

  it("applies a rate limit by hand, lists it beside a loss, refuses a loss on the same service, and removes it with the shaper's counters", async () => {
    const applied = await app.inject({ method: "POST", url: "/api/faults", payload: { service: "dns-resolver", rateKbit: 1500 } });
    expect(applied.statusCode).toBe(201);
    const fault = applied.json<{ id: string; helper: string }>();
    expect(fault).toEqual({ id: fault.id, service: "dns-resolver", rateKbit: 1500, helper: fault.helper, appliedAt: expect.any(String) as unknown as string });
    expect(docker.netFaults.get(fault.helper)?.args).toEqual(["rate", "1500"]);

    const lossy = (await app.inject({ method: "POST", url: "/api/faults", payload: { service: "dns-hamburger-1", loss: 10 } })).json<{ id: string }>();
    const list = (await app.inject({ method: "GET", url: "/api/faults" })).json<Record<string, unknown>[]>();
    expect(list).toEqual([
      expect.objectContaining({ id: fault.id, service: "dns-resolver", rateKbit: 1500 }),
      expect.objectContaining({ id: lossy.id, service: "dns-hamburger-1", loss: 10, direction: "both" }),
    ]);
    expect(list[0]).not.toHaveProperty("loss");
    expect(list[1]).not.toHaveProperty("rateKbit");

    for (const payload of [{ service: "dns-resolver", loss: 5 }, { service: "dns-resolver", rateKbit: 64 }]) {
      const again = await app.inject({ method: "POST", url: "/api/faults", payload });
      expect(again.statusCode).toBe(409);
      expect(again.json<{ message: string }>().message).toBe(`service "dns-resolver" already has network fault ${fault.id} (rate 1500 kbit/s); remove it first with DELETE /api/faults/${fault.id}`);
    }

    const healed = await app.inject({ method: "DELETE", url: `/api/faults/${fault.id}` });
    expect(healed.statusCode).toBe(200);
    expect(healed.json()).toEqual({
      fault: fault.id,
      service: "dns-resolver",
      rateKbit: 1500,
      heldMs: expect.any(Number) as unknown as number,
      counters: { sentBytes: 150_000, sentPackets: 100, dropped: 3, overlimits: 40 },
    });
    const healedLoss = await app.inject({ method: "DELETE", url: `/api/faults/${lossy.id}` });
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

  it("refuses a bad rate request with a 400 naming what to fix, touching nothing", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ service: "dns-resolver", rateKbit: 7 }, /^the fault is invalid: rateKbit must be a whole number of kbit\/s from 8 to 10000000 \(10 Gbit\/s\); got 7$/],
      [{ service: "dns-resolver", rateKbit: 10_000_001 }, /from 8 to 10000000 .*got 10000001/],
      [{ service: "dns-resolver", rateKbit: 1500.5 }, /whole number of kbit\/s .*got 1500\.5/],
      [{ service: "dns-resolver", rateKbit: "fast" }, /rateKbit must be number/],
      [{ service: "dns-resolver", rateKbit: 1500, loss: 10 }, /fault needs either loss \(percent\) or rateKbit \(kbit\/s\), not both/],
      [{ service: "dns-resolver", rateKbit: 1500, direction: "egress" }, /direction applies only to loss, not to rateKbit/],
      [{ service: "dns-resolver" }, /fault needs either loss .* or rateKbit .*; it has neither/],
      [{ service: "dns-resolver", rate: 1500 }, /must NOT have additional properties/],
    ];
    for (const [payload, message] of cases) {
      const res = await app.inject({ method: "POST", url: "/api/faults", payload });
      expect(res.statusCode, JSON.stringify(payload)).toBe(400);
      expect(res.json<{ message: string }>().message, JSON.stringify(payload)).toMatch(message);
    }
    expect(docker.netFaults.size).toBe(0);
    expect((await app.inject({ method: "GET", url: "/api/faults" })).json()).toEqual([]);
  });

  it("serves an OpenAPI 3 document with every route", async () => {
    const doc = (await app.inject({ method: "GET", url: "/api/openapi.json" })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      "/api/faults", "/api/faults/{id}", "/api/health", "/api/probes", "/api/probes/{name}/calls", "/api/runs", "/api/runs/{id}", "/api/runs/{id}/abort", "/api/scenarios",
      "/api/scenarios/{name}", "/api/scenarios/{name}/runs", "/api/services", "/api/services/{name}", "/api/services/{name}/{action}", "/api/topology",
    ]);
  });
});
