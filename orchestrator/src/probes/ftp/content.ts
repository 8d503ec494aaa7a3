import { createHash } from "node:crypto";
import { mulberry32 } from "../../common/prng.ts";

/**
 * The deterministic content of a put with `size` and `seed`: the 32-bit words of the mulberry32
 * generator seeded with `seed`, little-endian, cut to `size` octets. The same size and seed give
 * the same octets everywhere, so a scenario can name the SHA-256 it expects.
 */

const CHUNK = 64 * 1024;

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
