import { describe, expect, it } from "vitest";
import { LineReader, type Pop3Reply, ResponseReader } from "./reader.ts";
import { Pop3ProtocolError } from "./response.ts";

/** Feeds `wire` in the given chunks and collects every line. */
function linesOf(chunks: readonly string[]): string[] {
  const r = new LineReader();
  const out: string[] = [];
  for (const c of chunks) {
    r.push(Buffer.from(c));
    for (let l = r.nextLine(); l !== undefined; l = r.nextLine()) out.push(l.toString());
  }
  return out;
}

/** Reads responses off chunks; `multi` says, response by response, whether a body is expected. */
function repliesOf(chunks: readonly Buffer[], multi: readonly boolean[]): Pop3Reply[] {
  const r = new ResponseReader();
  const out: Pop3Reply[] = [];
  for (const c of chunks) {
    r.push(c);
    for (let reply = r.next(multi[out.length] ?? false); reply !== undefined; reply = r.next(multi[out.length] ?? false)) out.push(reply);
  }
  return out;
}

const simple = (reply: Pop3Reply) => ({ ok: reply.ok, text: reply.text, body: reply.body?.map((l) => l.toString()) });

/** The wire bytes cut in every way: one byte at a time, and in two at every position. */
function splits(wire: Buffer): { title: string; chunks: Buffer[] }[] {
  const bytes = [...wire].map((b) => Buffer.from([b]));
  const pairs = Array.from({ length: wire.length - 1 }, (_, i) => ({ title: `split at ${i + 1}`, chunks: [wire.subarray(0, i + 1), wire.subarray(i + 1)] }));
  return [{ title: "whole", chunks: [wire] }, { title: "1-byte chunks", chunks: bytes }, ...pairs];
}

describe("LineReader", () => {
  it.each([
    { title: "one chunk, two lines", input: ["+OK a\r\n+OK b\r\n"], expected: ["+OK a", "+OK b"] },
    { title: "CRLF split between chunks", input: ["+OK a\r", "\n+OK b\r\n"], expected: ["+OK a", "+OK b"] },
    { title: "CR and LF in chunks of their own", input: ["+OK a", "\r", "\n"], expected: ["+OK a"] },
    { title: "a line in many chunks", input: ["+", "O", "K", " ", "a", "\r\n"], expected: ["+OK a"] },
    { title: "an incomplete last line waits", input: ["+OK a\r\n+OK b"], expected: ["+OK a"] },
    { title: "a bare LF ends a line too", input: ["a\nb\r\n"], expected: ["a", "b"] },
    { title: "empty lines", input: ["\r\n\r\n"], expected: ["", ""] },
    { title: "an empty chunk changes nothing", input: ["a\r", "", "\n"], expected: ["a"] },
    { title: "a CR inside a line stays", input: ["a\rb\r\n"], expected: ["a\rb"] },
  ])("$title", ({ input, expected }) => {
    expect(linesOf(input)).toEqual(expected);
  });

  it("counts and discards what is buffered", () => {
    const r = new LineReader();
    r.push(Buffer.from("+OK\r\nextra"));
    expect(r.nextLine()?.toString()).toBe("+OK");
    expect(r.buffered).toBe(5);
    expect(r.discard()).toBe(5);
    expect(r.nextLine()).toBeUndefined();
    r.push(Buffer.from("+OK new\r\n"));
    expect(r.nextLine()?.toString()).toBe("+OK new");
  });

  it("keeps bytes that are not UTF-8 exact", () => {
    const r = new LineReader();
    r.push(Buffer.from([0xe9, 0xff, 0x0d]));
    r.push(Buffer.from([0x0a]));
    expect([...r.nextLine()!]).toEqual([0xe9, 0xff]);
  });
});

describe("ResponseReader", () => {
  // A message whose lines include "." (sent as "..") and "..foo" (sent as "...foo").
  const message = ["Subject: dots", "", "first", ".", "..foo", ".bar", "", "last"];
  const retr = Buffer.from("+OK 57 octets\r\nSubject: dots\r\n\r\nfirst\r\n..\r\n...foo\r\n..bar\r\n\r\nlast\r\n.\r\n");

  it.each(splits(retr))("RETR, $title: dot-unstuffed exactly", ({ chunks }) => {
    expect(repliesOf(chunks, [true]).map(simple)).toEqual([{ ok: true, text: "57 octets", body: message }]);
  });

  const conversation = Buffer.from("+OK ready\r\n+OK 2 messages\r\n1 120\r\n2 200\r\n.\r\n-ERR [SYS/TEMP] busy\r\n+OK\r\n.\r\n");
  it.each(splits(conversation))("several responses, $title", ({ chunks }) => {
    expect(repliesOf(chunks, [false, true, true, true]).map(simple)).toEqual([
      { ok: true, text: "ready", body: undefined },
      { ok: true, text: "2 messages", body: ["1 120", "2 200"] },
      { ok: false, text: "busy", body: undefined },
      { ok: true, text: "", body: [] },
    ]);
  });

  it.each([
    { title: "a single-line +OK", input: { wire: "+OK 2 320\r\n", multi: false }, expected: { ok: true, text: "2 320", line: "+OK 2 320" } },
    { title: "-ERR has no body even when one was expected", input: { wire: "-ERR [AUTH] nope\r\n", multi: true }, expected: { ok: false, text: "nope", code: "AUTH", line: "-ERR [AUTH] nope" } },
    { title: "an empty multi-line body", input: { wire: "+OK\r\n.\r\n", multi: true }, expected: { ok: true, text: "", line: "+OK", body: [] } },
  ])("$title", ({ input, expected }) => {
    const [reply] = repliesOf([Buffer.from(input.wire)], [input.multi]);
    expect(reply && { ...reply, ...(reply.body ? { body: reply.body.map(String) } : {}) }).toEqual(expected);
  });

  it("waits for the terminator", () => {
    const r = new ResponseReader();
    r.push(Buffer.from("+OK\r\nline\r\n"));
    expect(r.next(true)).toBeUndefined();
    r.push(Buffer.from(".\r"));
    expect(r.next(true)).toBeUndefined();
    r.push(Buffer.from("\n"));
    expect(r.next(true)?.body?.map(String)).toEqual(["line"]);
  });

  it("a line that is not a status throws Pop3ProtocolError", () => {
    const r = new ResponseReader();
    r.push(Buffer.from("* OK IMAP4rev1 ready\r\n"));
    expect(() => r.next(false)).toThrow(Pop3ProtocolError);
    expect(() => new ResponseReader().next(false)).not.toThrow();
  });

  it("discard drops a half-read response", () => {
    const r = new ResponseReader();
    r.push(Buffer.from("+OK\r\nline\r\n"));
    expect(r.next(true)).toBeUndefined();
    r.push(Buffer.from("tail"));
    expect(r.buffered).toBe(4);
    expect(r.discard()).toBe(4);
    r.push(Buffer.from("+OK fresh\r\n"));
    expect(r.next(false)?.text).toBe("fresh");
  });
});
