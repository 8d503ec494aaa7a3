import { createHash } from "node:crypto";
import { simpleParser } from "mailparser";
import { describe, expect, it } from "vitest";
import { buildMessage, headerValue, isEightBit } from "./message.ts";

const date = new Date("2025-01-02T03:04:05Z");

describe("buildMessage", () => {
  it("builds a MIME message with CRLF line breaks that mailparser reads back", async () => {
    const text = await buildMessage(
      {
        from: "Alice <alice@crepes.fr>",
        to: ["bob@hamburger.edu", "carol@hamburger.edu"],
        subject: "Crêpes",
        text: "Do you like ketchup?\n.How about pickles?\n",
        html: "<p>Do you like ketchup?</p>",
        headers: { "X-L7lab-Step": "send-1" },
        messageId: "<step-1@crepes.fr>",
        attachments: [
          { filename: "recipe.txt", contentText: "flour, eggs, milk" },
          { filename: "blob.bin", contentBase64: Buffer.from([0, 1, 2, 255]).toString("base64"), contentType: "application/octet-stream" },
        ],
      },
      { date },
    );
    expect(text).not.toMatch(/(^|[^\r])\n/);
    const parsed = await simpleParser(text);
    expect(parsed.subject).toBe("Crêpes");
    expect(parsed.messageId).toBe("<step-1@crepes.fr>");
    expect(parsed.date?.toISOString()).toBe(date.toISOString());
    expect(parsed.text).toBe("Do you like ketchup?\n.How about pickles?\n");
    expect(parsed.headers.get("x-l7lab-step")).toBe("send-1");
    expect(parsed.attachments.map((a) => [a.filename, a.contentType, a.content.toString("hex")])).toEqual([
      ["recipe.txt", "text/plain", Buffer.from("flour, eggs, milk").toString("hex")],
      ["blob.bin", "application/octet-stream", "000102ff"],
    ]);
  });

  it("gives the same text for the same spec, message id and date (for checksums)", async () => {
    const spec = { from: "alice@crepes.fr", to: ["bob@hamburger.edu"], messageId: "<x@crepes.fr>", text: "hi", attachments: [{ filename: "a.txt", contentText: "a" }] };
    const digest = async () => createHash("sha256").update(await buildMessage(spec, { date })).digest("hex");
    expect(await digest()).toBe(await digest());
  });

  it("generates a Message-ID when none is given", async () => {
    const text = await buildMessage({ from: "alice@crepes.fr", to: ["bob@hamburger.edu"], text: "hi" });
    expect(headerValue(text, "Message-ID")).toMatch(/^<[^<>@]+@crepes\.fr>$/);
  });

  it("returns raw as it is", async () => {
    const raw = "From: a@b\nSubject: raw\n\n.body";
    expect(await buildMessage({ from: "a@b", to: ["c@d"], raw })).toBe(raw);
  });
});

describe("headerValue", () => {
  const message = "Subject: a\r\nMessage-ID:\r\n <folded@x>\r\nmessage-id: <second@x>\r\nX-Empty:\r\n\r\nMessage-ID: <in-body@x>\r\n";
  it.each([
    { title: "a folded header, any case", input: "message-id", expected: "<folded@x>" },
    { title: "a simple one", input: "Subject", expected: "a" },
    { title: "an empty one", input: "X-Empty", expected: "" },
    { title: "the body is not searched", input: "To", expected: undefined },
  ])("$title", ({ input, expected }) => {
    expect(headerValue(message, input)).toBe(expected);
  });

  it("reads LF-only messages too", () => {
    expect(headerValue("Message-ID: <lf@x>\n\nbody", "Message-ID")).toBe("<lf@x>");
  });
});

describe("isEightBit", () => {
  it.each([
    { input: "plain ascii\r\n", expected: false },
    { input: "crêpe", expected: true },
    { input: "", expected: false },
  ])("$input", ({ input, expected }) => {
    expect(isEightBit(input)).toBe(expected);
  });
});
