import dnsPacket, { type Answer, type Packet } from "dns-packet";
import { describe, expect, it } from "vitest";
import { summarize } from "./records.ts";
import { decide, type TraceDecision, type TraceState } from "./referral.ts";

const AA = dnsPacket.AUTHORITATIVE_ANSWER;
const rr = (name: string, type: "A" | "NS" | "CNAME" | "MX", data: string): Answer =>
  type === "MX" ? { name, type, ttl: 300, data: { preference: 10, exchange: data } } : { name, type, ttl: 300, data };
const soa = (zone: string): Answer => ({ name: zone, type: "SOA", ttl: 300, data: { mname: `ns.${zone}`, rname: `hostmaster.${zone}`, serial: 1 } });

/** A hand-built dns-packet response, decoded through the wire, then summarised as the transport does. */
function response(fields: Omit<Packet, "type" | "id" | "questions">): ReturnType<typeof summarize> {
  const packet: Packet = { type: "response", id: 1, questions: [{ name: "www.hamburger.edu", type: "A" }], ...fields };
  return summarize(dnsPacket.decode(dnsPacket.encode(packet)), { server: "192.0.2.1", port: 53, transport: "udp", rttMs: 0 });
}

const www: TraceState = { qname: "www.hamburger.edu.", qtype: "A", zone: "." };
const cnameRec = (from: string, to: string) => ({ name: from, type: "CNAME", class: "IN", ttl: 300, data: to });
const aRec = (name: string, address: string) => ({ name, type: "A", class: "IN", ttl: 300, data: address });

describe("decide", () => {
  const cases: { title: string; input: { response: ReturnType<typeof response>; state: TraceState }; expected: TraceDecision }[] = [
    {
      title: "root refers to edu. with glue for one NS and none for the other",
      input: {
        state: www,
        response: response({
          authorities: [rr("edu", "NS", "a.edu-servers.net"), rr("edu", "NS", "b.edu-servers.net")],
          additionals: [rr("a.edu-servers.net", "A", "192.0.2.2")],
        }),
      },
      expected: { kind: "referral", zone: "edu.", nameservers: [{ name: "a.edu-servers.net.", address: "192.0.2.2" }, { name: "b.edu-servers.net." }] },
    },
    {
      title: "edu. refers to hamburger.edu.; an NS with two glue addresses gives two servers",
      input: {
        state: { ...www, zone: "edu." },
        response: response({
          authorities: [rr("hamburger.edu", "NS", "dns.hamburger.edu")],
          additionals: [rr("dns.hamburger.edu", "A", "192.0.2.3"), rr("dns.hamburger.edu", "A", "192.0.2.33"), rr("unrelated.edu", "A", "192.0.2.99")],
        }),
      },
      expected: {
        kind: "referral",
        zone: "hamburger.edu.",
        nameservers: [{ name: "dns.hamburger.edu.", address: "192.0.2.3" }, { name: "dns.hamburger.edu.", address: "192.0.2.33" }],
      },
    },
    {
      title: "of two delegations on the way, the deepest is taken",
      input: {
        state: www,
        response: response({ authorities: [rr("edu", "NS", "a.edu-servers.net"), rr("hamburger.edu", "NS", "dns.hamburger.edu")] }),
      },
      expected: { kind: "referral", zone: "hamburger.edu.", nameservers: [{ name: "dns.hamburger.edu." }] },
    },
    {
      title: "an authoritative A answer",
      input: { state: { ...www, zone: "hamburger.edu." }, response: response({ flags: AA, answers: [rr("www.hamburger.edu", "A", "192.0.2.80")] }) },
      expected: { kind: "answer", records: [aRec("www.hamburger.edu.", "192.0.2.80")] },
    },
    {
      title: "a CNAME out of the zone restarts at the target",
      input: {
        state: { ...www, zone: "hamburger.edu." },
        response: response({ flags: AA, answers: [rr("www.hamburger.edu", "CNAME", "www.someschool.edu")] }),
      },
      expected: { kind: "cname", target: "www.someschool.edu.", records: [cnameRec("www.hamburger.edu.", "www.someschool.edu.")] },
    },
    {
      title: "out-of-zone data after a CNAME is not trusted: restart anyway",
      input: {
        state: { ...www, zone: "hamburger.edu." },
        response: response({ flags: AA, answers: [rr("www.hamburger.edu", "CNAME", "www.someschool.edu"), rr("www.someschool.edu", "A", "203.0.113.66")] }),
      },
      expected: { kind: "cname", target: "www.someschool.edu.", records: [cnameRec("www.hamburger.edu.", "www.someschool.edu.")] },
    },
    {
      title: "an in-zone CNAME chain with data is the answer",
      input: {
        state: { ...www, zone: "hamburger.edu." },
        response: response({
          flags: AA,
          answers: [rr("www.hamburger.edu", "CNAME", "web.hamburger.edu"), rr("web.hamburger.edu", "CNAME", "srv1.hamburger.edu"), rr("srv1.hamburger.edu", "A", "192.0.2.81")],
        }),
      },
      expected: {
        kind: "answer",
        records: [cnameRec("www.hamburger.edu.", "web.hamburger.edu."), cnameRec("web.hamburger.edu.", "srv1.hamburger.edu."), aRec("srv1.hamburger.edu.", "192.0.2.81")],
      },
    },
    {
      title: "an in-zone CNAME without the target's data restarts at the target",
      input: { state: { ...www, zone: "hamburger.edu." }, response: response({ flags: AA, answers: [rr("www.hamburger.edu", "CNAME", "web.hamburger.edu")] }) },
      expected: { kind: "cname", target: "web.hamburger.edu.", records: [cnameRec("www.hamburger.edu.", "web.hamburger.edu.")] },
    },
    {
      title: "asking for the CNAME itself answers with it",
      input: {
        state: { ...www, qtype: "CNAME", zone: "hamburger.edu." },
        response: response({ flags: AA, answers: [rr("www.hamburger.edu", "CNAME", "www.someschool.edu")] }),
      },
      expected: { kind: "answer", records: [cnameRec("www.hamburger.edu.", "www.someschool.edu.")] },
    },
    {
      title: "ANY takes whatever is at the name",
      input: {
        state: { ...www, qtype: "ANY", zone: "hamburger.edu." },
        response: response({ flags: AA, answers: [rr("www.hamburger.edu", "MX", "mail.hamburger.edu")] }),
      },
      expected: {
        kind: "answer",
        records: [{ name: "www.hamburger.edu.", type: "MX", class: "IN", ttl: 300, data: "10 mail.hamburger.edu.", value: { preference: 10, exchange: "mail.hamburger.edu." } }],
      },
    },
    {
      title: "a CNAME loop inside one answer stops at the repeat",
      input: {
        state: { ...www, zone: "hamburger.edu." },
        response: response({ flags: AA, answers: [rr("www.hamburger.edu", "CNAME", "a.hamburger.edu"), rr("a.hamburger.edu", "CNAME", "www.hamburger.edu")] }),
      },
      expected: { kind: "cname", target: "a.hamburger.edu.", records: [cnameRec("www.hamburger.edu.", "a.hamburger.edu.")] },
    },
    {
      title: "NXDOMAIN",
      input: { state: { ...www, zone: "hamburger.edu." }, response: response({ flags: AA | 3, authorities: [soa("hamburger.edu")] }) },
      expected: { kind: "nxdomain", records: [] },
    },
    {
      title: "NXDOMAIN for the target of an in-zone CNAME keeps the CNAME",
      input: { state: { ...www, zone: "hamburger.edu." }, response: response({ flags: AA | 3, answers: [rr("www.hamburger.edu", "CNAME", "gone.hamburger.edu")] }) },
      expected: { kind: "nxdomain", records: [cnameRec("www.hamburger.edu.", "gone.hamburger.edu.")] },
    },
    {
      title: "NXDOMAIN after a CNAME out of the zone says nothing about the target: restart",
      input: { state: { ...www, zone: "hamburger.edu." }, response: response({ flags: AA | 3, answers: [rr("www.hamburger.edu", "CNAME", "www.someschool.edu")] }) },
      expected: { kind: "cname", target: "www.someschool.edu.", records: [cnameRec("www.hamburger.edu.", "www.someschool.edu.")] },
    },
    {
      title: "NODATA: authoritative, no answer",
      input: { state: { ...www, zone: "hamburger.edu." }, response: response({ flags: AA, authorities: [soa("hamburger.edu")] }) },
      expected: { kind: "nodata", records: [] },
    },
    {
      title: "NODATA: an SOA without AA",
      input: { state: { ...www, zone: "hamburger.edu." }, response: response({ authorities: [soa("hamburger.edu")] }) },
      expected: { kind: "nodata", records: [] },
    },
    {
      title: "AA with the zone's own NS and no answer is NODATA, not a referral",
      input: { state: { ...www, zone: "hamburger.edu." }, response: response({ flags: AA, authorities: [rr("hamburger.edu", "NS", "dns.hamburger.edu")] }) },
      expected: { kind: "nodata", records: [] },
    },
    {
      title: "SERVFAIL is lame",
      input: { state: www, response: response({ flags: 2 }) },
      expected: { kind: "lame", reason: "the server answered SERVFAIL" },
    },
    {
      title: "REFUSED is lame",
      input: { state: www, response: response({ flags: 5 }) },
      expected: { kind: "lame", reason: "the server answered REFUSED" },
    },
    {
      title: "an upward referral (to the root) is lame",
      input: { state: { ...www, zone: "edu." }, response: response({ authorities: [rr(".", "NS", "a.root-servers.net")] }) },
      expected: { kind: "lame", reason: "a referral that does not lead below edu." },
    },
    {
      title: "a referral to a zone that does not contain the name is lame",
      input: { state: www, response: response({ authorities: [rr("com", "NS", "a.gtld-servers.net")] }) },
      expected: { kind: "lame", reason: "a referral that does not lead below ." },
    },
    {
      title: "an empty non-authoritative NOERROR is lame",
      input: { state: www, response: response({}) },
      expected: { kind: "lame", reason: "an answer with no data, no referral and no SOA (not authoritative)" },
    },
  ];
  it.each(cases)("$title", ({ input, expected }) => {
    expect(decide(input.response, input.state)).toEqual(expected);
  });
});
