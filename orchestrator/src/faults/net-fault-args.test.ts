import { describe, expect, it } from "vitest";
import {
  describeNetFault,
  lossArgs,
  lossCounters,
  lossProblems,
  netFaultArgs,
  netFaultChoiceProblems,
  netFaultProblems,
  netFaultSpec,
  parseNetFaultStats,
  rateArgs,
  rateCounters,
  rateProblems,
} from "./net-fault-args.ts";

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

  it("refuses a percentage that 4 decimals make 0, which net-fault.sh would refuse; takes the smallest one that is not", () => {
    for (const percent of [1e-5, 0.00004, 9.169104902352917e-89, Number.MIN_VALUE]) {
      expect(lossProblems({ percent }), String(percent)).toEqual([`loss must be at least 0.0001 percent (it is applied to 4 decimals); got ${percent}`]);
      expect(() => lossArgs({ percent, direction: "both" })).toThrow(/at least 0\.0001 percent/);
    }
    expect(lossArgs({ percent: 0.0001, direction: "both" })).toEqual(["loss", "0.0001", "both"]);
    expect(lossArgs({ percent: 0.00006, direction: "egress" })).toEqual(["loss", "0.0001", "egress"]);
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

describe("rateArgs", () => {
  it.each([
    [1500, ["rate", "1500"]],
    [8, ["rate", "8"]],
    [10_000_000, ["rate", "10000000"]],
  ])("%j kbit/s gives %j", (rateKbit, args) => {
    expect(rateArgs({ rateKbit })).toEqual(args);
  });

  it("refuses a rate that is not a whole number of kbit/s from 8 to 10000000", () => {
    const message = (got: string) => `rateKbit must be a whole number of kbit/s from 8 to 10000000 (10 Gbit/s); got ${got}`;
    expect(rateProblems({ rateKbit: 7 })).toEqual([message("7")]);
    expect(rateProblems({ rateKbit: 10_000_001 })).toEqual([message("10000001")]);
    expect(rateProblems({ rateKbit: 1.5 })).toEqual([message("1.5")]);
    expect(rateProblems({ rateKbit: "1500" })).toEqual([message('"1500"')]);
    expect(rateProblems({ rateKbit: Number.NaN })).toEqual([message("null")]);
    expect(rateProblems({ rateKbit: 1500 })).toEqual([]);
    expect(() => rateArgs({ rateKbit: 0 })).toThrow(RangeError);
  });
});

describe("a fault of either kind", () => {
  it("needs exactly one of loss and rateKbit, and direction only with loss", () => {
    expect(netFaultChoiceProblems({ loss: 10, rateKbit: 1500 })).toEqual(["fault needs either loss (percent) or rateKbit (kbit/s), not both (one network fault per service at a time)"]);
    expect(netFaultChoiceProblems({})).toEqual(["fault needs either loss (percent of packets dropped at random) or rateKbit (kbit/s, a rate limit); it has neither"]);
    expect(netFaultChoiceProblems({ direction: "egress" })).toHaveLength(1);
    expect(netFaultChoiceProblems({ rateKbit: 1500, direction: "egress" })).toEqual([
      "direction applies only to loss, not to rateKbit; remove it (a rate limit shapes what the service sends on each of its interfaces)",
    ]);
    expect(netFaultChoiceProblems({ loss: 10, direction: "egress" })).toEqual([]);
    expect(netFaultChoiceProblems({ rateKbit: 1500 })).toEqual([]);
  });

  it("checks the values once the choice is right", () => {
    expect(netFaultProblems({ loss: 0 })).toEqual(["loss must be a percentage more than 0 and at most 100; got 0"]);
    expect(netFaultProblems({ loss: 10, direction: "up" })).toEqual(['direction must be one of both, ingress, egress; got "up"']);
    expect(netFaultProblems({ rateKbit: 4 })).toEqual(["rateKbit must be a whole number of kbit/s from 8 to 10000000 (10 Gbit/s); got 4"]);
    expect(netFaultProblems({ loss: 0, rateKbit: 4 })).toEqual([expect.stringMatching(/not both/)]);
    expect(netFaultProblems({ rateKbit: 1500 })).toEqual([]);
  });

  it("becomes a spec (direction defaults to both), net-fault.sh arguments and a description", () => {
    expect(netFaultSpec({ loss: 10 })).toEqual({ loss: 10, direction: "both" });
    expect(netFaultSpec({ loss: 5, direction: "egress" })).toEqual({ loss: 5, direction: "egress" });
    expect(netFaultSpec({ rateKbit: 1500 })).toEqual({ rateKbit: 1500 });
    expect(() => netFaultSpec({ rateKbit: 1500, loss: 1 })).toThrow(/not both/);
    expect(netFaultArgs({ loss: 10, direction: "both" })).toEqual(["loss", "10", "both"]);
    expect(netFaultArgs({ rateKbit: 1500 })).toEqual(["rate", "1500"]);
    expect(describeNetFault({ loss: 10, direction: "both" })).toBe("loss 10% both");
    expect(describeNetFault({ loss: 0.5, direction: "ingress" })).toBe("loss 0.5% ingress");
    expect(describeNetFault({ rateKbit: 1500 })).toBe("rate 1500 kbit/s");
  });
});

describe("rate counters", () => {
  it("reads the rate lines of net-fault.sh stats (as printed in a container holding rate 1500 on four veths)", () => {
    const stats = parseNetFaultStats(
      "ingress_seen 0\ningress_dropped 0\negress_seen 0\negress_dropped 0\nrate_sent_bytes 71880\nrate_sent_packets 140\nrate_dropped 760\nrate_overlimits 1126\n",
    );
    expect(rateCounters(stats)).toEqual({ sentBytes: 71880, sentPackets: 140, dropped: 760, overlimits: 1126 });
    expect(lossCounters(stats)).toEqual({ ingressSeen: 0, ingressDropped: 0, egressSeen: 0, egressDropped: 0, measuredPercent: 0 });
  });

  it("gives 0 for missing counters (a helper without rate lines)", () => {
    expect(rateCounters(parseNetFaultStats("ingress_seen 5\n"))).toEqual({ sentBytes: 0, sentPackets: 0, dropped: 0, overlimits: 0 });
  });
});
