import { describe, expect, it } from "vitest";
import { ProbeRegistry } from "../probes/registry.ts";
import { ScenarioEngine } from "./engine.ts";
import type { Scenario } from "../scenarios/schema.ts";
import { constantProbe, FakeDocker, hangingProbe, SERVICES, testTopology, VirtualClock } from "../scenarios/testing/fakes.ts";
import { validateScenario } from "../scenarios/validate.ts";

const T0 = Date.UTC(2025, 0, 1);

function setup() {
  const clock = new VirtualClock(T0);
  const docker = new FakeDocker(SERVICES);
  const registry = new ProbeRegistry([constantProbe("dns", { ok: 1 }), constantProbe("bad", { ok: 0 }), hangingProbe("hang")]);
  const topology = testTopology();
  const engine = new ScenarioEngine({ registry, docker, topology, clock, healthTimeoutMs: 10_000, healthIntervalMs: 500, newId: () => "run-1" });
  const check = (steps: unknown[]) => validateScenario({ name: "test", title: "A test", steps }, { registry, topology });
  const scenario = (steps: unknown[]): Scenario => {
    const checked = check(steps);
    if (!checked.ok) throw new Error(checked.problems.join("\n"));
    return checked.scenario;
  };
  return { clock, docker, engine, scenario, check };
}

describe("fault and heal steps", () => {
  it("applies loss through a helper, heals it with the counters as the result, and leaves nothing to clean", async () => {
    const { engine, docker, scenario } = setup();
    const run = await engine.waitFor(
      engine.start(
        scenario([
          { id: "lossy", fault: { service: "dns-resolver", loss: 10 } },
          { id: "ask", probe: "dns" },
          { id: "healed", heal: "lossy", expect: [{ path: "counters.measuredPercent", atLeast: 5 }, { path: "counters.measuredPercent", atMost: 15 }] },
        ]),
      ).id,
    );
    expect(run.status).toBe("passed");
    expect(run.steps[0]!.result).toEqual({ service: "dns-resolver", loss: 10, direction: "both", helper: "fault-dns-resolver-1" });
    expect(run.steps[2]!.result).toMatchObject({
      fault: "lossy",
      service: "dns-resolver",
      loss: 10,
      direction: "both",
      counters: { ingressSeen: 100, ingressDropped: 10, egressSeen: 100, egressDropped: 10, measuredPercent: 10 },
    });
    expect(run.steps[2]!.transcript[0]!.text).toMatch(/^removed loss 10% both on dns-resolver after \d+ ms: dropped 10 of 100 packets in, 10 of 100 out \(10%\)$/);
    expect(docker.calls.filter((c) => /fault/.test(c))).toEqual(["netfault dns-resolver loss 10 both", "unfault dns-resolver loss 10 both"]);
    expect(run.cleanup).toEqual([]);
    expect(docker.netFaults.size).toBe(0);
  });

  it("removes a fault that no heal step removed when a later step fails", async () => {
    const { engine, docker, scenario } = setup();
    const run = await engine.waitFor(
      engine.start(scenario([{ id: "lossy", fault: { service: "dns-resolver", loss: 5, direction: "egress" } }, { id: "ask", probe: "bad", expect: [{ path: "ok", equals: 1 }] }])).id,
    );
    expect(run.status).toBe("failed");
    expect(docker.netFaults.size).toBe(0);
    expect(run.cleanup).toEqual([
      { service: "dns-resolver", action: "remove loss 5% egress", ok: true, message: expect.stringMatching(/^removed loss 5% egress on dns-resolver after/) as unknown as string },
    ]);
  });

  it("removes the fault when the run is aborted in the middle of a step", async () => {
    const { engine, docker, scenario } = setup();
    const started = engine.start(scenario([{ id: "lossy", fault: { service: "dns-resolver", loss: 10 } }, { id: "stuck", probe: "hang" }]));
    for (let i = 0; i < 100 && docker.netFaults.size === 0; i++) await new Promise((r) => setImmediate(r));
    expect(docker.netFaults.size).toBe(1);
    engine.abort(started.id);
    const run = await engine.waitFor(started.id);
    expect(run.status).toBe("aborted");
    expect(docker.netFaults.size).toBe(0);
    expect(run.cleanup.map((c) => c.action)).toEqual(["remove loss 10% both"]);
  });

  it("says so, and turns a passing run into an error, when a fault cannot be removed", async () => {
    const { engine, docker, scenario } = setup();
    docker.netFaultFails.add("dns-resolver remove");
    const run = await engine.waitFor(engine.start(scenario([{ id: "lossy", fault: { service: "dns-resolver", loss: 10 } }])).id);
    expect(run.status).toBe("error");
    expect(run.error?.code).toBe("CLEANUP_FAILED");
    expect(run.cleanup[0]).toMatchObject({ service: "dns-resolver", ok: false });
    expect(run.cleanup[0]!.message).toMatch(/could not remove the network fault of step "lossy" on dns-resolver \(helper fault-dns-resolver-1\)/);
  });

  it("fails the step when the fault cannot be applied, with nothing left to remove", async () => {
    const { engine, docker, scenario } = setup();
    docker.netFaultFails.add("dns-resolver apply");
    const run = await engine.waitFor(engine.start(scenario([{ id: "lossy", fault: { service: "dns-resolver", loss: 10 } }])).id);
    expect(run.status).toBe("error");
    expect(run.steps[0]!.status).toBe("error");
    expect(run.cleanup).toEqual([]);
  });

  it("refuses at load time a second fault on a service, or a restart under a fault, until the first is healed", () => {
    const { check } = setup();
    const bad = check([
      { id: "a", fault: { service: "dns-resolver", loss: 10 } },
      { id: "b", fault: { service: "dns-resolver", loss: 5 } },
      { id: "r", service: "dns-resolver", action: "restart" },
    ]);
    expect(bad.ok ? [] : bad.problems).toEqual([
      'step "b": service "dns-resolver" already has the fault of step "a"; heal it first (one network fault per service at a time)',
      'step "r": restart of "dns-resolver" would replace its network namespace and silently end the fault of step "b"; heal it first',
    ]);
    const good = check([
      { id: "a", fault: { service: "dns-resolver", loss: 10 } },
      { id: "pause", service: "dns-resolver", action: "pause" },
      { id: "ha", heal: "a" },
      { id: "r", service: "dns-resolver", action: "restart" },
      { id: "b", fault: { service: "dns-resolver", loss: 5 } },
    ]);
    expect(good.ok ? [] : good.problems).toEqual([]);
  });

  it("refuses at load time a heal of a step that is not an earlier fault step, a bad loss, and an unknown service", () => {
    const { check } = setup();
    const result = check([
      { id: "ask", probe: "dns" },
      { id: "h1", heal: "ask" },
      { id: "h2", heal: "later" },
      { id: "l1", fault: { service: "dns-resolver", loss: 0 } },
      { id: "l2", fault: { service: "nowhere", loss: 10, direction: "sideways" } },
      { id: "later", fault: { service: "dns-resolver", loss: 10 } },
    ]);
    expect(result.ok).toBe(false);
    const text = result.ok ? "" : result.problems.join("\n");
    expect(text).toMatch(/heal "ask" must name an earlier fault step; step "ask" is not one/);
    expect(text).toMatch(/step "h2": heal "later" refers to step "later", which runs later/);
    expect(text).toMatch(/step "l1": field "fault.loss" must be > 0; got 0/);
    expect(text).toMatch(/step "l2": field "fault.direction" must be one of "both", "ingress", "egress"; got "sideways"/);
    expect(text).toMatch(/step "l2": service "nowhere" is not known\. Valid services are/);
  });

  it("applies a rate limit through a helper, heals it with the shaper's counters, and keeps loss results as they were", async () => {
    const { engine, docker, scenario } = setup();
    const run = await engine.waitFor(
      engine.start(
        scenario([
          { id: "slow", title: "an access link", fault: { service: "dns-resolver", rateKbit: 1500 } },
          { id: "ask", probe: "dns" },
          { id: "healed", heal: "slow", expect: [{ path: "counters.dropped", atMost: 5 }, { path: "rateKbit", equals: 1500 }] },
          { id: "lossy", fault: { service: "dns-resolver", loss: 10 } },
          { id: "healed-loss", heal: "lossy" },
        ]),
      ).id,
    );
    expect(run.status).toBe("passed");
    expect(run.steps[0]!.result).toEqual({ service: "dns-resolver", rateKbit: 1500, helper: "fault-dns-resolver-1" });
    expect(run.steps[0]!.transcript[0]!.text).toBe("applied rate 1500 kbit/s on dns-resolver (helper fault-dns-resolver-1)");
    expect(run.steps[2]!.result).toEqual({
      fault: "slow",
      service: "dns-resolver",
      rateKbit: 1500,
      heldMs: expect.any(Number) as unknown as number,
      counters: { sentBytes: 150_000, sentPackets: 100, dropped: 3, overlimits: 40 },
    });
    expect(run.steps[2]!.transcript[0]!.text).toMatch(/^removed rate 1500 kbit\/s on dns-resolver after \d+ ms: sent 150000 bytes in 100 packets, dropped 3 \(queue full\), held back 40 times$/);
    expect(Object.keys(run.steps[4]!.result as object).sort()).toEqual(["counters", "direction", "fault", "heldMs", "loss", "service"]);
    expect(docker.calls.filter((c) => /fault/.test(c))).toEqual([
      "netfault dns-resolver rate 1500",
      "unfault dns-resolver rate 1500",
      "netfault dns-resolver loss 10 both",
      "unfault dns-resolver loss 10 both",
    ]);
    expect(run.cleanup).toEqual([]);
  });

  it("removes a rate limit that no heal step removed, and says so in the cleanup", async () => {
    const { engine, docker, scenario } = setup();
    const run = await engine.waitFor(engine.start(scenario([{ id: "slow", fault: { service: "dns-resolver", rateKbit: 64 } }, { id: "ask", probe: "bad", expect: [{ path: "ok", equals: 1 }] }])).id);
    expect(run.status).toBe("failed");
    expect(docker.netFaults.size).toBe(0);
    expect(run.cleanup).toEqual([
      {
        service: "dns-resolver",
        action: "remove rate 64 kbit/s",
        ok: true,
        message: expect.stringMatching(/^removed rate 64 kbit\/s on dns-resolver after \d+ ms: sent 150000 bytes/) as unknown as string,
      },
    ]);
  });

  it("reports a heal whose counters cannot be read with null counters, for a rate limit too", async () => {
    const { engine, docker, scenario } = setup();
    const original = docker.netFaultStats.bind(docker);
    docker.netFaultStats = () => Promise.reject(new Error("helper gone"));
    const run = await engine.waitFor(engine.start(scenario([{ id: "slow", fault: { service: "dns-resolver", rateKbit: 1500 } }, { id: "h", heal: "slow" }])).id);
    docker.netFaultStats = original;
    expect(run.steps[1]!.result).toMatchObject({ rateKbit: 1500, counters: null });
    expect(run.steps[1]!.transcript[0]!.text).toMatch(/^removed rate 1500 kbit\/s on dns-resolver after \d+ ms \(its counters could not be read\)$/);
  });

  it("refuses at load time a fault that mixes families, has none, a field without what it needs, a bad value, or a name the lab does not have, naming the choices", () => {
    const { check } = setup();
    const result = check([
      { id: "mixed", fault: { service: "dns-resolver", loss: 10, partition: "dns-hamburger-1" } },
      { id: "neither", fault: { service: "dns-hamburger-1" } },
      { id: "dir", fault: { service: "dns-hamburger-2", rateKbit: 1500, direction: "egress" } },
      { id: "low", fault: { service: "dns-hamburger-1", rateKbit: 7 } },
      { id: "frac", fault: { service: "dns-hamburger-2", rateKbit: 1500.5 } },
      { id: "typo", fault: { service: "dns-resolver", rate: 1500 } },
      { id: "peer", fault: { service: "dns-resolver", delayMs: 10, to: "nowhere" } },
      { id: "self", fault: { service: "dns-resolver", partition: ["dns-resolver"] } },
      { id: "net", fault: { service: "dns-resolver", linkDown: "campus" } },
      { id: "us", fault: { service: "dns-hamburger-1", delayMs: 0.0001 } },
    ]);
    const problems = result.ok ? [] : result.problems;
    expect(problems.slice(0, 6)).toEqual([
      expect.stringMatching(/^step "mixed": a fault is one of .*; this one mixes a link profile .* and partition/),
      expect.stringMatching(/^step "neither": a fault needs one of loss, rateKbit, delayMs .*; it has none$/),
      'step "dir": direction applies only to loss; remove it, or give loss (percent)',
      'step "low": field "fault.rateKbit" must be >= 8; got 7',
      'step "frac": field "fault.rateKbit" must be integer; got 1500.5',
      expect.stringMatching(/^step "typo": field "fault" has unknown field "rate"\. Valid fields are "delayMs", "direction", "disconnect", /),
    ]);
    expect(problems.slice(6)).toEqual([
      expect.stringMatching(/^step "typo": a fault needs one of/),
      expect.stringMatching(/^step "peer": to names unknown service "nowhere"; valid services: dns-hamburger-1, dns-hamburger-2, dns-resolver$/),
      'step "self": partition names "dns-resolver", the service the fault is on; name another service',
      expect.stringMatching(/^step "net": linkDown names network "campus", which service "dns-resolver" is not on; its networks: /),
      'step "us": delayMs is applied to the microsecond: give at most 3 decimals; got 0.0001',
    ]);
  });

  it("refuses at load time a rate limit and a loss on the same service at once, like two losses", () => {
    const { check } = setup();
    const bad = check([
      { id: "slow", fault: { service: "dns-resolver", rateKbit: 1500 } },
      { id: "lossy", fault: { service: "dns-resolver", loss: 5 } },
    ]);
    expect(bad.ok ? [] : bad.problems).toEqual(['step "lossy": service "dns-resolver" already has the fault of step "slow"; heal it first (one network fault per service at a time)']);
    const good = check([
      { id: "slow", fault: { service: "dns-resolver", rateKbit: 1500 } },
      { id: "lossy", fault: { service: "dns-hamburger-1", loss: 5 } },
    ]);
    expect(good.ok ? [] : good.problems).toEqual([]);
  });
});
