import { describe, expect, it } from "vitest";
import { reconcile } from "../engine/reconcile.ts";
import { interpolate, templateStepIds } from "./templates.ts";

const vars = { runId: "ab12cd34", results: { send: { messageIds: ["<a@x>", "<b@x>"], queueId: "Q1", count: 2 } } };

describe("interpolate", () => {
  it.each([
    { title: "the run id inside a string", input: "test-${run.id}", expected: "test-ab12cd34" },
    { title: "a whole-string template keeps the value's type", input: "${send.messageIds}", expected: ["<a@x>", "<b@x>"] },
    { title: "a number inside a string becomes text", input: "n=${send.count}", expected: "n=2" },
    { title: "an indexed path", input: "${send.messageIds[1]}", expected: "<b@x>" },
    { title: "deep in objects and arrays", input: { a: ["q ${send.queueId}", 3], b: true }, expected: { a: ["q Q1", 3], b: true } },
    { title: "a string without templates is left alone", input: "cost: $5 {x}", expected: "cost: $5 {x}" },
  ])("$title", ({ input, expected }) => {
    expect(interpolate(input, vars)).toEqual(expected);
  });

  it("names a template that has no value", () => {
    expect(() => interpolate("${send.nothing}", vars)).toThrow(/template \$\{send\.nothing\}/);
  });

  it("lists the steps templates refer to", () => {
    expect(templateStepIds({ a: "${run.id}-${send.x}", b: ["${other[0]}"] })).toEqual(["send", "other"]);
  });
});

describe("reconcile", () => {
  it.each([
    { title: "all delivered once", sent: ["1", "2", "3"], received: ["3", "1", "2"], expected: { lost: [], unexpected: [], duplicated: [] } },
    { title: "one lost", sent: ["1", "2", "3"], received: ["1", "3"], expected: { lost: ["2"], unexpected: [], duplicated: [] } },
    { title: "one unexpected", sent: ["1"], received: ["1", "9"], expected: { lost: [], unexpected: ["9"], duplicated: [] } },
    { title: "one duplicated", sent: ["1", "2"], received: ["1", "2", "2"], expected: { lost: [], unexpected: [], duplicated: ["2"] } },
    { title: "nothing received", sent: ["1", "2"], received: [], expected: { lost: ["1", "2"], unexpected: [], duplicated: [] } },
  ])("$title", ({ sent, received, expected }) => {
    const r = reconcile(sent, received);
    expect({ lost: r.lost, unexpected: r.unexpected, duplicated: r.duplicated }).toEqual(expected);
    expect([r.lostCount, r.unexpectedCount, r.duplicatedCount]).toEqual([expected.lost.length, expected.unexpected.length, expected.duplicated.length]);
    expect([r.sent, r.received]).toEqual([new Set(sent).size, received.length]);
  });
});
