import { Value } from "typebox/value";
import { describe, expect, it } from "vitest";
import { envelopeAddress, paramProblems, type SmtpProbeParams, smtpParamsSchema } from "./params.ts";

const send = { from: "alice@crepes.fr", to: ["bob@hamburger.edu"] };

describe("smtpParamsSchema", () => {
  it.each([
    { title: "a minimal send", input: { server: "mail", send }, expected: true },
    {
      title: "every option",
      input: {
        server: "10.0.0.25",
        port: 587,
        tls: "starttls",
        rejectUnauthorized: false,
        servername: "mail.hamburger.edu",
        helo: "client.crepes.fr",
        auth: { user: "alice", pass: "secret", method: "LOGIN" },
        timeoutMs: 2000,
        send: {
          ...send,
          subject: "Hi",
          text: "hello",
          html: "<p>hello</p>",
          headers: { "X-Lab": "1" },
          messageId: "<1@crepes.fr>",
          attachments: [{ filename: "a.txt", contentText: "x" }, { filename: "b.bin", contentBase64: "AAE=", contentType: "application/octet-stream" }],
        },
      },
      expected: true,
    },
    { title: "raw commands with message data", input: { server: "mail", commands: ["HELO x", "DATA", { data: "Subject: x\n\nhi" }, "QUIT"] }, expected: true },
    { title: "no server", input: { send }, expected: false },
    { title: "an unknown tls mode", input: { server: "mail", tls: "ssl", send }, expected: false },
    { title: "an unknown auth method", input: { server: "mail", auth: { user: "a", pass: "b", method: "CRAM-MD5" }, send }, expected: false },
    { title: "no recipients", input: { server: "mail", send: { from: "a@b", to: [] } }, expected: false },
    { title: "an attachment with both contents", input: { server: "mail", send: { ...send, attachments: [{ filename: "a", contentText: "x", contentBase64: "eA==" }] } }, expected: false },
    { title: "an attachment without content", input: { server: "mail", send: { ...send, attachments: [{ filename: "a" }] } }, expected: false },
    { title: "an unknown option", input: { server: "mail", send, starttls: true }, expected: false },
    { title: "an unknown send field", input: { server: "mail", send: { ...send, cc: ["x@y"] } }, expected: false },
    { title: "an empty command list", input: { server: "mail", commands: [] }, expected: false },
    { title: "a command object that is not data", input: { server: "mail", commands: [{ command: "NOOP" }] }, expected: false },
    { title: "a port out of range", input: { server: "mail", port: 70000, send }, expected: false },
  ])("$title", ({ input, expected }) => {
    expect(Value.Check(smtpParamsSchema, input)).toBe(expected);
  });
});

describe("paramProblems", () => {
  const cases: { title: string; input: SmtpProbeParams; expected: string[] }[] = [
    { title: "a good send", input: { server: "mail", send }, expected: [] },
    { title: "a good command list", input: { server: "mail", commands: ["EHLO x", "MAIL FROM:<a@b>", "RCPT TO:<c@d>", "data", { data: "hi" }, "DATA", "QUIT"] }, expected: [] },
    { title: "both modes", input: { server: "mail", send, commands: ["NOOP"] }, expected: ["give either send or commands, not both"] },
    { title: "neither mode", input: { server: "mail" }, expected: ["give send (a message to send) or commands (raw commands to send)"] },
    { title: "a helo with a space", input: { server: "mail", helo: "a b", send }, expected: ['helo "a b" contains white space'] },
    { title: "a null sender is fine", input: { server: "mail", send: { from: "", to: ["bob@hamburger.edu"] } }, expected: [] },
    { title: "named addresses are fine", input: { server: "mail", send: { from: "Alice <alice@crepes.fr>", to: ['"Bob B." <bob@hamburger.edu>'] } }, expected: [] },
    {
      title: "a line break in an address",
      input: { server: "mail", send: { from: "a@b\r\nRCPT TO:<x@y>", to: ["bob@hamburger.edu"] } },
      expected: ["send.from contains a line break"],
    },
    {
      title: "a recipient that is not an address",
      input: { server: "mail", send: { from: "a@b", to: ["bob smith@hamburger.edu", "<>"] } },
      expected: ['send.to[0] "bob smith@hamburger.edu" is not an address (write "name@domain" or "Name <name@domain>")', "send.to[1] is empty"],
    },
    {
      title: "raw with built fields",
      input: { server: "mail", send: { ...send, raw: "Subject: x\r\n\r\nhi", subject: "y", attachments: [] } },
      expected: ["send.raw is the whole message; it cannot go with send.subject, send.attachments"],
    },
    {
      title: "bad headers",
      input: { server: "mail", send: { ...send, headers: { "X Bad": "1", "X-Ok": "a\nb" } } },
      expected: ['send.headers: "X Bad" is not a header field name', 'send.headers["X-Ok"] contains a line break'],
    },
    {
      title: "a command with a line break, data without DATA",
      input: { server: "mail", commands: ["NOOP\r\nQUIT", { data: "x" }] },
      expected: ["commands[0] contains a line break; give one command per item", 'commands[1] is message data ({ data }) but does not follow a "DATA" command'],
    },
  ];
  it.each(cases)("$title", ({ input, expected }) => {
    expect(paramProblems(input)).toEqual(expected);
  });
});

describe("envelopeAddress", () => {
  it.each([
    { input: "alice@crepes.fr", expected: "alice@crepes.fr" },
    { input: " alice@crepes.fr ", expected: "alice@crepes.fr" },
    { input: "Alice <alice@crepes.fr>", expected: "alice@crepes.fr" },
    { input: '"Smith, Bob" <bob@hamburger.edu>', expected: "bob@hamburger.edu" },
    { input: "<>", expected: "" },
    { input: "", expected: "" },
  ])("$input", ({ input, expected }) => {
    expect(envelopeAddress(input)).toBe(expected);
  });
});
