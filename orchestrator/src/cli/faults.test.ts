import { describe, expect, it } from "vitest";
import { faultRow, faultText, healedLine, parseFaultCommand, parseMs, parsePercent, parseRateKbit } from "./faults.ts";

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
    expect(healedLine({ ...base, delayMs: 100, duplicate: 1, counters: { delayedPackets: 500, releasedPackets: 500, delayDropped: 0, duplicated: 5, reordered: 0, heldMax: 12 } })).toBe(
      "removed after 12.3 s from tftp: delayed 500 packets (at most 12 at once), duplicated 5, reordered 0, dropped 0 (queue full)",
    );
    expect(healedLine({ ...base, partition: ["www"], counters: { cutInDropped: 3, cutOutDropped: 4 } })).toBe("removed after 12.3 s from tftp: dropped 3 packets arriving and 4 leaving");
    expect(healedLine({ ...base, linkDown: "campus", counters: {} })).toBe("removed after 12.3 s from tftp");
    expect(healedLine({ ...base, counters: null })).toBe("removed after 12.3 s from tftp");
  });
});

describe("parseFaultCommand", () => {
  it.each([
    [["loss", "tftp", "10%"], { op: "apply", body: { service: "tftp", loss: 10 } }],
    [["loss", "tftp", "5", "egress", "--to", "bob"], { op: "apply", body: { service: "tftp", loss: 5, direction: "egress", to: "bob" } }],
    [["rate", "router", "1.5mbit"], { op: "apply", body: { service: "router", rateKbit: 1500 } }],
    [["delay", "www", "100"], { op: "apply", body: { service: "www", delayMs: 100 } }],
    [["delay", "www", "100ms", "--jitter", "10", "--distribution", "normal", "--to", "proxy"], { op: "apply", body: { service: "www", delayMs: 100, jitterMs: 10, distribution: "normal", to: "proxy" } }],
    [["delay", "www", "0.2s", "--loss=2", "--rate", "1500"], { op: "apply", body: { service: "www", delayMs: 200, loss: 2, rateKbit: 1500 } }],
    [["duplicate", "media", "1"], { op: "apply", body: { service: "media", duplicate: 1 } }],
    [["reorder", "media", "25%", "--gap", "5"], { op: "apply", body: { service: "media", reorder: 25, gapMs: 5 } }],
    [["window", "www", "10"], { op: "apply", body: { service: "www", windowSegments: 10 } }],
    [["delay", "www", "50", "--window", "20", "--to", "alice"], { op: "apply", body: { service: "www", delayMs: 50, windowSegments: 20, to: "alice" } }],
    [["partition", "dns-resolver", "dns-root,dns-tld"], { op: "apply", body: { service: "dns-resolver", partition: ["dns-root", "dns-tld"] } }],
    [["partition", "bob", "www", "--one-way"], { op: "apply", body: { service: "bob", partition: ["www"], oneWay: true } }],
    [["disconnect", "router", "campus"], { op: "apply", body: { service: "router", disconnect: "campus" } }],
    [["link-down", "bob", "campus"], { op: "apply", body: { service: "bob", linkDown: "campus" } }],
    [["list"], { op: "list" }],
    [["heal", "f3"], { op: "heal", id: "f3" }],
    [["heal", "--all"], { op: "heal-all" }],
    [["capabilities"], { op: "capabilities" }],
  ])("%j", (args, command) => {
    expect(parseFaultCommand(args)).toEqual(command);
  });

  it.each([
    [[], /^usage:\n {2}l7lab fault loss/],
    [["slow", "www"], /^unknown fault command "slow"\nusage:/],
    [["delay", "www"], /^l7lab fault delay takes <service> <ms>; got "www"\nusage:/],
    [["delay", "www", "soon"], /^the delay must be a number of milliseconds, like 100, 100ms or 0\.2s; got "soon"$/],
    [["delay", "www", "100", "--jitter"], /^--jitter needs a value/],
    [["delay", "www", "100", "--fast", "1"], /^unknown option --fast for l7lab fault delay; valid: --loss, --direction, --rate, --delay, --jitter/],
    [["delay", "www", "100", "--delay", "5"], /^--delay is given twice/],
    [["loss", "www", "ten"], /^the loss must be a percentage, like 10 or 2\.5%; got "ten"$/],
    [["partition", "www"], /^l7lab fault partition takes <service> <peer>/],
    [["partition", "www", "bob", "--to", "x"], /^l7lab fault partition takes no --to/],
    [["heal"], /^l7lab fault heal takes <id> \(or --all\); got nothing/],
    [["list", "x"], /^l7lab fault list takes nothing; got "x"/],
    [["window", "www", "10kB"], /^the window must be a whole number of segments, like 10; got "10kB"$/],
  ])("refuses %j, saying what to fix", (args, message) => {
    expect(() => parseFaultCommand(args)).toThrow(message);
  });

  it("reads times and percentages as typed", () => {
    expect(parseMs("d", "1.5s")).toBe(1500);
    expect(parseMs("d", " 25 ")).toBe(25);
    expect(parsePercent("p", "0.5%")).toBe(0.5);
    expect(() => parsePercent("p", "-1")).toThrow(/got "-1"/);
  });
});
