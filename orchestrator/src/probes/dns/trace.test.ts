import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../common/testing/fake-clock.ts";
import { formatTranscript, Transcript } from "../transcript.ts";
import { authority, type FakeDnsServer, type FakeHandler, RCODE, respond, rr, soaRecord, startFakeDnsServer } from "./fake-dns-server.ts";
import { type Route, traceIterative, type TraceOptions } from "./trace.ts";

/*
 * A small DNS tree on loopback. Each fake server stands for a lab address (documentation ranges,
 * never contacted): the route maps those addresses to the fake servers' ports on 127.0.0.1 and
 * throws for any other address, so no packet leaves the loopback.
 */
const ROOT = "192.0.2.1";
const EDU = "192.0.2.2";
const HAMBURGER = "192.0.2.3";
const SOMESCHOOL = "192.0.2.4";
const BLACKHOLE = "192.0.2.30";

const zones = {
  root: authority(".", [rr("edu", "NS", "a.edu-servers.net"), rr("a.edu-servers.net", "A", EDU)]),
  edu: authority("edu", [
    soaRecord("edu"),
    rr("hamburger.edu", "NS", "ns1.hamburger.edu"),
    rr("hamburger.edu", "NS", "ns2.hamburger.edu"),
    rr("ns1.hamburger.edu", "A", BLACKHOLE),
    rr("ns2.hamburger.edu", "A", HAMBURGER),
    rr("someschool.edu", "NS", "dns.someschool.edu"),
    rr("dns.someschool.edu", "A", SOMESCHOOL),
    // Delegated without glue (edu. has no address for ns3): it must be looked up from the root.
    rr("glueless.edu", "NS", "ns3.hamburger.edu"),
  ]),
  hamburger: authority("hamburger.edu", [
    soaRecord("hamburger.edu"),
    rr("hamburger.edu", "NS", "ns1.hamburger.edu"),
    rr("www.hamburger.edu", "CNAME", "www.someschool.edu"),
    rr("direct.hamburger.edu", "A", "192.0.2.81"),
    rr("loop.hamburger.edu", "CNAME", "loop.someschool.edu"),
    rr("ns1.hamburger.edu", "A", BLACKHOLE),
    rr("ns2.hamburger.edu", "A", HAMBURGER),
    rr("ns3.hamburger.edu", "A", HAMBURGER),
  ]),
  someschool: authority("someschool.edu", [
    soaRecord("someschool.edu"),
    rr("www.someschool.edu", "A", "198.51.100.7"),
    rr("loop.someschool.edu", "CNAME", "loop.hamburger.edu"),
  ]),
  glueless: authority("glueless.edu", [soaRecord("glueless.edu"), rr("www.glueless.edu", "A", "203.0.113.9")]),
};

/** The clock of the queries' timeouts: it stands still, so an answered query never times out. */
let clock: FakeClock;
beforeEach(() => {
  clock = new FakeClock();
});
const TIMEOUT_MS = 150;
/** A server that never answers: once it has the query, the clock runs out that query's timeout. */
const silent: FakeHandler = () => {
  void clock.advance(TIMEOUT_MS);
  return undefined;
};

const servers: FakeDnsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function lab(map: Record<string, FakeHandler>): Promise<{ route: Route; fakes: Record<string, FakeDnsServer> }> {
  const fakes: Record<string, FakeDnsServer> = {};
  for (const [address, handler] of Object.entries(map)) {
    const s = await startFakeDnsServer(handler);
    servers.push(s);
    fakes[address] = s;
  }
  const route: Route = (address) => {
    const s = fakes[address];
    if (!s) throw new Error(`test route: no fake server for ${address}`);
    return { host: "127.0.0.1", port: s.port };
  };
  return { route, fakes };
}

// The glueless.edu zone is served by the same server as hamburger.edu (ns2/ns3.hamburger.edu).
const both: FakeHandler = (q, t) => (q.questions?.[0]?.name.endsWith("glueless.edu") ? zones.glueless(q, t) : zones.hamburger(q, t));

async function standardLab() {
  return lab({ [ROOT]: zones.root, [EDU]: zones.edu, [HAMBURGER]: both, [SOMESCHOOL]: zones.someschool, [BLACKHOLE]: silent });
}

function trace(route: Route, opts: Partial<TraceOptions> & { name: string }) {
  return traceIterative({ type: "A", root: ROOT, route, timeoutMs: TIMEOUT_MS, retries: 0, clock, ...opts });
}

describe("traceIterative against fake servers", () => {
  it("follows root -> edu -> hamburger.edu, then restarts at the root for the CNAME target", async () => {
    const { route, fakes } = await standardLab();
    const transcript = new Transcript();
    const r = await trace(route, { name: "www.hamburger.edu", transcript });
    expect(r.zones).toEqual([".", "edu.", "hamburger.edu.", ".", "edu.", "someschool.edu."]);
    expect(r.cnames).toEqual(["www.someschool.edu."]);
    expect(r.addresses).toEqual(["198.51.100.7"]);
    expect(r.rcode).toBe("NOERROR");
    expect(r.error).toBeUndefined();
    expect(r.answers.map((a) => `${a.name} ${a.type} ${a.data}`)).toEqual([
      "www.hamburger.edu. CNAME www.someschool.edu.",
      "www.someschool.edu. A 198.51.100.7",
    ]);
    // ns1.hamburger.edu does not answer: a timeout hop, then ns2.
    expect(r.hops.map((h) => [h.kind, h.zone, h.qname, h.serverName ?? "-"])).toEqual([
      ["referral", ".", "www.hamburger.edu.", "-"],
      ["referral", "edu.", "www.hamburger.edu.", "a.edu-servers.net."],
      ["timeout", "hamburger.edu.", "www.hamburger.edu.", "ns1.hamburger.edu."],
      ["cname", "hamburger.edu.", "www.hamburger.edu.", "ns2.hamburger.edu."],
      ["referral", ".", "www.someschool.edu.", "-"],
      ["referral", "edu.", "www.someschool.edu.", "a.edu-servers.net."],
      ["answer", "someschool.edu.", "www.someschool.edu.", "dns.someschool.edu."],
    ]);
    expect(r.servers).toEqual([ROOT, EDU, HAMBURGER, ROOT, EDU, SOMESCHOOL]);
    expect(r.hops[1]?.referral).toEqual({
      zone: "hamburger.edu.",
      nameservers: [{ name: "ns1.hamburger.edu.", address: BLACKHOLE }, { name: "ns2.hamburger.edu.", address: HAMBURGER }],
    });
    expect(r.hops[2]).toMatchObject({ server: BLACKHOLE, kind: "timeout" });
    expect(r.hops[2]?.response).toBeUndefined();
    // Every query is iterative (RD=0).
    const all = Object.values(fakes).flatMap((f) => f.queries);
    expect(all.length).toBe(7);
    expect(all.every((q) => !q.rd)).toBe(true);
    const text = formatTranscript(transcript.lines);
    expect(text).toContain("* CNAME www.hamburger.edu. -> www.someschool.edu.; starting again at the root for www.someschool.edu.");
    expect(text).toContain("S: www.hamburger.edu. 300 IN CNAME www.someschool.edu.");
    expect(text).toContain("* trying the next server of zone hamburger.edu.");
  });

  it("looks up a glueless name server from the root", async () => {
    const { route } = await standardLab();
    const r = await trace(route, { name: "www.glueless.edu" });
    expect(r.addresses).toEqual(["203.0.113.9"]);
    expect(r.zones).toEqual([".", "edu.", "glueless.edu."]);
    const last = r.hops.at(-1);
    expect(last).toMatchObject({ kind: "answer", server: HAMBURGER, serverName: "ns3.hamburger.edu.", zone: "glueless.edu." });
    expect(last?.glueLookup?.addresses).toEqual([HAMBURGER]);
    expect(last?.glueLookup?.hops.map((h) => [h.kind, h.zone])).toEqual([
      ["referral", "."],
      ["referral", "edu."],
      ["timeout", "hamburger.edu."],
      ["answer", "hamburger.edu."],
    ]);
  });

  it("stops at NXDOMAIN", async () => {
    const { route } = await standardLab();
    const r = await trace(route, { name: "nope.someschool.edu" });
    expect(r.rcode).toBe("NXDOMAIN");
    expect(r.hops.at(-1)?.kind).toBe("nxdomain");
    expect(r.answers).toEqual([]);
    expect(r.error).toBeUndefined();
  });

  it("stops at NODATA", async () => {
    const { route } = await standardLab();
    const r = await trace(route, { name: "www.someschool.edu", type: "MX" });
    expect(r.rcode).toBe("NOERROR");
    expect(r.hops.at(-1)?.kind).toBe("nodata");
    expect(r.answers).toEqual([]);
  });

  it("stops a CNAME loop", async () => {
    const { route } = await standardLab();
    const r = await trace(route, { name: "loop.hamburger.edu" });
    expect(r.error).toBe("CNAME loop at loop.hamburger.edu.");
    expect(r.rcode).toBe("SERVFAIL");
    expect(r.cnames).toEqual(["loop.someschool.edu.", "loop.hamburger.edu."]);
  });

  it("gives up after maxHops queries", async () => {
    const { route } = await standardLab();
    const r = await trace(route, { name: "direct.hamburger.edu", maxHops: 2 });
    expect(r.error).toBe("gave up after 2 queries");
    expect(r.hops).toHaveLength(2);
    expect(r.addresses).toEqual([]);
  });

  it("follows CNAMEs at most maxCnames times", async () => {
    const { route } = await standardLab();
    const r = await trace(route, { name: "www.hamburger.edu", maxCnames: 0 });
    expect(r.error).toBe("more than 0 CNAMEs");
  });

  it("reports the last rcode when every server of a zone fails", async () => {
    const { route } = await lab({ [ROOT]: zones.root, [EDU]: (q) => respond(q, { flags: RCODE.REFUSED }) });
    const r = await trace(route, { name: "www.hamburger.edu" });
    expect(r.rcode).toBe("REFUSED");
    expect(r.error).toBe("no server of zone edu. gave a usable answer for www.hamburger.edu. A");
    expect(r.hops.map((h) => h.kind)).toEqual(["referral", "error"]);
    expect(r.zones).toEqual([".", "edu."]);
  });

  it("ends with no answering server when the root is silent", async () => {
    const { route } = await lab({ [ROOT]: silent });
    const r = await trace(route, { name: "www.hamburger.edu" });
    expect(r.servers).toEqual([]);
    expect(r.zones).toEqual([]);
    expect(r.hops.map((h) => h.kind)).toEqual(["timeout"]);
    expect(r.rcode).toBe("SERVFAIL");
  });

  it("uses port for every server when there is no route", async () => {
    // The root answers itself, so only 127.0.0.1 is contacted.
    const s = await startFakeDnsServer(authority(".", [rr("localhost", "A", "127.0.0.1")]));
    servers.push(s);
    const r = await traceIterative({ name: "localhost", type: "A", root: "127.0.0.1", port: s.port, timeoutMs: 100, retries: 0, clock });
    expect(r.addresses).toEqual(["127.0.0.1"]);
    expect(r.hops[0]?.response?.port).toBe(s.port);
  });
});
