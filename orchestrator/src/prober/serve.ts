/**
 * The prober's side of the link (protocol.ts): takes "run" and "abort" messages line by line,
 * runs the probes, and answers "done" or "fail" for each. Pure of I/O: main.ts wires it to stdin
 * and stdout, the tests to each other.
 */
import type { ProbeContext, ProbeOutcome } from "../probes/probe.ts";
import type { ProbeRegistry } from "../probes/registry.ts";
import { asToProber, decode, encode, fromWire, toWire } from "./protocol.ts";

export interface ProberServer {
  /** One line from the controller. */
  line(text: string): void;
  /** The controller went away: stops every probe still running; resolves once all have answered. */
  end(): Promise<void>;
}

export function serveProber(
  registry: ProbeRegistry,
  context: (signal: AbortSignal) => ProbeContext,
  send: (line: string) => void,
  log: (message: string) => void = () => undefined,
): ProberServer {
  const running = new Map<number, { controller: AbortController; done: Promise<void> }>();
  send(encode({ t: "ready", probes: registry.names() }));

  const run = async (id: number, name: string, params: unknown, controller: AbortController): Promise<void> => {
    try {
      const probe = registry.get(name);
      const outcome: ProbeOutcome = await probe.run(params as never, context(controller.signal));
      send(encode({ t: "done", id, outcome }));
    } catch (error) {
      // A probe stopped by its signal may throw its own error: the signal's reason says why.
      const why = controller.signal.aborted ? controller.signal.reason : error;
      send(encode({ t: "fail", id, error: toWire(why) }));
    } finally {
      running.delete(id);
    }
  };

  return {
    line(text) {
      let message;
      try {
        message = asToProber(decode(text));
      } catch (error) {
        log(`a line from the controller that is not JSON: ${(error as Error).message}`);
        return;
      }
      if (message === undefined) {
        if (text.trim() !== "") log(`a line from the controller that is not a message: ${text.slice(0, 200)}`);
        return;
      }
      if (message.t === "abort") {
        running.get(message.id)?.controller.abort(fromWire(message.reason));
        return;
      }
      if (running.has(message.id)) {
        log(`probe call ${message.id} is already running; the second "run" is ignored`);
        return;
      }
      const controller = new AbortController();
      const entry = { controller, done: Promise.resolve() };
      running.set(message.id, entry);
      entry.done = run(message.id, message.probe, message.params, controller);
    },
    async end() {
      const left = [...running.values()];
      for (const r of left) r.controller.abort(new Error("the controller closed the prober's session"));
      await Promise.allSettled(left.map((r) => r.done));
    },
  };
}
