/** Time, behind an interface so that retry, wait and timeout logic can be tested without real sleeping. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal, options?: SleepOptions): Promise<void>;
}

export interface SleepOptions {
  /** The sleep does not keep the process alive (a Node timer's `unref()`); a clock without real timers ignores it. */
  unref?: boolean;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal, options) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      if (options?.unref) timer.unref();
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};

/** The reason a cancelled timer's sleep ends with: one object, as a timer may be cancelled for every packet. */
const CANCELLED = new Error("timer cancelled");

/**
 * A timer on a clock: calls `fire` once `ms` have passed on `clock`, unless the returned function
 * cancels it first (cancelling later does nothing). What setTimeout/clearTimeout are to the system
 * clock, for code whose timeouts a test drives with a fake clock.
 */
export function startTimer(clock: Clock, ms: number, fire: () => void, options?: SleepOptions): () => void {
  const controller = new AbortController();
  clock.sleep(ms, controller.signal, options).then(
    () => {
      if (!controller.signal.aborted) fire();
    },
    () => undefined,
  );
  return () => controller.abort(CANCELLED);
}

/**
 * A stopwatch on a clock: a function giving the ms since the call. On the system clock it reads
 * performance.now() (monotonic, below the ms); on another clock, that clock's now().
 */
export function stopwatch(clock: Clock): () => number {
  if (clock === systemClock) {
    const t0 = performance.now();
    return () => performance.now() - t0;
  }
  const t0 = clock.now();
  return () => clock.now() - t0;
}
