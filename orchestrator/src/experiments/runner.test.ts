import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../common/clock.ts";
import { ScenarioEngine } from "../engine/engine.ts";
import { ProbeRegistry } from "../probes/registry.ts";
import { fakeProbe, FakeDocker, hangingProbe, SERVICES, testTopology } from "../scenarios/testing/fakes.ts";
import { ExperimentCatalog } from "./catalog.ts";
import { ExperimentRunner, type ExperimentRun } from "./runner.ts";

const EXPERIMENT = `name: demo
title: Demo
factors:
  - { name: rttMs, levels: [0, 10, 20] }
repetitions: 3
steps:
  - { id: delay, fault: { service: dns-resolver, delayMs: "\${rttMs}" } }
measure:
  steps:
    - { id: lookup, probe: dns, with: {} }
  metric: { step: lookup, path: rttMs, name: time, unit: ms }
model:
  - { expression: "3 * rttMs" }
bound: { relative: 0.1, absolute: 1 }
`;

let dir = "";
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A lab whose dns probe answers 3 x the delay the fault step put on the resolver, plus `extra` ms. */
async function setup(extra = 0, text = EXPERIMENT) {
  dir = mkdtempSync(join(tmpdir(), "experiments-"));
  writeFileSync(join(dir, "demo.yaml"), text);
  const docker = new FakeDocker(SERVICES);
  const topology = testTopology();
  const delayNow = () => {
    const last = docker.calls.filter((c) => c.startsWith("netfault dns-resolver")).at(-1) ?? "";
    const us = /--delay-us (\d+)/.exec(last);
    return us ? Number(us[1]) / 1000 : 0;
  };
  const registry = new ProbeRegistry([fakeProbe("dns", () => Promise.resolve({ ok: true, data: { rttMs: 3 * delayNow() + extra }, transcript: [] })), hangingProbe("hang")]);
  const engine = new ScenarioEngine({ registry, docker, topology });
  const catalog = await new ExperimentCatalog(dir, { registry, topology }).reload();
  const runner = new ExperimentRunner(catalog, engine, { registry, topology }, systemClock);
  const finished = async (run: ExperimentRun): Promise<ExperimentRun> => {
    for (let r = run; ; r = runner.get("demo", run.id)) {
      if (r.status !== "running") return r;
      await new Promise((res) => setTimeout(res, 10));
    }
  };
  return { docker, runner, finished };
}

describe("the experiment runner", () => {
  it("measures each point as a scenario run, its faults undone after it, and passes when every mean keeps the bound", async () => {
    const { docker, runner, finished } = await setup();
    const run = await finished(runner.start("demo", false));
    expect(run.status).toBe("passed");
    expect(run.points.map((p) => [p.point["rttMs"], p.values, p.model, p.withinBound])).toEqual([
      [0, [0, 0, 0], 0, true],
      [10, [30, 30, 30], 30, true],
      [20, [60, 60, 60], 60, true],
    ]);
    expect(run.points[1]!.stats).toEqual({ n: 3, mean: 30, sd: 0, min: 30, max: 30 });
    // Each point's fault was applied, then removed at the end of its run.
    expect(docker.calls.filter((c) => /^(net|un)fault/.test(c))).toEqual([
      "netfault dns-resolver profile --delay-us 0 --backend nfqueue",
      "unfault dns-resolver profile --delay-us 0 --backend nfqueue",
      "netfault dns-resolver profile --delay-us 10000 --backend nfqueue",
      "unfault dns-resolver profile --delay-us 10000 --backend nfqueue",
      "netfault dns-resolver profile --delay-us 20000 --backend nfqueue",
      "unfault dns-resolver profile --delay-us 20000 --backend nfqueue",
    ]);
    expect(docker.netFaults.size).toBe(0);
  });

  it("fails when a mean leaves its bound, and --quick runs the first and last level once", async () => {
    const { runner, finished } = await setup(2.5);
    const run = await finished(runner.start("demo", true));
    expect(run.status).toBe("failed");
    expect(run.repetitions).toBe(1);
    expect(run.points.map((p) => [p.point["rttMs"], p.stats?.mean, p.allowed, p.withinBound])).toEqual([
      [0, 2.5, 1, false],
      [20, 62.5, 6, true],
    ]);
  });

  it("refuses a second run while one is under way, and an unknown experiment, listing the known", async () => {
    const { runner, finished } = await setup();
    const first = runner.start("demo", true);
    expect(() => runner.start("demo", true)).toThrow(/experiment run .* \(demo\) is running; wait for it or abort it first/);
    expect(() => runner.start("nothing", true)).toThrow(/experiment "nothing" is not known.*demo/);
    await finished(first);
  });

  it("abortActive (at shutdown) stops the experiment under way, which starts no further point", async () => {
    const { docker, runner, finished } = await setup(0, EXPERIMENT.replace("probe: dns, with: {}", "probe: hang, with: {}").replace("path: rttMs", "path: x"));
    const run = runner.start("demo", false);
    while (!docker.calls.some((c) => c.startsWith("netfault"))) await new Promise((res) => setTimeout(res, 5));
    runner.abortActive();
    const done = await finished(run);
    expect(done.status).toBe("aborted");
    expect(docker.calls.filter((c) => c.startsWith("netfault"))).toHaveLength(1);
    expect(docker.netFaults.size).toBe(0);
    runner.abortActive(); // nothing under way: nothing to do
  });

  it("aborted, stops at the point under way, undoes its faults and measures no more", async () => {
    const { docker, runner, finished } = await setup(0, EXPERIMENT.replace("probe: dns, with: {}", "probe: hang, with: {}").replace("path: rttMs", "path: x"));
    const run = runner.start("demo", false);
    while (!docker.calls.some((c) => c.startsWith("netfault"))) await new Promise((res) => setTimeout(res, 5));
    runner.abort("demo", run.id);
    const done = await finished(run);
    expect(done.status).toBe("aborted");
    expect(done.points.map((p) => p.status)).toEqual(["aborted", "aborted", "aborted"]);
    expect(docker.netFaults.size).toBe(0);
  });
});
