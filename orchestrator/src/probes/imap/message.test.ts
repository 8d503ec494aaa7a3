import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { attachmentSummary, type FetchedMessage, headerFields, MAX_TEXT_LENGTH, type ParsedParts, parseParts, receivedHeaders, sha256Hex, shapeMessage } from "./message.ts";

const sha = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

describe("headerFields", () => {
  it.each([
    { title: "simple fields, names as written", input: "From: a@b\r\nSubject: Hi\r\n\r\nbody: not a header\r\n", expected: [{ name: "From", value: "a@b" }, { name: "Subject", value: "Hi" }] },
    { title: "a folded field is unfolded", input: "Subject: one\r\n  two\r\n\tthree\r\n\r\n", expected: [{ name: "Subject", value: "one two three" }] },
    { title: "bare LF line ends", input: "A: 1\nB: 2\n\nC: 3\n", expected: [{ name: "A", value: "1" }, { name: "B", value: "2" }] },
    { title: "a message that is all header", input: "A: 1\r\nB: 2", expected: [{ name: "A", value: "1" }, { name: "B", value: "2" }] },
    { title: "a value with a colon", input: "Date: Wed, 01 May 2024 12:00:00 +0000\r\n\r\n", expected: [{ name: "Date", value: "Wed, 01 May 2024 12:00:00 +0000" }] },
    { title: "an empty value", input: "X-Empty:\r\n\r\n", expected: [{ name: "X-Empty", value: "" }] },
  ])("$title", ({ input, expected }) => {
    expect(headerFields(input)).toEqual(expected);
  });
});

describe("receivedHeaders", () => {
  it.each([
    { title: "none", input: "From: a@b\r\n\r\nReceived: in the body\r\n", expected: [] },
    {
      title: "every one, in order, unfolded, any case",
      input: "Received: from a\r\n\tby b; Wed, 1 May 2024\r\nreceived: from c by d\r\nFrom: x\r\nRECEIVED: from e\r\n\r\n",
      expected: ["from a by b; Wed, 1 May 2024", "from c by d", "from e"],
    },
  ])("$title", ({ input, expected }) => {
    expect(receivedHeaders(input)).toEqual(expected);
  });
});

describe("attachmentSummary", () => {
  it.each([
    {
      title: "with a file name",
      input: { filename: "notes.txt", contentType: "text/plain", size: 10, content: Buffer.from("lab notes\n") },
      expected: { filename: "notes.txt", contentType: "text/plain", size: 10, sha256: sha("lab notes\n") },
    },
    {
      title: "without one; the size is the content's",
      input: { contentType: "application/octet-stream", size: 999, content: Buffer.from([0, 1, 2]) },
      expected: { contentType: "application/octet-stream", size: 3, sha256: sha(Buffer.from([0, 1, 2])) },
    },
  ])("$title", ({ input, expected }) => {
    expect(attachmentSummary(input)).toEqual(expected);
  });
});

const RAW = "Received: from a by b\r\nReceived: from c by d\r\nMessage-ID: <x@y>\r\nSubject: Hi\r\n\r\nHello\r\n";

describe("shapeMessage", () => {
  const fetched: FetchedMessage = {
    uid: 9,
    flags: new Set(["\\Seen"]),
    size: 88,
    envelope: {
      subject: "Hi",
      from: [{ name: "Alice", address: "alice@crepes.fr" }],
      to: [{ name: "Bob", address: "bob@hamburger.edu" }, { name: "group without address" }],
      messageId: "<x@y>",
      date: new Date("2024-05-01T12:00:00Z"),
    },
    source: Buffer.from(RAW),
  };
  const parts: ParsedParts = { text: "Hello\n", attachments: [{ filename: "a.bin", contentType: "application/octet-stream", content: Buffer.from("A") }] };

  it.each<{ title: string; input: [FetchedMessage, ParsedParts, boolean]; expected: unknown }>([
    {
      title: "everything",
      input: [fetched, parts, false],
      expected: {
        uid: 9,
        flags: ["\\Seen"],
        size: 88,
        envelope: { subject: "Hi", from: ["alice@crepes.fr"], to: ["bob@hamburger.edu"], messageId: "<x@y>", date: "2024-05-01T12:00:00.000Z" },
        headers: { received: ["from a by b", "from c by d"], "message-id": "<x@y>" },
        sha256: sha(RAW),
        text: "Hello\n",
        attachments: [{ filename: "a.bin", contentType: "application/octet-stream", size: 1, sha256: sha("A") }],
      },
    },
    {
      title: "with the raw source",
      input: [{ uid: 1, source: Buffer.from("Subject: x\r\n\r\ny") }, { attachments: [] }, true],
      expected: {
        uid: 1,
        flags: [],
        size: 15,
        envelope: { from: [], to: [] },
        headers: { received: [] },
        sha256: sha("Subject: x\r\n\r\ny"),
        attachments: [],
        raw: "Subject: x\r\n\r\ny",
      },
    },
    {
      title: "an envelope date as a string, and one that does not parse",
      input: [{ uid: 2, envelope: { date: "Wed, 01 May 2024 12:00:00 +0200" }, source: Buffer.alloc(0) }, { attachments: [] }, false],
      expected: { uid: 2, flags: [], size: 0, envelope: { from: [], to: [], date: "2024-05-01T10:00:00.000Z" }, headers: { received: [] }, sha256: sha(""), attachments: [] },
    },
    {
      title: "no date when it does not parse",
      input: [{ uid: 3, envelope: { date: "yesterday" } }, { attachments: [] }, false],
      expected: { uid: 3, flags: [], size: 0, envelope: { from: [], to: [] }, headers: { received: [] }, sha256: sha(""), attachments: [] },
    },
  ])("$title", ({ input: [f, p, raw], expected }) => {
    expect(shapeMessage(f, p, raw)).toEqual(expected);
  });

  it("cuts a very long body and says so", () => {
    const shaped = shapeMessage({ uid: 1, source: Buffer.from("x") }, { text: "a".repeat(MAX_TEXT_LENGTH + 5), attachments: [] }, false);
    expect(shaped.text).toHaveLength(MAX_TEXT_LENGTH);
    expect(shaped.textTruncated).toBe(true);
  });
});

describe("parseParts", () => {
  it("keeps the text body and decodes attachments", async () => {
    const raw = [
      "From: a@b",
      "MIME-Version: 1.0",
      'Content-Type: multipart/mixed; boundary="xx"',
      "",
      "--xx",
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      "Cr=C3=AApes for Bob.",
      "--xx",
      "Content-Type: application/pdf",
      'Content-Disposition: attachment; filename="menu.pdf"',
      "Content-Transfer-Encoding: base64",
      "",
      Buffer.from("%PDF-1.4 not really").toString("base64"),
      "--xx--",
      "",
    ].join("\r\n");
    const parts = await parseParts(Buffer.from(raw));
    expect(parts.text).toBe("Crêpes for Bob.");
    expect(parts.attachments.map(attachmentSummary)).toEqual([{ filename: "menu.pdf", contentType: "application/pdf", size: 19, sha256: sha256Hex("%PDF-1.4 not really") }]);
  });

  it("a message without a body has no attachments", async () => {
    const parts = await parseParts(Buffer.from("Subject: empty\r\n\r\n"));
    expect(parts.attachments).toEqual([]);
  });
});
