import { randomUUID } from "node:crypto";
import { systemClock, type Clock } from "../common/clock.ts";
import type { DockerAdapter } from "../docker/docker-adapter.ts";
import type { Topology } from "../lab/topology.ts";
import type { ProbeRegistry } from "../probes/registry.ts";
import { errorInfo, RunAbortedError, RunQueueFullError, RunTimeoutError } from "../scenarios/errors.ts";
import { FaultLedger } from "../faults/ledger.ts";
import { restoreFaults } from "../faults/restore.ts";
import { DEFAULT_MAX_FINISHED_RUNS, RunStore } from "./run-store.ts";
import { isFinished, type ErrorInfo, type RunRecord, type StepRecord } from "./run-types.ts";
import type { Scenario } from "../scenarios/schema.ts";
import { runStep, type StepEnv, type StepOutcome } from "./step-runner.ts";
import { planCapture, touchedServices, type CapturePlan, type CaptureSpec } from "../capture/plan.ts";
import type { Capturer, CaptureSession } from "../capture/docker-capture.ts";
import type { PcapStore } from "../capture/store.ts";
import { L7labError } from "../common/errors.ts";

export interface ScenarioEngineOptions {
  registry: ProbeRegistry;
  docker: DockerAdapter;
  topology: Topology;
  clock?: Clock;
  /** How long a started or unpaused service may take to become healthy (steps and cleanup). Default 120 s. */
  healthTimeoutMs?: number;
  /** How often to ask Docker about health while waiting. Default 500 ms. */
  healthIntervalMs?: number;
  /** How many finished runs to keep. Default 200. */
  maxFinishedRuns?: number;
  /** How many runs may wait behind the one running; one more is refused (RunQueueFullError). Default 10. */
  maxQueuedRuns?: number;
  /** Run ids; default: the first 8 hex digits of a random UUID. */
  newId?: () => string;
  /** Packet capture (scenario `capture:`, a run started with one); without it a run that asks for one is refused. */
  capture?: { capturer: Capturer; store: PcapStore };
}

/**
 * How a run is started. `capture`: true asks for a capture (the scenario's own settings when it
 * has them, else the services the run touches), options are laid over the scenario's (a filter
 * narrows its capture), false turns the scenario's off.
 */
export interface RunOptions {
  capture?: CaptureSpec;
}

/** How many runs may wait behind the running one. */
export const DEFAULT_MAX_QUEUED_RUNS = 10;
/** What a refused start's Retry-After says: about one short scenario. */
const QUEUE_RETRY_AFTER_S = 10;

interface ActiveRun {
  record: RunRecord;
  scenario: Scenario;
  capture?: CapturePlan;
  controller: AbortController;
  done: Promise<RunRecord>;
  settle: (record: RunRecord) => void;
}

/** The capture a run gets: the start options' laid over the scenario's own (RunOptions). */
export function captureSpec(own: CaptureSpec | undefined, asked: CaptureSpec | undefined): CaptureSpec | undefined {
  if (asked === undefined) return own;
  if (asked === false || typeof own !== "object") return asked;
  return asked === true ? own : { ...own, ...asked };
}

const iso = (ms: number) => new Date(ms).toISOString();
const snapshot = (record: RunRecord): RunRecord => structuredClone(record);

/**
 * Runs scenarios against the lab, one at a time in the order they were started (they share the
 * lab). Every fault a run injects (stop, kill, pause) is undone when the run ends, however it ends.
 * Records handed out are copies; ask again (or `waitFor`) to see progress.
 */
export class ScenarioEngine {
  readonly #registry: ProbeRegistry;
  readonly #docker: DockerAdapter;
  readonly #topology: Topology;
  readonly #clock: Clock;
  readonly #healthTimeoutMs: number;
  readonly #healthIntervalMs: number;
  readonly #newId: () => string;
  readonly #store: RunStore;
  readonly #active = new Map<string, ActiveRun>();
  readonly #queue: ActiveRun[] = [];
  readonly #maxQueued: number;
  readonly #capture: ScenarioEngineOptions["capture"];
  readonly #watchers = new Map<string, Set<(record: RunRecord) => void>>();
  #current: ActiveRun | undefined;

  constructor(options: ScenarioEngineOptions) {
    this.#registry = options.registry;
    this.#docker = options.docker;
    this.#topology = options.topology;
    this.#clock = options.clock ?? systemClock;
    this.#healthTimeoutMs = options.healthTimeoutMs ?? 120_000;
    this.#healthIntervalMs = options.healthIntervalMs ?? 500;
    this.#newId = options.newId ?? (() => randomUUID().slice(0, 8));
    this.#store = new RunStore(options.maxFinishedRuns ?? DEFAULT_MAX_FINISHED_RUNS);
    this.#maxQueued = options.maxQueuedRuns ?? DEFAULT_MAX_QUEUED_RUNS;
    this.#capture = options.capture;
  }

  /**
   * Queues a validated scenario and returns its record at once (status "running" if the lab was
   * free, else "queued"). With `maxQueuedRuns` runs waiting already, it throws RunQueueFullError
   * and changes nothing.
   */
  start(scenario: Scenario, options: RunOptions = {}): RunRecord {
    if (this.#queue.length >= this.#maxQueued) throw new RunQueueFullError(this.#queue.length, this.#maxQueued, QUEUE_RETRY_AFTER_S);
    const spec = captureSpec(scenario.capture, options.capture);
    let capture: CapturePlan | undefined;
    if (spec !== undefined && spec !== false) {
      if (this.#capture === undefined) throw new L7labError("CAPTURE_UNAVAILABLE", 503, "this orchestrator cannot capture packets (it was started without a capture helper)", {});
      capture = planCapture(spec, this.#topology, touchedServices(scenario.steps, this.#topology));
    }
    let id = this.#newId();
    while (this.#store.find(id)) id = this.#newId();
    const record: RunRecord = {
      id,
      scenario: scenario.name,
      status: "queued",
      createdAt: iso(this.#clock.now()),
      steps: scenario.steps.map((s): StepRecord => ({
        id: s.id,
        kind: s.kind,
        ...(s.title === undefined ? {} : { title: s.title }),
        status: "pending",
        assertions: [],
        transcript: [],
      })),
      cleanup: [],
    };
    let settle!: (r: RunRecord) => void;
    const done = new Promise<RunRecord>((resolve) => (settle = resolve));
    if (capture) {
      record.capture = { services: capture.targets.map((t) => (t.kind === "service" ? t.name : `network:${t.name}`)), ...(capture.filter === undefined ? {} : { filter: capture.filter }), packets: 0, bytes: 0, limitBytes: capture.limitBytes, truncated: false, pcap: false, errors: [] };
    }
    const run: ActiveRun = { record, scenario: structuredClone(scenario), ...(capture ? { capture } : {}), controller: new AbortController(), done, settle };
    this.#store.add(record);
    this.#active.set(id, run);
    this.#queue.push(run);
    this.#pump();
    return snapshot(record);
  }

  /** A copy of the run's record; an unknown id throws RunNotFoundError. */
  get(id: string): RunRecord {
    return snapshot(this.#store.get(id));
  }

  /** Copies of all known runs, newest first. */
  list(): RunRecord[] {
    return this.#store.list().map(snapshot);
  }

  /**
   * Aborts a run: a queued one is marked aborted without running; a running one has its current
   * step aborted and its faults undone (wait for it with `waitFor`). A finished run is left as it is.
   */
  abort(id: string): RunRecord {
    const record = this.#store.get(id);
    const run = this.#active.get(id);
    if (!run || isFinished(record.status)) return snapshot(record);
    const reason = new RunAbortedError(id);
    const queued = this.#queue.indexOf(run);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      for (const step of record.steps) step.status = "skipped";
      record.status = "aborted";
      record.error = errorInfo(reason);
      record.finishedAt = iso(this.#clock.now());
      this.#finish(run);
    } else {
      run.controller.abort(reason);
    }
    return snapshot(record);
  }

  /**
   * Calls `listener` with a copy of the run's record now and at each change (the run starting, a
   * step starting or ending, the run ending), until the returned function is called. A finished
   * run's record comes once. An unknown id throws RunNotFoundError.
   */
  watch(id: string, listener: (record: RunRecord) => void): () => void {
    const record = this.#store.get(id);
    listener(snapshot(record));
    if (isFinished(record.status)) return () => undefined;
    const set = this.#watchers.get(id) ?? new Set();
    this.#watchers.set(id, set);
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#watchers.delete(id);
    };
  }

  #changed(record: RunRecord): void {
    const set = this.#watchers.get(record.id);
    if (!set) return;
    // Each listener gets its own copy, and a listener's failure is its own: never the run's.
    for (const listener of set) {
      try {
        listener(snapshot(record));
      } catch {
        // nothing to do: the run goes on
      }
    }
    if (isFinished(record.status)) this.#watchers.delete(record.id);
  }

  /** The run's record once it has finished. */
  async waitFor(id: string): Promise<RunRecord> {
    const record = this.#store.get(id);
    const run = this.#active.get(id);
    if (!run || isFinished(record.status)) return snapshot(record);
    return snapshot(await run.done);
  }

  #pump(): void {
    if (this.#current) return;
    const next = this.#queue.shift();
    if (!next) return;
    this.#current = next;
    void this.#execute(next)
      .catch((error: unknown) => {
        next.record.status = "error";
        next.record.error = { code: "INTERNAL", message: `the engine failed: ${errorInfo(error).message}` };
        next.record.finishedAt = iso(this.#clock.now());
      })
      .finally(() => {
        this.#current = undefined;
        this.#finish(next);
        this.#pump();
      });
  }

  #finish(run: ActiveRun): void {
    this.#changed(run.record);
    this.#active.delete(run.record.id);
    this.#store.prune();
    run.settle(run.record);
  }

  async #execute(run: ActiveRun): Promise<void> {
    const { record, scenario, controller } = run;
    const clock = this.#clock;
    const startedAt = clock.now();
    record.status = "running";
    record.startedAt = iso(startedAt);
    this.#changed(record);

    const timer = new AbortController();
    if (scenario.timeoutMs !== undefined) {
      const timeoutMs = scenario.timeoutMs;
      clock.sleep(timeoutMs, timer.signal).then(
        () => controller.abort(new RunTimeoutError(scenario.name, timeoutMs)),
        () => undefined,
      );
    }

    const ledger = new FaultLedger();
    const results: Record<string, unknown> = {};
    const stepStarts = new Map<string, number>();
    const env: StepEnv = {
      registry: this.#registry,
      docker: this.#docker,
      topology: this.#topology,
      clock,
      signal: controller.signal,
      ledger,
      healthTimeoutMs: this.#healthTimeoutMs,
      healthIntervalMs: this.#healthIntervalMs,
      results,
      runId: record.id,
      stepStartedAt: (stepId) => stepStarts.get(stepId),
    };

    let outcome: "passed" | "failed" | "error" = "passed";
    let failure: ErrorInfo | undefined;
    let interrupted = false;
    let capture: CaptureSession | undefined;
    try {
      if (run.capture && this.#capture) {
        try {
          capture = await this.#capture.capturer.start(run.capture);
        } catch (error) {
          outcome = "error";
          failure = { code: "CAPTURE_FAILED", message: `the packet capture could not start, so no step ran: ${errorInfo(error).message}` };
          record.capture?.errors.push(errorInfo(error).message);
        }
      }
      for (const [i, step] of scenario.steps.entries()) {
        if (failure) break;
        if (controller.signal.aborted) {
          interrupted = true;
          break;
        }
        const rec = record.steps[i]!;
        const stepStart = clock.now();
        stepStarts.set(step.id, stepStart);
        rec.status = "running";
        rec.startedAt = iso(stepStart);
        this.#changed(record);
        let result: StepOutcome;
        try {
          result = await runStep(step, env);
        } catch (error) {
          result = { status: "error", assertions: [], transcript: [], error: errorInfo(error) };
        }
        rec.status = result.status;
        rec.durationMs = clock.now() - stepStart;
        if (result.result !== undefined) rec.result = result.result;
        rec.assertions = result.assertions;
        rec.transcript = result.transcript;
        if (result.error) rec.error = result.error;
        this.#changed(record);
        if (result.status === "passed") {
          results[step.id] = result.result;
          continue;
        }
        outcome = result.status;
        interrupted = controller.signal.aborted;
        if (result.status === "failed") {
          const first = result.assertions.find((a) => !a.passed);
          failure = { code: "ASSERTION_FAILED", message: `step "${step.id}": ${first?.message ?? "an assertion failed"}` };
        } else {
          failure = { code: result.error?.code ?? "ERROR", message: `step "${step.id}": ${result.error?.message ?? "failed"}` };
        }
        break;
      }
    } catch (error) {
      outcome = "error";
      failure = { code: "INTERNAL", message: `the engine failed: ${errorInfo(error).message}` };
    } finally {
      timer.abort();
      for (const rec of record.steps) if (rec.status === "pending" || rec.status === "running") rec.status = "skipped";
      record.cleanup = await restoreFaults(ledger, {
        docker: this.#docker,
        clock,
        healthTimeoutMs: this.#healthTimeoutMs,
        healthIntervalMs: this.#healthIntervalMs,
      });
      if (capture && this.#capture && record.capture) await this.#keepCapture(record, capture, this.#capture.store);
    }

    const reason: unknown = controller.signal.reason;
    if (interrupted && reason instanceof RunAbortedError) {
      record.status = "aborted";
      record.error = errorInfo(reason);
    } else if (interrupted && reason instanceof RunTimeoutError) {
      record.status = "error";
      record.error = errorInfo(reason);
    } else {
      record.status = outcome;
      if (failure) record.error = failure;
    }
    if (record.capture && record.capture.errors.length > 0 && record.status === "passed" && !record.capture.pcap) {
      record.status = "error";
      record.error = { code: "CAPTURE_FAILED", message: `the steps passed, but the packet capture was lost: ${record.capture.errors.join("; ")}` };
    }
    const broken = record.cleanup.filter((c) => !c.ok);
    if (broken.length > 0 && record.status === "passed") {
      record.status = "error";
      record.error = { code: "CLEANUP_FAILED", message: `the steps passed, but the lab could not be restored: ${broken.map((c) => c.message).join("; ")}` };
    }
    const finishedAt = clock.now();
    record.finishedAt = iso(finishedAt);
    record.durationMs = finishedAt - startedAt;
  }

  /** Stops the run's capture (after its faults are undone, so that the capture shows the heal) and keeps its file. */
  async #keepCapture(record: RunRecord, capture: CaptureSession, store: PcapStore): Promise<void> {
    const rec = record.capture!;
    try {
      const result = await capture.stop();
      Object.assign(rec, { packets: result.packets, bytes: result.bytes, truncated: result.truncated });
      rec.errors.push(...result.errors);
      await store.put(record.id, result.pcapng);
      rec.pcap = true;
    } catch (error) {
      rec.errors.push(`the capture could not be kept: ${errorInfo(error).message}`);
    }
  }
}
