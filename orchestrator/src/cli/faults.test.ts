import { describe, expect, it } from "vitest";
import { faultRow, faultText, healedLine, parseRateKbit } from "./faults.ts";

describe("parseRateKbit", () => {
  it.each([
    ["1500", 1500],
    ["1500kbit", 1500],
    ["1500 kbit", 1500],
    ["1500k", 1500],
    ["1500kbps", 1500],
    ["1500kbit/s", 1500],
    ["1.5mbit", 1500],
    ["1.5Mbit", 1500],
    ["1.1mbit", 1100],
    ["2m", 2000],
    ["10mbit/s", 10_000],
    ["1gbit", 1_000_000],
    ["0.064mbit", 64],
    [" 64 ", 64],
  ])("%j is %i kbit/s", (text, kbit) => {
    expect(parseRateKbit(text)).toBe(kbit);
  });

  it.each([
    ["fast", /the rate must be a number of kbit\/s, like 1500 \(kbit\/s\), 1500kbit or 1\.5mbit; got "fast"/],
    ["1500mb", /got "1500mb"/],
    ["1500bit", /got "1500bit"/],
    ["-5", /got "-5"/],
    ["", /got ""/],
    ["1.0005mbit", /must come to a whole number of kbit\/s .*"1\.0005mbit" is 1000\.5 kbit\/s/],
    ["1.5", /"1\.5" is 1\.5 kbit\/s/],
    ["0", /whole number of kbit\/s \(more than 0\)/],
  ])("refuses %j, saying what is accepted", (text, message) => {
    expect(() => parseRateKbit(text)).toThrow(message);
  });
});

describe("fault list and heal output", () => {
  it("describes either kind of fault in one column", () => {
    expect(faultText({ loss: 10, direction: "both" })).toBe("loss 10% both");
    expect(faultText({ rateKbit: 1500 })).toBe("rate 1500 kbit/s");
    expect(faultRow({ id: "f1", service: "router", rateKbit: 1500, helper: "l7lab-fault-router-x" })).toEqual(["f1", "router", "rate 1500 kbit/s", "l7lab-fault-router-x"]);
    expect(faultRow({ id: "f2", service: "tftp", loss: 5, direction: "egress", helper: "h" })).toEqual(["f2", "tftp", "loss 5% egress", "h"]);
  });

  it("says what a removed fault did: loss counters, rate counters, or none", () => {
    const base = { service: "tftp", heldMs: 12_345 };
    expect(healedLine({ ...base, counters: { ingressSeen: 100, ingressDropped: 10, egressSeen: 200, egressDropped: 20, measuredPercent: 10 } })).toBe(
      "removed after 12.3 s from tftp: dropped 10 of 100 packets in, 20 of 200 out (10%)",
    );
    expect(healedLine({ ...base, rateKbit: 1500, counters: { sentBytes: 71880, sentPackets: 140, dropped: 760, overlimits: 1126 } })).toBe(
      "removed after 12.3 s from tftp: sent 71880 bytes in 140 packets, dropped 760 (queue full), held back 1126 times",
    );
    expect(healedLine({ ...base, counters: null })).toBe("removed after 12.3 s from tftp");
  });
});
