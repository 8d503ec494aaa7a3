import { describe, expect, it } from "vitest";
import { decodeData, dotStuff, encodeData, endOfData, normalizeCrlf } from "./data.ts";

describe("normalizeCrlf", () => {
  it.each([
    { title: "bare LF", input: "a\nb\n", expected: "a\r\nb\r\n" },
    { title: "CRLF stays", input: "a\r\nb", expected: "a\r\nb" },
    { title: "bare CR", input: "a\rb", expected: "a\r\nb" },
    { title: "a mix", input: "a\r\nb\nc\rd", expected: "a\r\nb\r\nc\r\nd" },
    { title: "an empty line between", input: "a\n\nb", expected: "a\r\n\r\nb" },
    { title: "LF CR is two breaks", input: "a\n\rb", expected: "a\r\n\r\nb" },
  ])("$title", ({ input, expected }) => {
    expect(normalizeCrlf(input)).toBe(expected);
  });
});

describe("dotStuff and encodeData", () => {
  it.each([
    { title: "plain lines", input: "Do you like ketchup?\r\nHow about pickles?", stuffed: "Do you like ketchup?\r\nHow about pickles?", wire: "Do you like ketchup?\r\nHow about pickles?\r\n.\r\n" },
    { title: "a line that is exactly a dot", input: "before\r\n.\r\nafter", stuffed: "before\r\n..\r\nafter", wire: "before\r\n..\r\nafter\r\n.\r\n" },
    { title: "a line starting with two dots", input: "a\r\n..b", stuffed: "a\r\n...b", wire: "a\r\n...b\r\n.\r\n" },
    { title: "the first line starting with a dot", input: ".hidden\r\nx", stuffed: "..hidden\r\nx", wire: "..hidden\r\nx\r\n.\r\n" },
    { title: "bare LF input", input: "one\n.two\nthree\n", stuffed: "one\r\n..two\r\nthree\r\n", wire: "one\r\n..two\r\nthree\r\n.\r\n" },
    { title: "consecutive dot lines", input: ".\n.\n.", stuffed: "..\r\n..\r\n..", wire: "..\r\n..\r\n..\r\n.\r\n" },
    { title: "a dot inside a line is left alone", input: "a.b\r\n x.", stuffed: "a.b\r\n x.", wire: "a.b\r\n x.\r\n.\r\n" },
    { title: "text already ending in CRLF gets no second one", input: "hello\r\n", stuffed: "hello\r\n", wire: "hello\r\n.\r\n" },
    { title: "text ending in an empty line keeps it", input: "hello\n\n", stuffed: "hello\r\n\r\n", wire: "hello\r\n\r\n.\r\n" },
    { title: "an empty message", input: "", stuffed: "", wire: ".\r\n" },
  ])("$title", ({ input, stuffed, wire }) => {
    expect(dotStuff(input)).toBe(stuffed);
    expect(encodeData(input)).toBe(wire);
  });
});

describe("endOfData", () => {
  it.each([
    { title: "the terminator after a line", input: "a\r\n.\r\n", expected: 6 },
    { title: "an empty message", input: ".\r\n", expected: 3 },
    { title: "not yet complete", input: "a\r\n.", expected: -1 },
    { title: "a stuffed dot line is not the end", input: "a\r\n..\r\nb", expected: -1 },
    { title: "a bare LF dot is not the end", input: "a\n.\nb", expected: -1 },
    { title: "what follows the terminator is not counted", input: "a\r\n.\r\nQUIT\r\n", expected: 6 },
  ])("$title", ({ input, expected }) => {
    expect(endOfData(input)).toBe(expected);
  });
});

describe("decodeData", () => {
  it.each([
    { title: "one line", input: "hello\r\n.\r\n", expected: "hello\r\n" },
    { title: "stuffed lines", input: "..hidden\r\n..\r\n...b\r\n.\r\n", expected: ".hidden\r\n.\r\n..b\r\n" },
    { title: "an empty message", input: ".\r\n", expected: "" },
  ])("$title", ({ input, expected }) => {
    expect(decodeData(input)).toBe(expected);
  });

  it.each(["a\n.\n..\nb", ".x\r\n\r\n.", "", "no newline at the end", "\n.\n"])("undoes encodeData: %j", (text) => {
    const normalized = normalizeCrlf(text);
    expect(decodeData(encodeData(text))).toBe(normalized === "" || normalized.endsWith("\r\n") ? normalized : normalized + "\r\n");
  });
});
