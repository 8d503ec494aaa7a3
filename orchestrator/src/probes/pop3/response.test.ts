import { describe, expect, it } from "vitest";
import {
  hasCapability,
  isMultiLine,
  isTerminator,
  joinLines,
  maskCommand,
  parseCapabilities,
  parseEntries,
  parseListEntry,
  parseStat,
  parseStatus,
  parseUidlEntry,
  stuff,
  unstuff,
} from "./response.ts";

describe("parseStatus", () => {
  it.each([
    { title: "+OK with text", input: "+OK POP3 server ready", expected: { ok: true, text: "POP3 server ready" } },
    { title: "+OK alone", input: "+OK", expected: { ok: true, text: "" } },
    { title: "-ERR with text", input: "-ERR no such message", expected: { ok: false, text: "no such message" } },
    { title: "-ERR alone", input: "-ERR", expected: { ok: false, text: "" } },
    { title: "an extended response code (RFC 2449)", input: "-ERR [AUTH] invalid password", expected: { ok: false, text: "invalid password", code: "AUTH" } },
    { title: "a hierarchical code", input: "-ERR [SYS/TEMP] try later", expected: { ok: false, text: "try later", code: "SYS/TEMP" } },
    { title: "a code on +OK", input: "+OK [IN-USE] odd but parsed", expected: { ok: true, text: "odd but parsed", code: "IN-USE" } },
    { title: "the APOP timestamp stays in the text", input: "+OK ready <1896.697170952@dbc.mtview.ca.us>", expected: { ok: true, text: "ready <1896.697170952@dbc.mtview.ca.us>" } },
    { title: "lower-case indicator", input: "+ok fine", expected: { ok: true, text: "fine" } },
    { title: "trailing spaces are trimmed", input: "+OK 2 320  ", expected: { ok: true, text: "2 320" } },
    { title: "not a status", input: "HELLO", expected: undefined },
    { title: "indicator run into text", input: "+OKAY", expected: undefined },
    { title: "a SASL continuation", input: "+ ", expected: undefined },
    { title: "empty", input: "", expected: undefined },
  ])("$title", ({ input, expected }) => {
    expect(parseStatus(input)).toEqual(expected);
  });
});

describe("dot-stuffing", () => {
  const b = (s: string) => Buffer.from(s);
  it.each([
    { title: "the terminator", input: ".", expected: true },
    { title: "a stuffed dot", input: "..", expected: false },
    { title: "an empty line", input: "", expected: false },
    { title: "a dot with a space", input: ". ", expected: false },
  ])("isTerminator: $title", ({ input, expected }) => {
    expect(isTerminator(b(input))).toBe(expected);
  });

  it.each([
    { title: "a line that was exactly '.'", input: "..", expected: "." },
    { title: "a line that started with '..'", input: "...foo", expected: "..foo" },
    { title: "a line that started with '.'", input: "..bar", expected: ".bar" },
    { title: "an unstuffed leading dot is dropped too", input: ".bar", expected: "bar" },
    { title: "an ordinary line", input: "hello.", expected: "hello." },
    { title: "an empty line", input: "", expected: "" },
  ])("unstuff: $title", ({ input, expected }) => {
    expect(unstuff(b(input)).toString()).toBe(expected);
  });

  it.each([".", "..foo", ".bar", "plain", ""])("stuff and unstuff are inverse for %j", (line) => {
    expect(unstuff(b(stuff(line))).toString()).toBe(line);
  });

  it("joinLines ends every line in CRLF", () => {
    expect(joinLines([b("a"), b(""), b(".")]).toString()).toBe("a\r\n\r\n.\r\n");
    expect(joinLines([]).length).toBe(0);
  });
});

describe("STAT, LIST and UIDL", () => {
  it.each([
    { title: "the RFC's example", input: "2 320", expected: { count: 2, size: 320 } },
    { title: "an empty maildrop", input: "0 0", expected: { count: 0, size: 0 } },
    { title: "extra text after the numbers", input: "3 1200 messages", expected: { count: 3, size: 1200 } },
    { title: "one number only", input: "2", expected: undefined },
    { title: "not numbers", input: "two 320", expected: undefined },
    { title: "a negative size", input: "2 -1", expected: undefined },
  ])("parseStat: $title", ({ input, expected }) => {
    expect(parseStat(input)).toEqual(expected);
  });

  it.each([
    { title: "a listing", input: "1 120", expected: { n: 1, size: 120 } },
    { title: "extra whitespace", input: " 12   4711 ", expected: { n: 12, size: 4711 } },
    { title: "extra text", input: "2 200 extra", expected: { n: 2, size: 200 } },
    { title: "message 0", input: "0 120", expected: undefined },
    { title: "no size", input: "1", expected: undefined },
    { title: "a fraction", input: "1 1.5", expected: undefined },
  ])("parseListEntry: $title", ({ input, expected }) => {
    expect(parseListEntry(input)).toEqual(expected);
  });

  it.each([
    { title: "the RFC's example", input: "1 whqtswO00WBw418f9t5JxYwZ", expected: { n: 1, uid: "whqtswO00WBw418f9t5JxYwZ" } },
    { title: "Dovecot's form", input: "2 00000001575d8b3c", expected: { n: 2, uid: "00000001575d8b3c" } },
    { title: "punctuation is allowed", input: "3 <a.b@c>", expected: { n: 3, uid: "<a.b@c>" } },
    { title: "no uid", input: "1", expected: undefined },
    { title: "a uid longer than 70", input: `1 ${"x".repeat(71)}`, expected: undefined },
    { title: "a non-ASCII uid", input: "1 crêpe", expected: undefined },
  ])("parseUidlEntry: $title", ({ input, expected }) => {
    expect(parseUidlEntry(input)).toEqual(expected);
  });

  it("parseEntries keeps the lines that parse", () => {
    expect(parseEntries(["1 120", "garbage", "2 200"], parseListEntry)).toEqual([
      { n: 1, size: 120 },
      { n: 2, size: 200 },
    ]);
  });
});

describe("CAPA", () => {
  const dovecot = ["CAPA", "TOP", "UIDL", "RESP-CODES", "PIPELINING", "AUTH-RESP-CODE", "STLS", "USER", "SASL PLAIN LOGIN", ""];
  it("parseCapabilities keeps each line, drops blanks and squeezes spaces", () => {
    expect(parseCapabilities([...dovecot, "EXPIRE  NEVER "])).toEqual([...dovecot.slice(0, -1), "EXPIRE NEVER"]);
  });

  it.each([
    { title: "present", input: "STLS", expected: true },
    { title: "case does not matter", input: "stls", expected: true },
    { title: "by its name, arguments ignored", input: "SASL", expected: true },
    { title: "absent", input: "APOP", expected: false },
    { title: "a prefix is not a match", input: "TO", expected: false },
  ])("hasCapability: $title", ({ input, expected }) => {
    expect(hasCapability(dovecot, input)).toBe(expected);
  });

  it("hasCapability without a list is false", () => {
    expect(hasCapability(undefined, "TOP")).toBe(false);
  });
});

describe("commands", () => {
  it.each([
    { input: "RETR 1", expected: true },
    { input: "TOP 1 0", expected: true },
    { input: "CAPA", expected: true },
    { input: "LIST", expected: true },
    { input: "list", expected: true },
    { input: "LIST 2", expected: false },
    { input: "UIDL", expected: true },
    { input: "UIDL 2", expected: false },
    { input: "AUTH", expected: true },
    { input: "AUTH PLAIN AGFsaWNlAHNlY3JldA==", expected: false },
    { input: "STAT", expected: false },
    { input: "XYZZY", expected: false },
  ])("isMultiLine($input) is $expected", ({ input, expected }) => {
    expect(isMultiLine(input)).toBe(expected);
  });

  it.each([
    { input: "PASS secret", expected: "PASS ****" },
    { input: "pass secret with spaces", expected: "pass ****" },
    { input: "PASS", expected: "PASS ****" },
    { input: "USER alice", expected: "USER alice" },
    { input: "PASSWORD x", expected: "PASSWORD x" },
  ])("maskCommand($input) is $expected", ({ input, expected }) => {
    expect(maskCommand(input)).toBe(expected);
  });
});
