import { describe, expect, it } from "vitest";
import { describeCounters, describeFault, faultRequest, type FaultInput } from "./fault-form.ts";

const input = (fields: Partial<FaultInput>): FaultInput => ({ service: "www", kind: "loss", value: "", peer: "", ...fields });

describe("the fault form", () => {
  it.each([
    { fields: { kind: "loss", value: "10" }, body: { service: "www", loss: 10 } },
    { fields: { kind: "delay", value: " 40 " }, body: { service: "www", delayMs: 40 } },
    { fields: { kind: "rate", value: "1500" }, body: { service: "www", rateKbit: 1500 } },
    { fields: { kind: "loss", value: "2.5" }, body: { service: "www", loss: 2.5 } },
    { fields: { kind: "partition", peer: "proxy", value: "ignored" }, body: { service: "www", partition: "proxy" } },
  ] as const)("makes $body from $fields", ({ fields, body }) => {
    expect(faultRequest(input(fields))).toEqual({ ok: true, body });
  });

  it.each([
    { fields: { service: "" }, message: "Choose the service the fault applies to." },
    { fields: { kind: "loss", value: "" }, message: "Packet loss needs a number in %, e.g. 10." },
    { fields: { kind: "delay", value: "forty" }, message: "Delay needs a number in ms, e.g. 40." },
    { fields: { kind: "rate", value: "0" }, message: "Rate limit must be more than 0 kbit/s." },
    { fields: { kind: "partition", peer: "" }, message: "Choose the peer the service is cut off from." },
    { fields: { kind: "partition", peer: "www" }, message: "A service cannot be partitioned from itself: choose a peer other than www." },
    { fields: { kind: "jitter" as never }, message: "Choose a kind of fault: loss, delay, rate, partition." },
  ] as const)("refuses $fields: $message", ({ fields, message }) => {
    expect(faultRequest(input(fields))).toEqual({ ok: false, message });
  });

  it.each([
    [{ loss: 10 }, "loss 10%"],
    [{ loss: 5, direction: "ingress", to: "dns-root" }, "loss 5% (ingress) to dns-root"],
    [{ delayMs: 50, jitterMs: 10, distribution: "normal" }, "delay 50 ms ± 10 ms normal"],
    [{ rateKbit: 1500 }, "rate 1500 kbit/s"],
    [{ partition: ["proxy", "www"], oneWay: true }, "partition from proxy, www (one way)"],
    [{ disconnect: "campus" }, "disconnected from campus"],
    [{ linkDown: "internet" }, "link down on internet"],
    [{ delayMs: 20, duplicate: 5, reorder: 5, gapMs: 10 }, "delay 20 ms, 5% duplicated, 5% reordered by 10 ms"],
    [{}, "no fault"],
  ])("describes %j as %s", (fault, text) => {
    expect(describeFault(fault)).toBe(text);
  });

  it("describes counters, and their absence", () => {
    expect(describeCounters({ ingressDropped: 5, egressDropped: 3, measuredPercent: 9.87654 })).toBe("ingressDropped 5, egressDropped 3, measuredPercent 9.88");
    expect(describeCounters(null)).toBe("its counters could not be read");
    expect(describeCounters({})).toBe("no counters");
  });
});
