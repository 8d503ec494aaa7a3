import { describe, expect, it } from "vitest";
import { RunStore } from "./run-store.ts";
import type { RunRecord, RunStatus } from "./run-types.ts";

const run = (id: string, status: RunStatus): RunRecord => ({ id, scenario: "s", status, createdAt: "2025-01-01T00:00:00.000Z", steps: [], cleanup: [] });

describe("RunStore", () => {
  it("lists runs newest first and finds them by id", () => {
    const store = new RunStore();
    store.add(run("a", "passed"));
    store.add(run("b", "running"));
    expect(store.list().map((r) => r.id)).toEqual(["b", "a"]);
    expect(store.get("a").status).toBe("passed");
    expect(store.find("zz")).toBeUndefined();
  });

  it("throws a clear error for an unknown id", () => {
    expect(() => new RunStore(5).get("nope")).toThrow('run "nope" is not known. List the runs to see their ids; only the last 5 finished runs are kept.');
  });

  it("refuses an id twice", () => {
    const store = new RunStore();
    store.add(run("a", "queued"));
    expect(() => store.add(run("a", "queued"))).toThrow('run id "a" is used twice');
  });

  it("drops the oldest finished runs beyond the limit, never queued or running ones", () => {
    const store = new RunStore(2);
    store.add(run("old-running", "running"));
    store.add(run("f1", "passed"));
    store.add(run("f2", "failed"));
    store.add(run("q", "queued"));
    store.add(run("f3", "aborted"));
    expect(store.list().map((r) => r.id)).toEqual(["f3", "q", "f2", "old-running"]);
    store.get("old-running").status = "error";
    store.prune();
    expect(store.list().map((r) => r.id)).toEqual(["f3", "q", "f2"]);
  });
});
