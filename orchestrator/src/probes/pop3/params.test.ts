import { Value } from "typebox/value";
import { describe, expect, it } from "vitest";
import { paramProblems, pop3ParamsSchema, type Pop3ProbeParams, portOf } from "./params.ts";

const base = { server: "mailbox-crepes", user: "alice", pass: "secret" };

describe("pop3ParamsSchema", () => {
  it.each([
    { title: "a login only", input: base, expected: true },
    {
      title: "every option",
      input: { ...base, port: 995, tls: "implicit", servername: "pop.crepes.fr", rejectUnauthorized: false, timeoutMs: 500, quit: false, includeRaw: true, actions: [] },
      expected: true,
    },
    {
      title: "every kind of action",
      input: {
        ...base,
        actions: [
          { stat: true }, { list: true }, { list: 2 }, { uidl: true }, { uidl: 1 }, { retr: 1 }, { retr: "all" }, { retrByUid: "00000001575d8b3c" },
          { top: 1, lines: 0 }, { dele: 2 }, { dele: "all" }, { deleByUid: "abc" }, { rset: true }, { noop: true }, { raw: "XTND XMIT" },
        ],
      },
      expected: true,
    },
    { title: "an empty password is allowed", input: { ...base, pass: "" }, expected: true },
    { title: "no server", input: { user: "alice", pass: "x" }, expected: false },
    { title: "no user", input: { server: "s", pass: "x" }, expected: false },
    { title: "an unknown option", input: { ...base, apop: true }, expected: false },
    { title: "an unknown tls mode", input: { ...base, tls: "starttls" }, expected: false },
    { title: "port 0", input: { ...base, port: 0 }, expected: false },
    { title: "stat: false", input: { ...base, actions: [{ stat: false }] }, expected: false },
    { title: "retr 0", input: { ...base, actions: [{ retr: 0 }] }, expected: false },
    { title: 'retr "some"', input: { ...base, actions: [{ retr: "some" }] }, expected: false },
    { title: "top without lines", input: { ...base, actions: [{ top: 1 }] }, expected: false },
    { title: "top with negative lines", input: { ...base, actions: [{ top: 1, lines: -1 }] }, expected: false },
    { title: "two commands in one action", input: { ...base, actions: [{ stat: true, noop: true }] }, expected: false },
    { title: "an unknown action", input: { ...base, actions: [{ apop: true }] }, expected: false },
    { title: "a raw command with a line break", input: { ...base, actions: [{ raw: "NOOP\r\nDELE 1" }] }, expected: false },
    { title: "a uid with a space", input: { ...base, actions: [{ retrByUid: "a b" }] }, expected: false },
    { title: "a user with a line break", input: { ...base, user: "alice\r\nDELE 1" }, expected: false },
  ])("$title: $expected", ({ input, expected }) => {
    expect(Value.Check(pop3ParamsSchema, input)).toBe(expected);
  });
});

describe("portOf", () => {
  it.each([
    { title: "plain POP3", input: {}, expected: 110 },
    { title: "STLS uses the plain port", input: { tls: "stls" as const }, expected: 110 },
    { title: "implicit TLS", input: { tls: "implicit" as const }, expected: 995 },
    { title: "an explicit port wins", input: { tls: "implicit" as const, port: 1995 }, expected: 1995 },
  ])("$title", ({ input, expected }) => {
    expect(portOf(input)).toBe(expected);
  });
});

describe("paramProblems", () => {
  const cases: { title: string; input: Pop3ProbeParams; expected: string[] }[] = [
    { title: "none for a plain login", input: base, expected: [] },
    { title: "none for TLS options with TLS", input: { ...base, tls: "stls", servername: "x", rejectUnauthorized: false }, expected: [] },
    {
      title: "TLS options without TLS",
      input: { ...base, servername: "x", rejectUnauthorized: false },
      expected: ['"servername" applies only with tls "stls" or "implicit", and tls is "none"', '"rejectUnauthorized" applies only with tls "stls" or "implicit", and tls is "none"'],
    },
    { title: "TOP with negative lines", input: { ...base, actions: [{ noop: true }, { top: 1, lines: -2 }] }, expected: ['actions[1]: TOP needs "lines" to be a whole number >= 0'] },
    {
      title: "a raw STLS",
      input: { ...base, actions: [{ raw: " stls" }] },
      expected: ['actions[0]: raw "stls" would change the session under the probe; use tls: "stls" or quit instead'],
    },
    { title: "a raw QUIT", input: { ...base, actions: [{ raw: "QUIT" }] }, expected: ['actions[0]: raw "QUIT" would change the session under the probe; use tls: "stls" or quit instead'] },
    { title: "a raw QUITX is just unknown", input: { ...base, actions: [{ raw: "QUITX" }] }, expected: [] },
    { title: "a line break in the password", input: { ...base, pass: "a\nb" }, expected: ["user and pass must not contain line breaks"] },
  ];
  it.each(cases)("$title", ({ input, expected }) => {
    expect(paramProblems(input)).toEqual(expected);
  });
});
