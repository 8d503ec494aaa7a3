import { describe, expect, it } from "vitest";
import type { RunRecord, RunStatus } from "../engine/run-record.ts";
import { ApiError } from "./api-client.ts";
import { followRun, parseRunEvent, POLL_INTERVAL_MS, type EventSourceLike, type FollowDeps } from "./run-follow.ts";

const record = (status: RunStatus, id = "r1"): RunRecord => ({ id, scenario: "dns-resolution", status, createdAt: "2026-12-07T00:00:00.000Z", steps: [], cleanup: [] });

class FakeEvents implements EventSourceLike {
  readonly listeners = new Map<string, ((event: { data?: unknown }) => void)[]>();
  closed = false;
  readonly url: string;
  constructor(url: string) {
    this.url = url;
  }
  addEventListener(type: string, listener: (event: { data?: unknown }) => void) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), listener]);
  }
  close() {
    this.closed = true;
  }
  emit(type: string, data?: unknown) {
    for (const l of this.listeners.get(type) ?? []) l({ data });
  }
}

/** Fake streams, a fake GET that answers from a queue, and timers run by hand. */
function harness(answers: (RunRecord | Error)[] = [], options: { noEventSource?: boolean } = {}) {
  const streams: FakeEvents[] = [];
  const timers = new Map<number, { callback: () => void; ms: number }>();
  let nextTimer = 1;
  const gets: string[] = [];
  const deps: FollowDeps = {
    openEvents(url) {
      if (options.noEventSource) throw new ReferenceError("EventSource is not defined");
      const s = new FakeEvents(url);
      streams.push(s);
      return s;
    },
    async getRun(id) {
      gets.push(id);
      const next = answers.shift();
      if (next === undefined) throw new Error("no answer left");
      if (next instanceof Error) throw next;
      return next;
    },
    setTimer(callback, ms) {
      timers.set(nextTimer, { callback, ms });
      return nextTimer++;
    },
    clearTimer(handle) {
      timers.delete(handle as number);
    },
  };
  const seen: string[] = [];
  const errors: [string, boolean][] = [];
  const modes: string[] = [];
  const on = { record: (r: RunRecord) => seen.push(r.status), error: (e: unknown, final: boolean) => errors.push([(e as Error).message, final]), mode: (m: string) => modes.push(m) };
  /** Lets the pending GET settle, then fires the one timer (checking its delay). */
  const tick = async () => {
    await new Promise((r) => setTimeout(r, 0));
    const [id, timer] = [...timers][0]!;
    expect(timer.ms).toBe(POLL_INTERVAL_MS);
    timers.delete(id);
    timer.callback();
    await new Promise((r) => setTimeout(r, 0));
  };
  const settle = () => new Promise((r) => setTimeout(r, 0));
  return { deps, on, streams, timers, gets, seen, errors, modes, tick, settle };
}

describe("following a run", () => {
  it("opens the run's event stream and passes on each record; at `end` it closes it", () => {
    const h = harness();
    const stop = followRun("a/b", h.deps, h.on);
    const [s] = h.streams;
    expect(s!.url).toBe("/api/runs/a%2Fb/events");
    s!.emit("message", JSON.stringify(record("running")));
    s!.emit("message", JSON.stringify(record("passed")));
    expect(s!.closed).toBe(false);
    s!.emit("end", "");
    expect(s!.closed).toBe(true);
    expect(h.seen).toEqual(["running", "passed"]);
    expect(h.modes).toEqual(["stream", "done"]);
    expect(h.gets).toEqual([]);
    stop();
    expect(h.modes).toEqual(["stream", "done"]);
  });

  it("falls back to a GET every second when the stream fails, until the run has finished", async () => {
    const h = harness([record("running"), record("running"), record("failed")]);
    followRun("r1", h.deps, h.on);
    const [s] = h.streams;
    s!.emit("message", JSON.stringify(record("running")));
    s!.emit("error");
    expect(s!.closed).toBe(true);
    await h.settle();
    expect(h.gets).toEqual(["r1"]);
    await h.tick();
    await h.tick();
    expect(h.gets).toEqual(["r1", "r1", "r1"]);
    expect(h.seen).toEqual(["running", "running", "running", "failed"]);
    expect(h.timers.size).toBe(0);
    expect(h.modes).toEqual(["stream", "polling", "done"]);
    // A late message of the closed stream changes nothing.
    s!.emit("message", JSON.stringify(record("running")));
    expect(h.seen.at(-1)).toBe("failed");
  });

  it("polls from the start where the browser has no EventSource", async () => {
    const h = harness([record("queued"), record("passed")], { noEventSource: true });
    followRun("r1", h.deps, h.on);
    await h.settle();
    await h.tick();
    expect(h.seen).toEqual(["queued", "passed"]);
    expect(h.modes).toEqual(["polling", "done"]);
  });

  it("takes a message that is not a run record for a broken stream", async () => {
    const h = harness([record("passed")]);
    followRun("r1", h.deps, h.on);
    h.streams[0]!.emit("message", "<html>");
    expect(h.streams[0]!.closed).toBe(true);
    await h.settle();
    expect(h.seen).toEqual(["passed"]);
  });

  it("asks for the record once more when the stream ends before the finished record came", async () => {
    const h = harness([record("aborted")]);
    followRun("r1", h.deps, h.on);
    h.streams[0]!.emit("message", JSON.stringify(record("running")));
    h.streams[0]!.emit("end");
    await h.settle();
    expect(h.seen).toEqual(["running", "aborted"]);
    expect(h.modes.at(-1)).toBe("done");
  });

  it("keeps polling through a failed request, and stops at a 401 or 404", async () => {
    const h = harness([new ApiError(0, "UNREACHABLE", "down"), record("running"), new ApiError(401, "NOT_LOGGED_IN", "log in")], { noEventSource: true });
    followRun("r1", h.deps, h.on);
    await h.settle();
    await h.tick();
    await h.tick();
    expect(h.errors).toEqual([
      ["down", false],
      ["log in", true],
    ]);
    expect(h.timers.size).toBe(0);
    expect(h.modes.at(-1)).toBe("done");
  });

  it("stops when the view goes away: the stream closed, no timer left, nothing passed on", async () => {
    const h = harness([record("running")]);
    const stop = followRun("r1", h.deps, h.on);
    h.streams[0]!.emit("error");
    await h.settle();
    expect(h.timers.size).toBe(1);
    stop();
    expect(h.timers.size).toBe(0);
    h.streams[0]!.emit("message", JSON.stringify(record("passed")));
    expect(h.seen).toEqual(["running"]);
  });
});

describe("a run event's data", () => {
  it("is a whole run record", () => {
    expect(parseRunEvent(JSON.stringify(record("passed")))).toEqual(record("passed"));
  });
  it.each(["", "null", "{}", '{"id":"x","status":"passed"}', "[1]"])("refuses %j", (data) => {
    expect(() => parseRunEvent(data)).toThrow();
  });
});
