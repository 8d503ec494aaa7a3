import { describe, expect, it } from "vitest";
import { eprtArgument, hostPort, isCompletion, isPositive, isPreliminary, parseEpsv, parseFeatures, parseMdtm, parsePasv, parsePathname, parseSize, plainAddress, portArgument, replyOf } from "./reply.ts";

describe("replyOf", () => {
  it.each([
    { title: "a single line", input: [550, "550 Failed to open file."] as const, expected: { code: 550, text: "Failed to open file." } },
    { title: "a code alone", input: [200, "200"] as const, expected: { code: 200, text: "" } },
    {
      title: "a multi-line reply: the codes of the first and last line dropped",
      input: [211, "211-Features:\n EPRT\n EPSV\n211 End"] as const,
      expected: { code: 211, text: "Features:\n EPRT\n EPSV\nEnd" },
    },
    { title: "CRs left by the server", input: [230, "230-Welcome\r\n230 Login successful.\r"] as const, expected: { code: 230, text: "Welcome\nLogin successful." } },
  ])("$title", ({ input, expected }) => {
    expect(replyOf(input[0], input[1])).toEqual(expected);
  });
});

describe("reply classes", () => {
  it.each([
    [150, true, false, false],
    [226, false, true, true],
    [350, false, false, true],
    [426, false, false, false],
    [550, false, false, false],
  ])("%i", (code, preliminary, completion, positive) => {
    expect([isPreliminary(code), isCompletion(code), isPositive(code)]).toEqual([preliminary, completion, positive]);
  });
});

describe("reading replies", () => {
  it("parseFeatures: the lines between the first and the last, trimmed", () => {
    expect(parseFeatures(replyOf(211, "211-Features:\n EPRT\n REST STREAM\n\n211 End"))).toEqual(["EPRT", "REST STREAM"]);
    expect(parseFeatures({ code: 211, text: "No features" })).toEqual([]);
  });

  it.each([
    { input: '"/" is the current directory', expected: "/" },
    { input: '"/pub/my ""quoted"" dir" created', expected: '/pub/my "quoted" dir' },
    { input: "no quotes", expected: undefined },
  ])("parsePathname($input)", ({ input, expected }) => {
    expect(parsePathname(input)).toBe(expected);
  });

  it.each([
    { input: "1234", expected: 1234 },
    { input: "0", expected: 0 },
    { input: "5555, some comment", expected: 5555 },
    { input: "File not found", expected: undefined },
  ])("parseSize($input)", ({ input, expected }) => {
    expect(parseSize(input)).toBe(expected);
  });

  it.each([
    { input: "20240315120000", expected: "2024-03-15T12:00:00.000Z" },
    { input: "19980615100045.014", expected: "1998-06-15T10:00:45.014Z" },
    { input: "20241301000000", expected: "2025-01-01T00:00:00.000Z" },
    { input: "yesterday", expected: undefined },
  ])("parseMdtm($input)", ({ input, expected }) => {
    expect(parseMdtm(input)).toBe(expected);
  });

  it.each([
    { input: "Entering Passive Mode (10,0,0,42,156,64).", expected: { host: "10.0.0.42", port: 40000 } },
    { input: "Entering Passive Mode 127,0,0,1,0,21", expected: { host: "127.0.0.1", port: 21 } },
    { input: "Entering Passive Mode (10,0,0,42,300,1).", expected: undefined },
    { input: "Entering Passive Mode (10,0,0,42,0,0).", expected: undefined },
    { input: "Entering Passive Mode.", expected: undefined },
  ])("parsePasv($input)", ({ input, expected }) => {
    expect(parsePasv(input)).toEqual(expected);
  });

  it.each([
    { input: "Entering Extended Passive Mode (|||40064|)", expected: 40064 },
    { input: "Entering Extended Passive Mode (!!!6446!)", expected: 6446 },
    { input: "Entering Extended Passive Mode (|||0|)", expected: undefined },
    { input: "Entering Extended Passive Mode (|||70000|)", expected: undefined },
    { input: "Entering Extended Passive Mode (|1|40064|)", expected: undefined },
  ])("parseEpsv($input)", ({ input, expected }) => {
    expect(parseEpsv(input)).toBe(expected);
  });
});

describe("PORT and EPRT arguments", () => {
  it("PORT: the four octets and the port's two bytes", () => {
    expect(portArgument("10.0.0.250", 40064)).toBe("10,0,0,250,156,128");
    expect(portArgument("::ffff:127.0.0.1", 21)).toBe("127,0,0,1,0,21");
  });

  it("PORT refuses an IPv6 address", () => {
    expect(() => portArgument("fd00::250", 40000)).toThrow("PORT needs an IPv4 address, and the control connection's local address is fd00::250");
  });

  it("EPRT: protocol 1 for IPv4, 2 for IPv6", () => {
    expect(eprtArgument("10.0.0.250", 40064)).toBe("|1|10.0.0.250|40064|");
    expect(eprtArgument("::ffff:10.0.0.250", 40064)).toBe("|1|10.0.0.250|40064|");
    expect(eprtArgument("fd00::250", 40064)).toBe("|2|fd00::250|40064|");
    expect(() => eprtArgument("localhost", 1)).toThrow("EPRT needs an IP address, not localhost");
  });

  it("plainAddress and hostPort", () => {
    expect(plainAddress("::ffff:10.0.0.42")).toBe("10.0.0.42");
    expect(plainAddress("::ffff:abcd")).toBe("::ffff:abcd");
    expect(hostPort("10.0.0.42", 21)).toBe("10.0.0.42:21");
    expect(hostPort("fd00::42", 21)).toBe("[fd00::42]:21");
  });
});
