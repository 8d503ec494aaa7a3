import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { generatedBytes, generatedChunks, generatedSha256 } from "./content.ts";

describe("generated content", () => {
  it("is mulberry32's words, little-endian: the canonical first words for seed 1", () => {
    // mulberry32(1) starts 0xa087eaf3, 0x00b349c9, 0xc4eb....
    expect(generatedBytes(10, 1).toString("hex")).toBe("f3ea87a0c949b300ebc4");
  });

  it("has exactly the size asked for, and the same octets however it is cut", () => {
    const big = generatedBytes(200_003, 9);
    expect(big).toHaveLength(200_003);
    expect(generatedBytes(7, 9)).toEqual(big.subarray(0, 7));
    expect(generatedBytes(65_537, 9)).toEqual(big.subarray(0, 65_537));
    const chunks = [...generatedChunks(200_003, 9)];
    expect(chunks.map((c) => c.length)).toEqual([65_536, 65_536, 65_536, 3395]);
  });

  it("depends on the seed, and defaults to seed 1", () => {
    expect(generatedBytes(64, 1)).not.toEqual(generatedBytes(64, 2));
    expect(generatedBytes(64)).toEqual(generatedBytes(64, 1));
  });

  it("generatedSha256 is the SHA-256 of those octets (pinned, so that scenarios can name it)", () => {
    const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
    expect(generatedSha256(100_000, 7)).toBe(sha(generatedBytes(100_000, 7)));
    expect(generatedSha256(1000, 1)).toBe("1ba3e4fe03ab64e4f3e06d0a5da6d0c73566c62427065205f05c94daaa2cff4a");
    expect(generatedSha256(0)).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  });
});
