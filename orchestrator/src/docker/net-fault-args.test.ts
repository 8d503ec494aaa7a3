import { describe, expect, it } from "vitest";
import { lossArgs, lossCounters, lossProblems, parseNetFaultStats } from "./net-fault-args.ts";

describe("lossArgs", () => {
  it.each([
    [{ percent: 10, direction: "both" as const }, ["loss", "10", "both"]],
    [{ percent: 5, direction: "egress" as const }, ["loss", "5", "egress"]],
    [{ percent: 0.5, direction: "ingress" as const }, ["loss", "0.5", "ingress"]],
    [{ percent: 100, direction: "both" as const }, ["loss", "100", "both"]],
    [{ percent: 1 / 3, direction: "both" as const }, ["loss", "0.3333", "both"]],
  ])("%j gives %j", (spec, args) => {
    expect(lossArgs(spec)).toEqual(args);
  });

  it("refuses a percentage outside (0, 100] and an unknown direction, naming the valid ones", () => {
    expect(() => lossArgs({ percent: 0, direction: "both" })).toThrow(/more than 0 and at most 100; got 0/);
    expect(() => lossArgs({ percent: 101, direction: "both" })).toThrow(/got 101/);
    expect(lossProblems({ percent: Number.NaN })).toHaveLength(1);
    expect(lossProblems({ percent: "10" })).toEqual(["loss must be a percentage more than 0 and at most 100; got \"10\""]);
    expect(lossProblems({ percent: 10, direction: "sideways" })).toEqual(['direction must be one of both, ingress, egress; got "sideways"']);
    expect(lossProblems({ percent: 10 })).toEqual([]);
  });
});

describe("net-fault counters", () => {
  it("parses net-fault.sh stats and computes the measured loss over both directions", () => {
    const stats = parseNetFaultStats("ingress_seen 900\ningress_dropped 90\negress_seen 1100\negress_dropped 120\nnoise here\n");
    expect(stats).toEqual({ ingress_seen: 900, ingress_dropped: 90, egress_seen: 1100, egress_dropped: 120 });
    expect(lossCounters(stats)).toEqual({ ingressSeen: 900, ingressDropped: 90, egressSeen: 1100, egressDropped: 120, measuredPercent: 10.5 });
  });

  it("reports 0% when nothing was seen, and missing counters as 0", () => {
    expect(lossCounters(parseNetFaultStats(""))).toEqual({ ingressSeen: 0, ingressDropped: 0, egressSeen: 0, egressDropped: 0, measuredPercent: 0 });
  });
});
