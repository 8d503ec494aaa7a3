import { describe, expect, it } from "vitest";
import type { ProbeOutcome } from "../probes/probe.ts";
import { ProbeRegistry } from "../probes/registry.ts";
import { RunNotFoundError } from "../scenarios/errors.ts";
import type { Scenario } from "../scenarios/schema.ts";
import { constantProbe, FakeDocker, fakeProbe, hangingProbe, SERVICES, testTopology, VirtualClock } from "../scenarios/testing/fakes.ts";
import { validateScenario } from "../scenarios/validate.ts";
import { ScenarioEngine } from "./engine.ts";
import type { RunRecord } from "./run-types.ts";

// engine.watch: what the web UI's event stream (GET /api/runs/:id/events) is made of.

/** An engine with a "gate" probe that answers only when the test opens its gate, in order. */
function setup() {
  const gates: (() => void)[] = [];
  const gate = fakeProbe("gate", () => new Promise<ProbeOutcome>((resolve) => gates.push(() => resolve({ ok: true, data: { opened: true }, transcript: [] }))));
  const registry = new ProbeRegistry([gate, constantProbe("fixed", { answer: 42 }), hangingProbe("hang")]);
  const topology = testTopology();
  let n = 0;
  const engine = new ScenarioEngine({ registry, docker: new FakeDocker(SERVICES), topology, clock: new VirtualClock(), newId: () => `run-${++n}` });
  const scenario = (steps: unknown[]): Scenario => {
    const checked = validateScenario({ name: "watched", title: "A watched run", steps }, { registry, topology });
    if (!checked.ok) throw new Error(checked.problems.join("\n"));
    return checked.scenario;
  };
  /** Opens the oldest closed gate, once the engine has reached it. */
  const open = async () => {
    await until(() => gates.length > 0);
    gates.shift()!();
  };
  return { engine, scenario, open, twoSteps: () => scenario([{ id: "wait", probe: "gate" }, { id: "check", probe: "fixed", expect: [{ path: "answer", equals: 42 }] }]) };
}

/** Lets the engine work until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error("condition never held");
}

/** A listener that keeps what it was given, as "run status: step statuses". */
function recorder() {
  const records: RunRecord[] = [];
  const listener = (record: RunRecord) => void records.push(record);
  const seen = () => records.map((r) => `${r.status}: ${r.steps.map((s) => s.status).join(",")}`);
  return { records, listener, seen };
}

describe("ScenarioEngine.watch", () => {
  it("calls the listener now and at each change of a two-step run: queued, run starts, each step starts and ends, run ends", async () => {
    const { engine, open, twoSteps } = setup();
    const first = engine.start(twoSteps());
    const second = engine.start(twoSteps());
    expect(second.status).toBe("queued");
    const { listener, seen, records } = recorder();
    engine.watch(second.id, listener);
    expect(seen(), "the record as it is now, before watch returns").toEqual(["queued: pending,pending"]);

    await open(); // the first run's gate
    await engine.waitFor(first.id);
    await open(); // the second run's gate
    const done = await engine.waitFor(second.id);

    expect(seen()).toEqual([
      "queued: pending,pending",
      "running: pending,pending",
      "running: running,pending",
      "running: passed,pending",
      "running: passed,running",
      "running: passed,passed",
      "passed: passed,passed",
    ]);
    expect(records.every((r) => r.id === second.id)).toBe(true);
    expect(records.at(-1)).toEqual(done);
    expect(records[3]!.steps[0]).toMatchObject({ result: { opened: true } });
  });

  it("gives the step that failed and the steps skipped after it, then the failed run", async () => {
    const { engine, open, scenario } = setup();
    const run = engine.start(scenario([{ id: "wait", probe: "gate" }, { id: "check", probe: "fixed", expect: [{ path: "answer", equals: 7 }] }, { id: "never", probe: "fixed" }]));
    const { listener, seen, records } = recorder();
    engine.watch(run.id, listener);
    await open();
    await engine.waitFor(run.id);
    expect(seen()).toEqual([
      "running: running,pending,pending",
      "running: passed,pending,pending",
      "running: passed,running,pending",
      "running: passed,failed,pending",
      "failed: passed,failed,skipped",
    ]);
    expect(records.at(-1)!.error).toMatchObject({ code: "ASSERTION_FAILED" });
  });

  it("stops calling a listener once it unsubscribes, and goes on calling the others", async () => {
    const { engine, open, twoSteps } = setup();
    const run = engine.start(twoSteps());
    const quitter = recorder();
    const stayer = recorder();
    const stop = engine.watch(run.id, quitter.listener);
    engine.watch(run.id, stayer.listener);
    stop();
    stop(); // twice is harmless
    await open();
    await engine.waitFor(run.id);
    expect(quitter.seen()).toEqual(["running: running,pending"]);
    expect(stayer.seen().at(-1)).toBe("passed: passed,passed");
    expect(stayer.records).toHaveLength(5);
  });

  it("calls a listener on a finished run exactly once, and never again", async () => {
    const { engine, open, twoSteps } = setup();
    const run = engine.start(twoSteps());
    await open();
    const done = await engine.waitFor(run.id);
    const { listener, records } = recorder();
    const stop = engine.watch(run.id, listener);
    expect(records).toEqual([done]);
    // Other runs change nothing for it.
    const other = engine.start(twoSteps());
    await open();
    await engine.waitFor(other.id);
    expect(records).toHaveLength(1);
    expect(() => stop()).not.toThrow();
  });

  it("calls a listener no more once its run has ended", async () => {
    const { engine, open, twoSteps } = setup();
    const run = engine.start(twoSteps());
    const { listener, records } = recorder();
    engine.watch(run.id, listener);
    await open();
    await engine.waitFor(run.id);
    const count = records.length;
    const next = engine.start(twoSteps());
    await open();
    await engine.waitFor(next.id);
    expect(records).toHaveLength(count);
    expect(records.at(-1)!.status).toBe("passed");
  });

  it("throws RunNotFoundError for an unknown run, and calls nothing", () => {
    const { engine } = setup();
    const { listener, records } = recorder();
    expect(() => engine.watch("nope", listener)).toThrow(RunNotFoundError);
    expect(() => engine.watch("nope", listener)).toThrow(/run "nope" is not known/);
    expect(records).toEqual([]);
  });

  it("tells the listener of a queued run that is aborted: aborted, its steps skipped, and nothing after", async () => {
    const { engine, open, twoSteps } = setup();
    const first = engine.start(twoSteps());
    const queued = engine.start(twoSteps());
    const { listener, seen, records } = recorder();
    engine.watch(queued.id, listener);
    engine.abort(queued.id);
    expect(seen()).toEqual(["queued: pending,pending", "aborted: skipped,skipped"]);
    expect(records[1]!.error).toMatchObject({ code: "RUN_ABORTED" });
    await open();
    await engine.waitFor(first.id);
    expect(records).toHaveLength(2);
  });

  it("tells the listener of a running run that is aborted: its step ends, then the run is aborted", async () => {
    const { engine, scenario } = setup();
    const run = engine.start(scenario([{ id: "hang", probe: "hang" }, { id: "after", probe: "fixed" }]));
    const { listener, seen } = recorder();
    engine.watch(run.id, listener);
    engine.abort(run.id);
    await engine.waitFor(run.id);
    expect(seen()[0]).toBe("running: running,pending");
    expect(seen().at(-1)).toBe("aborted: error,skipped");
  });

  it("hands out copies: a listener that changes its record changes neither the run nor what it is given next", async () => {
    const { engine, open, twoSteps } = setup();
    const run = engine.start(twoSteps());
    const { listener, seen } = recorder();
    engine.watch(run.id, (record) => {
      listener(structuredClone(record));
      record.status = "failed";
      for (const step of record.steps) step.status = "error";
    });
    expect(engine.get(run.id)).toMatchObject({ status: "running", steps: [{ status: "running" }, { status: "pending" }] });
    await open();
    expect((await engine.waitFor(run.id)).status).toBe("passed");
    expect(seen()).toEqual(["running: running,pending", "running: passed,pending", "running: passed,running", "running: passed,passed", "passed: passed,passed"]);
  });

  // BUG (reported): #changed makes one copy and hands it to every listener, so one listener's
  // change is what the next listener sees. Fix: snapshot(record) per listener. Flip to `it` then.
  it("gives each listener its own copy: one listener's change is not what another sees", async () => {
    const { engine, open, twoSteps } = setup();
    const run = engine.start(twoSteps());
    const spoiler = (record: RunRecord) => void (record.status = "failed");
    const other = recorder();
    engine.watch(run.id, spoiler);
    engine.watch(run.id, other.listener);
    await open();
    await engine.waitFor(run.id);
    // The first call (at watch) is a copy of its own; the later ones are shared with the spoiler.
    expect(other.records.map((r) => r.status)).toEqual(["running", "running", "running", "running", "passed"]);
  });

  // BUG (reported): a listener that throws breaks the engine. At a step's start or end (here) the
  // throw ends the run as an INTERNAL error; at the run's end (#finish, in #pump's finally) it is an
  // unhandled rejection that leaves the run active and unsettled: waitFor never answers and the
  // queue stops. Fix: call each listener in try/catch in #changed. Flip to `it` then.
  it("keeps a run going when a listener throws: the run passes and the next run in the queue runs", async () => {
    const { engine, open, twoSteps } = setup();
    const run = engine.start(twoSteps());
    const next = engine.start(twoSteps());
    let calls = 0;
    engine.watch(run.id, () => {
      if (++calls === 2) throw new Error("a listener's own bug");
    });
    await open();
    expect(await engine.waitFor(run.id)).toMatchObject({ status: "passed" });
    await open();
    expect((await engine.waitFor(next.id)).status).toBe("passed");
  });
});
