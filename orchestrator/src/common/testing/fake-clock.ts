import type { Clock } from "../clock.ts";

/**
 * Test support: clocks whose time does not pass by itself, so that a test on a loaded machine never
 * sees a timeout, retransmission or receive window end that it did not ask for.
 */

interface Sleeper {
  at: number;
  seq: number;
  /** The signal the sleep was given: it tells the code's own waits from its timers (startTimer's). */
  signal: AbortSignal | undefined;
  resolve: () => void;
}

/**
 * Time that passes only when the test says so: `advance(ms)` ends the sleeps that fall within it,
 * in order. Code under test that sleeps (or arms a timer with `startTimer`) on this clock waits
 * until then, however slow the machine; real I/O goes on meanwhile. `pending()` and `sleeping()`
 * show what the code is waiting for.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  #sleepers: Sleeper[] = [];
  #watchers = new Set<() => void>();

  constructor(start = Date.UTC(2025, 0, 1)) {
    this.#now = start;
  }

  /** How many sleeps have begun so far: for a test that waits for the code to reach its n-th wait. */
  get begun(): number {
    return this.#seq;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const sleeper: Sleeper = {
        at: this.#now + Math.max(0, ms),
        seq: this.#seq++,
        signal,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleepers = this.#sleepers.filter((s) => s !== sleeper);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#sleepers.push(sleeper);
      this.#sleepers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      for (const watch of this.#watchers) watch();
    });
  }

  /** How long each pending sleep has left, soonest first. */
  pending(): number[] {
    return this.#sleepers.map((s) => s.at - this.#now);
  }

  /** Resolves once a sleep is pending (one with `ms` left, when given): the code under test waits on the clock. */
  async sleeping(ms?: number): Promise<void> {
    await this.#until(() => this.pending().find((left) => ms === undefined || left === ms));
  }

  /**
   * Resolves, with the ms it has left, once a sleep that `signal` can end is pending: code that
   * passes its caller's signal to its own waits (a receive window) and not to its timers is waiting.
   */
  waitingOn(signal: AbortSignal): Promise<number> {
    return this.#until(() => {
      const sleeper = this.#sleepers.find((s) => s.signal === signal);
      return sleeper === undefined ? undefined : sleeper.at - this.#now;
    });
  }

  /** Resolves with what `find` finds, checking now and whenever a sleep begins. */
  #until<T>(find: () => T | undefined): Promise<T> {
    const found = find();
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve) => {
      const watch = () => {
        const value = find();
        if (value === undefined) return;
        this.#watchers.delete(watch);
        resolve(value);
      };
      this.#watchers.add(watch);
    });
  }

  /**
   * Moves time on by `ms`. The sleeps that end within it end one by one, soonest first, each after
   * what the one before set off has had its turn: its promise callbacks, and a whole turn of the
   * event loop, so that what it sent on a loopback socket is read before the next sleep ends. A
   * timer re-armed by a timer that fired ends too if it falls within `ms`.
   */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (let next = this.#sleepers[0]; next !== undefined && next.at <= target; next = this.#sleepers[0]) {
      this.#sleepers.shift();
      this.#now = Math.max(this.#now, next.at);
      next.resolve();
      // Two check phases: whichever phase this runs in, a poll phase (I/O) comes between them.
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.#now = target;
  }
}

/**
 * Time that passes only when everything else is waiting: each time the event loop comes round, the
 * earliest pending sleep ends and `now()` jumps to its end. Work done in promises takes no time.
 * (For code that only waits on the clock; with real I/O in flight, use FakeClock.)
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: { at: number; seq: number; resolve: () => void }[] = [];
  #scheduled = false;

  constructor(start = Date.UTC(2025, 0, 1)) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const timer = {
        at: this.#now + ms,
        seq: this.#seq++,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#timers.push(timer);
      this.#schedule();
    });
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.#timers.shift();
      if (!next) return;
      this.#now = Math.max(this.#now, next.at);
      next.resolve();
      if (this.#timers.length > 0) this.#schedule();
    });
  }
}
