import { Value } from "typebox/value";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidInputError } from "../../common/errors.ts";
import { FakeClock } from "../../common/testing/fake-clock.ts";
import { eventually } from "../../common/testing/timing.ts";
import type { DockerAdapter } from "../../docker/docker-adapter.ts";
import { Topology, type ServiceSpec } from "../../lab/topology.ts";
import type { ProbeContext } from "../probe.ts";
import { type DnsLookupResult, type DnsNoAnswer, type DnsProbeParams, dnsParamsSchema, dnsProbe, type DnsTraceResult, questionName, serverAddress } from "./dns-probe.ts";
import { AA, type FakeDnsServer, type FakeHandler, RA, RCODE, respond, rr, startFakeDnsServer } from "./fake-dns-server.ts";

const service = (name: string, role: string, ipv4: string, hostnames: string[] = []): ServiceSpec => ({
  name, role, hostnames, description: "", networks: [{ network: "lab", ipv4 }],
});
// Every DNS role lives on 127.0.0.1 here, so that the probe only ever talks to the loopback fakes.
const topology = new Topology("l7lab", [
  service("resolver", "dns-resolver", "127.0.0.1", ["resolver.lab"]),
  service("root", "dns-root", "127.0.0.1", ["a.root-servers.net"]),
  service("auth-secondary", "dns-auth", "127.0.0.1", ["dns2.hamburger.edu"]),
  service("web", "web", "10.0.0.80"),
  service("outside", "web", "198.51.100.80"),
], [{ name: "lab", subnet: "10.0.0.0/24", internal: true, private: false, description: "" }]);
const otherTopology = new Topology("l7lab", [service("resolver", "dns-resolver", "10.0.0.53"), service("root", "dns-root", "10.0.0.1")], [
  { name: "lab", subnet: "10.0.0.0/24", internal: true, private: false, description: "" },
]);

/** The probe's timeouts run on it: it stands still, so an answered query never times out. */
let clock: FakeClock;
beforeEach(() => {
  clock = new FakeClock();
});
function context(signal = new AbortController().signal): ProbeContext {
  return { signal, clock, topology, docker: {} as DockerAdapter, stepStartedAt: () => undefined };
}
/** A server that never answers: once it has a query, the clock runs out that query's timeout. */
const silent = (timeoutMs: number): FakeHandler => () => {
  void clock.advance(timeoutMs);
  return undefined;
};

const servers: FakeDnsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function fake(handler: FakeHandler): Promise<FakeDnsServer> {
  const s = await startFakeDnsServer(handler);
  servers.push(s);
  return s;
}

describe("questionName", () => {
  it.each([
    { title: "PTR of an IPv4 address", input: ["198.51.100.7", "PTR"] as const, expected: "7.100.51.198.in-addr.arpa." },
    { title: "PTR of a reverse name stays", input: ["7.100.51.198.in-addr.arpa", "PTR"] as const, expected: "7.100.51.198.in-addr.arpa." },
    { title: "PTR of an IPv6 address", input: ["2001:db8::1", "PTR"] as const, expected: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa." },
    { title: "A of a name gets the trailing dot", input: ["www.hamburger.edu", "A"] as const, expected: "www.hamburger.edu." },
    { title: "an address is only reversed for PTR", input: ["198.51.100.7", "A"] as const, expected: "198.51.100.7." },
  ])("$title", ({ input: [name, type], expected }) => {
    expect(questionName(name, type)).toBe(expected);
  });
});

describe("serverAddress", () => {
  it.each([
    { title: "recursive defaults to the dns-resolver", input: { mode: "recursive" as const, server: undefined }, expected: "10.0.0.53" },
    { title: "iterative defaults to the dns-root", input: { mode: "iterative" as const, server: undefined }, expected: "10.0.0.1" },
    { title: "a compose service name", input: { mode: "direct" as const, server: "root" }, expected: "10.0.0.1" },
    { title: "a lab address as is", input: { mode: "direct" as const, server: "10.0.0.9" }, expected: "10.0.0.9" },
  ])("$title", ({ input, expected }) => {
    expect(serverAddress(input.mode, input.server, otherTopology)).toBe(expected);
  });

  it("resolves a lab host name", () => {
    expect(serverAddress("direct", "web", topology)).toBe("10.0.0.80");
    expect(serverAddress("direct", "dns2.hamburger.edu.", topology)).toBe("127.0.0.1");
  });

  it.each([
    { title: "direct without a server", input: { mode: "direct" as const, server: undefined }, expected: 'mode "direct" needs a server' },
    { title: "an unknown name", input: { mode: "recursive" as const, server: "nowhere.example" }, expected: 'server "nowhere.example" is not a lab service' },
    { title: "an address outside the lab", input: { mode: "direct" as const, server: "8.8.8.8" }, expected: 'server "8.8.8.8" (8.8.8.8) is not in the lab\'s networks (10.0.0.0/24)' },
    { title: "a service outside the lab's networks", input: { mode: "direct" as const, server: "outside" }, expected: "(198.51.100.80) is not in the lab's networks" },
  ])("rejects $title", ({ input, expected }) => {
    expect(() => serverAddress(input.mode, input.server, topology)).toThrow(InvalidInputError);
    expect(() => serverAddress(input.mode, input.server, topology)).toThrow(expected);
  });
});

describe("dnsParamsSchema", () => {
  it.each([
    { title: "a minimal lookup", input: { name: "www.hamburger.edu" }, expected: true },
    { title: "every option", input: { mode: "direct", name: "hamburger.edu", type: "SOA", server: "auth-secondary", port: 53, timeoutMs: 500, retries: 1, tcp: true }, expected: true },
    { title: "an unknown type", input: { name: "x", type: "HINFO" }, expected: false },
    { title: "an unknown mode", input: { name: "x", mode: "stub" }, expected: false },
    { title: "no name", input: { type: "A" }, expected: false },
    { title: "an empty name", input: { name: "" }, expected: false },
    { title: "a fractional port", input: { name: "x", port: 53.5 }, expected: false },
    { title: "an unknown option", input: { name: "x", recurse: true }, expected: false },
  ])("$title", ({ input, expected }) => {
    expect(Value.Check(dnsParamsSchema, input)).toBe(expected);
  });
});

const run = (params: DnsProbeParams, ctx = context()) => dnsProbe.run(params, ctx);

describe("dnsProbe", () => {
  it("is named dns", () => {
    expect(dnsProbe.name).toBe("dns");
  });

  it("recursive: asks the resolver with RD=1 and reports addresses and TTL", async () => {
    const s = await fake((q) =>
      respond(q, { flags: RA, answers: [rr("www.hamburger.edu", "CNAME", "www.someschool.edu", 120), rr("www.someschool.edu", "A", "198.51.100.7", 60)] }),
    );
    const out = await run({ name: "www.hamburger.edu", port: s.port });
    expect(out.ok).toBe(true);
    const data = out.data as DnsLookupResult;
    expect(data).toMatchObject({ mode: "recursive", name: "www.hamburger.edu.", type: "A", server: "127.0.0.1", rcode: "NOERROR", addresses: ["198.51.100.7"], ttl: 120 });
    expect(data.flags).toEqual({ aa: false, tc: false, rd: true, ra: true });
    expect(s.queries).toMatchObject([{ rd: true, type: "A", name: "www.hamburger.edu" }]);
    expect(out.transcript[0]).toMatchObject({ dir: "C", peer: `127.0.0.1:${s.port}` });
    expect(out.transcript[0]?.text).toMatch(/^www\.hamburger\.edu\. A\? rd=1 id=\d+ \(udp\)$/);
  });

  it("direct: asks the named server with RD=0; PTR names are reversed", async () => {
    const s = await fake((q) => respond(q, { flags: AA, answers: [rr("7.100.51.198.in-addr.arpa", "PTR", "www.someschool.edu")] }));
    const out = await run({ mode: "direct", server: "auth-secondary", name: "198.51.100.7", type: "PTR", port: s.port });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ mode: "direct", name: "7.100.51.198.in-addr.arpa.", addresses: [], answers: [{ data: "www.someschool.edu." }] });
    expect(s.queries).toMatchObject([{ rd: false, type: "PTR", name: "7.100.51.198.in-addr.arpa" }]);
  });

  it("NXDOMAIN is ok: true with the rcode in the data", async () => {
    const s = await fake((q) => respond(q, { flags: RA | RCODE.NXDOMAIN }));
    const out = await run({ name: "nope.hamburger.edu", port: s.port });
    expect(out).toMatchObject({ ok: true, data: { rcode: "NXDOMAIN", addresses: [] } });
    expect((out.data as DnsLookupResult).ttl).toBeUndefined();
    expect(out.error).toBeUndefined();
  });

  it("no answer at all is ok: false with a timeout error", async () => {
    const s = await fake(silent(40));
    const out = await run({ name: "www.hamburger.edu", port: s.port, timeoutMs: 40, retries: 1 });
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_TIMEOUT");
    expect(out.data as DnsNoAnswer).toEqual({ mode: "recursive", name: "www.hamburger.edu.", type: "A", server: "127.0.0.1", port: s.port, answered: false });
    expect(out.transcript.filter((l) => l.dir === "C")).toHaveLength(2);
  });

  it("direct without a server throws InvalidInputError", async () => {
    await expect(run({ mode: "direct", name: "hamburger.edu" })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("iterative: traces from the root", async () => {
    // One loopback server plays the root (first query: a referral to edu. with glue 127.0.0.1) and then edu.
    let n = 0;
    const s = await fake((q) =>
      ++n === 1
        ? respond(q, { authorities: [rr("edu", "NS", "a.edu-servers.net")], additionals: [rr("a.edu-servers.net", "A", "127.0.0.1")] })
        : respond(q, { flags: AA, answers: [rr("www.hamburger.edu", "A", "192.0.2.80")] }),
    );
    const out = await run({ mode: "iterative", name: "www.hamburger.edu", port: s.port, timeoutMs: 200 });
    expect(out.ok).toBe(true);
    const data = out.data as DnsTraceResult;
    expect(data).toMatchObject({ mode: "iterative", zones: [".", "edu."], addresses: ["192.0.2.80"], rcode: "NOERROR", cnames: [] });
    expect(s.queries.every((q) => !q.rd)).toBe(true);
  });

  it("iterative: a referral to a server outside the lab is not followed", async () => {
    const s = await fake((q) => respond(q, { authorities: [rr("edu", "NS", "a.edu-servers.net")], additionals: [rr("a.edu-servers.net", "A", "198.51.100.53")] }));
    const out = await run({ mode: "iterative", name: "www.hamburger.edu", port: s.port, timeoutMs: 200 });
    const data = out.data as DnsTraceResult;
    expect(s.queries).toHaveLength(1);
    expect(data.hops.map((h) => [h.kind, h.server])).toEqual([["referral", "127.0.0.1"], ["error", "198.51.100.53"]]);
    expect(data.hops[1]?.error).toBe("198.51.100.53 is not a lab address; it was not asked");
    expect(data.rcode).toBe("SERVFAIL");
  });

  it("iterative: a silent root is ok: false", async () => {
    const s = await fake(silent(40));
    const out = await run({ mode: "iterative", name: "www.hamburger.edu", port: s.port, timeoutMs: 40, retries: 0 });
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_TIMEOUT");
    expect(out.error?.message).toMatch(/^no server answered: DNS probe got no answer from 127\.0\.0\.1:\d+/);
    expect((out.data as DnsTraceResult).hops.map((h) => h.kind)).toEqual(["timeout"]);
  });

  it("stops when the signal aborts", async () => {
    const s = await fake(() => undefined);
    const controller = new AbortController();
    const running = run({ name: "www.hamburger.edu", port: s.port, timeoutMs: 5000 }, context(controller.signal));
    await eventually(() => expect(s.queries).toHaveLength(1));
    controller.abort(new Error("step cancelled"));
    await expect(running).rejects.toThrow("step cancelled");
  });
});
