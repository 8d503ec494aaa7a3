import { readFileSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CaptureResult, CaptureSession, Capturer } from "../capture/docker-capture.ts";
import { targetLabel, type CapturePlan } from "../capture/plan.ts";
import { PcapStore } from "../capture/store.ts";
import { InvalidInputError, L7labError } from "../common/errors.ts";
import { parseComposeTopology } from "../lab/topology.ts";
import type { Probe } from "../probes/probe.ts";
import { ProbeRegistry } from "../probes/registry.ts";
import type { Scenario } from "../scenarios/schema.ts";
import { FakeDocker, fakeProbe, hangingProbe, VirtualClock } from "../scenarios/testing/fakes.ts";
import { validateScenario } from "../scenarios/validate.ts";
import { ScenarioEngine, type ScenarioEngineOptions } from "./engine.ts";
import type { RunRecord } from "./run-types.ts";

// The lab's own topology, so that the services a run touches are docker-compose.yml's.
const topology = parseComposeTopology(readFileSync(new URL("../../../docker-compose.yml", import.meta.url), "utf8"));
const MiB = 2 ** 20;

/**
 * A capturer that captures nothing: it writes "capture start <targets>" and "capture stop" to a log
 * shared with the fake Docker and the probes, so that a test sees what happened in which order.
 */
class FakeCapturer implements Capturer {
  readonly plans: CapturePlan[] = [];
  startError: Error | undefined;
  stopError: Error | undefined;
  /** When set, start waits for it: a capture that takes its time to start listening. */
  startGate: Promise<void> | undefined;
  stops = 0;
  result: CaptureResult = { pcapng: Buffer.from("pcapng bytes"), packets: 12, bytes: 3456, truncated: false, errors: [] };

  readonly log: string[];

  constructor(log: string[]) {
    this.log = log;
  }

  async start(plan: CapturePlan): Promise<CaptureSession> {
    this.plans.push(plan);
    this.log.push(`capture start ${plan.targets.map(targetLabel).join(",")}`);
    if (this.startGate) await this.startGate;
    if (this.startError) throw this.startError;
    return {
      labels: plan.targets.map(targetLabel),
      stats: () => ({ packets: 0, bytes: 0, truncated: false }),
      ended: new Promise<void>(() => undefined),
      stop: () => {
        this.stops += 1;
        this.log.push("capture stop");
        return this.stopError ? Promise.reject(this.stopError) : Promise.resolve(this.result);
      },
    };
  }

  removeStray(): Promise<string[]> {
    return Promise.resolve([]);
  }
}

/** A probe that answers ok at once and logs "probe <name> <server>". */
const loggingProbe = (name: string, log: string[]): Probe =>
  fakeProbe(name, (params) => {
    log.push(`probe ${name} ${String(params["server"] ?? "")}`.trim());
    return Promise.resolve({ ok: true, data: { code: 250 }, transcript: [] });
  });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "engine-capture-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function setup(options: { capture?: boolean; probes?: (log: string[]) => Probe[]; store?: PcapStore; engine?: Partial<ScenarioEngineOptions> } = {}) {
  const docker = new FakeDocker(topology.serviceNames());
  // One log for Docker's calls, the probes and the capture.
  const log = docker.calls;
  const registry = new ProbeRegistry(options.probes ? options.probes(log) : [loggingProbe("smtp", log), loggingProbe("logs", log), hangingProbe("http")]);
  const capturer = new FakeCapturer(log);
  const store = options.store ?? new PcapStore(join(dir, "pcaps"));
  let n = 0;
  const engine = new ScenarioEngine({
    registry,
    docker,
    topology,
    clock: new VirtualClock(),
    healthTimeoutMs: 10_000,
    healthIntervalMs: 500,
    newId: () => `run-${++n}`,
    ...(options.capture === false ? {} : { capture: { capturer, store } }),
    ...options.engine,
  });
  const scenario = (steps: unknown[], extra: Record<string, unknown> = {}): Scenario => {
    const checked = validateScenario({ name: "capture-test", title: "A captured run", steps, ...extra }, { registry, topology });
    if (!checked.ok) throw new Error(checked.problems.join("\n"));
    return checked.scenario;
  };
  // What the lab saw: Docker's actions, the probes and the capture, not the health polls.
  const events = () => log.filter((l) => !l.startsWith("state "));
  return { docker, engine, capturer, store, scenario, events };
}

/** Lets the engine work until `condition` holds. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (condition()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error("condition never held");
}

function thrown(f: () => unknown): L7labError {
  try {
    f();
  } catch (error) {
    return error as L7labError;
  }
  throw new Error("nothing was thrown");
}

const statuses = (run: RunRecord) => run.steps.map((s) => `${s.id}:${s.status}`);

// A mail step and a fault that is undone at the end: the capture must span both, and the heal.
const MAIL_STEPS = [
  { id: "stop-www", service: "www", action: "stop" },
  { id: "send", probe: "smtp", with: { server: "mail.crepes.fr", port: 587 } },
];

describe("ScenarioEngine: a captured run", () => {
  it("starts the capture before the first step and stops it after the cleanup, then keeps its file", async () => {
    const { engine, capturer, store, scenario, events } = setup();
    const started = engine.start(scenario(MAIL_STEPS), { capture: true });
    expect(started.capture).toEqual({ services: ["mail-crepes", "www", "prober"], packets: 0, bytes: 0, limitBytes: 64 * MiB, truncated: false, pcap: false, errors: [] });

    const run = await engine.waitFor(started.id);
    expect(events()).toEqual(["capture start mail-crepes,www,prober", "act www stop", "probe smtp mail.crepes.fr", "act www start", "capture stop"]);
    expect(run.status).toBe("passed");
    expect(run.cleanup).toMatchObject([{ service: "www", action: "start", ok: true }]);
    expect(run.capture).toEqual({ services: ["mail-crepes", "www", "prober"], packets: 12, bytes: 3456, limitBytes: 64 * MiB, truncated: false, pcap: true, errors: [] });
    expect(capturer.plans).toHaveLength(1);
    expect(capturer.plans[0]!.targets.find((t) => t.name === "mail-crepes")).toEqual({
      kind: "service",
      name: "mail-crepes",
      interfaces: [
        { network: "internet", address: "10.0.0.21" },
        { network: "crepes-mail-backend", address: "10.253.1.2" },
      ],
    });
    const file = await store.find(run.id);
    expect(file).toBeDefined();
    expect(await readFile(file!, "utf8")).toBe("pcapng bytes");
  });

  it("passes the filter and size limit on, and records a capture that hit its limit", async () => {
    const { engine, capturer, scenario } = setup();
    capturer.result = { ...capturer.result, truncated: true };
    const run = await engine.waitFor(engine.start(scenario(MAIL_STEPS), { capture: { services: ["mail-crepes"], filter: "tcp port 587", limitMB: 2 } }).id);
    expect(capturer.plans[0]).toMatchObject({ filter: "tcp port 587", limitBytes: 2 * MiB, targets: [{ name: "mail-crepes" }] });
    expect(run.capture).toMatchObject({ services: ["mail-crepes"], filter: "tcp port 587", limitBytes: 2 * MiB, truncated: true, pcap: true });
    expect(run.status).toBe("passed");
  });

  it("keeps each run's capture under its own id", async () => {
    const { engine, capturer, store, scenario } = setup();
    const first = await engine.waitFor(engine.start(scenario(MAIL_STEPS), { capture: true }).id);
    capturer.result = { ...capturer.result, pcapng: Buffer.from("second run") };
    const second = await engine.waitFor(engine.start(scenario(MAIL_STEPS), { capture: true }).id);
    expect(await readFile((await store.find(first.id))!, "utf8")).toBe("pcapng bytes");
    expect(await readFile((await store.find(second.id))!, "utf8")).toBe("second run");
  });

  it("keeps the capture, and its errors, of a run whose capture saw trouble", async () => {
    const { engine, capturer, store, scenario } = setup();
    capturer.result = { ...capturer.result, errors: ["mail-crepes/eth0: 7 packets dropped by the kernel (tcpdump could not keep up)"] };
    const run = await engine.waitFor(engine.start(scenario(MAIL_STEPS), { capture: true }).id);
    expect(run.status).toBe("passed");
    expect(run.capture).toMatchObject({ pcap: true, errors: ["mail-crepes/eth0: 7 packets dropped by the kernel (tcpdump could not keep up)"] });
    expect(await store.find(run.id)).toBeDefined();
  });
});

describe("ScenarioEngine: a capture that fails", () => {
  it("runs no step when the capture cannot start, and says so", async () => {
    const { engine, capturer, store, scenario, events } = setup();
    capturer.startError = new L7labError("CAPTURE_FAILED", 400, "the capture on www/eth0 could not start: tcpdump: syntax error", {});
    const run = await engine.waitFor(engine.start(scenario(MAIL_STEPS), { capture: true }).id);
    expect(run.status).toBe("error");
    expect(run.error).toEqual({ code: "CAPTURE_FAILED", message: "the packet capture could not start, so no step ran: the capture on www/eth0 could not start: tcpdump: syntax error" });
    expect(statuses(run)).toEqual(["stop-www:skipped", "send:skipped"]);
    expect(events()).toEqual(["capture start mail-crepes,www,prober"]);
    expect(capturer.stops).toBe(0);
    expect(run.cleanup).toEqual([]);
    expect(run.capture).toMatchObject({ pcap: false, packets: 0, errors: ["the capture on www/eth0 could not start: tcpdump: syntax error"] });
    expect(await store.find(run.id)).toBeUndefined();
  });

  it("turns a run whose steps passed into an error when its capture cannot be stopped", async () => {
    const { engine, capturer, store, scenario, events } = setup();
    capturer.stopError = new Error("the helper vanished");
    const run = await engine.waitFor(engine.start(scenario(MAIL_STEPS), { capture: true }).id);
    expect(events().slice(-2)).toEqual(["act www start", "capture stop"]);
    expect(statuses(run)).toEqual(["stop-www:passed", "send:passed"]);
    expect(run.capture).toMatchObject({ pcap: false, errors: ["the capture could not be kept: the helper vanished"] });
    expect(run.status).toBe("error");
    expect(run.error).toEqual({ code: "CAPTURE_FAILED", message: "the steps passed, but the packet capture was lost: the capture could not be kept: the helper vanished" });
    expect(await store.find(run.id)).toBeUndefined();
  });

  it("turns a passing run into an error when its capture cannot be written, keeping the counts", async () => {
    const blocked = join(dir, "not-a-dir");
    await writeFile(blocked, "a file where the store's directory should be");
    const { engine, scenario } = setup({ store: new PcapStore(blocked) });
    const run = await engine.waitFor(engine.start(scenario(MAIL_STEPS), { capture: true }).id);
    expect(run.capture).toMatchObject({ packets: 12, bytes: 3456, pcap: false, errors: [expect.stringMatching(/^the capture could not be kept: /)] });
    expect(run.status).toBe("error");
    expect(run.error!.code).toBe("CAPTURE_FAILED");
  });

  it("keeps a failed run's own failure when its capture is lost as well", async () => {
    const { engine, capturer, scenario } = setup({ probes: (log) => [fakeProbe("smtp", () => (log.push("probe smtp"), Promise.resolve({ ok: true, data: { code: 550 }, transcript: [] })))] });
    capturer.stopError = new Error("the helper vanished");
    const run = await engine.waitFor(engine.start(scenario([{ id: "send", probe: "smtp", with: { server: "mail.crepes.fr" }, expect: [{ path: "code", equals: 250 }] }]), { capture: true }).id);
    expect(run.status).toBe("failed");
    expect(run.error!.code).toBe("ASSERTION_FAILED");
    expect(run.capture).toMatchObject({ pcap: false, errors: ["the capture could not be kept: the helper vanished"] });
  });
});

describe("ScenarioEngine: a captured run that is aborted", () => {
  it("stops the capture of a run aborted in the middle of a step, after undoing its faults", async () => {
    const { engine, capturer, store, scenario, events } = setup();
    const { id } = engine.start(
      scenario([
        { id: "stop-www", service: "www", action: "stop" },
        { id: "fetch", probe: "http", with: { url: "http://www.someschool.edu/x" } },
        { id: "after", wait: "1s" },
      ]),
      { capture: true },
    );
    await until(() => engine.get(id).steps[1]!.status === "running");
    expect(capturer.stops).toBe(0);
    engine.abort(id);
    const run = await engine.waitFor(id);
    expect(run.status).toBe("aborted");
    expect(statuses(run)).toEqual(["stop-www:passed", "fetch:error", "after:skipped"]);
    expect(events()).toEqual(["capture start www,prober", "act www stop", "act www start", "capture stop"]);
    expect(capturer.stops).toBe(1);
    expect(run.capture).toMatchObject({ pcap: true, packets: 12 });
    expect(await store.find(id)).toBeDefined();
  });

  it("runs no step of a run aborted while its capture starts, and still stops the capture", async () => {
    const { engine, capturer, scenario, events } = setup();
    let open!: () => void;
    capturer.startGate = new Promise<void>((resolve) => (open = resolve));
    const { id } = engine.start(scenario(MAIL_STEPS), { capture: true });
    await until(() => capturer.plans.length === 1);
    engine.abort(id);
    open();
    const run = await engine.waitFor(id);
    expect(run.status).toBe("aborted");
    expect(statuses(run)).toEqual(["stop-www:skipped", "send:skipped"]);
    expect(events()).toEqual(["capture start mail-crepes,www,prober", "capture stop"]);
  });

  it("never starts the capture of a run aborted while it was queued", async () => {
    const { engine, capturer, scenario } = setup();
    const first = engine.start(scenario([{ id: "w", wait: "1s" }]));
    const second = engine.start(scenario(MAIL_STEPS), { capture: true });
    expect(second.status).toBe("queued");
    expect(engine.abort(second.id).status).toBe("aborted");
    await engine.waitFor(first.id);
    expect(capturer.plans).toEqual([]);
    expect((await engine.waitFor(second.id)).capture).toMatchObject({ pcap: false });
  });
});

describe("ScenarioEngine: which capture a run gets", () => {
  it("refuses a capture with a 503 when it has no capturer, and records no run", () => {
    const { engine, scenario } = setup({ capture: false });
    const error = thrown(() => engine.start(scenario(MAIL_STEPS), { capture: true }));
    expect(error).toBeInstanceOf(L7labError);
    expect(error).toMatchObject({ code: "CAPTURE_UNAVAILABLE", status: 503 });
    expect(error.message).toBe("this orchestrator cannot capture packets (it was started without a capture helper)");
    expect(thrown(() => engine.start(scenario(MAIL_STEPS, { capture: true }))).code).toBe("CAPTURE_UNAVAILABLE");
    expect(engine.list()).toEqual([]);
  });

  it("runs a scenario that asks for a capture without one when the start turns it off, even with no capturer", async () => {
    const { engine, scenario } = setup({ capture: false });
    const run = await engine.waitFor(engine.start(scenario(MAIL_STEPS, { capture: true }), { capture: false }).id);
    expect(run.status).toBe("passed");
    expect(run.capture).toBeUndefined();
  });

  it("uses the scenario's own capture when the start gives none", async () => {
    const { engine, capturer, scenario } = setup();
    const run = await engine.waitFor(engine.start(scenario(MAIL_STEPS, { capture: { services: ["dns-resolver"], filter: "port 53" } })).id);
    expect(capturer.plans).toHaveLength(1);
    expect(capturer.plans[0]).toMatchObject({ filter: "port 53", targets: [{ kind: "service", name: "dns-resolver" }] });
    expect(run.capture).toMatchObject({ services: ["dns-resolver"], filter: "port 53", pcap: true });

    const all = await engine.waitFor(engine.start(scenario(MAIL_STEPS, { capture: true }), {}).id);
    expect(all.capture!.services).toEqual(["mail-crepes", "www", "prober"]);
  });

  it("captures nothing when the start says capture: false, or nobody asks", async () => {
    const { engine, capturer, scenario, store } = setup();
    const off = await engine.waitFor(engine.start(scenario(MAIL_STEPS, { capture: { networks: ["campus"] } }), { capture: false }).id);
    const none = await engine.waitFor(engine.start(scenario(MAIL_STEPS)).id);
    for (const run of [off, none]) {
      expect(run.status).toBe("passed");
      expect(run.capture).toBeUndefined();
      expect(await store.find(run.id)).toBeUndefined();
    }
    expect(capturer.plans).toEqual([]);
  });

  it("refuses a capture it cannot plan before recording a run: the orchestrator, or nothing to capture", () => {
    const { engine, capturer, scenario } = setup();
    const orchestrator = thrown(() => engine.start(scenario(MAIL_STEPS), { capture: { services: ["orchestrator"] } }));
    expect(orchestrator).toBeInstanceOf(InvalidInputError);
    expect(orchestrator.status).toBe(400);
    expect(orchestrator.message).toMatch(/service "orchestrator" cannot be captured: it carries the API and its token/);

    const nothing = thrown(() => engine.start(scenario([{ id: "w", wait: "1s" }]), { capture: true }));
    expect(nothing).toBeInstanceOf(InvalidInputError);
    expect(nothing.message).toMatch(/there is nothing to capture/);

    expect(thrown(() => engine.start(scenario(MAIL_STEPS), { capture: { filter: "-w /etc/passwd" } })).status).toBe(400);
    expect(engine.list()).toEqual([]);
    expect(capturer.plans).toEqual([]);
  });
});
