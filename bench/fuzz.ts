/**
 * Benchmark: fuzzes the orchestrator's live API from its own OpenAPI document, the way
 * Schemathesis does (Schemathesis is on PyPI, which these machines cannot reach; this stands on
 * fast-check, the JavaScript counterpart of the Hypothesis engine Schemathesis stands on).
 *
 *   npm run bench:fuzz [-- --requests N] [-- --unauth-requests M] [-- --seed S] [-- --acts K]
 *
 * It reads GET /api/openapi.json and, for every operation, generates requests from the documented
 * schemas (bench/fuzz/request-arbitraries.ts): valid ones, and invalid ones (wrong types, missing
 * or unknown fields, out of range, bad enum values, wrong Content-Type, text that is not JSON,
 * bodies nested 20,000 deep, strings of 512 KiB, malformed and overlong path segments, another
 * Host). Each request is sent, and its answer must have a status below 500, a status the operation
 * documents, and a body that matches the documented schema (bench/fuzz/response-check.ts). A
 * failure is shrunk by fast-check to a minimal request, printed with the answer it got.
 *
 * Phases:
 *   0. GET /api/health must be ok; the lab's state is noted (services, faults, runs).
 *   1. acts: K valid requests that really act (default 1 of each kind), each undone at once.
 *   2. with the token: N generated requests (default 10,000), spread over the operations by how
 *      much input each takes; 40% valid, 60% invalid (for a probe call 30% of all its requests
 *      have the probe's own parameters as the body, drawn from its schema in GET /api/probes). Path
 *      parameters are drawn from their schemas and from the lab's names (services, scenarios,
 *      probes, ended runs), so that requests get past the check of a name.
 *   3. without the token: M requests (default N/5) from the same generators, with no or a wrong
 *      Authorization header: every answer must be 401, but GET /api/health's.
 *   4. GET /api/health must still be ok, and the lab as it was: the same faults (none of ours),
 *      no run of ours queued or running, every service in the state and health it had.
 * The figures (requests per phase, statuses, 5xx, answers outside the document, requests/s,
 * duration, seed, the machine) are printed; the exit status is 1 when a bound is not met. --seed
 * draws the same requests again, but for the names taken from the lab (a run's id is new each time).
 *
 * Safety. The lab is live and shared, and a valid request to some routes acts for real: it stops a
 * service, applies a network fault, starts a scenario run (10-60 s each) or calls a probe (which
 * sends mail, deletes it, ...). So in phases 2 and 3 a request that would act is never sent:
 *   - POST /api/services/{name}/{action} on a service of the lab only with start or unpause, and
 *     only for a service running (or without a container) at the start: both then change nothing;
 *   - POST /api/faults only when the fault would be refused (unknown service, or values the
 *     orchestrator's own check, netFaultProblems, refuses);
 *   - POST /api/scenarios/{name}/runs never for a valid scenario of the lab, nor
 *     POST /api/experiments/{name}/runs for a valid experiment, nor an abort of an experiment run;
 *   - POST /api/probes/{name}/calls with a probe's name only with a body that carries an unknown
 *     field, which every probe refuses (their parameter schemas are closed: checked at the start;
 *     a probe whose schema is open is never named);
 *   - POST /api/runs/{id}/abort and DELETE /api/faults/{id} only with ids of runs that had ended
 *     and faults this benchmark removed, or with ids that cannot be the orchestrator's.
 * Everything else a generated request may do. The acts of phase 1 cover the valid requests that
 * act: a service action (then the service is started or unpaused again and waited for until it
 * is as healthy as it was), a fault (then removed), a scenario run (then aborted, which undoes its
 * faults). --acts 0 leaves them out. Ctrl-C undoes whatever an act left.
 */
import { Agent, request } from "node:http";
import fc from "fast-check";
import { apiBase, machine, opt } from "./api.ts";
import { ensureToken, tokenFile } from "../orchestrator/src/common/api-token.ts";
import { readFileSync } from "node:fs";
import { SERVICE_ACTIONS } from "../orchestrator/src/docker/docker-adapter.ts";
import { parseComposeTopology } from "../orchestrator/src/lab/topology.ts";
import { LOSS_DIRECTIONS, LOSS_PERCENT_MIN, RATE_KBIT_MAX, RATE_KBIT_MIN, netFaultProblems } from "../orchestrator/src/faults/net-fault-args.ts";
import { depthBeyond, MAX_BODY_DEPTH } from "../orchestrator/src/api/limits.ts";
import { operations, SchemaValidator, type JsonSchema, type OpenApiDocument, type Operation } from "./fuzz/openapi.ts";
import { invalidValue, validValue } from "./fuzz/schema-arbitraries.ts";
import { invalidRequest, MUTATING, validRequest, type FuzzRequest, type RequestOptions } from "./fuzz/request-arbitraries.ts";
import { checkResponse, type SeenResponse } from "./fuzz/response-check.ts";

const args = process.argv.slice(2);
const requests = opt(args, "requests", 10_000);
const unauthRequests = opt(args, "unauth-requests", Math.round(requests / 5));
const acts = opt(args, "acts", 1);
const seed = opt(args, "seed", Math.floor(Math.random() * 2 ** 31));
for (const [name, v] of [["requests", requests], ["unauth-requests", unauthRequests], ["acts", acts], ["seed", seed]] as const) {
  if (!Number.isInteger(v) || v < 0) {
    console.error(`--${name} must be a whole number, not ${String(v)}`);
    process.exit(2);
  }
}

const base = new URL(apiBase);
const token = ensureToken(tokenFile());
const auth = { authorization: `Bearer ${token}` };
// More than one socket: while a scenario run's ?wait=true holds one, an act aborts the run on another.
const agent = new Agent({ keepAlive: true, maxSockets: 4 });
const validator = new SchemaValidator();

// ------------------------------------------------------------------ sending

interface Answer extends SeenResponse {
  /** Set when no HTTP answer came: the connection failed or was closed. */
  transportError?: string;
}

/**
 * Sends one request as it is: its path is not normalised (no URL object: "/a/../b" and "%zz" go
 * out as written), its body with its length.
 */
function send(req: FuzzRequest, timeoutMs = 180_000): Promise<Answer> {
  return new Promise((resolve) => {
    const headers: Record<string, string | number> = { ...req.headers };
    if (req.body !== undefined) headers["content-length"] = Buffer.byteLength(req.body);
    const r = request({ host: base.hostname, port: base.port, path: req.path, method: req.method, headers, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", (error) => resolve({ status: 0, headers: {}, body: "", transportError: error.message }));
    });
    r.on("timeout", () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on("error", (error) => resolve({ status: 0, headers: {}, body: "", transportError: error.message }));
    if (req.body !== undefined) r.write(req.body);
    r.end();
  });
}

/** A bookkeeping call of the benchmark itself (not counted with the generated requests). */
async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; json: T; answer: Answer }> {
  const withBody = MUTATING.has(method);
  const answer = await send({
    method,
    path: `/api${path}`,
    headers: { ...auth, ...(withBody ? { "content-type": "application/json" } : {}) },
    ...(withBody ? { body: JSON.stringify(body ?? {}) } : {}),
  });
  if (answer.transportError) throw new Error(`${method} /api${path}: ${answer.transportError}`);
  let json: T;
  try {
    json = JSON.parse(answer.body) as T;
  } catch {
    json = undefined as T;
  }
  return { status: answer.status, json, answer };
}

async function get<T>(path: string): Promise<T> {
  const r = await api<T>("GET", path);
  if (r.status !== 200) throw new Error(`GET /api${path}: ${r.status} ${r.answer.body.slice(0, 300)}`);
  return r.json;
}

// ------------------------------------------------------------------ figures

class Tally {
  sent = 0;
  readonly statuses = new Map<number, number>();
  fiveXX = 0;
  /** Answers outside the document: an undocumented status, a body off its schema. */
  offDocument = 0;
  transportErrors = 0;
  /** Phase 3: answers other than 401 where 401 was due. */
  not401 = 0;
  readonly perOperation = new Map<string, { sent: number; statuses: Map<number, number>; failures: number }>();

  record(op: Operation, answer: Answer, verdict: Verdict): void {
    const problems = verdict.problems.length;
    this.sent++;
    this.statuses.set(answer.status, (this.statuses.get(answer.status) ?? 0) + 1);
    if (answer.transportError) this.transportErrors++;
    if (answer.status >= 500) this.fiveXX++;
    if (verdict.offDocument) this.offDocument++;
    const key = `${op.method} ${op.path}`;
    const row = this.perOperation.get(key) ?? { sent: 0, statuses: new Map<number, number>(), failures: 0 };
    row.sent++;
    row.statuses.set(answer.status, (row.statuses.get(answer.status) ?? 0) + 1);
    if (problems > 0) row.failures++;
    this.perOperation.set(key, row);
  }
}

const statusList = (m: Map<number, number>) =>
  [...m.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s === 0 ? "no answer" : s} ×${n}`).join(", ");

interface Failure {
  phase: string;
  operation: string;
  generator: string;
  request: FuzzRequest;
  answer?: Answer;
  problems: string[];
  shrinks: number;
  seed: number;
}
const failures: Failure[] = [];

function show(req: FuzzRequest): string {
  const lines = [`${req.method} ${req.path.length > 300 ? `${req.path.slice(0, 300)}... (${req.path.length} characters)` : req.path}`];
  for (const [k, v] of Object.entries(req.headers)) {
    const shown = k === "authorization" && v.includes(token) ? v.replace(token, "<token>") : v;
    lines.push(`${k}: ${shown.length > 200 ? `${shown.slice(0, 200)}... (${shown.length} bytes)` : shown}`);
  }
  if (req.body !== undefined) lines.push("", req.body.length > 600 ? `${req.body.slice(0, 600)}... (${req.body.length} bytes)` : req.body);
  if (req.flaw) lines.push(`(flaw: ${req.flaw})`);
  return lines.map((l) => `      ${l}`).join("\n");
}

function printFailure(f: Failure): void {
  console.log(`\n  FAILED ${f.phase}: ${f.operation}, ${f.generator} requests (seed ${f.seed}, minimal after ${f.shrinks} shrinks)`);
  for (const p of f.problems) console.log(`    - ${p}`);
  console.log("    request:");
  console.log(show(f.request));
  if (f.answer) {
    console.log(`    answer: ${f.answer.transportError ? `none (${f.answer.transportError})` : f.answer.status}`);
    if (f.answer.body) console.log(`      ${f.answer.body.length > 800 ? `${f.answer.body.slice(0, 800)}...` : f.answer.body}`);
  }
}

// ------------------------------------------------------------------ the lab's state

interface ServiceState {
  service: string;
  state: string;
  health: string;
}
interface RunRecord {
  id: string;
  scenario: string;
  status: string;
}
interface Snapshot {
  services: ServiceState[];
  faults: { id: string; service: string }[];
  runs: RunRecord[];
}

const isActive = (r: RunRecord) => r.status === "queued" || r.status === "running";

async function snapshot(): Promise<Snapshot> {
  return { services: await get<ServiceState[]>("/services"), faults: await get<{ id: string; service: string }[]>("/faults"), runs: await get<RunRecord[]>("/runs") };
}

async function healthy(): Promise<string | undefined> {
  const r = await send({ method: "GET", path: "/api/health", headers: {} });
  if (r.transportError) return `GET /api/health: no answer (${r.transportError})`;
  if (r.status !== 200) return `GET /api/health: ${r.status} ${r.body.slice(0, 200)}`;
  const body = JSON.parse(r.body) as { status?: string };
  return body.status === "ok" ? undefined : `GET /api/health: status ${JSON.stringify(body.status)}`;
}

// What the acts changed, for undoing it (at the end of each act, or on Ctrl-C).
const ours = { faults: new Set<string>(), healedFaults: new Set<string>(), runs: new Set<string>(), endedRuns: new Set<string>(), services: new Set<string>() };
/** A run of ours has ended: nothing to undo, and its id is one a generated request may name. */
const ended = (id: string) => {
  ours.runs.delete(id);
  ours.endedRuns.add(id);
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Brings a service back to the state and health it had at the start; a problem, or undefined. */
async function restoreService(name: string, before: ServiceState | undefined, waitMs = 180_000): Promise<string | undefined> {
  if (!before || (before.state !== "running" && before.state !== "paused")) return undefined;
  const deadline = Date.now() + waitMs;
  let now: ServiceState | undefined;
  while (Date.now() < deadline) {
    const r = await api<ServiceState>("GET", `/services/${encodeURIComponent(name)}`);
    now = r.status === 200 ? r.json : undefined;
    if (now && now.state === before.state && (now.health === before.health || before.health === "starting")) {
      ours.services.delete(name);
      return undefined;
    }
    if (now && now.state !== "running" && before.state === "running") await api("POST", `/services/${encodeURIComponent(name)}/start`);
    else if (now && now.state === "paused" && before.state === "running") await api("POST", `/services/${encodeURIComponent(name)}/unpause`);
    await sleep(1000);
  }
  return `service ${name} is ${now?.state ?? "?"}/${now?.health ?? "?"}, not ${before.state}/${before.health} as at the start, ${waitMs / 1000} s after an act`;
}

/** Undoes what acts left: heals our faults, aborts our runs, restores services. Problems found. */
async function undoActs(start: Snapshot): Promise<string[]> {
  const problems: string[] = [];
  for (const id of ours.faults) {
    const r = await api("DELETE", `/faults/${encodeURIComponent(id)}`);
    if (r.status === 200 || r.status === 404) {
      ours.faults.delete(id);
      ours.healedFaults.add(id);
    } else problems.push(`fault ${id} could not be removed: ${r.status} ${r.answer.body.slice(0, 200)}`);
  }
  for (const id of ours.runs) {
    await api("POST", `/runs/${encodeURIComponent(id)}/abort`);
    const r = await api<RunRecord>("GET", `/runs/${encodeURIComponent(id)}?wait=true`);
    if (r.status === 200 && !isActive(r.json)) ended(id);
    else problems.push(`run ${id} could not be ended: ${r.status} ${r.answer.body.slice(0, 200)}`);
  }
  for (const name of ours.services) {
    const p = await restoreService(name, start.services.find((s) => s.service === name));
    if (p) problems.push(p);
  }
  return problems;
}

// ------------------------------------------------------------------ one property

interface Checked {
  answer: Answer;
  problems: string[];
}

/** What is wrong with an answer; offDocument when part of it is that the answer is not as documented. */
interface Verdict {
  problems: string[];
  offDocument: boolean;
}
type Judge = (op: Operation, req: FuzzRequest, a: Answer) => Verdict;

/**
 * Runs one fast-check property: `numRuns` requests from `arb`, each sent and judged by `judge`.
 * A failure is shrunk (fast-check sends the smaller requests too) and kept with its answer.
 */
async function runProperty(
  phase: string,
  op: Operation,
  generator: string,
  arb: fc.Arbitrary<FuzzRequest>,
  numRuns: number,
  propertySeed: number,
  tally: Tally,
  judge: Judge,
  act?: { send?: (req: FuzzRequest) => Promise<Answer>; after: (req: FuzzRequest, a: Answer) => Promise<string[]> },
): Promise<void> {
  if (numRuns <= 0) return;
  const seen = new WeakMap<FuzzRequest, Checked>();
  const after = act?.after;
  const property = fc.asyncProperty(arb, async (req) => {
    const answer = await (act?.send ?? send)(req);
    const verdict = judge(op, req, answer);
    if (after) verdict.problems.push(...(await after(req, answer)));
    tally.record(op, answer, verdict);
    seen.set(req, { answer, problems: verdict.problems });
    return verdict.problems.length === 0;
  });
  const details = await fc.check(property, { numRuns, seed: propertySeed, endOnFailure: after !== undefined, interruptAfterTimeLimit: 20 * 60_000, markInterruptAsFailure: false });
  if (details.failed && details.counterexample) {
    const [req] = details.counterexample;
    const checked = seen.get(req) ?? { answer: await send(req), problems: [] };
    if (checked.problems.length === 0) checked.problems.push(...judge(op, req, checked.answer).problems);
    if (checked.problems.length === 0 && details.errorInstance) checked.problems.push(String(details.errorInstance));
    failures.push({ phase, operation: `${op.method} ${op.path}`, generator, request: req, answer: checked.answer, problems: checked.problems, shrinks: details.numShrinks, seed: propertySeed });
    printFailure(failures[failures.length - 1]!);
  } else if (details.failed) {
    failures.push({ phase, operation: `${op.method} ${op.path}`, generator, request: { method: op.method, path: op.path, headers: {} }, problems: [`fast-check: ${String(details.errorInstance ?? "failed without a counterexample")}`], shrinks: 0, seed: propertySeed });
    printFailure(failures[failures.length - 1]!);
  }
}

/** Phase 2's verdict: an answer at all, no 5xx, and the answer as documented. */
function withToken(op: Operation, req: FuzzRequest, a: Answer): Verdict {
  if (a.transportError) return { problems: [`no answer: ${a.transportError}`], offDocument: false };
  const problems: string[] = [];
  if (a.status >= 500) problems.push(`status ${a.status} (5xx)`);
  const off = checkResponse(op, req.method, a, validator).map((v) => v.message);
  return { problems: [...problems, ...off], offDocument: off.length > 0 };
}

// ------------------------------------------------------------------ main

const t0 = performance.now();
console.log(`fuzzing ${apiBase} (seed ${seed}, ${requests} requests with the token, ${unauthRequests} without, ${acts} act(s) of each kind)`);
const before = await healthy();
if (before) {
  console.error(`the orchestrator is not healthy before the fuzz: ${before}`);
  process.exit(1);
}
const docAnswer = await api<OpenApiDocument>("GET", "/openapi.json");
if (docAnswer.status !== 200) {
  console.error(`GET /api/openapi.json: ${docAnswer.status} ${docAnswer.answer.body.slice(0, 300)}`);
  process.exit(1);
}
const doc = docAnswer.json;
const ops = operations(doc);
const start = await snapshot();
const activeAtStart = start.runs.filter(isActive);
if (activeAtStart.length > 0) {
  console.error(`run(s) ${activeAtStart.map((r) => `${r.id} (${r.scenario}, ${r.status})`).join(", ")} in progress: wait for them, then fuzz (the fuzz would count their side effects as its own)`);
  process.exit(1);
}

const topology = await get<{ services: { name: string; role: string; state: string }[] }>("/topology");
const serviceNames = topology.services.map((s) => s.name);
const stateOf = new Map(start.services.map((s) => [s.service, s]));
// start and unpause change nothing on a running service, nor on one without a container (409).
const quietServices = serviceNames.filter((n) => !stateOf.has(n) || stateOf.get(n)!.state === "running");
const scenarios = await get<{ name: string; valid: boolean }[]>("/scenarios");
const probes = await get<{ name: string; params: { additionalProperties?: unknown } }[]>("/probes");
const experiments = await get<{ name: string; valid: boolean }[]>("/experiments");
const closedProbes = probes.filter((p) => p.params?.additionalProperties === false).map((p) => p.name);
// Runs that had ended at the start (none was active), and ours, all ended before phase 2.
const runIds = () => start.runs.map((r) => r.id).concat([...ours.endedRuns]);
const FUZZ_FIELD = "__l7lab_fuzz";

/** The decoded segments of a request's path, or undefined when it is not valid percent-encoding. */
function segments(req: FuzzRequest): string[] | undefined {
  try {
    return req.path.split("?", 1)[0]!.split("/").map(decodeURIComponent);
  } catch {
    return undefined;
  }
}
const jsonBody = (req: FuzzRequest): unknown => {
  try {
    return req.body === undefined ? undefined : JSON.parse(req.body);
  } catch {
    return undefined;
  }
};

/**
 * The safety guard of phases 2 and 3 (see the top of the file): the request as it may be sent
 * (a probe call gets the unknown field every probe refuses), or undefined when it would act.
 */
function guard(req: FuzzRequest): FuzzRequest | undefined {
  const seg = segments(req);
  if (!seg || seg[1] !== "api") return req;
  const [, , resource, a, b, c] = seg;
  // A live capture of a lab service or network streams until its seconds pass, and a known run's
  // event stream until the run ends: neither answers like a request, so neither is sent.
  if (req.method === "GET" && resource === "capture") {
    const q = new URLSearchParams(req.path.split("?")[1] ?? "");
    if (q.get("network") !== null || serviceNames.includes(q.get("service") ?? "")) return undefined;
  }
  if (req.method === "GET" && resource === "runs" && b === "events" && runIds().includes(a!)) return undefined;
  if (req.method === "POST" && resource === "services" && b !== undefined && c === undefined) {
    if (serviceNames.includes(a!) && !(quietServices.includes(a!) && (b === "start" || b === "unpause"))) return undefined;
  }
  if (req.method === "POST" && resource === "faults" && a === undefined) {
    const body = jsonBody(req) as Record<string, unknown> | undefined;
    if (body && typeof body === "object" && serviceNames.includes(body["service"] as string) && netFaultProblems(body).length === 0) return undefined;
  }
  if (req.method === "DELETE" && resource === "faults" && a !== undefined) {
    if (/^f\d+$/.test(a) && !ours.healedFaults.has(a)) return undefined;
  }
  if (req.method === "POST" && resource === "scenarios" && b === "runs") {
    if (scenarios.some((s) => s.name === a && s.valid)) return undefined;
  }
  if (req.method === "POST" && resource === "experiments" && b === "runs") {
    // Never a run of an experiment of the lab, and never an abort of one.
    if (c === undefined && experiments.some((e) => e.name === a && e.valid)) return undefined;
    if (c !== undefined && seg[6] === "abort") return undefined;
  }
  if (req.method === "POST" && resource === "runs" && b === "abort") {
    if (/^[0-9a-f]{8}$/.test(a!) && !runIds().includes(a!)) return undefined;
  }
  if (req.method === "POST" && resource === "probes" && b === "calls" && probes.some((p) => p.name === a)) {
    if (!closedProbes.includes(a!)) return undefined;
    const body = jsonBody(req);
    // A body nested deeper than the API takes is refused (400) before any route runs.
    if (body !== null && typeof body === "object" && !Array.isArray(body) && depthBeyond(body, MAX_BODY_DEPTH) <= MAX_BODY_DEPTH) {
      return { ...req, body: JSON.stringify({ ...body, [FUZZ_FIELD]: true }) };
    }
  }
  return req;
}

/** Known values for each operation's parameters, so that requests get past the check of a name. */
function examplesFor(op: Operation): Pick<RequestOptions, "examples" | "bodyExamples"> {
  const p = op.path;
  if (p === "/api/services/{name}") return { examples: { name: serviceNames } };
  if (p === "/api/services/{name}/{action}") return { examples: { name: serviceNames, action: [...SERVICE_ACTIONS] } };
  if (p === "/api/probes/{name}/calls") return { examples: { name: probes.map((x) => x.name) } };
  if (p.startsWith("/api/scenarios/{name}")) return { examples: { name: scenarios.map((s) => s.name) } };
  if (p.startsWith("/api/runs/{id}")) return { examples: { id: runIds() } };
  if (p === "/api/faults/{id}") return { examples: { id: [...ours.healedFaults] } };
  if (p === "/api/faults") return { bodyExamples: { service: serviceNames, direction: [...LOSS_DIRECTIONS] } };
  return {};
}

/** Probe calls whose bodies come from each probe's parameter schema, valid or invalid (see the guard). */
const probeBodies = (() => {
  const arbs = probes
    .filter((p) => closedProbes.includes(p.name))
    .map((p) => {
      const schema = p.params as JsonSchema;
      const bad = invalidValue(schema, validator, undefined, "body");
      const good = validValue(schema, validator).map((value) => ({ value, flaw: "the probe's parameters, valid but for the unknown field the guard adds" }));
      return (bad ? fc.oneof(good, bad) : good).map((f): FuzzRequest => ({
        method: "POST",
        path: `/api/probes/${encodeURIComponent(p.name)}/calls`,
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify(f.value),
        flaw: f.flaw,
        kind: "body",
      }));
    });
  return arbs.length > 0 ? fc.oneof(...arbs) : undefined;
})();

// How many requests each operation gets: by how much input it takes.
const weight = (op: Operation) => 1 + op.parameters.length + (op.body ? 2 : 0);
const totalWeight = ops.reduce((s, op) => s + weight(op), 0);
const share = (op: Operation, n: number) => Math.ceil((n * weight(op)) / totalWeight);

const opSeed = (i: number, k: number) => (seed + i * 7919 + k * 104_729) % 2 ** 31;

// ---- phase 1: acts
const actTally = new Tally();
process.on("SIGINT", () => {
  console.log("\ninterrupted: undoing what the acts left ...");
  void undoActs(start).then((p) => {
    for (const line of p) console.log(`  ${line}`);
    process.exit(130);
  });
});

const byPath = (method: string, path: string) => ops.find((o) => o.method === method && o.path === path);
const authJson = (method: string, path: string, body?: unknown): FuzzRequest => ({
  method,
  path,
  headers: { ...auth, ...(MUTATING.has(method) ? { "content-type": "application/json" } : {}) },
  ...(MUTATING.has(method) ? { body: JSON.stringify(body ?? {}) } : {}),
});
/** A follow-up request of an act (remove the fault, abort the run), checked like any other. */
async function followUp(method: string, path: string): Promise<{ answer: Answer; problems: string[] }> {
  const template = path.replace(/\/api\/faults\/[^/]+$/, "/api/faults/{id}").replace(/\/api\/runs\/[^/?]+/, "/api/runs/{id}").replace(/\?.*$/, "");
  const op = byPath(method, template);
  const req = authJson(method, path);
  const answer = await send(req);
  const verdict = op ? withToken(op, req, answer) : { problems: [], offDocument: false };
  if (op) actTally.record(op, answer, verdict);
  return { answer, problems: verdict.problems.map((p) => `${method} ${path}: ${p}`) };
}

if (acts > 0) {
  console.log(`\n== phase 1: acts (${acts} valid request(s) of each kind that act, each undone at once)`);
  // Services the API acts on: not those of the roles it refuses (topology.ts, PROTECTED_ROLES).
  const compose = parseComposeTopology(readFileSync(new URL("../docker-compose.yml", import.meta.url), "utf8"));
  const actable = topology.services.filter((s) => compose.services.some((c) => c.name === s.name) && compose.protectedReason(s.name) === undefined).map((s) => s.name);
  const running = actable.filter((n) => stateOf.get(n)?.state === "running");
  const targets = running.length > 0 ? running : actable; // without containers the API answers 409
  const opAct = byPath("POST", "/api/services/{name}/{action}");
  const opFault = byPath("POST", "/api/faults");
  const opRun = byPath("POST", "/api/scenarios/{name}/runs");

  if (opAct && targets.length > 0) {
    const arb = fc.tuple(fc.constantFrom(...targets), fc.constantFrom(...SERVICE_ACTIONS)).map(([n, a]) => authJson("POST", `/api/services/${encodeURIComponent(n)}/${a}`));
    await runProperty("acts", opAct, "service action", arb, acts, opSeed(1000, 0), actTally, withToken, {
      after: async (req, a) => {
        const name = decodeURIComponent(req.path.split("/")[3]!);
        console.log(`  ${req.method} ${req.path}: ${a.status}`);
        if (a.status === 200) ours.services.add(name);
        const p = await restoreService(name, stateOf.get(name));
        return p ? [p] : [];
      },
    });
  }
  if (opFault && targets.length > 0) {
    const service = fc.constantFrom(...targets);
    const body = fc.oneof(
      fc.record({ service, loss: fc.double({ min: LOSS_PERCENT_MIN, max: 100, noNaN: true }), direction: fc.option(fc.constantFrom(...LOSS_DIRECTIONS), { nil: undefined }) }),
      fc.record({ service, rateKbit: fc.integer({ min: RATE_KBIT_MIN, max: RATE_KBIT_MAX }) }),
    );
    const arb = body.map((b) => authJson("POST", "/api/faults", JSON.parse(JSON.stringify(b)) as unknown));
    await runProperty("acts", opFault, "fault", arb, acts, opSeed(1000, 1), actTally, withToken, {
      after: async (req, a) => {
        console.log(`  ${req.method} ${req.path} ${req.body ?? ""}: ${a.status}`);
        if (a.status !== 201) return [];
        const id = (JSON.parse(a.body) as { id: string }).id;
        ours.faults.add(id);
        const healed = await followUp("DELETE", `/api/faults/${encodeURIComponent(id)}`);
        if (healed.answer.status === 200) {
          ours.faults.delete(id);
          ours.healedFaults.add(id);
        } else healed.problems.push(`fault ${id} was not removed: ${healed.answer.status} ${healed.answer.body.slice(0, 200)}`);
        return healed.problems;
      },
    });
  }
  const validScenarios = scenarios.filter((s) => s.valid).map((s) => s.name);
  if (opRun && validScenarios.length > 0) {
    const arb = fc.tuple(fc.constantFrom(...validScenarios), fc.constantFrom(undefined, false, true)).map(([n, wait]) => authJson("POST", `/api/scenarios/${encodeURIComponent(n)}/runs${wait === undefined ? "" : `?wait=${wait}`}`));
    await runProperty("acts", opRun, "scenario run", arb, acts, opSeed(1000, 2), actTally, withToken, {
      // With ?wait=true the answer comes when the run ends: meanwhile, find the run and abort it.
      send: async (req) => {
        const known = new Set((await get<RunRecord[]>("/runs")).map((r) => r.id));
        const name = decodeURIComponent(req.path.split("/")[3]!);
        let answered = false;
        const aborter = req.path.endsWith("wait=true")
          ? (async () => {
              while (!answered) {
                const mine = (await get<RunRecord[]>("/runs")).find((r) => !known.has(r.id) && r.scenario === name);
                if (mine) {
                  ours.runs.add(mine.id);
                  await api("POST", `/runs/${mine.id}/abort`);
                  return;
                }
                await sleep(100);
              }
            })()
          : undefined;
        const answer = await send(req);
        answered = true;
        await aborter;
        return answer;
      },
      after: async (req, a) => {
        console.log(`  ${req.method} ${req.path}: ${a.status}`);
        if (a.status !== 200 && a.status !== 202) return [];
        const run = JSON.parse(a.body) as RunRecord;
        ours.runs.add(run.id);
        const problems: string[] = [];
        if (a.status === 202) {
          problems.push(...(await followUp("POST", `/api/runs/${encodeURIComponent(run.id)}/abort`)).problems);
        }
        const final = await followUp("GET", `/api/runs/${encodeURIComponent(run.id)}?wait=true`);
        problems.push(...final.problems);
        if (final.answer.status === 200 && !isActive(JSON.parse(final.answer.body) as RunRecord)) ended(run.id);
        else problems.push(`run ${run.id} did not end after its abort`);
        return problems;
      },
    });
  }
  for (const p of await undoActs(start)) failures.push({ phase: "acts", operation: "undo", generator: "-", request: { method: "-", path: "-", headers: {} }, problems: [p], shrinks: 0, seed });
  console.log(`  ${actTally.sent} requests: ${statusList(actTally.statuses)}`);
}

const guarded = (arb: fc.Arbitrary<FuzzRequest>) => arb.map(guard).filter((r): r is FuzzRequest => r !== undefined);

// ---- phase 2: with the token
console.log(`\n== phase 2: ${requests} generated requests with the token`);
const tally = new Tally();
const t2 = performance.now();
for (const [i, op] of ops.entries()) {
  const options: RequestOptions = { headers: { ...auth }, emptyBody: "{}", hostFlaws: true, ...examplesFor(op) };
  const n = share(op, requests);
  const nValid = Math.round(n * 0.4);
  // A probe call's body is the probe's parameters: a third of its requests draw them from the
  // probe's own schema (GET /api/probes), valid or not; the guard adds the field that stops it.
  const nProbe = op.method === "POST" && op.path === "/api/probes/{name}/calls" && probeBodies ? Math.round(n * 0.3) : 0;
  await runProperty("with the token", op, "valid", guarded(validRequest(op, validator, options)), nValid, opSeed(i, 0), tally, withToken);
  await runProperty("with the token", op, "invalid", guarded(invalidRequest(op, validator, options)), n - nValid - nProbe, opSeed(i, 1), tally, withToken);
  if (probeBodies) await runProperty("with the token", op, "probe parameters", guarded(probeBodies), nProbe, opSeed(i, 4), tally, withToken);
  const row = tally.perOperation.get(`${op.method} ${op.path}`);
  console.log(`  ${op.method} ${op.path}: ${row?.sent ?? 0} requests, ${row ? statusList(row.statuses) : ""}`);
}
const phase2S = (performance.now() - t2) / 1000;

// ---- phase 3: without the token
console.log(`\n== phase 3: ${unauthRequests} generated requests without the token`);
const unauth = new Tally();
const t3 = performance.now();
// No Authorization header, or one that is not the token.
const wrongAuth = fc.constantFrom<string | undefined>(undefined, "", "Bearer", "Bearer ", `Bearer ${token}x`, `Bearer ${token.slice(0, -1)}`, `Basic ${Buffer.from(`l7lab:${token}`).toString("base64")}`, `Token ${token}`, `Bearer  ${"a".repeat(43)}`, `Bearer ${token} ${token}`, token);
function withoutToken(op: Operation, req: FuzzRequest, a: Answer): Verdict {
  if (a.transportError) return { problems: [`no answer: ${a.transportError}`], offDocument: false };
  if (!op.secured) return withToken(op, req, a); // GET /api/health: as documented, no 5xx
  const off = checkResponse(op, req.method, a, validator).map((v) => v.message);
  if (a.status !== 401) {
    unauth.not401++;
    return { problems: [`status ${a.status} without the token, not 401`, ...off], offDocument: off.length > 0 };
  }
  return { problems: off, offDocument: off.length > 0 };
}
for (const [i, op] of ops.entries()) {
  const options: RequestOptions = { emptyBody: "{}", hostFlaws: false, ...examplesFor(op) };
  const n = share(op, unauthRequests);
  const nValid = Math.round(n * 0.4);
  const unauthorized = (arb: fc.Arbitrary<FuzzRequest>) =>
    fc.tuple(guarded(arb), wrongAuth).map(([req, authorization]) => ({ ...req, headers: { ...req.headers, ...(authorization !== undefined ? { authorization } : {}) } }));
  await runProperty("without the token", op, "valid", unauthorized(validRequest(op, validator, options)), nValid, opSeed(i, 2), unauth, withoutToken);
  await runProperty("without the token", op, "invalid", unauthorized(invalidRequest(op, validator, options)), n - nValid, opSeed(i, 3), unauth, withoutToken);
}
// HEAD /api/health is open too (the API answers HEAD for every GET route; the document lists GETs).
const health = ops.find((o) => o.method === "GET" && o.path === "/api/health");
if (health) {
  const head = await send({ method: "HEAD", path: "/api/health", headers: {} });
  unauth.record(health, head, { problems: head.status === 200 ? [] : [`status ${head.status}`], offDocument: false });
  if (head.status !== 200) failures.push({ phase: "without the token", operation: "HEAD /api/health", generator: "-", request: { method: "HEAD", path: "/api/health", headers: {} }, answer: head, problems: [`status ${head.status}, not 200`], shrinks: 0, seed });
}
const phase3S = (performance.now() - t3) / 1000;

// ---- phase 4: is the orchestrator healthy, and the lab as it was?
console.log("\n== phase 4: the orchestrator and the lab after the fuzz");
const leftBehind: string[] = [];
const after = await healthy();
if (after) leftBehind.push(`the orchestrator is not healthy after the fuzz: ${after}`);
leftBehind.push(...(await undoActs(start)));
const end = await snapshot();
const startFaults = new Set(start.faults.map((f) => f.id));
for (const f of end.faults) if (!startFaults.has(f.id)) leftBehind.push(`fault ${f.id} on ${f.service} was not there at the start`);
for (const r of end.runs) if (isActive(r)) leftBehind.push(`run ${r.id} (${r.scenario}) is ${r.status}`);
// Services: as at the start; health may take a while to settle after acts (a health check interval).
async function servicesChanged(): Promise<string[]> {
  const now = new Map((await get<ServiceState[]>("/services")).map((s) => [s.service, s]));
  return start.services
    .filter((s) => now.get(s.service)?.state !== s.state || (now.get(s.service)?.health !== s.health && s.health !== "starting"))
    .map((s) => `service ${s.service} is ${now.get(s.service)?.state ?? "gone"}/${now.get(s.service)?.health ?? "-"}, was ${s.state}/${s.health}`);
}
const settleBy = Date.now() + 180_000;
let changed = await servicesChanged();
while (changed.length > 0 && Date.now() < settleBy) {
  await sleep(2000);
  changed = await servicesChanged();
}
leftBehind.push(...changed);
for (const line of leftBehind) console.log(`  ${line}`);
if (leftBehind.length === 0) console.log("  healthy; the same faults, no run in progress, every service as it was");

// ---- figures
const totalS = (performance.now() - t0) / 1000;
console.log("\n| operation | requests with the token | statuses | failed a check |");
console.log("| --- | --- | --- | --- |");
for (const op of ops) {
  const row = tally.perOperation.get(`${op.method} ${op.path}`);
  console.log(`| ${op.method} ${op.path} | ${row?.sent ?? 0} | ${row ? statusList(row.statuses) : ""} | ${row?.failures ?? 0} |`);
}
const failed = (t: Tally) => [...t.perOperation.values()].reduce((n, r) => n + r.failures, 0);
const all = [actTally, tally, unauth];
const fiveXX = all.reduce((n, t) => n + t.fiveXX, 0);
const offDocument = all.reduce((n, t) => n + t.offDocument, 0);
const row = (name: string, t: Tally, seconds: number | undefined, extra: string) =>
  console.log(`| ${name} | ${t.sent} | ${seconds === undefined ? "" : `${seconds.toFixed(1)} s`} | ${seconds ? (t.sent / seconds).toFixed(0) : ""} | ${statusList(t.statuses) || "none"} | ${t.fiveXX} | ${t.offDocument} | ${extra} |`);
console.log(`\n${machine()}; seed ${seed} (again: npm run bench:fuzz -- --seed ${seed} --requests ${requests} --unauth-requests ${unauthRequests} --acts ${acts})`);
console.log("| phase | requests | duration | requests/s | statuses | 5xx | outside the document | |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
row("acts", actTally, undefined, `${failed(actTally)} failed a check`);
row("with the token", tally, phase2S, `${failed(tally)} failed a check, ${tally.transportErrors} without an answer`);
row("without the token", unauth, phase3S, `${unauth.not401} not 401`);
console.log(`minimal failing requests: ${failures.length}; left behind: ${leftBehind.length}; the whole run ${totalS.toFixed(1)} s`);

const bounds: [string, boolean][] = [
  [`at least ${requests} generated requests with the token (${tally.sent})${requests < 10_000 ? "; the issue's bound is 10,000, the default" : ""}`, tally.sent >= requests],
  [`no 5xx (${fiveXX})`, fiveXX === 0],
  [`no answer outside the document (${offDocument})`, offDocument === 0],
  [`no other failed check: every request answered, every act undone (${failures.length} minimal failing requests)`, failures.length === 0],
  [`401 for every request without the token (${unauth.not401} not)`, unauth.not401 === 0],
  [`the orchestrator healthy, and nothing left behind (${leftBehind.length})`, leftBehind.length === 0],
];
console.log("");
for (const [what, met] of bounds) console.log(`${met ? "met    " : "NOT MET"}  ${what}`);
agent.destroy();
process.exit(bounds.every(([, met]) => met) ? 0 : 1);
