/**
 * For the fuzzer's unit tests: the API's OpenAPI document as the orchestrator serves it, from an
 * app over a fake Docker (no lab, no listening socket).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildApp } from "../../orchestrator/src/api/app.ts";
import { systemClock } from "../../orchestrator/src/common/clock.ts";
import { defaultProbes } from "../../orchestrator/src/probes/default-probes.ts";
import { ScenarioCatalog } from "../../orchestrator/src/scenarios/catalog.ts";
import { ScenarioEngine } from "../../orchestrator/src/engine/engine.ts";
import { ManualFaults } from "../../orchestrator/src/faults/manual-faults.ts";
import { FakeDocker, SERVICES, testTopology } from "../../orchestrator/src/scenarios/testing/fakes.ts";
import type { OpenApiDocument } from "./openapi.ts";

let cached: Promise<OpenApiDocument> | undefined;

export function apiDocument(): Promise<OpenApiDocument> {
  cached ??= (async () => {
    const dir = await mkdtemp(join(tmpdir(), "l7lab-fuzz-"));
    const docker = Object.assign(new FakeDocker([...SERVICES]), { project: "l7lab", ping: () => Promise.resolve(true) });
    const registry = defaultProbes();
    const topology = testTopology();
    const catalog = await ScenarioCatalog.load(dir, { registry, topology });
    const engine = new ScenarioEngine({ registry, docker, topology });
    const app = await buildApp({ docker, topology, registry, catalog, engine, faults: new ManualFaults(docker, topology, systemClock), access: { token: () => "t", ports: [80] } });
    try {
      const res = await app.inject({ method: "GET", url: "/api/openapi.json", headers: { authorization: "Bearer t" } });
      return res.json<OpenApiDocument>();
    } finally {
      await app.close();
      await rm(dir, { recursive: true, force: true });
    }
  })();
  return cached;
}
