import { describe, expect, it } from "vitest";
import { linearRegex } from "./linear-regex.ts";

describe("linearRegex (RE2)", () => {
  it("answers at once for a pattern that makes JavaScript's engine backtrack for ever", () => {
    // RegExp("^(a+)+$") takes about 10 s on 26 characters and doubles with each one more;
    // here 40 characters, then 100,000: a backtracking engine would not come back in this test's 5 s.
    const evil = linearRegex("^(a+)+$");
    expect(evil.test(`${"a".repeat(40)}!`)).toBe(false);
    expect(evil.test(`${"a".repeat(100_000)}!`)).toBe(false);
    expect(evil.test("a".repeat(40))).toBe(true);
  });

  it("searches like RegExp's test, and gives the first match's groups", () => {
    const from = linearRegex("from=<([^>]*)>(, size=([0-9]+))?");
    expect(from.test("postfix/qmgr: 4B2C: from=<alice@crepes.fr>, nrcpt=1")).toBe(true);
    expect(from.groups("postfix/qmgr: 4B2C: from=<alice@crepes.fr>, size=512, nrcpt=1")).toEqual(["alice@crepes.fr", ", size=512", "512"]);
    expect(from.groups("from=<bob@hamburger.edu>")).toEqual(["bob@hamburger.edu", undefined, undefined]);
    expect(from.groups("nothing here")).toBeUndefined();
  });

  it("refuses what RE2 does not run, saying so: backreferences, lookaround, broken syntax", () => {
    for (const [pattern, why] of [["(a)\\1", /invalid escape sequence: `\\1`/], ["foo(?=bar)", /unsupported Perl syntax: `\(\?=`/], ["is running (", /missing closing \)/]] as const) {
      expect(() => linearRegex(pattern), pattern).toThrow(why);
      expect(() => linearRegex(pattern), pattern).toThrow(/the lab runs regular expressions with RE2, in linear time/);
    }
  });
});
