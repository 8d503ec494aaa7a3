import { describe, expect, it } from "vitest";
import type { ServiceState } from "../docker/docker-adapter.ts";
import { FaultLedger, isFault, planRestore } from "./ledger.ts";

const state = (s: string, service = "dns-1"): ServiceState => ({ service, container: `c-${service}`, id: "x", state: s, health: "none", networks: [] });

describe("planRestore", () => {
  it.each([
    ["running", "exited", "start"],
    ["running", "dead", "start"],
    ["running", "created", "start"],
    ["running", "paused", "unpause"],
    ["running", "running", "none"],
    ["running", "restarting", "none"],
    ["exited", "exited", "leave"],
    ["exited", "running", "leave"],
    ["paused", "exited", "leave"],
  ])("before %s, now %s: %s", (before, now, action) => {
    const plan = planRestore(state(before), state(now));
    expect(plan.action).toBe(action);
    expect(plan.waitHealthy).toBe(action !== "leave");
  });
});

describe("FaultLedger", () => {
  it("keeps the first state of each service, in the order they were broken", () => {
    const ledger = new FaultLedger();
    ledger.record(state("running", "b"));
    ledger.record(state("running", "a"));
    ledger.record(state("exited", "b"));
    expect(ledger.has("a")).toBe(true);
    expect(ledger.has("c")).toBe(false);
    expect(ledger.entries().map((s) => `${s.service}:${s.state}`)).toEqual(["b:running", "a:running"]);
  });
});

describe("isFault", () => {
  it.each([
    ["stop", true],
    ["kill", true],
    ["pause", true],
    ["start", false],
    ["restart", false],
    ["unpause", false],
  ] as const)("%s: %s", (action, fault) => {
    expect(isFault(action)).toBe(fault);
  });
});
