import { vi } from "vitest";

/**
 * Test support: how long tests wait for what does not take a clock (Node's socket timeouts, the
 * timers of imapflow, basic-ftp and undici, a fake server's reaction). Unit test workers on a
 * loaded machine (2 cores, stress-ng, builds) were seen with event loops stalled for 2 s, and a
 * stalled loop fires every timer that came due before it reads what arrived meanwhile.
 */

/**
 * The timeout of exchanges a test's fake always answers: no loaded machine reaches it, only an
 * implementation that waits for nothing (and then the test fails, here or at its own timeout).
 */
export const PATIENT_TIMEOUT_MS = 8_000;

/**
 * A timeout a test waits out on purpose (its fake goes silent) where the same timer, one that takes
 * no clock, also covers the exchanges the fake answers before: longer than the stalls seen, and the
 * test costs this long. Where the code takes a clock, a FakeClock makes this unnecessary.
 */
export const OUTLASTS_STALLS_MS = 3_000;

/** Waits (up to PATIENT_TIMEOUT_MS) until `check` passes: for an event that only shows in state. */
export function eventually<T>(check: () => T | Promise<T>): Promise<T> {
  return vi.waitFor(check, { timeout: PATIENT_TIMEOUT_MS, interval: 5 });
}
