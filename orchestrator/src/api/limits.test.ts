import { describe, expect, it } from "vitest";
import { depthBeyond, MAX_BODY_DEPTH } from "./limits.ts";

const nested = (depth: number): unknown => {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = i % 2 === 0 ? [v] : { k: v };
  return v;
};

describe("depthBeyond", () => {
  it.each([
    [1, 0],
    [null, 0],
    [[], 1],
    [{}, 1],
    [{ a: [1, { b: 2 }] }, 3],
    [[[], [[[]]]], 4],
  ])("%j is %i deep", (value, depth) => {
    expect(depthBeyond(value, 100)).toBe(depth);
  });

  it("stops counting past the limit, without recursion, for a body 100,000 levels deep", () => {
    expect(depthBeyond(nested(MAX_BODY_DEPTH), MAX_BODY_DEPTH)).toBe(MAX_BODY_DEPTH);
    expect(depthBeyond(nested(100_000), MAX_BODY_DEPTH)).toBe(MAX_BODY_DEPTH + 1);
  });
});
