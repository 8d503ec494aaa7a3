/**
 * The controller's side of the link to the prober (protocol.ts). The session is opened when the
 * first probe call needs it (or by warm()), and again after the prober's process has gone: every
 * call still waiting then fails with PROBER_GONE, and the next call starts a new process.
 */
import { L7labError } from "../common/errors.ts";
import type { Probe, ProbeOutcome } from "../probes/probe.ts";
import { LineSplitter } from "./lines.ts";
import { asFromProber, decode, encode, fromWire, toWire } from "./protocol.ts";

/** A running prober process: its stdin, and its stdout and stderr as they arrive. */
export interface ProberSession {
  write(text: string): void;
  onStdout(listener: (chunk: Buffer) => void): void;
  onStderr(listener: (chunk: Buffer) => void): void;
  /** Called once, when the process has gone (its output ended). */
  onClose(listener: (why: string) => void): void;
  close(): void;
}

export interface ProberLinkOptions {
  /** Opens a new session (a `docker exec` in the prober's container). */
  open: () => Promise<ProberSession>;
  log?: (message: string) => void;
  /** How long a call waits for the prober's answer once it was told to abort; then it gives up. */
  abortGraceMs?: number;
  /** The longest line the prober may send (a probe's whole outcome is one line). */
  maxLineBytes?: number;
}

interface Pending {
  /** The session the call was sent on: only its end fails the call. */
  session: ProberSession;
  resolve: (outcome: ProbeOutcome) => void;
  reject: (error: Error) => void;
}

/** At most this many lines of the prober's stderr are logged per minute (a prober broken into could flood the log). */
const STDERR_LINES_PER_MINUTE = 60;

export class ProberGoneError extends L7labError {
  constructor(why: string) {
    super("PROBER_GONE", 502, `the prober (which runs the probes on the lab networks) stopped: ${why}; the next probe call starts it again`, { why });
  }
}

export class ProberLink {
  readonly #options: Required<ProberLinkOptions>;
  #session: Promise<ProberSession> | undefined;
  #live: ProberSession | undefined;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #stderrTail = "";

  constructor(options: ProberLinkOptions) {
    this.#options = { log: () => undefined, abortGraceMs: 10_000, maxLineBytes: 16 * 1024 * 1024, ...options };
  }

  /** Starts the prober's process now rather than at the first call. */
  async warm(): Promise<void> {
    await this.#connect();
  }

  /** Runs one probe in the prober; resolves with its outcome, rejects with its error. */
  async call(probe: string, params: unknown, signal: AbortSignal): Promise<ProbeOutcome> {
    signal.throwIfAborted();
    // Starting the prober's process is a `docker exec`: an abort stops the wait for it too.
    const session = await new Promise<ProberSession>((resolve, reject) => {
      const onAbort = () => reject(signal.reason as Error);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#connect().then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
    signal.throwIfAborted();
    const id = this.#nextId++;
    return new Promise<ProbeOutcome>((resolve, reject) => {
      let grace: NodeJS.Timeout | undefined;
      const onAbort = () => {
        session.write(encode({ t: "abort", id, reason: toWire(signal.reason) }));
        // The prober answers once the probe has stopped; if it does not, give up waiting.
        grace = setTimeout(() => settle(() => reject(signal.reason as Error)), this.#options.abortGraceMs);
      };
      const settle = (how: () => void) => {
        if (!this.#pending.delete(id)) return;
        clearTimeout(grace);
        signal.removeEventListener("abort", onAbort);
        how();
      };
      this.#pending.set(id, {
        session,
        resolve: (outcome) => settle(() => resolve(outcome)),
        reject: (error) => settle(() => reject(error)),
      });
      signal.addEventListener("abort", onAbort, { once: true });
      session.write(encode({ t: "run", id, probe, params }));
    });
  }

  /** Ends the session: the prober's stdin closes and its process exits. */
  close(): void {
    void this.#session?.then((s) => s.close(), () => undefined);
    this.#session = undefined;
    this.#live = undefined;
  }

  #connect(): Promise<ProberSession> {
    this.#session ??= this.#open().catch((error: unknown) => {
      this.#session = undefined;
      throw new ProberGoneError(`it could not be started: ${(error as Error).message}`);
    });
    return this.#session;
  }

  async #open(): Promise<ProberSession> {
    const session = await this.#options.open();
    this.#live = session;
    this.#stderrTail = "";
    const lines = new LineSplitter(this.#options.maxLineBytes, (line) => this.#onLine(line));
    let gone = false;
    const goneWith = (why: string) => {
      if (gone) return;
      gone = true;
      if (this.#live === session) {
        this.#live = undefined;
        this.#session = undefined;
      }
      const tail = this.#stderrTail.trim();
      const error = new ProberGoneError(tail ? `${why} (its last output: ${tail.slice(-500)})` : why);
      for (const p of [...this.#pending.values()]) if (p.session === session) p.reject(error);
      this.#options.log(`prober session ended: ${error.message}`);
    };
    session.onStdout((chunk) => {
      try {
        lines.push(chunk);
      } catch (error) {
        goneWith(`it sent ${(error as Error).message}`);
        session.close();
      }
    });
    let window = { start: Date.now(), lines: 0 };
    session.onStderr((chunk) => {
      const text = chunk.toString("utf8");
      this.#stderrTail = (this.#stderrTail + text).slice(-2000);
      if (Date.now() - window.start > 60_000) window = { start: Date.now(), lines: 0 };
      if (window.lines >= STDERR_LINES_PER_MINUTE) return;
      for (const line of text.split("\n").filter((l) => l.trim() !== "")) {
        if (window.lines++ === STDERR_LINES_PER_MINUTE - 1) {
          this.#options.log(`prober: (more output this minute not logged)`);
          break;
        }
        this.#options.log(`prober: ${line.slice(0, 500)}`);
      }
    });
    session.onClose((why) => goneWith(why));
    return session;
  }

  #onLine(line: string): void {
    let message;
    try {
      message = asFromProber(decode(line));
    } catch {
      message = undefined;
    }
    if (message === undefined) {
      if (line.trim() !== "") this.#options.log(`prober printed: ${line.slice(0, 500)}`);
      return;
    }
    if (message.t === "ready") return;
    const pending = this.#pending.get(message.id);
    if (!pending) return; // a call given up on (abort grace over)
    if (message.t === "done") pending.resolve(message.outcome);
    else pending.reject(fromWire(message.error));
  }
}

/**
 * A probe that runs in the prober: its name, description, parameter schema and load-time check
 * are the local probe's (they need no network), its run goes over the link.
 */
export function remoteProbe(local: Probe, link: ProberLink): Probe {
  return {
    name: local.name,
    description: local.description,
    paramsSchema: local.paramsSchema,
    ...(local.check ? { check: (params: never, ctx: Parameters<NonNullable<Probe["check"]>>[1]) => local.check!(params, ctx) } : {}),
    run: (params, ctx) => link.call(local.name, params, ctx.signal),
  };
}
