import { describe, expect, it } from "vitest";
import { ProbeRegistry } from "../probes/registry.ts";
import { ScenarioEngine } from "./engine.ts";
import { parseScenarioText } from "../scenarios/loader.ts";
import { constantProbe, fakeProbe, FakeDocker, SERVICES, testTopology } from "../scenarios/testing/fakes.ts";

// Templates in probe parameters and the reconcile step, through the engine with fake probes.
const seen: Record<string, unknown>[] = [];
const registry = new ProbeRegistry([
  constantProbe("sender", { accepted: ["m1", "m2", "m3"] }),
  constantProbe("reader", { got: ["m3", "m1", "m1", "m9"] }),
  fakeProbe("echo", (params) => {
    seen.push(params);
    return Promise.resolve({ ok: true, data: params, transcript: [] });
  }),
]);
const topology = testTopology();
const load = (steps: string) => parseScenarioText(`name: t\ntitle: t\nsteps:\n${steps}`, "scenarios/t.yaml", { registry, topology });

describe("the reconcile step and templates", () => {
  it("reports lost, unexpected and duplicated items, and fails on its expectations", async () => {
    const loaded = load(
      "  - { id: send, probe: sender }\n  - { id: read, probe: reader }\n" +
        "  - id: check\n    reconcile: { sent: send.accepted, received: read.got }\n    expect: [{ path: lostCount, equals: 0 }]\n",
    );
    if (!loaded.valid) throw new Error(loaded.errors.join("\n"));
    const engine = new ScenarioEngine({ registry, docker: new FakeDocker(SERVICES), topology });
    const run = await engine.waitFor(engine.start(loaded.scenario).id);
    expect(run.status).toBe("failed");
    expect(run.steps[2]?.result).toMatchObject({ lost: ["m2"], unexpected: ["m9"], duplicated: ["m1"], sent: 3, received: 4 });
    expect(run.steps[2]?.assertions[0]?.message).toContain("lostCount equals 0: got 1");
  });

  it("fills ${run.id} and ${step.path} in probe parameters", async () => {
    const loaded = load("  - { id: send, probe: sender }\n  - id: e\n    probe: echo\n    with: { subject: 'test ${run.id}', first: '${send.accepted[0]}', all: '${send.accepted}' }\n");
    if (!loaded.valid) throw new Error(loaded.errors.join("\n"));
    const engine = new ScenarioEngine({ registry, docker: new FakeDocker(SERVICES), topology, newId: () => "run42" });
    const run = await engine.waitFor(engine.start(loaded.scenario).id);
    expect(run.status).toBe("passed");
    expect(seen.at(-1)).toEqual({ subject: "test run42", first: "m1", all: ["m1", "m2", "m3"] });
  });

  it("repeats a probe with ${i}, and reconciles the items of every result with [*]", async () => {
    const loaded = load(
      "  - id: send\n    probe: echo\n    repeat: 3\n    with: { id: 'msg-${i}' }\n    expect: [{ path: count, equals: 3 }]\n" +
        "  - { id: read, probe: reader }\n" +
        "  - id: check\n    reconcile: { sent: 'send.results[*].id', received: read.got }\n",
    );
    if (!loaded.valid) throw new Error(loaded.errors.join("\n"));
    const engine = new ScenarioEngine({ registry, docker: new FakeDocker(SERVICES), topology });
    const run = await engine.waitFor(engine.start(loaded.scenario).id);
    expect(run.steps[0]?.result).toEqual({ count: 3, results: [{ id: "msg-1" }, { id: "msg-2" }, { id: "msg-3" }] });
    expect(run.steps[2]?.result).toMatchObject({ sent: 3, lostCount: 3, unexpectedCount: 3 });
  });

  it.each([
    ["a template naming a later step", "  - id: e\n    probe: echo\n    with: { x: '${later.y}' }\n  - { id: later, probe: sender }\n", /template \$\{later\.\.\.\} refers to step "later", which runs later/],
    ["a reconcile path naming an unknown step", "  - id: c\n    reconcile: { sent: nope.a, received: nope.b }\n", /reconcile\.sent "nope\.a" refers to step "nope", which is not known/],
  ])("refuses %s at load time", (_what, steps, message) => {
    const loaded = load(steps);
    expect(loaded.valid).toBe(false);
    expect(loaded.errors.join("\n")).toMatch(message);
  });
});
