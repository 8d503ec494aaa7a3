import { describe, expect, it } from "vitest";
import { absoluteName, isAtOrBelow, isBelow, labelCount, reverseName, sameName } from "./names.ts";

describe("absoluteName", () => {
  it.each([
    { title: "adds the trailing dot", input: "www.hamburger.edu", expected: "www.hamburger.edu." },
    { title: "keeps an absolute name", input: "edu.", expected: "edu." },
    { title: "the root stays '.'", input: ".", expected: "." },
    { title: "an empty name is the root", input: "", expected: "." },
    { title: "collapses several trailing dots", input: "edu..", expected: "edu." },
    { title: "trims blanks", input: " crepes.fr ", expected: "crepes.fr." },
  ])("$title", ({ input, expected }) => {
    expect(absoluteName(input)).toBe(expected);
  });
});

describe("name relations", () => {
  it.each([
    { title: "a name is at or below itself", input: ["edu.", "edu"], expected: { atOrBelow: true, below: false, same: true } },
    { title: "case does not matter", input: ["WWW.Hamburger.EDU", "hamburger.edu."], expected: { atOrBelow: true, below: true, same: false } },
    { title: "everything is below the root", input: ["edu.", "."], expected: { atOrBelow: true, below: true, same: false } },
    { title: "the root is not below edu.", input: [".", "edu."], expected: { atOrBelow: false, below: false, same: false } },
    { title: "a suffix is not a label boundary", input: ["xedu.", "edu."], expected: { atOrBelow: false, below: false, same: false } },
    { title: "a sibling is not below", input: ["someschool.edu.", "hamburger.edu."], expected: { atOrBelow: false, below: false, same: false } },
  ])("$title", ({ input: [name, zone], expected }) => {
    expect({ atOrBelow: isAtOrBelow(name!, zone!), below: isBelow(name!, zone!), same: sameName(name!, zone!) }).toEqual(expected);
  });

  it.each([
    { title: "root", input: ".", expected: 0 },
    { title: "tld", input: "edu", expected: 1 },
    { title: "three labels", input: "www.hamburger.edu.", expected: 3 },
  ])("labelCount: $title", ({ input, expected }) => {
    expect(labelCount(input)).toBe(expected);
  });
});

describe("reverseName", () => {
  it.each([
    { title: "IPv4", input: "192.0.2.10", expected: "10.2.0.192.in-addr.arpa." },
    { title: "IPv6 with ::", input: "2001:db8::1", expected: "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa." },
    { title: "IPv6 written out", input: "2001:DB8:0:0:0:0:0:A", expected: "a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa." },
    { title: "a name is not an address", input: "www.hamburger.edu", expected: undefined },
    { title: "an incomplete IPv4 address is not an address", input: "192.0.2", expected: undefined },
  ])("$title", ({ input, expected }) => {
    expect(reverseName(input)).toBe(expected);
  });
});
