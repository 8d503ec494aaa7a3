/**
 * Follows a run live in the web UI: GET /api/runs/:id/events is a stream of Server-Sent Events
 * whose `data:` is the whole run record each time it changes, and whose last message is
 * `event: end`. When the stream fails (the browser has no EventSource, the connection breaks, a
 * message is not a record) the run is polled with GET /api/runs/:id every second until it has
 * finished. The browser's EventSource and timers are passed in, so tests drive it with fakes.
 */
import type { RunRecord } from "../engine/run-record.ts";
import { apiPath } from "./api-client.ts";
import { isFinishedRun } from "./run-display.ts";

export const POLL_INTERVAL_MS = 1000;

/** The parts of the browser's EventSource this uses. */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void;
  close(): void;
}

export interface FollowDeps {
  /** Opens an event stream (new EventSource(url)); may throw where there is none. */
  openEvents(url: string): EventSourceLike;
  /** GET /api/runs/:id. */
  getRun(id: string): Promise<RunRecord>;
  setTimer(callback: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export interface FollowHandlers {
  /** A newer record of the run. */
  record(run: RunRecord): void;
  /** A request failed; `final` when following stops because of it. */
  error(error: unknown, final: boolean): void;
  /** How the run is followed now. */
  mode?(mode: "stream" | "polling" | "done"): void;
}

/** The run record in an event's data; throws when it is not one. */
export function parseRunEvent(data: unknown): RunRecord {
  const value: unknown = typeof data === "string" ? JSON.parse(data) : data;
  const r = value as Partial<RunRecord> | null;
  if (r === null || typeof r !== "object" || typeof r.id !== "string" || typeof r.status !== "string" || !Array.isArray(r.steps)) {
    throw new Error("an event of the run's stream is not a run record");
  }
  return r as RunRecord;
}

/** The URL of a run's event stream. */
export const runEventsUrl = (id: string): string => apiPath`/api/runs/${id}/events`;

/** A client error other than a timeout or rate limit: asking again will not help. */
const hopeless = (error: unknown): boolean => {
  const status = (error as { status?: unknown }).status;
  return typeof status === "number" && status >= 400 && status < 500 && status !== 408 && status !== 429;
};

/** Starts following run `id`; returns the function that stops it (when the view goes away). */
export function followRun(id: string, deps: FollowDeps, on: FollowHandlers): () => void {
  let stopped = false;
  let events: EventSourceLike | undefined;
  let timer: unknown;
  let finished = false;

  const stop = () => {
    if (stopped) return;
    stopped = true;
    events?.close();
    events = undefined;
    if (timer !== undefined) deps.clearTimer(timer);
    timer = undefined;
    on.mode?.("done");
  };

  const poll = async () => {
    timer = undefined;
    if (stopped) return;
    try {
      const run = await deps.getRun(id);
      if (stopped) return;
      on.record(run);
      if (isFinishedRun(run.status)) return stop();
    } catch (error) {
      if (stopped) return;
      const final = hopeless(error);
      on.error(error, final);
      if (final) return stop();
    }
    timer = deps.setTimer(() => void poll(), POLL_INTERVAL_MS);
  };

  const fallBack = () => {
    if (stopped || events === undefined) return;
    events.close();
    events = undefined;
    on.mode?.("polling");
    void poll();
  };

  try {
    events = deps.openEvents(runEventsUrl(id));
  } catch {
    on.mode?.("polling");
    void poll();
    return stop;
  }
  on.mode?.("stream");
  events.addEventListener("message", (event) => {
    if (stopped) return;
    let run: RunRecord;
    try {
      run = parseRunEvent(event.data);
    } catch {
      return fallBack();
    }
    finished = isFinishedRun(run.status);
    on.record(run);
  });
  // The end of the stream: the run has finished. Had its last record not arrived, it is asked for.
  events.addEventListener("end", () => (finished ? stop() : fallBack()));
  events.addEventListener("error", () => fallBack());
  return stop;
}
