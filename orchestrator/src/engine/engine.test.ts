import { describe, expect, it } from "vitest";
import { Type } from "typebox";
import type { Probe, ProbeContext } from "../probes/probe.ts";
import { ProbeRegistry } from "../probes/registry.ts";
import { RunQueueFullError } from "../scenarios/errors.ts";
import { ScenarioEngine, type ScenarioEngineOptions } from "./engine.ts";
import type { RunRecord } from "./run-types.ts";
import type { Scenario } from "../scenarios/schema.ts";
import { Topology } from "../lab/topology.ts";
import { constantProbe, FakeDocker, fakeProbe, hangingProbe, SERVICES, testTopology, VirtualClock } from "../scenarios/testing/fakes.ts";
import { validateScenario } from "../scenarios/validate.ts";

const T0 = Date.UTC(2025, 0, 1);

function setup(probes: Probe[] = [], options: Partial<ScenarioEngineOptions> = {}) {
  const clock = new VirtualClock(T0);
  const docker = new FakeDocker(SERVICES);
  const registry = new ProbeRegistry(probes);
  const topology = testTopology();
  let n = 0;
  const engine = new ScenarioEngine({ registry, docker, topology, clock, healthTimeoutMs: 10_000, healthIntervalMs: 500, newId: () => `run-${++n}`, ...options });
  const scenario = (steps: unknown[], extra: Record<string, unknown> = {}): Scenario => {
    const checked = validateScenario({ name: "test", title: "A test", steps, ...extra }, { registry, topology });
    if (!checked.ok) throw new Error(checked.problems.join("\n"));
    return checked.scenario;
  };
  return { clock, docker, engine, scenario };
}

/** Lets the engine work until `condition` holds (the virtual clock moves only when all else waits). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error("condition never held");
}

const statuses = (run: RunRecord) => run.steps.map((s) => `${s.id}:${s.status}`);

describe("ScenarioEngine: a passing run", () => {
  it("runs every kind of step in order, times them, and keeps their results", async () => {
    const dns = constantProbe("dns", { zones: [".", "edu."], answers: [{ ttl: 300 }] });
    const { engine, docker, scenario } = setup([dns]);
    docker.execHandler = () => Promise.resolve({ exitCode: 0, stdout: "ok\n", stderr: "" });
    const started = engine.start(
      scenario([
        { id: "first", title: "Ask", probe: "dns", with: { name: "www" }, expect: [{ path: "zones", equals: [".", "edu."] }] },
        { id: "settle", wait: "2s" },
        { id: "flush", exec: "dns-resolver", command: ["unbound-control", "flush"], expect: [{ path: "exitCode", equals: 0 }] },
        { id: "compare", assert: [{ path: "first.answers[0].ttl", atMost: 300 }, { path: "flush.stdout", equals: { ref: "flush.stdout" } }] },
      ]),
    );
    expect(started).toMatchObject({ id: "run-1", scenario: "test", status: "running", createdAt: new Date(T0).toISOString() });

    const run = await engine.waitFor(started.id);
    expect(run.status).toBe("passed");
    expect(run.error).toBeUndefined();
    expect(statuses(run)).toEqual(["first:passed", "settle:passed", "flush:passed", "compare:passed"]);
    expect(run.steps[0]).toMatchObject({ kind: "probe", title: "Ask", result: { zones: [".", "edu."] }, durationMs: 0, startedAt: new Date(T0).toISOString() });
    expect(run.steps[0]!.assertions).toEqual([{ path: "zones", op: "equals", expected: [".", "edu."], actual: [".", "edu."], passed: true, message: 'zones equals [".","edu."]: ok' }]);
    expect(run.steps[1]).toMatchObject({ kind: "wait", durationMs: 2000, result: { waitedMs: 2000 } });
    expect(run.steps[2]).toMatchObject({ kind: "exec", result: { exitCode: 0, stdout: "ok\n", stderr: "" }, startedAt: new Date(T0 + 2000).toISOString() });
    expect(run.steps[2]!.transcript.map((l) => `${l.dir} ${l.text}`)).toEqual(["C $ unbound-control flush", "S ok", "* exit code 0"]);
    expect(run.steps[3]!.assertions.map((a) => a.passed)).toEqual([true, true]);
    expect(run).toMatchObject({ startedAt: new Date(T0).toISOString(), finishedAt: new Date(T0 + 2000).toISOString(), durationMs: 2000, cleanup: [] });
    expect(docker.calls).toEqual(["exec dns-resolver unbound-control flush"]);
  });

  it("gives a probe its parameters with defaults filled in, and a context with the lab and earlier step times", async () => {
    const seen: { params: unknown; ctx?: ProbeContext; firstStarted?: number | undefined }[] = [];
    const probe = fakeProbe(
      "dns",
      (params, ctx) => {
        seen.push({ params, ctx, firstStarted: ctx.stepStartedAt("first") });
        return Promise.resolve({ ok: true, data: {}, transcript: [] });
      },
      Type.Object({ name: Type.String(), type: Type.Optional(Type.String({ default: "A" })) }, { additionalProperties: false }),
    );
    const { engine, docker, clock, scenario } = setup([probe]);
    const run = await engine.waitFor(engine.start(scenario([{ id: "first", probe: "dns", with: { name: "a" } }, { id: "w", wait: 1500 }, { id: "second", probe: "dns", with: { name: "b", type: "MX" } }])).id);
    expect(run.status).toBe("passed");
    expect(seen.map((s) => s.params)).toEqual([{ name: "a", type: "A" }, { name: "b", type: "MX" }]);
    expect(seen.map((s) => s.firstStarted)).toEqual([T0, T0]);
    expect(seen[0]!.ctx!.docker).toBe(docker);
    expect(seen[0]!.ctx!.clock).toBe(clock);
    expect(seen[0]!.ctx!.topology.serviceNames()).toEqual([...SERVICES]);
    expect(seen[0]!.ctx!.signal.aborted).toBe(false);
  });

  it("returns copies: changing a record does not change the run", async () => {
    const { engine, scenario } = setup();
    const id = engine.start(scenario([{ id: "w", wait: 1 }])).id;
    const copy = await engine.waitFor(id);
    copy.status = "failed";
    copy.steps[0]!.status = "error";
    expect(engine.get(id).status).toBe("passed");
    expect(engine.get(id).steps[0]!.status).toBe("passed");
  });
});

describe("ScenarioEngine: failures", () => {
  it("marks a failed assertion, skips the remaining steps and fails the run", async () => {
    const dns = constantProbe("dns", { zones: [".", "com."] });
    const { engine, scenario } = setup([dns]);
    const run = await engine.waitFor(
      engine.start(
        scenario([
          { id: "first", probe: "dns", expect: [{ path: "zones", equals: [".", "edu."] }, { path: "zones", length: 2 }] },
          { id: "settle", wait: "1s" },
          { id: "second", probe: "dns" },
        ]),
      ).id,
    );
    expect(run.status).toBe("failed");
    expect(statuses(run)).toEqual(["first:failed", "settle:skipped", "second:skipped"]);
    expect(run.steps[0]!.assertions.map((a) => [a.passed, a.message])).toEqual([
      [false, 'zones equals [".","edu."]: got [".","com."]'],
      [true, "zones length 2: ok"],
    ]);
    expect(run.error).toEqual({ code: "ASSERTION_FAILED", message: 'step "first": zones equals [".","edu."]: got [".","com."]' });
    expect(run.steps[1]!.startedAt).toBeUndefined();
    expect(run.durationMs).toBe(0);
  });

  it("marks a probe outcome with ok=false as an error with the probe's error", async () => {
    const broken = fakeProbe("dns", () =>
      Promise.resolve({ ok: false, data: { partial: true }, error: { code: "PROBE_TIMEOUT", message: "no answer from 10.0.0.2" }, transcript: [{ dir: "*", peer: "10.0.0.2", text: "timeout", atMs: 5 }] }),
    );
    const { engine, scenario } = setup([broken]);
    const run = await engine.waitFor(engine.start(scenario([{ id: "trace", probe: "dns", expect: [{ path: "partial", equals: true }] }, { id: "w", wait: 1 }])).id);
    expect(run.status).toBe("error");
    expect(statuses(run)).toEqual(["trace:error", "w:skipped"]);
    expect(run.steps[0]).toMatchObject({ error: { code: "PROBE_TIMEOUT", message: "no answer from 10.0.0.2" }, result: { partial: true }, assertions: [] });
    expect(run.steps[0]!.transcript).toHaveLength(1);
    expect(run.error).toEqual({ code: "PROBE_TIMEOUT", message: 'step "trace": no answer from 10.0.0.2' });
  });

  it("marks a probe that throws, or that is not registered, as an error", async () => {
    const throwing = fakeProbe("dns", () => Promise.reject(new Error("socket closed")));
    const { engine, scenario } = setup([throwing]);
    const run = await engine.waitFor(engine.start(scenario([{ id: "trace", probe: "dns" }])).id);
    expect(run).toMatchObject({ status: "error", error: { code: "ERROR", message: 'step "trace": socket closed' } });

    const unknown: Scenario = { name: "hand-made", title: "t", steps: [{ id: "x", kind: "probe", probe: "smtp", with: {}, expect: [] }] };
    const run2 = await engine.waitFor(engine.start(unknown).id);
    expect(run2.steps[0]!.error).toEqual({ code: "UNKNOWN_PROBE", message: 'probe "smtp" is not known. Valid probes are "dns".' });
  });

  it("re-checks probe parameters at run time, naming the step and field", async () => {
    const probe = fakeProbe("dns", () => Promise.resolve({ ok: true, data: {}, transcript: [] }), Type.Object({ name: Type.String() }));
    const { engine } = setup([probe]);
    const run = await engine.waitFor(engine.start({ name: "x", title: "t", steps: [{ id: "q", kind: "probe", probe: "dns", with: { name: 5 }, expect: [] }] }).id);
    expect(run.steps[0]!.error).toEqual({ code: "INVALID_INPUT", message: 'the parameters of probe "dns" in step "q" is invalid: field "with.name" must be string; got 5' });
  });

  it("marks a Docker failure in a service step as an error", async () => {
    const { engine, docker, scenario } = setup();
    docker.failActions.add("dns-resolver restart");
    const run = await engine.waitFor(engine.start(scenario([{ id: "bounce", service: "dns-resolver", action: "restart" }])).id);
    expect(run.steps[0]!.error).toEqual({ code: "DOCKER", message: "Docker could not restart dns-resolver" });
    expect(run.status).toBe("error");
  });
});

describe("ScenarioEngine: service steps", () => {
  it("waits until a started service is healthy, unless told not to", async () => {
    const { engine, docker, scenario } = setup();
    docker.startPolls = 3;
    const run = await engine.waitFor(
      engine.start(
        scenario([
          { id: "bounce", service: "dns-resolver", action: "restart" },
          { id: "bounce-fast", service: "dns-hamburger-2", action: "restart", waitHealthy: false },
        ]),
      ).id,
    );
    expect(run.status).toBe("passed");
    expect(run.steps[0]).toMatchObject({ result: { state: "running", health: "healthy" }, durationMs: 1500 });
    expect(run.steps[0]!.transcript.map((l) => l.text)).toEqual(["restart dns-resolver: running", "dns-resolver is healthy"]);
    expect(run.steps[1]).toMatchObject({ result: { state: "running", health: "starting" }, durationMs: 0 });
    expect(run.cleanup).toEqual([]);
  });

  it("fails the step when the service does not become healthy in time", async () => {
    const { engine, docker, scenario } = setup([], { healthTimeoutMs: 2000 });
    docker.startPolls = 1000;
    const run = await engine.waitFor(engine.start(scenario([{ id: "bounce", service: "dns-resolver", action: "restart" }])).id);
    expect(run.steps[0]!.error).toEqual({
      code: "SERVICE_NOT_HEALTHY",
      message: 'service "dns-resolver" did not become healthy within 2000 ms (last seen: state running, health starting); see its logs',
    });
  });
});

describe("ScenarioEngine: faults are undone", () => {
  it("starts a stopped service again after a failing run, and waits until it is healthy", async () => {
    const { engine, docker, scenario } = setup([constantProbe("dns", { rcode: "SERVFAIL" })]);
    const run = await engine.waitFor(
      engine.start(
        scenario([
          { id: "stop-primary", service: "dns-hamburger-1", action: "stop" },
          { id: "trace", probe: "dns", expect: [{ path: "rcode", equals: "NOERROR" }] },
          { id: "never", service: "dns-hamburger-2", action: "stop" },
        ]),
      ).id,
    );
    expect(run.status).toBe("failed");
    expect(run.steps[0]).toMatchObject({ status: "passed", result: { state: "exited" } });
    expect(run.steps[0]!.transcript.map((l) => l.text)).toEqual(["stop dns-hamburger-1: running -> exited"]);
    expect(run.cleanup).toEqual([{ service: "dns-hamburger-1", action: "start", ok: true, message: "started dns-hamburger-1 (it was exited); it is healthy" }]);
    expect(docker.services.get("dns-hamburger-1")).toEqual({ state: "running", health: "healthy" });
    expect(docker.services.get("dns-hamburger-2")!.state).toBe("running");
    expect(docker.calls.filter((c) => c.startsWith("act"))).toEqual(["act dns-hamburger-1 stop", "act dns-hamburger-1 start"]);
  });

  it("unpauses a paused service, and keeps the state before the first fault", async () => {
    const { engine, docker, scenario } = setup();
    const run = await engine.waitFor(
      engine.start(
        scenario([
          { id: "freeze", service: "dns-hamburger-1", action: "pause" },
          { id: "freeze-2", service: "dns-hamburger-2", action: "pause" },
          { id: "kill-2", service: "dns-hamburger-2", action: "kill" },
        ]),
      ).id,
    );
    expect(run.status).toBe("passed");
    expect(run.cleanup).toEqual([
      { service: "dns-hamburger-1", action: "unpause", ok: true, message: "unpaused dns-hamburger-1; it is healthy" },
      { service: "dns-hamburger-2", action: "start", ok: true, message: "started dns-hamburger-2 (it was exited); it is healthy" },
    ]);
    expect(docker.calls.filter((c) => c === "state dns-hamburger-2").length).toBeGreaterThan(0);
    expect([...docker.services.values()].every((s) => s.state === "running" && s.health === "healthy")).toBe(true);
  });

  it("needs nothing for a service the scenario itself brought back, and leaves alone one that was down before", async () => {
    const { engine, docker, scenario } = setup();
    docker.services.get("dns-hamburger-2")!.state = "exited";
    const run = await engine.waitFor(
      engine.start(
        scenario([
          { id: "stop", service: "dns-hamburger-1", action: "stop" },
          { id: "start", service: "dns-hamburger-1", action: "start" },
          { id: "stop-2", service: "dns-hamburger-2", action: "stop" },
        ]),
      ).id,
    );
    expect(run.cleanup).toEqual([
      { service: "dns-hamburger-1", action: "none", ok: true, message: "dns-hamburger-1 was already running; it is healthy" },
      { service: "dns-hamburger-2", action: "none", ok: true, message: "dns-hamburger-2 was exited before the run, so it is left exited" },
    ]);
    expect(docker.calls.filter((c) => c.startsWith("act"))).toEqual(["act dns-hamburger-1 stop", "act dns-hamburger-1 start", "act dns-hamburger-2 stop"]);
  });

  it("turns a passing run into an error when the lab cannot be restored", async () => {
    const { engine, docker, scenario } = setup();
    docker.failActions.add("dns-hamburger-1 start");
    const run = await engine.waitFor(engine.start(scenario([{ id: "stop", service: "dns-hamburger-1", action: "stop" }])).id);
    expect(run.cleanup).toEqual([{ service: "dns-hamburger-1", action: "start", ok: false, message: "could not restore dns-hamburger-1 (start): Docker could not start dns-hamburger-1" }]);
    expect(run.status).toBe("error");
    expect(run.error).toEqual({ code: "CLEANUP_FAILED", message: "the steps passed, but the lab could not be restored: could not restore dns-hamburger-1 (start): Docker could not start dns-hamburger-1" });
  });
});

describe("ScenarioEngine: an on-demand service (a compose profile's, like the diskless VM)", () => {
  /** The test lab with one more service, "vm", in the compose profile "boot", created and exited. */
  function withVm(probes: Probe[] = []) {
    const base = testTopology();
    const topology = new Topology("l7lab", [...base.services, { name: "vm", hostnames: [], role: "pxe-client", description: "", networks: [{ network: "lab", ipv4: "" }], profiles: ["boot"] }], [...base.networks]);
    const lab = setup(probes, { topology });
    lab.docker.services.set("vm", { state: "exited", health: "none" });
    const scenario = (steps: unknown[]): Scenario => {
      const checked = validateScenario({ name: "test", title: "A test", steps }, { registry: new ProbeRegistry(probes), topology });
      if (!checked.ok) throw new Error(checked.problems.join("\n"));
      return checked.scenario;
    };
    return { ...lab, scenario };
  }

  it("is stopped at the end of a run that started it and failed while it still ran", async () => {
    const { engine, docker, scenario } = withVm([constantProbe("dns", { rcode: "SERVFAIL" })]);
    const run = await engine.waitFor(engine.start(scenario([{ id: "boot", service: "vm", action: "start", waitHealthy: false }, { id: "check", probe: "dns", expect: [{ path: "rcode", equals: "NOERROR" }] }])).id);
    expect(run.status).toBe("failed");
    expect(run.cleanup).toEqual([{ service: "vm", action: "stop", ok: true, message: "stopped vm, which the run started and which was still running" }]);
    expect(docker.services.get("vm")!.state).toBe("exited");
    expect(docker.calls.filter((c) => c.startsWith("act"))).toEqual(["act vm start", "act vm stop"]);
  });

  it("is left alone when it has stopped by itself (the VM powered off)", async () => {
    const { engine, docker, scenario } = withVm([fakeProbe("dns", () => {
      docker.services.get("vm")!.state = "exited"; // QEMU exits when the guest powers off
      return Promise.resolve({ ok: true, data: {}, transcript: [] });
    })]);
    const run = await engine.waitFor(engine.start(scenario([{ id: "boot", service: "vm", action: "start", waitHealthy: false }, { id: "watch", probe: "dns" }])).id);
    expect(run.status).toBe("passed");
    expect(run.cleanup).toEqual([{ service: "vm", action: "none", ok: true, message: "vm, which the run started, had already stopped (exited)" }]);
    expect(docker.calls.filter((c) => c.startsWith("act"))).toEqual(["act vm start"]);
  });

  it("is stopped when the run is aborted while it boots", async () => {
    const { engine, docker, scenario } = withVm([hangingProbe("dns")]);
    const started = engine.start(scenario([{ id: "boot", service: "vm", action: "start", waitHealthy: false }, { id: "watch", probe: "dns" }]));
    await until(() => docker.calls.includes("act vm start"));
    engine.abort(started.id);
    const run = await engine.waitFor(started.id);
    expect(run.status).toBe("aborted");
    expect(run.cleanup).toEqual([{ service: "vm", action: "stop", ok: true, message: "stopped vm, which the run started and which was still running" }]);
    expect(docker.services.get("vm")!.state).toBe("exited");
  });

  it("without a container says how to create one, and names the profile; the cleanup has nothing to stop", async () => {
    const { engine, docker, scenario } = withVm();
    docker.services.delete("vm");
    const run = await engine.waitFor(engine.start(scenario([{ id: "boot", service: "vm", action: "start", waitHealthy: false }])).id);
    expect(run.status).toBe("error");
    expect(run.steps[0]!.error).toEqual({ code: "NO_CONTAINER", message: 'service "vm" is on demand (a compose profile\'s) and has no container yet: ./l7lab up creates it, or "docker compose --profile boot create vm"' });
    expect(run.cleanup).toEqual([]);
  });

  it("a fault on it (pause, kill) is not undone by starting it again: it is stopped at the end, like the run found it", async () => {
    const { engine, docker, scenario } = withVm();
    const run = await engine.waitFor(
      engine.start(scenario([{ id: "boot", service: "vm", action: "start", waitHealthy: false }, { id: "freeze", service: "vm", action: "pause" }])).id,
    );
    expect(run.status).toBe("passed");
    expect(run.cleanup).toEqual([{ service: "vm", action: "stop", ok: true, message: "stopped vm, which the run started and which was still paused" }]);
    expect(docker.services.get("vm")!.state).toBe("exited");
    const killed = await engine.waitFor(engine.start(scenario([{ id: "boot", service: "vm", action: "start", waitHealthy: false }, { id: "kill", service: "vm", action: "kill" }])).id);
    expect(killed.cleanup).toEqual([{ service: "vm", action: "none", ok: true, message: "vm, which the run started, had already stopped (exited)" }]);
    expect(docker.services.get("vm")!.state).toBe("exited");
  });

  it("a service that is not on demand is not stopped at the end of a run that started it", async () => {
    const { engine, docker, scenario } = withVm();
    const run = await engine.waitFor(engine.start(scenario([{ id: "start", service: "dns-resolver", action: "start" }])).id);
    expect(run.cleanup).toEqual([]);
    expect(docker.services.get("dns-resolver")!.state).toBe("running");
  });
});

describe("ScenarioEngine: abort and timeout", () => {
  it.each([
    ["honours its signal", true],
    ["ignores its signal", false],
  ])("aborts a running run whose probe %s, then undoes its faults", async (_what, honour) => {
    const { engine, docker, scenario } = setup([hangingProbe("dns", honour)]);
    const { id } = engine.start(
      scenario([
        { id: "stop-primary", service: "dns-hamburger-1", action: "stop" },
        { id: "trace", probe: "dns" },
        { id: "after", wait: "1s" },
      ]),
    );
    await until(() => engine.get(id).steps[1]!.status === "running");
    expect(engine.abort(id).status).toBe("running");
    const run = await engine.waitFor(id);
    expect(run.status).toBe("aborted");
    expect(run.error).toEqual({ code: "RUN_ABORTED", message: `run "${id}" was aborted` });
    expect(statuses(run)).toEqual(["stop-primary:passed", "trace:error", "after:skipped"]);
    expect(run.steps[1]!.error!.code).toBe("RUN_ABORTED");
    expect(run.cleanup).toMatchObject([{ service: "dns-hamburger-1", action: "start", ok: true }]);
    expect(docker.services.get("dns-hamburger-1")!.state).toBe("running");
  });

  it("aborts a queued run without running it", async () => {
    const calls: string[] = [];
    const dns = fakeProbe("dns", (params) => {
      calls.push(String(params["name"]));
      return Promise.resolve({ ok: true, data: {}, transcript: [] });
    });
    const { engine, scenario } = setup([dns]);
    const first = engine.start(scenario([{ id: "w", wait: "1s" }, { id: "p", probe: "dns", with: { name: "first" } }]));
    const second = engine.start(scenario([{ id: "p", probe: "dns", with: { name: "second" } }]));
    expect(second.status).toBe("queued");
    const aborted = engine.abort(second.id);
    expect(aborted).toMatchObject({ status: "aborted", error: { code: "RUN_ABORTED" }, cleanup: [] });
    expect(statuses(aborted)).toEqual(["p:skipped"]);
    expect(aborted.startedAt).toBeUndefined();
    expect((await engine.waitFor(second.id)).status).toBe("aborted");
    expect((await engine.waitFor(first.id)).status).toBe("passed");
    expect(calls).toEqual(["first"]);
  });

  it("leaves a finished run as it is when asked to abort it", async () => {
    const { engine, scenario } = setup();
    const { id } = engine.start(scenario([{ id: "w", wait: 1 }]));
    const done = await engine.waitFor(id);
    expect(engine.abort(id)).toEqual(done);
  });

  it("stops a run at its timeoutMs, says so, and undoes its faults", async () => {
    const { engine, docker, scenario } = setup([hangingProbe("dns")]);
    const { id } = engine.start(
      scenario(
        [
          { id: "freeze", service: "dns-resolver", action: "pause" },
          { id: "settle", wait: "2s" },
          { id: "trace", probe: "dns" },
          { id: "after", wait: "1s" },
        ],
        { timeoutMs: 5000 },
      ),
    );
    const run = await engine.waitFor(id);
    const message = 'scenario "test" did not finish within its timeoutMs of 5000 ms; raise timeoutMs in the scenario file if it needs longer';
    expect(run.status).toBe("error");
    expect(run.error).toEqual({ code: "RUN_TIMEOUT", message });
    expect(statuses(run)).toEqual(["freeze:passed", "settle:passed", "trace:error", "after:skipped"]);
    expect(run.steps[2]).toMatchObject({ durationMs: 3000, error: { code: "RUN_TIMEOUT", message } });
    expect(run.cleanup).toMatchObject([{ service: "dns-resolver", action: "unpause", ok: true }]);
    expect(docker.services.get("dns-resolver")!.state).toBe("running");
    expect(run.durationMs).toBe(5000);
  });

  it("interrupts a wait step at the timeout", async () => {
    const { engine, scenario } = setup();
    const run = await engine.waitFor(engine.start(scenario([{ id: "long", wait: "1m" }], { timeoutMs: 1000 })).id);
    expect(run).toMatchObject({ status: "error", error: { code: "RUN_TIMEOUT" }, durationMs: 1000 });
    expect(run.steps[0]).toMatchObject({ status: "error", durationMs: 1000 });
  });

  it("does not time out a run that finishes in time", async () => {
    const { engine, scenario } = setup();
    const run = await engine.waitFor(engine.start(scenario([{ id: "short", wait: "1s" }], { timeoutMs: 5000 })).id);
    expect(run.status).toBe("passed");
  });
});

describe("ScenarioEngine: the queue and the run list", () => {
  it("runs one scenario at a time, in the order they were started", async () => {
    const order: string[] = [];
    const dns = fakeProbe("dns", (params) => {
      order.push(String(params["name"]));
      return Promise.resolve({ ok: true, data: {}, transcript: [] });
    });
    const { engine, scenario } = setup([dns]);
    const make = (name: string) => scenario([{ id: "before", probe: "dns", with: { name: `${name}-before` } }, { id: "w", wait: "1s" }, { id: "after", probe: "dns", with: { name: `${name}-after` } }]);
    const a = engine.start(make("a"));
    const b = engine.start(make("b"));
    const c = engine.start(make("c"));
    expect([a.status, b.status, c.status]).toEqual(["running", "queued", "queued"]);
    const [ra, rb, rc] = await Promise.all([engine.waitFor(a.id), engine.waitFor(b.id), engine.waitFor(c.id)]);
    expect(order).toEqual(["a-before", "a-after", "b-before", "b-after", "c-before", "c-after"]);
    expect(Date.parse(rb!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(ra!.finishedAt!));
    expect(Date.parse(rc!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(rb!.finishedAt!));
    expect(rb!.startedAt).toBe(new Date(T0 + 1000).toISOString());
    expect(engine.list().map((r) => r.id)).toEqual([c.id, b.id, a.id]);
  });

  it("refuses a run when the queue is full, with a 429 that names the limit, and takes runs again once one has finished", async () => {
    const { engine, scenario } = setup([], { maxQueuedRuns: 2 });
    const waits = () => scenario([{ id: "w", wait: "1s" }]);
    const runs = [engine.start(waits()), engine.start(waits()), engine.start(waits())];
    expect(runs.map((r) => r.status)).toEqual(["running", "queued", "queued"]);
    let refused: unknown;
    try {
      engine.start(waits());
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(RunQueueFullError);
    expect(refused).toMatchObject({ status: 429, code: "RUN_QUEUE_FULL", details: { queued: 2, limit: 2, retryAfterS: 10 } });
    expect((refused as Error).message).toMatch(/^2 runs are waiting already, the most the queue holds \(limit 2, besides the one running\): wait for one to finish/);
    expect(engine.list()).toHaveLength(3);
    await engine.waitFor(runs[0]!.id);
    expect(engine.start(waits()).status).toBe("queued");
  });

  it("keeps only the newest finished runs", async () => {
    const { engine, scenario } = setup([], { maxFinishedRuns: 2 });
    const ids = [1, 2, 3, 4].map(() => engine.start(scenario([{ id: "w", wait: 1 }])).id);
    await engine.waitFor(ids[3]!);
    expect(engine.list().map((r) => r.id)).toEqual([ids[3], ids[2]]);
    expect(() => engine.get(ids[0]!)).toThrow(`run "${ids[0]}" is not known`);
  });

  it("says which runs it knows when asked for an unknown id", async () => {
    const { engine } = setup();
    expect(() => engine.get("nope")).toThrow('run "nope" is not known. List the runs to see their ids; only the last 200 finished runs are kept.');
    expect(() => engine.abort("nope")).toThrow(/is not known/);
    await expect(engine.waitFor("nope")).rejects.toThrow(/is not known/);
  });
});
