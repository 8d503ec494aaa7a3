import type { TSchema, Static } from "typebox";
import type { Clock } from "../common/clock.ts";
import type { DockerAdapter } from "../docker/docker-adapter.ts";
import type { Topology } from "../lab/topology.ts";
import type { TranscriptLine } from "./transcript.ts";

/** What a probe can use while it runs. */
export interface ProbeContext {
  signal: AbortSignal;
  clock: Clock;
  topology: Topology;
  docker: DockerAdapter;
  /** When the named earlier step of the current run started (ms since epoch), for "since" queries. */
  stepStartedAt(stepId: string): number | undefined;
}

/**
 * The outcome of one probe call. A protocol refusal (SMTP 550, NXDOMAIN) is a result with
 * `ok: true` and the refusal in `data`; `ok: false` means the probe could not do its exchange at
 * all, and `error` says why.
 */
export interface ProbeOutcome<R = unknown> {
  ok: boolean;
  data: R;
  error?: { code: string; message: string };
  transcript: TranscriptLine[];
}

/** What a probe's load-time check can see: the lab, and the ids of the steps before this one. */
export interface ProbeCheckContext {
  topology: Topology;
  earlierStepIds: readonly string[];
}

/**
 * One protocol probe. `params` is validated against `paramsSchema` when a scenario is loaded and
 * again before `run` is called. `check`, when a probe has one, finds the problems a schema cannot
 * (an unknown service, a server outside the lab) at load time, so that a scenario that would fail
 * halfway, after a fault, is refused before it starts.
 */
export interface Probe<S extends TSchema = TSchema, R = unknown> {
  readonly name: string;
  readonly description: string;
  readonly paramsSchema: S;
  check?(params: Static<S>, ctx: ProbeCheckContext): string[];
  run(params: Static<S>, ctx: ProbeContext): Promise<ProbeOutcome<R>>;
}
