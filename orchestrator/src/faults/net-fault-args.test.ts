import { describe, expect, it } from "vitest";
import {
  describeNetFault,
  faultCounters,
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

describe("a fault of any kind", () => {
  it("takes one family per fault (a link profile, a partition, a disconnect or a link down), each field with what it needs", () => {
    expect(netFaultChoiceProblems({})).toEqual([expect.stringMatching(/^a fault needs one of loss, rateKbit, delayMs \(with jitterMs\), duplicate, reorder, windowSegments; or partition, disconnect or linkDown; it has none$/)]);
    expect(netFaultChoiceProblems({ loss: 10, partition: "www" })).toEqual([expect.stringMatching(/this one mixes a link profile .* and partition \(one network fault per service at a time\)/)]);
    expect(netFaultChoiceProblems({ disconnect: "campus", linkDown: "campus" })).toEqual([expect.stringMatching(/mixes disconnect and linkDown/)]);
    expect(netFaultChoiceProblems({ direction: "egress" })).toEqual([expect.stringMatching(/it has none/)]);
    expect(netFaultChoiceProblems({ rateKbit: 1500, direction: "egress" })).toEqual(["direction applies only to loss; remove it, or give loss (percent)"]);
    expect(netFaultChoiceProblems({ jitterMs: 5, loss: 1 })).toEqual(["jitterMs is a spread around delayMs; give delayMs too (0 is allowed)"]);
    expect(netFaultChoiceProblems({ delayMs: 5, distribution: "normal" })).toEqual(["distribution applies only to jitterMs; remove it, or give jitterMs"]);
    expect(netFaultChoiceProblems({ duplicate: 5, gapMs: 3 })).toEqual(["gapMs applies only to reorder; remove it, or give reorder (percent)"]);
    expect(netFaultChoiceProblems({ rateKbit: 1500, to: "www" })).toEqual([]);
    expect(netFaultChoiceProblems({ disconnect: "campus", oneWay: true })).toEqual(["oneWay applies only to partition; remove it"]);
    expect(netFaultChoiceProblems({ partition: "www", to: "www" })).toEqual([expect.stringMatching(/to narrows a link profile/)]);
    expect(netFaultChoiceProblems({ loss: 10, direction: "egress", rateKbit: 1500, delayMs: 100, jitterMs: 10, duplicate: 1, reorder: 2, gapMs: 5, to: "www" })).toEqual([]);
    expect(netFaultChoiceProblems({ loss: 2, rateKbit: 1500, delayMs: 100, jitterMs: 10 })).toEqual([]);
  });

  it("checks the values once the choice is right", () => {
    expect(netFaultProblems({ loss: 0 })).toEqual(["loss must be a percentage more than 0 and at most 100; got 0"]);
    expect(netFaultProblems({ loss: 10, direction: "up" })).toEqual(['direction must be one of both, ingress, egress; got "up"']);
    expect(netFaultProblems({ rateKbit: 4 })).toEqual(["rateKbit must be a whole number of kbit/s from 8 to 10000000 (10 Gbit/s); got 4"]);
    expect(netFaultProblems({ delayMs: -1 })).toEqual(["delayMs must be a number of milliseconds from 0 to 10000; got -1"]);
    expect(netFaultProblems({ delayMs: 10001 })).toEqual(["delayMs must be a number of milliseconds from 0 to 10000; got 10001"]);
    expect(netFaultProblems({ delayMs: 0.0005 })).toEqual(["delayMs is applied to the microsecond: give at most 3 decimals; got 0.0005"]);
    expect(netFaultProblems({ delayMs: 100, jitterMs: 10, distribution: "pareto" })).toEqual(['distribution must be one of uniform, normal; got "pareto"']);
    expect(netFaultProblems({ duplicate: 101 })).toEqual(["duplicate must be a percentage more than 0 and at most 100; got 101"]);
    expect(netFaultProblems({ reorder: 0 })).toEqual(["reorder must be a percentage more than 0 and at most 100; got 0"]);
    expect(netFaultProblems({ windowSegments: 0 })).toEqual(["windowSegments must be a whole number of segments from 1 to 1000; got 0"]);
    expect(netFaultProblems({ windowSegments: 10.5 })).toEqual(["windowSegments must be a whole number of segments from 1 to 1000; got 10.5"]);
    expect(netFaultProblems({ windowSegments: 10, delayMs: 50, to: "prober" })).toEqual([]);
    expect(netFaultProblems({ partition: [] })).toEqual([expect.stringMatching(/partition must be a service name or a list of 1 to 16 service names; got \[\]/)]);
    expect(netFaultProblems({ partition: ["a", "a"] })).toEqual(['partition names a service twice: ["a","a"]']);
    expect(netFaultProblems({ partition: "www", oneWay: "yes" })).toEqual(['oneWay must be true or false; got "yes"']);
    expect(netFaultProblems({ linkDown: "" })).toEqual([expect.stringMatching(/linkDown must be a network name/)]);
    expect(netFaultProblems({ loss: 0, rateKbit: 4 })).toHaveLength(2);
    expect(netFaultProblems({ delayMs: 100.5, jitterMs: 0.125, distribution: "normal", reorder: 25, gapMs: 5 })).toEqual([]);
  });

  it("becomes a spec with its defaults, and a description", () => {
    expect(netFaultSpec({ loss: 10 })).toEqual({ loss: 10, direction: "both" });
    expect(netFaultSpec({ loss: 5, direction: "egress" })).toEqual({ loss: 5, direction: "egress" });
    expect(netFaultSpec({ rateKbit: 1500 })).toEqual({ rateKbit: 1500 });
    expect(netFaultSpec({ delayMs: 100, jitterMs: 10 })).toEqual({ delayMs: 100, jitterMs: 10, distribution: "uniform" });
    expect(netFaultSpec({ reorder: 5 })).toEqual({ reorder: 5, gapMs: 10 });
    expect(netFaultSpec({ partition: "dns-root" })).toEqual({ partition: ["dns-root"], oneWay: false });
    expect(netFaultSpec({ rateKbit: 1500, to: "www" })).toEqual({ rateKbit: 1500, to: "www" });
    expect(netFaultArgs({ rateKbit: 1500, to: "www" }, { peers: ["10.0.0.41/32"] })).toEqual(["profile", "--rate", "1500", "--peer", "10.0.0.41/32"]);
    expect(describeNetFault({ loss: 10, direction: "both" })).toBe("loss 10% both");
    expect(describeNetFault({ loss: 0.5, direction: "ingress" })).toBe("loss 0.5% ingress");
    expect(describeNetFault({ rateKbit: 1500 })).toBe("rate 1500 kbit/s");
    expect(describeNetFault({ loss: 2, direction: "both", rateKbit: 1500, delayMs: 100, jitterMs: 10, distribution: "normal", to: "www" })).toBe(
      "loss 2% both, rate 1500 kbit/s, delay 100 ms jitter 10 ms normal to www",
    );
    expect(describeNetFault({ duplicate: 1, reorder: 5, gapMs: 10 })).toBe("duplicate 1%, reorder 5% gap 10 ms");
    expect(describeNetFault({ delayMs: 50, windowSegments: 10 })).toBe("delay 50 ms, TCP window 10 segments");
    expect(netFaultSpec({ windowSegments: 10 })).toEqual({ windowSegments: 10 });
    expect(describeNetFault({ partition: ["dns-root", "dns-tld"], oneWay: true })).toBe("one-way partition from dns-root, dns-tld");
    expect(describeNetFault({ disconnect: "campus" })).toBe("cut from network campus");
    expect(describeNetFault({ linkDown: "campus" })).toBe("link down on network campus");
  });

  it("becomes net-fault.sh arguments: the short forms for a lone loss or rate, a profile otherwise, with the peers' addresses", () => {
    expect(netFaultArgs({ loss: 10, direction: "both" })).toEqual(["loss", "10", "both"]);
    expect(netFaultArgs({ rateKbit: 1500 })).toEqual(["rate", "1500"]);
    const profile = { loss: 2, direction: "egress", rateKbit: 1500, delayMs: 100.5, jitterMs: 10, distribution: "normal", duplicate: 1, reorder: 5, gapMs: 20 } as const;
    expect(netFaultArgs(profile)).toEqual(
      ["profile", "--loss", "2", "--direction", "egress", "--rate", "1500", "--delay-us", "100500", "--jitter-us", "10000", "--distribution", "normal", "--duplicate", "1", "--reorder", "5", "--gap-us", "20000", "--backend", "nfqueue"],
    );
    expect(netFaultArgs({ delayMs: 50 }, { peers: [] }, "netem")).toEqual(["profile", "--delay-us", "50000", "--backend", "netem"]);
    // Narrowed to a peer, the delay line does it even where netem is: netem cannot match a peer.
    expect(netFaultArgs({ delayMs: 50, to: "www" }, { peers: ["10.0.0.80/32", "10.9.0.80/32"] }, "netem")).toEqual(
      ["profile", "--delay-us", "50000", "--backend", "nfqueue", "--peer", "10.0.0.80/32", "--peer", "10.9.0.80/32"],
    );
    expect(netFaultArgs({ loss: 5, direction: "both", to: "www" }, { peers: ["10.0.0.80/32"] })).toEqual(["profile", "--loss", "5", "--direction", "both", "--peer", "10.0.0.80/32"]);
    expect(() => netFaultArgs({ delayMs: 50, to: "www" })).toThrow(/the addresses of "www" are needed/);
    expect(netFaultArgs({ windowSegments: 10 })).toEqual(["profile", "--window", "10"]);
    expect(netFaultArgs({ delayMs: 50, windowSegments: 10, to: "www" }, { peers: ["10.0.0.41/32"] })).toEqual(["profile", "--delay-us", "50000", "--window", "10", "--backend", "nfqueue", "--peer", "10.0.0.41/32"]);
    expect(netFaultArgs({ partition: ["dns-root"], oneWay: false }, { peers: ["10.0.0.10/32"] })).toEqual(["cut", "--peer", "10.0.0.10/32"]);
    expect(netFaultArgs({ partition: ["dns-root"], oneWay: true }, { peers: ["10.0.0.10/32"] })).toEqual(["cut", "--one-way", "--peer", "10.0.0.10/32"]);
    expect(netFaultArgs({ disconnect: "campus" }, { peers: [], ownAddress: "10.1.0.10" })).toEqual(["cut", "--net", "10.1.0.10"]);
    expect(netFaultArgs({ linkDown: "campus" }, { peers: [], ownAddress: "10.1.0.10" })).toEqual(["linkdown", "10.1.0.10"]);
    expect(() => netFaultArgs({ linkDown: "campus" })).toThrow(/own address/);
  });

  it("keeps the counters of the fault's own kinds, flat", () => {
    const stats = parseNetFaultStats("ingress_seen 10\ningress_dropped 1\negress_seen 0\negress_dropped 0\nrate_sent_bytes 5\ndelay_seen 7\ndelay_sent 7\ndelay_duplicated 2\ndelay_held_max 3\ncut_in_dropped 4\ncut_out_dropped 6\n");
    expect(faultCounters({ loss: 10, direction: "both", delayMs: 5 }, stats)).toEqual({
      ingressSeen: 10, ingressDropped: 1, egressSeen: 0, egressDropped: 0, measuredPercent: 10,
      delayedPackets: 7, releasedPackets: 7, delayDropped: 0, duplicated: 2, reordered: 0, heldMax: 3, sendFailed: 0,
    });
    expect(faultCounters({ rateKbit: 1500 }, stats)).toEqual({ sentBytes: 5, sentPackets: 0, dropped: 0, overlimits: 0 });
    expect(faultCounters({ partition: ["www"] }, stats)).toEqual({ cutInDropped: 4, cutOutDropped: 6 });
    expect(faultCounters({ disconnect: "campus" }, stats)).toEqual({ cutInDropped: 4, cutOutDropped: 6 });
    expect(faultCounters({ linkDown: "campus" }, stats)).toEqual({});
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
