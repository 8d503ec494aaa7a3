import { Value } from "typebox/value";
import { describe, expect, it } from "vitest";
import { DEFAULT_ACTIONS, paramProblems, receiveMsOf, rtspParamsSchema, type RtspProbeParams } from "./params.ts";

const base = { server: "media" };

describe("rtspParamsSchema", () => {
  it.each([
    { title: "a server only", input: base, expected: true },
    { title: "every option", input: { ...base, port: 8554, path: "/twister", transport: "tcp", timeoutMs: 2000, actions: [] }, expected: true },
    {
      title: "every kind of action",
      input: {
        ...base,
        actions: [
          { options: true },
          { describe: true },
          { describe: "/other" },
          { setup: "all" },
          { setup: [0, 1] },
          { play: true },
          { play: true, receiveMs: 500, range: "npt=0-" },
          { pause: true, receiveMs: 300 },
          { teardown: true },
          { getParameter: true },
          { request: "PLAY", session: "wrong", url: "/twister" },
          { request: "OPTIONS", url: "*" },
          { wait: 100 },
        ],
      },
      expected: true,
    },
    { title: "no server", input: {}, expected: false },
    { title: "an unknown option", input: { ...base, multicast: true }, expected: false },
    { title: "an unknown transport", input: { ...base, transport: "sctp" }, expected: false },
    { title: "port 0", input: { ...base, port: 0 }, expected: false },
    { title: "setup of no tracks", input: { ...base, actions: [{ setup: [] }] }, expected: false },
    { title: "setup of a negative track", input: { ...base, actions: [{ setup: [-1] }] }, expected: false },
    { title: "setup some", input: { ...base, actions: [{ setup: "some" }] }, expected: false },
    { title: "play: false", input: { ...base, actions: [{ play: false }] }, expected: false },
    { title: "receiveMs over 120 s", input: { ...base, actions: [{ play: true, receiveMs: 120_001 }] }, expected: false },
    { title: "receiveMs on options", input: { ...base, actions: [{ options: true, receiveMs: 5 }] }, expected: false },
    { title: "a raw RECORD", input: { ...base, actions: [{ request: "RECORD" }] }, expected: false },
    { title: "two actions in one", input: { ...base, actions: [{ options: true, describe: true }] }, expected: false },
    { title: "a fractional wait", input: { ...base, actions: [{ wait: 1.5 }] }, expected: false },
  ])("$title: $expected", ({ input, expected }) => {
    expect(Value.Check(rtspParamsSchema, input)).toBe(expected);
  });

  it("has no defaults for the loader to fill in", () => {
    expect(Value.Default(rtspParamsSchema, structuredClone(base))).toEqual(base);
    expect(JSON.stringify(rtspParamsSchema)).not.toContain('"default"');
  });
});

describe("paramProblems", () => {
  const cases: { title: string; input: RtspProbeParams; expected: string[] }[] = [
    { title: "none for the defaults", input: base, expected: [] },
    { title: "none for a full sequence", input: { ...base, path: "/a/b.mkv", actions: [{ describe: "/x" }, { request: "PLAY", url: "rtsp://h/x", session: "s" }] }, expected: [] },
    { title: "a path without a slash", input: { ...base, path: "twister" }, expected: ['path "twister" must start with "/" and contain no white space, e.g. "/twister"'] },
    { title: "a path with a space", input: { ...base, path: "/a b" }, expected: ['path "/a b" must start with "/" and contain no white space, e.g. "/twister"'] },
    { title: "describe of a relative path", input: { ...base, actions: [{ describe: "other" }] }, expected: ['actions[0]: describe "other" must be a path starting with "/" without white space, or true'] },
    { title: "setup of a track twice", input: { ...base, actions: [{ setup: [1, 1] }] }, expected: ["actions[0]: setup lists a track twice ([1,1])"] },
    { title: "a range with a line break", input: { ...base, actions: [{ play: true, range: "npt=0-\r\nX: y" }] }, expected: ["actions[0]: range must be one line"] },
    { title: "a session with a line break", input: { ...base, actions: [{ request: "PLAY", session: "a\nb" }] }, expected: ["actions[0]: session must be one line"] },
    { title: "a url that is neither", input: { ...base, actions: [{ request: "OPTIONS", url: "http://h/x" }] }, expected: ['actions[0]: url "http://h/x" must be an rtsp:// URL, a path starting with "/", or "*"'] },
    {
      title: "windows over 10 minutes",
      input: { ...base, actions: Array.from({ length: 6 }, () => ({ play: true as const, receiveMs: 110_000 })) },
      expected: ["the receive windows add up to 660000 ms, more than the 600000 ms one probe call may take; split the actions over several steps"],
    },
  ];
  it.each(cases)("$title", ({ input, expected }) => {
    expect(paramProblems(input)).toEqual(expected);
  });
});

describe("defaults", () => {
  it("the default actions play the whole presentation", () => {
    expect(DEFAULT_ACTIONS).toEqual([{ options: true }, { describe: true }, { setup: "all" }, { play: true, receiveMs: 2000 }, { teardown: true }]);
    expect(DEFAULT_ACTIONS.every((a) => Value.Check(rtspParamsSchema, { ...base, actions: [a] }))).toBe(true);
  });

  it("receiveMsOf: 2000 after PLAY, 1000 after PAUSE, 500 after TEARDOWN unless given", () => {
    expect([{ play: true as const }, { pause: true as const }, { teardown: true as const }, { wait: 7 }, { options: true as const }].map(receiveMsOf)).toEqual([2000, 1000, 500, 7, 0]);
    expect(receiveMsOf({ teardown: true, receiveMs: 0 })).toBe(0);
  });
});
