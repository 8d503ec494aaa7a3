import type { Clock } from "../common/clock.ts";
import { InvalidInputError, L7labError } from "../common/errors.ts";
import type { DockerAdapter, ServiceState } from "../docker/docker-adapter.ts";
import { describeNetFault } from "../faults/net-fault-args.ts";
import type { Topology } from "../lab/topology.ts";
import type { ProbeContext } from "../probes/probe.ts";
import type { ProbeRegistry } from "../probes/registry.ts";
import { Transcript, type TranscriptLine } from "../probes/transcript.ts";
import { abortable } from "./abortable.ts";
import { evaluateAssertions, type AssertionRecord } from "../scenarios/assertions.ts";
import { ProbeFailedError } from "../scenarios/errors.ts";
import { isFault, type FaultLedger } from "../faults/ledger.ts";
import { waitHealthy } from "./health.ts";
import type { ErrorInfo } from "./run-types.ts";
import { formatValue } from "../scenarios/format.ts";
import { lookupPath } from "../scenarios/path.ts";
import { reconcile } from "./reconcile.ts";
import { applyNetFault, describeHealed, removeNetFault } from "../faults/net-faults.ts";
import type { Assertion, AssertStep, ExecStep, FaultStep, HealStep, ProbeStep, ReconcileStep, ServiceStep, Step, WaitStep } from "../scenarios/schema.ts";
import { probeParams } from "../scenarios/probe-params.ts";
import { interpolate } from "../scenarios/templates.ts";

/** Everything a step can use while it runs. */
export interface StepEnv {
  registry: ProbeRegistry;
  docker: DockerAdapter;
  topology: Topology;
  clock: Clock;
  signal: AbortSignal;
  ledger: FaultLedger;
  healthTimeoutMs: number;
  healthIntervalMs: number;
  /** The results of the earlier steps, by step id: the root of refs and of assert-step paths. */
  results: Readonly<Record<string, unknown>>;
  /** The run's id, for `${run.id}` templates. */
  runId: string;
  stepStartedAt(stepId: string): number | undefined;
}

export interface StepOutcome {
  status: "passed" | "failed" | "error";
  result?: unknown;
  assertions: AssertionRecord[];
  transcript: TranscriptLine[];
  error?: ErrorInfo;
}

/** The assertions with the templates in their expected values filled in (`${run.id}`, `${step.path}`). */
function expanded(assertions: readonly Assertion[], env: StepEnv): Assertion[] {
  return assertions.map((a) => ({ ...a, expected: interpolate(a.expected, { runId: env.runId, results: env.results }) }));
}

function judged(result: unknown, assertions: AssertionRecord[], transcript: TranscriptLine[]): StepOutcome {
  return { status: assertions.every((a) => a.passed) ? "passed" : "failed", result, assertions, transcript };
}

async function callProbe(step: ProbeStep, env: StepEnv, i: number | undefined) {
  const probe = env.registry.get(step.probe);
  const vars = { runId: env.runId, results: env.results, ...(i === undefined ? {} : { i }) };
  const params = probeParams(probe, interpolate(structuredClone(step.with), vars), {
    what: `the parameters of probe "${probe.name}" in step "${step.id}"`,
    label: "with",
    fieldPrefix: ["with"],
  });
  const ctx: ProbeContext = {
    signal: env.signal,
    clock: env.clock,
    topology: env.topology,
    docker: env.docker,
    stepStartedAt: (id) => env.stepStartedAt(id),
  };
  const outcome = await abortable(probe.run(params, ctx), env.signal);
  const error = outcome.ok ? undefined : (outcome.error ?? { code: "PROBE_FAILED", message: new ProbeFailedError(probe.name).message });
  return { outcome, error };
}

async function runProbe(step: ProbeStep, env: StepEnv): Promise<StepOutcome> {
  if (step.repeat === undefined) {
    const { outcome, error } = await callProbe(step, env, undefined);
    if (error) return { status: "error", result: outcome.data, assertions: [], transcript: outcome.transcript, error };
    return judged(outcome.data, evaluateAssertions(expanded(step.expect, env), outcome.data, env.results), outcome.transcript);
  }
  // Repeated: one call per ${i}; the result gathers them, and the first call that fails ends the step.
  const results: unknown[] = [];
  const transcript: TranscriptLine[] = [];
  for (let i = 1; i <= step.repeat; i++) {
    const { outcome, error } = await callProbe(step, env, i);
    transcript.push({ dir: "*", peer: step.id, text: `call ${i} of ${step.repeat}`, atMs: outcome.transcript[0]?.atMs ?? 0 }, ...outcome.transcript);
    results.push(outcome.data);
    if (error) return { status: "error", result: { count: results.length, results }, assertions: [], transcript, error: { ...error, message: `call ${i} of ${step.repeat}: ${error.message}` } };
  }
  const result = { count: results.length, results };
  return judged(result, evaluateAssertions(expanded(step.expect, env), result, env.results), transcript);
}

async function runService(step: ServiceStep, env: StepEnv): Promise<StepOutcome> {
  const transcript = new Transcript(() => env.clock.now());
  let before: ServiceState | undefined;
  // An on-demand service (a compose profile's: the diskless VM) is not restored like the others:
  // whatever the run does to it, the run's end stops it if it still runs (a stopped VM is how the
  // lab leaves it). Its container exists only once created (./l7lab up does).
  const onDemand = env.topology.isOnDemand(step.service);
  if (onDemand) {
    try {
      await env.docker.serviceState(step.service);
    } catch (error) {
      if (!(error instanceof L7labError) || error.code !== "NO_CONTAINER") throw error;
      const profiles = (env.topology.service(step.service).profiles ?? []).map((p) => `--profile ${p}`).join(" ");
      throw new L7labError("NO_CONTAINER", 409, `service "${step.service}" is on demand (a compose profile's) and has no container yet: ./l7lab up creates it, or "docker compose ${profiles} create ${step.service}"`, { service: step.service });
    }
    env.ledger.startedOnDemand(step.service);
  } else if (isFault(step.action) && !env.ledger.has(step.service)) {
    before = await env.docker.serviceState(step.service);
    env.ledger.record(before);
  }
  // Not raced against the signal: a half-done Docker action would race the cleanup.
  let after = await env.docker.act(step.service, step.action);
  transcript.note(step.service, `${step.action} ${step.service}: ${before ? `${before.state} -> ` : ""}${after.state}`);
  const wantsHealth = step.waitHealthy ?? true;
  if (wantsHealth && (step.action === "start" || step.action === "restart" || step.action === "unpause")) {
    after = await waitHealthy(env.docker, step.service, {
      clock: env.clock,
      timeoutMs: env.healthTimeoutMs,
      intervalMs: env.healthIntervalMs,
      signal: env.signal,
    });
    transcript.note(step.service, `${step.service} is ${after.health === "none" ? "running" : "healthy"}`);
  }
  return { status: "passed", result: after, assertions: [], transcript: transcript.lines };
}

async function runExec(step: ExecStep, env: StepEnv): Promise<StepOutcome> {
  const transcript = new Transcript(() => env.clock.now());
  const command = interpolate(step.command, { runId: env.runId, results: env.results }).map(String);
  transcript.client(step.exec, `$ ${command.join(" ")}`);
  const options = step.timeoutMs === undefined ? {} : { timeoutMs: step.timeoutMs };
  const r = await abortable(env.docker.exec(step.exec, command, options), env.signal);
  if (r.stdout !== "") transcript.server(step.exec, r.stdout.replace(/\n$/, ""));
  if (r.stderr !== "") transcript.server(step.exec, r.stderr.replace(/\n$/, ""));
  transcript.note(step.exec, `exit code ${r.exitCode}`);
  const result = { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
  return judged(result, evaluateAssertions(expanded(step.expect, env), result, env.results), transcript.lines);
}

async function runWait(step: WaitStep, env: StepEnv): Promise<StepOutcome> {
  await env.clock.sleep(step.waitMs, env.signal);
  return { status: "passed", result: { waitedMs: step.waitMs }, assertions: [], transcript: [] };
}

function runAssert(step: AssertStep, env: StepEnv): Promise<StepOutcome> {
  return Promise.resolve(judged(undefined, evaluateAssertions(expanded(step.assert, env), env.results, env.results), []));
}

function runReconcile(step: ReconcileStep, env: StepEnv): Promise<StepOutcome> {
  const list = (side: "sent" | "received"): unknown[] => {
    const path = step.reconcile[side];
    const found = lookupPath(env.results, path);
    if (!found.found) throw new InvalidInputError(`step "${step.id}"`, [`reconcile.${side} "${path}": ${found.reason}`]);
    if (!Array.isArray(found.value)) throw new InvalidInputError(`step "${step.id}"`, [`reconcile.${side} "${path}" must be a list; got ${formatValue(found.value, 80)}`]);
    return found.value;
  };
  const result = reconcile(list("sent"), list("received"));
  const transcript = new Transcript(() => env.clock.now());
  transcript.note(step.id, `sent ${result.sent}, received ${result.received}: lost ${result.lostCount}, unexpected ${result.unexpectedCount}, duplicated ${result.duplicatedCount}`);
  return Promise.resolve(judged(result, evaluateAssertions(expanded(step.expect, env), result, env.results), transcript.lines));
}

async function runFault(step: FaultStep, env: StepEnv): Promise<StepOutcome> {
  const transcript = new Transcript(() => env.clock.now());
  // Not raced against the signal: a half-applied fault would race the cleanup. The ledger has it
  // as soon as it is applied, so the end of the run removes it whatever happens next.
  const entry = await applyNetFault(step, env.docker, env.topology, env.clock, env.ledger);
  transcript.note(entry.service, `applied ${describeNetFault(entry.fault)} on ${entry.service} (helper ${entry.handle.helper})`);
  // { service, ...the fault's fields, helper }
  const result = { service: entry.service, ...entry.fault, helper: entry.handle.helper };
  return { status: "passed", result, assertions: [], transcript: transcript.lines };
}

async function runHeal(step: HealStep, env: StepEnv): Promise<StepOutcome> {
  const entry = env.ledger.takeNetFault(step.heal);
  if (!entry) throw new InvalidInputError(`step "${step.id}"`, [`the fault of step "${step.heal}" is not applied (it was already healed, or its step did not run)`]);
  const transcript = new Transcript(() => env.clock.now());
  try {
    const healed = await removeNetFault(entry, env.docker, env.clock);
    transcript.note(entry.service, describeHealed(healed));
    return judged(healed, evaluateAssertions(expanded(step.expect, env), healed, env.results), transcript.lines);
  } catch (error) {
    env.ledger.addNetFault(entry); // still applied: the end of the run tries again
    throw error;
  }
}

/** Runs one step. Throws when the step cannot be done at all (Docker error, abort, bad params). */
export function runStep(step: Step, env: StepEnv): Promise<StepOutcome> {
  switch (step.kind) {
    case "probe":
      return runProbe(step, env);
    case "service":
      return runService(step, env);
    case "exec":
      return runExec(step, env);
    case "wait":
      return runWait(step, env);
    case "assert":
      return runAssert(step, env);
    case "reconcile":
      return runReconcile(step, env);
    case "fault":
      return runFault(step, env);
    case "heal":
      return runHeal(step, env);
  }
}
