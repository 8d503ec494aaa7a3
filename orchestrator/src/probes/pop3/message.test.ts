import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bodyLineCount, headerLines, parseHeaders, summarizeHeaders, summarizeMessage } from "./message.ts";

const lines = (...l: string[]) => l.map((s) => Buffer.from(s));

describe("parseHeaders", () => {
  it.each([
    { title: "names are lower-cased", input: ["Subject: Hi", "FROM: a@b"], expected: { subject: "Hi", from: "a@b" } },
    { title: "the first value wins", input: ["Received: one", "Received: two"], expected: { received: "one" } },
    { title: "folded lines are unfolded", input: ["Subject: a long", "\tsubject", "  line"], expected: { subject: "a long subject line" } },
    { title: "values are trimmed, colons kept", input: ["X-Time:   12:30:00  "], expected: { "x-time": "12:30:00" } },
    { title: "an empty value", input: ["X-Empty:"], expected: { "x-empty": "" } },
    { title: "lines without a colon are skipped", input: ["garbage", "To: b@c"], expected: { to: "b@c" } },
    { title: "a fold before any field is skipped", input: [" orphan", "To: b@c"], expected: { to: "b@c" } },
    { title: "a name with a space is not a field", input: ["Bad Name: x"], expected: {} },
    { title: "__proto__ is an ordinary name", input: ["__proto__: x"], expected: JSON.parse('{"__proto__":"x"}') as Record<string, string> },
  ])("$title", ({ input, expected }) => {
    expect(parseHeaders(input)).toEqual(expected);
  });
});

describe("headerLines and bodyLineCount", () => {
  it.each([
    { title: "headers, blank, body", input: lines("A: 1", "B: 2", "", "x", "y"), expected: { headers: 2, body: 2 } },
    { title: "headers only (TOP n 0 of a message without body)", input: lines("A: 1"), expected: { headers: 1, body: 0 } },
    { title: "headers and the blank line", input: lines("A: 1", ""), expected: { headers: 1, body: 0 } },
    { title: "an empty line in the body does not count twice", input: lines("A: 1", "", "x", "", "y"), expected: { headers: 1, body: 3 } },
  ])("$title", ({ input, expected }) => {
    expect({ headers: headerLines(input).length, body: bodyLineCount(input) }).toEqual(expected);
  });
});

describe("summarizeHeaders", () => {
  it("decodes Subject, From and To, and keeps the raw fields", async () => {
    const summary = await summarizeHeaders(
      lines(
        "From: =?UTF-8?Q?Andr=C3=A9?= <andre@crepes.fr>",
        "To: bob@hamburger.edu, carol@hamburger.edu",
        "Subject: =?UTF-8?B?Q3LDqnBlcw==?=",
        "Message-ID: <42@crepes.fr>",
        "",
        "body",
      ),
    );
    expect(summary).toEqual({
      headers: {
        from: "=?UTF-8?Q?Andr=C3=A9?= <andre@crepes.fr>",
        to: "bob@hamburger.edu, carol@hamburger.edu",
        subject: "=?UTF-8?B?Q3LDqnBlcw==?=",
        "message-id": "<42@crepes.fr>",
      },
      subject: "Crêpes",
      from: "\"André\" <andre@crepes.fr>",
      to: "bob@hamburger.edu, carol@hamburger.edu",
      messageId: "<42@crepes.fr>",
    });
  });

  it("leaves out what the message does not have", async () => {
    const summary = await summarizeHeaders(lines("X-Only: 1", "", "b"));
    expect(summary.headers).toEqual({ "x-only": "1" });
    expect(summary.subject).toBeUndefined();
    expect(summary.from).toBeUndefined();
    expect(Object.keys(summary)).not.toContain("to");
  });
});

describe("summarizeMessage", () => {
  it("hashes the octets with CRLF endings, as on the wire", async () => {
    const original = "Subject: x\r\n\r\n.\r\n..foo\r\n";
    const summary = await summarizeMessage(lines("Subject: x", "", ".", "..foo"));
    expect(summary.sha256).toBe(createHash("sha256").update(original).digest("hex"));
    expect(summary.size).toBe(Buffer.byteLength(original));
    expect(summary.lines).toBe(4);
    expect(summary.subject).toBe("x");
    expect(summary.octets.toString()).toBe(original);
  });
});
