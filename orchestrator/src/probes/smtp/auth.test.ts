import { describe, expect, it } from "vitest";
import { chooseAuthMethod, loginAnswers, maskCommand, plainToken } from "./auth.ts";

describe("plainToken and loginAnswers", () => {
  it("PLAIN is base64 of NUL user NUL password", () => {
    expect(plainToken("alice", "wonderland")).toBe("AGFsaWNlAHdvbmRlcmxhbmQ=");
    expect(Buffer.from(plainToken("bob@hamburger.edu", "pâté"), "base64").toString("utf8")).toBe("\0bob@hamburger.edu\0pâté");
  });

  it("LOGIN answers are the user and the password in base64", () => {
    expect(loginAnswers("alice", "wonderland")).toEqual(["YWxpY2U=", "d29uZGVybGFuZA=="]);
  });
});

describe("chooseAuthMethod", () => {
  it.each([
    { title: "the method asked for, offered or not", input: ["LOGIN", ["PLAIN"]] as const, expected: "LOGIN" },
    { title: "PLAIN when offered", input: [undefined, ["LOGIN", "PLAIN"]] as const, expected: "PLAIN" },
    { title: "LOGIN when only it is offered", input: [undefined, ["CRAM-MD5", "LOGIN"]] as const, expected: "LOGIN" },
    { title: "lower case offers count", input: [undefined, ["login"]] as const, expected: "LOGIN" },
    { title: "PLAIN when nothing is offered", input: [undefined, []] as const, expected: "PLAIN" },
  ])("$title", ({ input: [requested, offered], expected }) => {
    expect(chooseAuthMethod(requested, offered)).toBe(expected);
  });
});

describe("maskCommand", () => {
  it.each([
    { title: "AUTH PLAIN with its token", input: ["AUTH PLAIN AGFsaWNlAHdvbmRlcmxhbmQ=", false] as const, expected: "AUTH PLAIN ****" },
    { title: "lower case", input: ["auth plain AGFsaWNl", false] as const, expected: "auth plain ****" },
    { title: "AUTH LOGIN with an initial response", input: ["AUTH LOGIN YWxpY2U=", false] as const, expected: "AUTH LOGIN ****" },
    { title: "AUTH LOGIN without one", input: ["AUTH LOGIN", false] as const, expected: "AUTH LOGIN" },
    { title: "AUTH PLAIN without one", input: ["AUTH PLAIN", false] as const, expected: "AUTH PLAIN" },
    { title: "an answer to a 334 challenge", input: ["d29uZGVybGFuZA==", true] as const, expected: "****" },
    { title: "other commands", input: ["MAIL FROM:<alice@crepes.fr>", false] as const, expected: "MAIL FROM:<alice@crepes.fr>" },
    { title: "a word that only starts with AUTH", input: ["AUTHX PLAIN abc", false] as const, expected: "AUTHX PLAIN abc" },
  ])("$title", ({ input: [command, challenged], expected }) => {
    expect(maskCommand(command, challenged)).toBe(expected);
  });
});
