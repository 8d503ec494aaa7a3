import dnsPacket, { type Answer, type Packet } from "dns-packet";
import { describe, expect, it } from "vitest";
import { addressesOf, quoteCharacterString, rcodeName, summarize, toRecord } from "./records.ts";
import type { DnsRecord, DnsResponse } from "./types.ts";

describe("toRecord", () => {
  const cases: { title: string; input: Answer; expected: DnsRecord | undefined }[] = [
    {
      title: "A",
      input: { name: "www.someschool.edu", type: "A", class: "IN", ttl: 300, data: "198.51.100.7" },
      expected: { name: "www.someschool.edu.", type: "A", class: "IN", ttl: 300, data: "198.51.100.7" },
    },
    {
      title: "AAAA",
      input: { name: "www.someschool.edu.", type: "AAAA", ttl: 60, data: "2001:db8::7" },
      expected: { name: "www.someschool.edu.", type: "AAAA", class: "IN", ttl: 60, data: "2001:db8::7" },
    },
    {
      title: "CNAME target gets a trailing dot",
      input: { name: "www.hamburger.edu", type: "CNAME", class: "IN", ttl: 300, data: "www.someschool.edu" },
      expected: { name: "www.hamburger.edu.", type: "CNAME", class: "IN", ttl: 300, data: "www.someschool.edu." },
    },
    {
      title: "NS",
      input: { name: "edu", type: "NS", ttl: 172800, data: "a.edu-servers.net" },
      expected: { name: "edu.", type: "NS", class: "IN", ttl: 172800, data: "a.edu-servers.net." },
    },
    {
      title: "PTR",
      input: { name: "7.100.51.198.in-addr.arpa", type: "PTR", ttl: 300, data: "www.someschool.edu" },
      expected: { name: "7.100.51.198.in-addr.arpa.", type: "PTR", class: "IN", ttl: 300, data: "www.someschool.edu." },
    },
    {
      title: "root owner name",
      input: { name: ".", type: "NS", ttl: 518400, data: "a.root-servers.net" },
      expected: { name: ".", type: "NS", class: "IN", ttl: 518400, data: "a.root-servers.net." },
    },
    {
      title: "MX",
      input: { name: "crepes.fr", type: "MX", ttl: 3600, data: { preference: 10, exchange: "mail.crepes.fr" } },
      expected: {
        name: "crepes.fr.", type: "MX", class: "IN", ttl: 3600, data: "10 mail.crepes.fr.",
        value: { preference: 10, exchange: "mail.crepes.fr." },
      },
    },
    {
      title: "MX without a preference is 0",
      input: { name: "crepes.fr", type: "MX", ttl: 3600, data: { exchange: "mail.crepes.fr." } },
      expected: {
        name: "crepes.fr.", type: "MX", class: "IN", ttl: 3600, data: "0 mail.crepes.fr.",
        value: { preference: 0, exchange: "mail.crepes.fr." },
      },
    },
    {
      title: "SOA",
      input: {
        name: "hamburger.edu", type: "SOA", ttl: 300,
        data: { mname: "dns.hamburger.edu", rname: "hostmaster.hamburger.edu", serial: 2024010101, refresh: 3600, retry: 600, expire: 86400, minimum: 60 },
      },
      expected: {
        name: "hamburger.edu.", type: "SOA", class: "IN", ttl: 300,
        data: "dns.hamburger.edu. hostmaster.hamburger.edu. 2024010101 3600 600 86400 60",
        value: { mname: "dns.hamburger.edu.", rname: "hostmaster.hamburger.edu.", serial: 2024010101, refresh: 3600, retry: 600, expire: 86400, minimum: 60 },
      },
    },
    {
      title: "TXT: strings quoted and joined, quotes and backslashes escaped",
      input: { name: "crepes.fr", type: "TXT", ttl: 300, data: [Buffer.from("v=spf1 mx -all"), Buffer.from('say "hi" \\o/')] },
      expected: {
        name: "crepes.fr.", type: "TXT", class: "IN", ttl: 300, data: '"v=spf1 mx -all" "say \\"hi\\" \\\\o/"',
        value: { strings: ["v=spf1 mx -all", 'say "hi" \\o/'] },
      },
    },
    {
      title: "TXT given as one string",
      input: { name: "crepes.fr", type: "TXT", ttl: 300, data: "hello" },
      expected: { name: "crepes.fr.", type: "TXT", class: "IN", ttl: 300, data: '"hello"', value: { strings: ["hello"] } },
    },
    {
      title: "SRV",
      input: { name: "_sip._udp.crepes.fr", type: "SRV", ttl: 300, data: { priority: 10, weight: 5, port: 5060, target: "sip.crepes.fr" } },
      expected: {
        name: "_sip._udp.crepes.fr.", type: "SRV", class: "IN", ttl: 300, data: "10 5 5060 sip.crepes.fr.",
        value: { priority: 10, weight: 5, port: 5060, target: "sip.crepes.fr." },
      },
    },
    {
      title: "CAA",
      input: { name: "crepes.fr", type: "CAA", ttl: 300, data: { flags: 0, tag: "issue", value: "ca.example" } },
      expected: { name: "crepes.fr.", type: "CAA", class: "IN", ttl: 300, data: '0 issue "ca.example"' },
    },
    {
      title: "an unknown type's data in RFC 3597 form",
      input: { name: "x.crepes.fr", type: "NULL", ttl: 0, data: Buffer.from([0xde, 0xad]) },
      expected: { name: "x.crepes.fr.", type: "NULL", class: "IN", ttl: 0, data: "\\# 2 DEAD" },
    },
    {
      title: "the EDNS OPT pseudo-record is not a record",
      input: { name: ".", type: "OPT", udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] },
      expected: undefined,
    },
  ];
  it.each(cases)("$title", ({ input, expected }) => {
    expect(toRecord(input)).toEqual(expected);
  });
});

describe("quoteCharacterString", () => {
  it.each([
    { title: "plain", input: "abc", expected: '"abc"' },
    { title: "control and non-ASCII bytes as \\DDD", input: Buffer.from([0x61, 0x09, 0xc3, 0xa9]), expected: '"a\\009\\195\\169"' },
    { title: "empty", input: "", expected: '""' },
  ])("$title", ({ input, expected }) => {
    expect(quoteCharacterString(input)).toBe(expected);
  });
});

describe("rcodeName", () => {
  it.each([
    { title: "0", input: 0, expected: "NOERROR" },
    { title: "2", input: 2, expected: "SERVFAIL" },
    { title: "3", input: 3, expected: "NXDOMAIN" },
    { title: "5", input: 5, expected: "REFUSED" },
    { title: "unassigned", input: 12, expected: "RCODE_12" },
  ])("$title", ({ input, expected }) => {
    expect(rcodeName(input)).toBe(expected);
  });
});

describe("summarize", () => {
  const meta = { server: "192.0.2.53", port: 53, transport: "udp" as const, rttMs: 1.5 };
  const question = [{ name: "www.hamburger.edu", type: "A" as const, class: "IN" as const }];
  const cases: { title: string; input: Packet; expected: Partial<DnsResponse> }[] = [
    {
      title: "an authoritative NOERROR answer with sections",
      input: {
        type: "response", id: 4711, flags: dnsPacket.AUTHORITATIVE_ANSWER, questions: question,
        answers: [{ name: "www.hamburger.edu", type: "CNAME", ttl: 300, data: "www.someschool.edu" }],
        authorities: [{ name: "hamburger.edu", type: "NS", ttl: 300, data: "dns.hamburger.edu" }],
        additionals: [{ name: "dns.hamburger.edu", type: "A", ttl: 300, data: "192.0.2.3" }],
      },
      expected: {
        id: 4711, rcode: "NOERROR", flags: { aa: true, tc: false, rd: false, ra: false },
        question: { name: "www.hamburger.edu.", type: "A" },
        answers: [{ name: "www.hamburger.edu.", type: "CNAME", class: "IN", ttl: 300, data: "www.someschool.edu." }],
        authority: [{ name: "hamburger.edu.", type: "NS", class: "IN", ttl: 300, data: "dns.hamburger.edu." }],
        additional: [{ name: "dns.hamburger.edu.", type: "A", class: "IN", ttl: 300, data: "192.0.2.3" }],
      },
    },
    {
      title: "NXDOMAIN from a resolver (rd ra)",
      input: { type: "response", id: 1, flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | 3, questions: question },
      expected: { rcode: "NXDOMAIN", flags: { aa: false, tc: false, rd: true, ra: true }, answers: [], authority: [], additional: [] },
    },
    {
      title: "truncated REFUSED",
      input: { type: "response", id: 2, flags: dnsPacket.TRUNCATED_RESPONSE | 5, questions: question },
      expected: { rcode: "REFUSED", flags: { aa: false, tc: true, rd: false, ra: false } },
    },
    {
      title: "no question section: the asked question is used",
      input: { type: "response", id: 3, flags: 1 },
      expected: { rcode: "FORMERR", question: { name: "asked.example.", type: "MX" } },
    },
  ];
  it.each(cases)("$title", ({ input, expected }) => {
    const r = summarize(input, { ...meta, question: { name: "asked.example", type: "MX" } });
    expect(r).toMatchObject({ ...meta, ...expected });
  });

  it("reads a decoded wire packet the same way (SOA with an escaped dot in rname)", () => {
    const wire = dnsPacket.encode({
      type: "response", id: 9, flags: dnsPacket.AUTHORITATIVE_ANSWER | 3, questions: question,
      authorities: [{ name: "hamburger.edu", type: "SOA", ttl: 60, data: { mname: "dns.hamburger.edu", rname: "john\\.doe.hamburger.edu", serial: 7, refresh: 1, retry: 2, expire: 3, minimum: 4 } }],
    });
    const r = summarize(dnsPacket.decode(wire), meta);
    expect(r.rcode).toBe("NXDOMAIN");
    expect(r.flags.aa).toBe(true);
    expect(r.authority).toEqual([
      {
        name: "hamburger.edu.", type: "SOA", class: "IN", ttl: 60, data: "dns.hamburger.edu. john\\.doe.hamburger.edu. 7 1 2 3 4",
        value: { mname: "dns.hamburger.edu.", rname: "john\\.doe.hamburger.edu.", serial: 7, refresh: 1, retry: 2, expire: 3, minimum: 4 },
      },
    ]);
  });
});

describe("addressesOf", () => {
  it("keeps the A and AAAA data only", () => {
    const rec = (type: string, data: string): DnsRecord => ({ name: "x.", type, class: "IN", ttl: 1, data });
    expect(addressesOf([rec("CNAME", "y."), rec("A", "192.0.2.1"), rec("AAAA", "2001:db8::1"), rec("TXT", '"a"')])).toEqual(["192.0.2.1", "2001:db8::1"]);
  });
});
