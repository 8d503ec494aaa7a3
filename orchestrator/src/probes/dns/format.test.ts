import { describe, expect, it } from "vitest";
import { describeQuery, describeResponse, flagList, formatRecord } from "./format.ts";
import type { DnsResponse } from "./types.ts";

describe("describeQuery", () => {
  it.each([
    { title: "iterative UDP query", input: { name: "www.hamburger.edu", type: "A", rd: false, id: 4711, transport: "udp" as const }, expected: "www.hamburger.edu. A? rd=0 id=4711 (udp)" },
    { title: "recursive TCP query", input: { name: "crepes.fr.", type: "MX", rd: true, id: 7, transport: "tcp" as const }, expected: "crepes.fr. MX? rd=1 id=7 (tcp)" },
    { title: "the root", input: { name: ".", type: "NS", rd: false, id: 0, transport: "udp" as const }, expected: ". NS? rd=0 id=0 (udp)" },
  ])("$title", ({ input, expected }) => {
    expect(describeQuery(input)).toBe(expected);
  });
});

describe("formatRecord", () => {
  it("prints the presentation form", () => {
    expect(formatRecord({ name: "www.hamburger.edu.", type: "CNAME", class: "IN", ttl: 300, data: "www.someschool.edu." })).toBe(
      "www.hamburger.edu. 300 IN CNAME www.someschool.edu.",
    );
  });
});

describe("flagList", () => {
  it.each([
    { title: "none set", input: { aa: false, tc: false, rd: false, ra: false }, expected: "qr" },
    { title: "all set", input: { aa: true, tc: true, rd: true, ra: true }, expected: "qr aa tc rd ra" },
    { title: "rd ra", input: { aa: false, tc: false, rd: true, ra: true }, expected: "qr rd ra" },
  ])("$title", ({ input, expected }) => {
    expect(flagList(input)).toBe(expected);
  });
});

describe("describeResponse", () => {
  const base: DnsResponse = {
    server: "192.0.2.3", port: 53, transport: "udp", rttMs: 1.2, id: 4711, rcode: "NOERROR",
    flags: { aa: true, tc: false, rd: false, ra: false }, question: { name: "www.hamburger.edu.", type: "A" },
    answers: [], authority: [], additional: [],
  };
  it.each([
    {
      title: "labels the non-empty sections only",
      input: {
        ...base,
        answers: [{ name: "www.hamburger.edu.", type: "CNAME", class: "IN", ttl: 300, data: "www.someschool.edu." }],
        additional: [{ name: "dns.hamburger.edu.", type: "A", class: "IN", ttl: 300, data: "192.0.2.3" }],
      },
      expected: [
        "NOERROR id=4711 flags: qr aa; answer 1, authority 0, additional 1 (1.2 ms, udp)",
        ";; ANSWER SECTION:",
        "www.hamburger.edu. 300 IN CNAME www.someschool.edu.",
        ";; ADDITIONAL SECTION:",
        "dns.hamburger.edu. 300 IN A 192.0.2.3",
      ],
    },
    {
      title: "an empty NXDOMAIN is one line",
      input: { ...base, rcode: "NXDOMAIN", transport: "tcp" as const, flags: { aa: false, tc: false, rd: true, ra: true } },
      expected: ["NXDOMAIN id=4711 flags: qr rd ra; answer 0, authority 0, additional 0 (1.2 ms, tcp)"],
    },
  ])("$title", ({ input, expected }) => {
    expect(describeResponse(input)).toEqual(expected);
  });
});
