import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseComposeTopology } from "../lab/topology.ts";
import { faultCapabilities } from "./capabilities.ts";
import { parseCapabilities } from "./net-fault-helpers.ts";
import { netFaultTargetProblems, netFaultTargets } from "./targets.ts";

// The lab's own topology: the names and addresses a fault aims at are docker-compose.yml's.
const topology = parseComposeTopology(readFileSync(new URL("../../../docker-compose.yml", import.meta.url), "utf8"));
const addressesOf = (name: string) => topology.service(name).networks.map((n) => `${n.ipv4}/32`);

describe("where a fault aims", () => {
  it("narrows a profile to every address of its peer, and a partition to every address of each", () => {
    expect(netFaultTargets("proxy", { delayMs: 50, to: "www" }, topology)).toEqual({ peers: addressesOf("www") });
    expect(addressesOf("www").length).toBeGreaterThan(0);
    const both = netFaultTargets("dns-resolver", { partition: ["dns-root", "dns-tld"] }, topology);
    expect(both.peers).toEqual([...addressesOf("dns-root"), ...addressesOf("dns-tld")]);
    expect(netFaultTargets("www", { delayMs: 50 }, topology)).toEqual({ peers: [] });
  });

  it("finds the service's own address on the network it is cut from, or whose link goes down", () => {
    expect(netFaultTargets("router", { disconnect: "campus" }, topology)).toEqual({ peers: [], ownAddress: topology.addressOf("router", "campus") });
    expect(netFaultTargets("bob", { linkDown: "campus" }, topology)).toEqual({ peers: [], ownAddress: topology.addressOf("bob", "campus") });
  });

  it("refuses unknown services, the service itself, and networks it is not on, listing the choices", () => {
    expect(netFaultTargetProblems("www", { to: "prxy" }, topology)).toEqual([expect.stringMatching(/^to names unknown service "prxy"; valid services: .*\bproxy\b/)]);
    expect(netFaultTargetProblems("www", { partition: ["www", "dns-root"] }, topology)).toEqual(['partition names "www", the service the fault is on; name another service']);
    expect(netFaultTargetProblems("bob", { disconnect: "internet" }, topology)).toEqual([expect.stringMatching(/^disconnect names network "internet", which service "bob" is not on; its networks: campus$/)]);
    expect(netFaultTargetProblems("router", { linkDown: "campus" }, topology)).toEqual([]);
  });

  it("refuses a campus host as the peer of an Internet-side service: the router's NAT hides it there", () => {
    expect(netFaultTargetProblems("www", { delayMs: 50, to: "proxy" }, topology)).toEqual([
      'to names "proxy", whose traffic reaches "www" through router\'s NAT, so "www" sees it as router\'s and cannot single it out; name "router" (all of its hosts), or put the fault on "proxy" with to: "www"',
    ]);
    expect(netFaultTargetProblems("www", { partition: ["bob"] }, topology)).toEqual([expect.stringMatching(/or put the fault on "bob" with partition: "www"$/)]);
    // The other way round the campus host sees the Internet side's own addresses.
    expect(netFaultTargetProblems("proxy", { delayMs: 50, to: "www" }, topology)).toEqual([]);
    expect(netFaultTargetProblems("bob", { partition: ["www", "proxy"] }, topology)).toEqual([]);
    expect(netFaultTargetProblems("www", { delayMs: 50, to: "router" }, topology)).toEqual([]);
  });
});

describe("capabilities", () => {
  it("reads net-fault.sh capabilities, and says each kind's backend: the delay line without netem, netem with it", () => {
    const here = parseCapabilities("netem no\nnfqueue yes\nstatistic yes\ntbf yes\n");
    expect(here).toEqual({ netem: false, nfqueue: true, statistic: true, tbf: true });
    const kinds = faultCapabilities(here).kinds;
    expect(kinds["delay"]).toEqual({ backend: expect.stringMatching(/^userspace delay line \(NFQUEUE/), available: true });
    expect(Object.keys(kinds)).toEqual(["loss", "rate", "delay", "jitter", "duplicate", "reorder", "partition", "disconnect", "linkDown", "window"]);
    const elsewhere = faultCapabilities(parseCapabilities("netem yes\nnfqueue yes\nstatistic yes\ntbf yes\n")).kinds;
    expect(elsewhere["jitter"]!.backend).toMatch(/^netem/);
    expect(faultCapabilities(parseCapabilities("")).kinds["delay"]).toMatchObject({ available: false });
  });
});
