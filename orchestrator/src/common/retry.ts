import { systemClock, type Clock } from "./clock.ts";

export interface RetryOptions {
  /** Give up after this long, counted from the first attempt. */
  timeoutMs: number;
  /** Wait between attempts. */
  intervalMs: number;
  clock?: Clock;
  signal?: AbortSignal;
}

/**
 * Calls `attempt` until it returns a value other than `undefined`, or until the time is up. The
 * last error thrown by `attempt` (if any) becomes the cause of the timeout error.
 */
export async function retryUntil<T>(attempt: () => Promise<T | undefined>, what: string, options: RetryOptions): Promise<T> {
  const clock = options.clock ?? systemClock;
  const deadline = clock.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    options.signal?.throwIfAborted();
    try {
      const value = await attempt();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (clock.now() + options.intervalMs > deadline) {
      throw new Error(`${what}: not done within ${options.timeoutMs} ms`, lastError === undefined ? undefined : { cause: lastError });
    }
    await clock.sleep(options.intervalMs, options.signal);
  }
}
