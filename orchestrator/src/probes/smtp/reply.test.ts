import { describe, expect, it } from "vitest";
import { parseEhlo, parseReply, parseReplyLine, queueIdOf, splitEnhanced } from "./reply.ts";

describe("parseReplyLine", () => {
  it.each([
    { title: "a last line", input: "250 2.0.0 Ok", expected: { code: 250, last: true, text: "2.0.0 Ok" } },
    { title: "a continuation line", input: "250-PIPELINING", expected: { code: 250, last: false, text: "PIPELINING" } },
    { title: "a code alone", input: "250", expected: { code: 250, last: true, text: "" } },
    { title: "a code and a space", input: "354 ", expected: { code: 354, last: true, text: "" } },
    { title: "a continuation with no text", input: "250-", expected: { code: 250, last: false, text: "" } },
    { title: "an empty AUTH challenge", input: "334 ", expected: { code: 334, last: true, text: "" } },
    { title: "text with spaces kept as is", input: "550 5.1.1 <bob@x>:  two  spaces", expected: { code: 550, last: true, text: "5.1.1 <bob@x>:  two  spaces" } },
    { title: "four digits", input: "2500 Ok", expected: undefined },
    { title: "two digits", input: "25 Ok", expected: undefined },
    { title: "no code", input: "HTTP/1.1 400 Bad Request", expected: undefined },
    { title: "an empty line", input: "", expected: undefined },
    { title: "a tab after the code", input: "250\tOk", expected: undefined },
  ])("$title", ({ input, expected }) => {
    expect(parseReplyLine(input)).toEqual(expected);
  });
});

describe("splitEnhanced", () => {
  it.each([
    { title: "a success code", input: [250, "2.0.0 Ok"] as const, expected: { enhanced: "2.0.0", text: "Ok" } },
    { title: "a policy refusal", input: [554, "5.7.1 <x@y>: Relay access denied"] as const, expected: { enhanced: "5.7.1", text: "<x@y>: Relay access denied" } },
    { title: "three-digit parts", input: [451, "4.123.456 later"] as const, expected: { enhanced: "4.123.456", text: "later" } },
    { title: "the code alone", input: [250, "2.1.5"] as const, expected: { enhanced: "2.1.5", text: "" } },
    { title: "no enhanced code", input: [220, "mail.hamburger.edu ESMTP Postfix"] as const, expected: { text: "mail.hamburger.edu ESMTP Postfix" } },
    { title: "a class that does not match the reply code", input: [550, "2.0.0 odd"] as const, expected: { text: "2.0.0 odd" } },
    { title: "class 3 does not exist", input: [354, "3.0.0 go ahead"] as const, expected: { text: "3.0.0 go ahead" } },
    { title: "a version number is not one", input: [220, "2.0.0beta ready"] as const, expected: { text: "2.0.0beta ready" } },
    { title: "four-digit parts are not one", input: [250, "2.0.1000 x"] as const, expected: { text: "2.0.1000 x" } },
  ])("$title", ({ input: [code, text], expected }) => {
    expect(splitEnhanced(code, text)).toEqual(expected);
  });
});

describe("parseReply", () => {
  it.each([
    {
      title: "a one-line reply with an enhanced code",
      input: "250 2.0.0 Ok: queued as 4F1D81234\r\n",
      expected: { code: 250, enhanced: "2.0.0", lines: ["Ok: queued as 4F1D81234"], text: "Ok: queued as 4F1D81234" },
    },
    {
      title: "a greeting without one",
      input: "220 mail.hamburger.edu ESMTP Postfix",
      expected: { code: 220, lines: ["mail.hamburger.edu ESMTP Postfix"], text: "mail.hamburger.edu ESMTP Postfix" },
    },
    {
      title: "a multi-line reply",
      input: "250-mail.crepes.fr\r\n250-PIPELINING\r\n250 8BITMIME",
      expected: { code: 250, lines: ["mail.crepes.fr", "PIPELINING", "8BITMIME"], text: "mail.crepes.fr\nPIPELINING\n8BITMIME" },
    },
    {
      title: "a multi-line refusal, the code taken from the first line that has one",
      input: "550-5.7.1 Sorry, no mail from you\n550-5.7.1 because of policy\n550 5.7.1 see the web page",
      expected: { code: 550, enhanced: "5.7.1", lines: ["Sorry, no mail from you", "because of policy", "see the web page"], text: "Sorry, no mail from you\nbecause of policy\nsee the web page" },
    },
    { title: "a code alone", input: "354", expected: { code: 354, lines: [""], text: "" } },
  ])("$title", ({ input, expected }) => {
    expect(parseReply(input)).toEqual(expected);
  });

  it.each([
    { title: "a line that is not a reply", input: "250-ok\r\nhello", expected: 'not an SMTP reply line: "hello"' },
    { title: "a reply that does not end", input: "250-ok\r\n250-more", expected: "last line continues" },
  ])("rejects $title", ({ input, expected }) => {
    expect(() => parseReply(input)).toThrow(expected);
  });
});

describe("parseEhlo", () => {
  it.each([
    {
      title: "Postfix's answer",
      input: "250-mail.hamburger.edu\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-VRFY\r\n250-ETRN\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250 SMTPUTF8",
      expected: {
        code: 250,
        domain: "mail.hamburger.edu",
        keywords: ["PIPELINING", "SIZE", "VRFY", "ETRN", "STARTTLS", "AUTH", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8"],
        extensions: { PIPELINING: [], SIZE: ["10240000"], VRFY: [], ETRN: [], STARTTLS: [], AUTH: ["PLAIN", "LOGIN"], ENHANCEDSTATUSCODES: [], "8BITMIME": [], DSN: [], SMTPUTF8: [] },
      },
    },
    {
      title: "keywords in lower case, the greeting text after the domain",
      input: "250-mail.crepes.fr Hello orchestrator [10.0.0.5]\r\n250-starttls\r\n250 auth login plain",
      expected: { code: 250, domain: "mail.crepes.fr", keywords: ["STARTTLS", "AUTH"], extensions: { STARTTLS: [], AUTH: ["LOGIN", "PLAIN"] } },
    },
    {
      title: "the old AUTH= form next to AUTH: AUTH wins",
      input: "250-mail.test\r\n250-AUTH PLAIN\r\n250 AUTH=PLAIN LOGIN",
      expected: { code: 250, domain: "mail.test", keywords: ["AUTH"], extensions: { AUTH: ["PLAIN"] } },
    },
    {
      title: "the old AUTH= form alone counts as AUTH",
      input: "250-mail.test\r\n250-AUTH=LOGIN PLAIN\r\n250 8BITMIME",
      expected: { code: 250, domain: "mail.test", keywords: ["8BITMIME", "AUTH"], extensions: { "8BITMIME": [], AUTH: ["LOGIN", "PLAIN"] } },
    },
    { title: "no extensions at all", input: "250 mail.test", expected: { code: 250, domain: "mail.test", keywords: [], extensions: {} } },
    { title: "EHLO not known", input: "502 5.5.2 Error: command not recognized", expected: { code: 502, domain: "", keywords: [], extensions: {} } },
    {
      title: "a keyword listed twice counts once",
      input: "250-mail.test\r\n250-SIZE 1000\r\n250 SIZE 2000",
      expected: { code: 250, domain: "mail.test", keywords: ["SIZE"], extensions: { SIZE: ["1000"] } },
    },
  ])("$title", ({ input, expected }) => {
    expect(parseEhlo(parseReply(input))).toEqual(expected);
  });
});

describe("queueIdOf", () => {
  it.each([
    { title: "Postfix", input: "Ok: queued as 4F1D81234", expected: "4F1D81234" },
    { title: "Postfix long queue ids", input: "Ok: queued as 4dGv3x0Wnbz9rxV", expected: "4dGv3x0Wnbz9rxV" },
    { title: "Exim", input: "OK id=1uXyZa-000123-AB", expected: "1uXyZa-000123-AB" },
    { title: "Sendmail", input: "5AMH2a3b012345 Message accepted for delivery", expected: "5AMH2a3b012345" },
    { title: "no queue id", input: "Ok", expected: undefined },
  ])("$title", ({ input, expected }) => {
    expect(queueIdOf(input)).toBe(expected);
  });
});
