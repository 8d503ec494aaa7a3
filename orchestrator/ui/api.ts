/**
 * The API as the web UI calls it: same origin, the session cookie, JSON (src/ui-logic/api-client.ts).
 * The shapes are the server's own types, imported as types only: the run record from
 * engine/run-record.ts, the topology and scenario summaries from api/schemas.ts, experiment runs
 * from experiments/runner.ts, faults from faults/schema.ts.
 */
import type { Static } from "typebox";
import type { ScenarioSummary } from "../src/api/schemas.ts";
import type { RunRecord } from "../src/engine/run-record.ts";
import type { ExperimentRun } from "../src/experiments/runner.ts";
import { apiClient, apiPath } from "../src/ui-logic/api-client.ts";
import type { FaultRequest, HealedFault, ManualFault } from "../src/ui-logic/fault-form.ts";
import type { Topology } from "../src/ui-logic/topology-layout.ts";

export type { ExperimentRun, RunRecord, Topology };
export type Scenario = Static<typeof ScenarioSummary>;

/** GET /api/experiments: an experiment file (routes/experiments.ts). */
export interface ExperimentSummary {
  name: string;
  file: string;
  valid: boolean;
  title?: string;
  description?: string;
  factors?: { name: string; levels: (number | string)[]; unit?: string }[];
  repetitions?: number;
  errors: string[];
}

/** GET /api/capabilities (routes/faults.ts). */
export interface Capabilities {
  kernel: Record<string, boolean>;
  kinds: Record<string, { backend: string; available: boolean }>;
}

const client = apiClient((url, init) => fetch(url, init));

export const api = {
  topology: () => client.get<Topology>("/api/topology"),
  scenarios: () => client.get<Scenario[]>("/api/scenarios"),
  startRun: (scenario: string, capture: boolean) => client.post<RunRecord>(apiPath`/api/scenarios/${scenario}/runs`, capture ? { capture: true } : {}),
  runs: () => client.get<RunRecord[]>("/api/runs"),
  run: (id: string) => client.get<RunRecord>(apiPath`/api/runs/${id}`),
  abortRun: (id: string) => client.post<RunRecord>(apiPath`/api/runs/${id}/abort`),
  pcapHref: (id: string) => apiPath`/api/runs/${id}/pcap`,
  faults: () => client.get<ManualFault[]>("/api/faults"),
  applyFault: (fault: FaultRequest) => client.post<ManualFault>("/api/faults", fault),
  healFault: (id: string) => client.del<HealedFault>(apiPath`/api/faults/${id}`),
  capabilities: () => client.get<Capabilities>("/api/capabilities"),
  experiments: () => client.get<ExperimentSummary[]>("/api/experiments"),
  experimentRuns: (name: string) => client.get<ExperimentRun[]>(apiPath`/api/experiments/${name}/runs`),
};
