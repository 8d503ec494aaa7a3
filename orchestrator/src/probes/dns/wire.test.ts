import dnsPacket, { type Packet } from "dns-packet";
import { describe, expect, it } from "vitest";
import { buildQuery, mismatch, type QuerySpec } from "./wire.ts";

describe("buildQuery", () => {
  it.each([
    { title: "RD=0 for an iterative query", input: { id: 4711, name: "www.hamburger.edu.", type: "A", rd: false }, expected: { rd: false, name: "www.hamburger.edu", type: "A" } },
    { title: "RD=1 for a recursive query", input: { id: 1, name: "crepes.fr", type: "MX", rd: true }, expected: { rd: true, name: "crepes.fr", type: "MX" } },
    { title: "ANY is sent as type 255", input: { id: 2, name: "crepes.fr.", type: "ANY", rd: true }, expected: { rd: true, name: "crepes.fr", type: "ANY" } },
    { title: "the root", input: { id: 3, name: ".", type: "NS", rd: false }, expected: { rd: false, name: ".", type: "NS" } },
  ])("$title, and it survives the wire", ({ input, expected }) => {
    const decoded = dnsPacket.decode(dnsPacket.encode(buildQuery(input)));
    expect(decoded.id).toBe(input.id);
    expect(decoded.type).toBe("query");
    expect({ rd: decoded.flag_rd, name: decoded.questions?.[0]?.name, type: decoded.questions?.[0]?.type }).toEqual(expected);
  });
});

describe("mismatch", () => {
  const query: QuerySpec = { id: 4711, name: "www.hamburger.edu.", type: "A", rd: false };
  const q = (name: string, type: "A" | "MX") => [{ name, type, class: "IN" as const }];
  const cases: { title: string; input: Packet; expected: string | undefined }[] = [
    { title: "the matching response", input: { type: "response", id: 4711, questions: q("www.hamburger.edu", "A") }, expected: undefined },
    { title: "the question's case does not matter", input: { type: "response", id: 4711, questions: q("WWW.Hamburger.EDU", "A") }, expected: undefined },
    { title: "no question section is accepted", input: { type: "response", id: 4711 }, expected: undefined },
    { title: "another id", input: { type: "response", id: 4712, questions: q("www.hamburger.edu", "A") }, expected: "id 4712 instead of 4711" },
    { title: "a query, not a response", input: { type: "query", id: 4711, questions: q("www.hamburger.edu", "A") }, expected: "not a response (QR=0)" },
    {
      title: "another name",
      input: { type: "response", id: 4711, questions: q("www.someschool.edu", "A") },
      expected: "question www.someschool.edu A instead of www.hamburger.edu. A",
    },
    {
      title: "another type",
      input: { type: "response", id: 4711, questions: q("www.hamburger.edu", "MX") },
      expected: "question www.hamburger.edu MX instead of www.hamburger.edu. A",
    },
  ];
  it.each(cases)("$title", ({ input, expected }) => {
    expect(mismatch(query, input)).toBe(expected);
  });
});
