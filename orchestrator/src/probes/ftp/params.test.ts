import { Value } from "typebox/value";
import { describe, expect, it } from "vitest";
import { argumentOf, credentialsOf, ftpParamsSchema, type FtpProbeParams, paramProblems } from "./params.ts";

const base = { server: "ftp" };

describe("ftpParamsSchema", () => {
  it.each([
    { title: "a server only", input: base, expected: true },
    {
      title: "every option",
      input: { ...base, port: 2121, user: "bob", pass: "secret", dataMode: "active", activeCommand: "EPRT", timeoutMs: 500, actions: [] },
      expected: true,
    },
    { title: "passive with PASV", input: { ...base, dataMode: "passive", passiveCommand: "PASV" }, expected: true },
    {
      title: "every kind of action",
      input: {
        ...base,
        actions: [
          { pwd: true }, { cwd: "pub" }, { cdup: true }, { list: true }, { list: "/pub" }, { nlst: true }, { nlst: "pub" }, { type: "A" }, { type: "I" },
          { mode: "S" }, { stru: "F" }, { size: "f" }, { mdtm: "f" }, { put: "f", content: "x" }, { put: "g", size: 1000, seed: 3 }, { put: "empty" },
          { get: "f" }, { get: "f", offset: 10 }, { resume: "f", splitAt: 5 }, { resume: "f", splitAt: 5, abort: "abor" }, { mkd: "d" }, { rmd: "d" },
          { dele: "f" }, { raw: "SITE CHMOD 644 f" },
        ],
      },
      expected: true,
    },
    { title: "an empty password is allowed", input: { ...base, user: "bob", pass: "" }, expected: true },
    { title: "no server", input: {}, expected: false },
    { title: "an unknown option", input: { ...base, tls: true }, expected: false },
    { title: "an unknown data mode", input: { ...base, dataMode: "extended" }, expected: false },
    { title: "an unknown passive command", input: { ...base, passiveCommand: "LPSV" }, expected: false },
    { title: "port 0", input: { ...base, port: 0 }, expected: false },
    { title: "TYPE E", input: { ...base, actions: [{ type: "E" }] }, expected: false },
    { title: "MODE B", input: { ...base, actions: [{ mode: "B" }] }, expected: false },
    { title: "list: false", input: { ...base, actions: [{ list: false }] }, expected: false },
    { title: "a negative offset", input: { ...base, actions: [{ get: "f", offset: -1 }] }, expected: false },
    { title: "splitAt 0", input: { ...base, actions: [{ resume: "f", splitAt: 0 }] }, expected: false },
    { title: "resume without splitAt", input: { ...base, actions: [{ resume: "f" }] }, expected: false },
    { title: "a size over 64 MiB", input: { ...base, actions: [{ put: "f", size: 64 * 2 ** 20 + 1 }] }, expected: false },
    { title: "64 MiB", input: { ...base, actions: [{ put: "f", size: 64 * 2 ** 20 }] }, expected: true },
    { title: "content over 1 Mi characters", input: { ...base, actions: [{ put: "f", content: "x".repeat(2 ** 20 + 1) }] }, expected: false },
    { title: "100 actions", input: { ...base, actions: Array.from({ length: 100 }, () => ({ pwd: true })) }, expected: true },
    { title: "101 actions", input: { ...base, actions: Array.from({ length: 101 }, () => ({ pwd: true })) }, expected: false },
    { title: "two commands in one action", input: { ...base, actions: [{ pwd: true, cdup: true }] }, expected: false },
    { title: "a path with a line break", input: { ...base, actions: [{ cwd: "pub\r\nDELE x" }] }, expected: false },
    { title: "a raw command with a line break", input: { ...base, actions: [{ raw: "NOOP\r\nDELE x" }] }, expected: false },
    { title: "a user with a line break", input: { ...base, user: "bob\r\nDELE x" }, expected: false },
  ])("$title: $expected", ({ input, expected }) => {
    expect(Value.Check(ftpParamsSchema, input)).toBe(expected);
  });
});

describe("credentialsOf", () => {
  it.each([
    { title: "anonymous by default, with an address-like password", input: {}, expected: { user: "anonymous", pass: "l7lab@" } },
    { title: "ftp is anonymous too", input: { user: "ftp" }, expected: { user: "ftp", pass: "l7lab@" } },
    { title: "a named user without a password: empty", input: { user: "bob" }, expected: { user: "bob", pass: "" } },
    { title: "a given password wins", input: { user: "anonymous", pass: "me@crepes.fr" }, expected: { user: "anonymous", pass: "me@crepes.fr" } },
  ])("$title", ({ input, expected }) => {
    expect(credentialsOf(input)).toEqual(expected);
  });
});

describe("argumentOf", () => {
  it("is the path or command line of an action", () => {
    expect(argumentOf({ put: "f", size: 3 })).toBe("f");
    expect(argumentOf({ list: "/pub" })).toBe("/pub");
    expect(argumentOf({ list: true })).toBeUndefined();
    expect(argumentOf({ raw: "NOOP" })).toBe("NOOP");
    expect(argumentOf({ type: "I" })).toBeUndefined();
  });
});

describe("paramProblems", () => {
  const raw = (line: string) => ({ ...base, actions: [{ raw: line }] });
  const refusal = (line: string, verb: string) =>
    `actions[0]: raw ${JSON.stringify(line.trim())} would change the session under the probe (${verb} belongs to the probe); use dataMode, passiveCommand, activeCommand or a get with offset instead`;
  const cases: { title: string; input: FtpProbeParams; expected: string[] }[] = [
    { title: "none for a plain session", input: { ...base, actions: [{ put: "f", size: 10, seed: 2 }, { get: "f", offset: 0 }, { raw: "NOOP" }] }, expected: [] },
    { title: "put with content and size", input: { ...base, actions: [{ pwd: true }, { put: "f", content: "x", size: 1 }] }, expected: ['actions[1]: put takes "content" or "size", not both'] },
    { title: "seed without size", input: { ...base, actions: [{ put: "f", content: "x", seed: 1 }] }, expected: ['actions[0]: "seed" applies only with "size"'] },
    { title: "a negative offset", input: { ...base, actions: [{ get: "f", offset: -5 }] }, expected: ['actions[0]: "offset" must be a whole number >= 0'] },
    { title: "a fractional offset", input: { ...base, actions: [{ get: "f", offset: 1.5 }] }, expected: ['actions[0]: "offset" must be a whole number >= 0'] },
    { title: "splitAt 0", input: { ...base, actions: [{ resume: "f", splitAt: 0 }] }, expected: ['actions[0]: "splitAt" must be a whole number >= 1'] },
    { title: "a raw QUIT", input: raw("QUIT"), expected: [refusal("QUIT", "QUIT")] },
    { title: "a raw pasv", input: raw(" pasv"), expected: [refusal(" pasv", "PASV")] },
    { title: "a raw EPSV ALL", input: raw("EPSV ALL"), expected: [refusal("EPSV ALL", "EPSV")] },
    { title: "a raw PORT", input: raw("PORT 10,0,0,1,4,1"), expected: [refusal("PORT 10,0,0,1,4,1", "PORT")] },
    { title: "a raw EPRT", input: raw("EPRT |1|10.0.0.1|1025|"), expected: [refusal("EPRT |1|10.0.0.1|1025|", "EPRT")] },
    { title: "a raw REST", input: raw("REST 100"), expected: [refusal("REST 100", "REST")] },
    { title: "a raw AUTH TLS", input: raw("AUTH TLS"), expected: [refusal("AUTH TLS", "AUTH")] },
    { title: "a raw QUITX is just unknown", input: raw("QUITX"), expected: [] },
    { title: "a raw RESTART is just unknown", input: raw("RESTART"), expected: [] },
    { title: "a line break in a path", input: { ...base, actions: [{ dele: "a\nb" }] }, expected: ["actions[0]: a command argument must be one line"] },
    { title: "content may have line breaks", input: { ...base, actions: [{ put: "f", content: "a\r\nb\n" }] }, expected: [] },
    { title: "passiveCommand in active mode", input: { ...base, dataMode: "active", passiveCommand: "EPSV" }, expected: ['"passiveCommand" applies only with dataMode "passive", and dataMode is "active"'] },
    { title: "activeCommand in passive mode", input: { ...base, activeCommand: "EPRT" }, expected: ['"activeCommand" applies only with dataMode "active", and dataMode is "passive"'] },
    { title: "a line break in the password", input: { ...base, user: "bob", pass: "a\nb" }, expected: ["user and pass must not contain line breaks"] },
  ];
  it.each(cases)("$title", ({ input, expected }) => {
    expect(paramProblems(input)).toEqual(expected);
  });
});
