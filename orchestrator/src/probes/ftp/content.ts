import { createHash } from "node:crypto";

/**
 * The deterministic content of a put with `size` and `seed`: the 32-bit words of the mulberry32
 * generator seeded with `seed`, little-endian, cut to `size` octets. The same size and seed give
 * the same octets everywhere, so a scenario can name the SHA-256 it expects.
 */

const CHUNK = 64 * 1024;

/** mulberry32: a small, fast 32-bit generator; good enough for test data, not for secrets. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** The generated octets in pieces of at most 64 KiB (every piece but the last a multiple of 4). */
export function* generatedChunks(size: number, seed = 1): Generator<Buffer> {
  const next = mulberry32(seed);
  for (let done = 0; done < size; ) {
    const length = Math.min(CHUNK, size - done);
    const chunk = Buffer.allocUnsafe(Math.ceil(length / 4) * 4);
    for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE(next(), i);
    yield chunk.subarray(0, length);
    done += length;
  }
}

/** The generated octets, all at once. */
export function generatedBytes(size: number, seed = 1): Buffer {
  return Buffer.concat([...generatedChunks(size, seed)]);
}

/** Hex SHA-256 of the generated octets. */
export function generatedSha256(size: number, seed = 1): string {
  const hash = createHash("sha256");
  for (const chunk of generatedChunks(size, seed)) hash.update(chunk);
  return hash.digest("hex");
}
