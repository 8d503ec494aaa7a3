import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { parseComposeTopology } from "../lab/topology.ts";
import type { Capturer } from "../capture/docker-capture.ts";
import type { CapturePlan } from "../capture/plan.ts";
import { PcapStore } from "../capture/store.ts";
import { ProbeRegistry } from "../probes/registry.ts";
import { FakeDocker, VirtualClock } from "../scenarios/testing/fakes.ts";
import { validateScenario } from "../scenarios/validate.ts";
import { ScenarioEngine } from "./engine.ts";

const topology = parseComposeTopology(readFileSync(new URL("../../../docker-compose.yml", import.meta.url), "utf8"));

it("a run started with capture: true (./l7lab run --pcap) keeps the scenario's own capture: services, networks and filter", async () => {
  const plans: CapturePlan[] = [];
  const capturer: Capturer = {
    start: (plan) => (plans.push(plan), Promise.resolve({ labels: [], stats: () => ({ packets: 0, bytes: 0, truncated: false }), ended: new Promise(() => undefined), stop: () => Promise.resolve({ pcapng: Buffer.alloc(0), packets: 0, bytes: 0, truncated: false, errors: [] }) })),
    removeStray: () => Promise.resolve([]),
  };
  const registry = new ProbeRegistry([]);
  const engine = new ScenarioEngine({ registry, docker: new FakeDocker(topology.serviceNames()), topology, clock: new VirtualClock(), capture: { capturer, store: new PcapStore("/tmp/mut-pcaps") } });
  const checked = validateScenario({ name: "s", title: "t", capture: { networks: ["campus"], filter: "port 3128" }, steps: [{ id: "s", service: "proxy", action: "restart", waitHealthy: false }] }, { registry, topology });
  if (!checked.ok) throw new Error(checked.problems.join());
  const run = engine.start(checked.scenario, { capture: true });
  expect(run.capture).toMatchObject({ services: ["network:campus"], filter: "port 3128" });
  // ./l7lab run --pcap x --filter "port 80": the filter narrows the scenario's capture, not replaces its targets
  const run2 = engine.start(checked.scenario, { capture: { filter: "port 80" } });
  expect(run2.capture).toMatchObject({ services: ["network:campus"], filter: "port 80" });
});
