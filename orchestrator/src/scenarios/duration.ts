import { InvalidInputError } from "../common/errors.ts";

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
/** The longest `wait` step: 1 hour. (Node's timers cannot wait beyond 2^31-1 ms, about 24.8 days: past it they fire at once.) */
export const MAX_WAIT_MS = 3_600_000;
const DURATION = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/;

/** Milliseconds of "500ms", "2s", "1.5s", "1m", "1h", or of a number (already milliseconds). */
export function parseDuration(value: string | number): number {
  let ms: number;
  if (typeof value === "number") {
    if (!(Number.isFinite(value) && value >= 0)) throw new InvalidInputError("duration", [`${value} is not a number of milliseconds (0 or more)`]);
    ms = value;
  } else {
    const match = DURATION.exec(value.trim());
    if (!match) {
      throw new InvalidInputError("duration", [`"${value}" is not a duration; write it like "500ms", "2s", "1m", "1h" or as a number of milliseconds`]);
    }
    ms = Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS]);
  }
  if (ms > MAX_WAIT_MS) throw new InvalidInputError("duration", [`${JSON.stringify(value)} is ${ms} ms, longer than the longest wait, ${MAX_WAIT_MS} ms (1h)`]);
  return ms;
}
