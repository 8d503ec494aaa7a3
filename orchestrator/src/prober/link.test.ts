import { Type } from "typebox";
import { describe, expect, it } from "vitest";
import { InvalidInputError, L7labError } from "../common/errors.ts";
import type { Probe, ProbeContext } from "../probes/probe.ts";
import { ProbeRegistry } from "../probes/registry.ts";
import { LineSplitter, LineTooLongError } from "./lines.ts";
import { ProberLink, remoteProbe, type ProberSession } from "./link.ts";
import { MARKER, asFromProber, decode, encode, fromWire, toWire } from "./protocol.ts";
import { serveProber } from "./serve.ts";

/** Probes for the link: an echo, one that fails, one that waits for its signal. */
const echo: Probe = {
  name: "echo",
  description: "answers with its parameters",
  paramsSchema: Type.Object({ text: Type.String() }),
  check: (params) => ((params as { text: string }).text === "bad" ? ["text must not be bad"] : []),
  run: async (params) => ({ ok: true, data: { echoed: params, when: 1.5, none: null }, transcript: [{ dir: "C", peer: "x", text: "hi", atMs: 3 }] }),
};
const refuses: Probe = {
  name: "refuses",
  description: "throws an InvalidInputError",
  paramsSchema: Type.Object({}),
  run: async () => {
    throw new InvalidInputError("the parameters of probe \"refuses\"", ["server \"9.9.9.9\" is not in the lab"]);
  },
};
let sawAbort: unknown;
const waits: Probe = {
  name: "waits",
  description: "waits until aborted",
  paramsSchema: Type.Object({}),
  run: (_params, ctx) =>
    new Promise((_, reject) => {
      ctx.signal.addEventListener("abort", () => {
        sawAbort = ctx.signal.reason;
        reject(new Error("stopped"));
      });
    }),
};

/** A prober served in this process, reached through a session like the Docker exec one. */
function inProcess(options: { registry?: ProbeRegistry; onWrite?: (text: string) => string | undefined; openDelayMs?: number } = {}) {
  const registry = options.registry ?? new ProbeRegistry([echo, refuses, waits]);
  let opened = 0;
  const sessions: { close: (why: string) => void; stdout: (chunk: Buffer) => void }[] = [];
  const open = async (): Promise<ProberSession> => {
    opened++;
    if (options.openDelayMs) await new Promise((r) => setTimeout(r, options.openDelayMs));
    let out: (chunk: Buffer) => void = () => undefined;
    let closeListener: (why: string) => void = () => undefined;
    let closed = false;
    const ctx = (signal: AbortSignal): ProbeContext => ({ signal, clock: { now: () => 0 } as never, topology: {} as never, docker: {} as never, stepStartedAt: () => undefined });
    let server: ReturnType<typeof serveProber> | undefined;
    const deliver = (line: string) => queueMicrotask(() => !closed && out(Buffer.from(line)));
    const session: ProberSession = {
      write: (text) => {
        const replaced = options.onWrite?.(text);
        if (replaced !== undefined) return deliver(replaced);
        for (const line of text.split("\n").filter(Boolean)) server!.line(line);
      },
      onStdout: (l) => { out = l; server ??= serveProber(registry, ctx, deliver); },
      onStderr: () => undefined,
      onClose: (l) => { closeListener = l; },
      close: () => { closed = true; void server?.end(); closeListener("closed by the controller"); },
    };
    sessions.push({ close: (why) => { closed = true; closeListener(why); }, stdout: (c) => out(c) });
    return session;
  };
  const link = new ProberLink({ open, abortGraceMs: 2_000, maxLineBytes: 4096 });
  return { link, opened: () => opened, sessions };
}

describe("the controller's link to the prober", () => {
  it("runs a probe in the prober and gets its outcome as the probe made it", async () => {
    const { link } = inProcess();
    const outcome = await link.call("echo", { text: "hello" }, new AbortController().signal);
    expect(outcome).toEqual({ ok: true, data: { echoed: { text: "hello" }, when: 1.5, none: null }, transcript: [{ dir: "C", peer: "x", text: "hi", atMs: 3 }] });
  });

  it("raises the probe's error with the same code, status and details, so the API answers as before", async () => {
    const { link } = inProcess();
    const error = await link.call("refuses", {}, new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(L7labError);
    expect(error).toMatchObject({ code: "INVALID_INPUT", status: 400, name: "InvalidInputError", details: { problems: ["server \"9.9.9.9\" is not in the lab"] } });
    const unknown = await link.call("nosuch", {}, new AbortController().signal).catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: "UNKNOWN_PROBE", status: 404 });
  });

  it("passes an abort to the running probe and rejects with the abort's reason", async () => {
    const { link } = inProcess();
    const controller = new AbortController();
    const call = link.call("waits", {}, controller.signal);
    await new Promise((r) => setTimeout(r, 5));
    const t0 = performance.now();
    controller.abort(new L7labError("CLIENT_GONE", 499, "the client closed the connection"));
    await expect(call).rejects.toMatchObject({ code: "CLIENT_GONE", status: 499 });
    expect(sawAbort).toMatchObject({ code: "CLIENT_GONE" });
    // The prober's answer ended the call, not the link giving up after its 2 s of grace.
    expect(performance.now() - t0).toBeLessThan(1_000);
  });

  it("stops waiting for the prober's process to start when the call is aborted meanwhile, and sends nothing", async () => {
    let sent = 0;
    const { link } = inProcess({ openDelayMs: 100, onWrite: () => (sent++, undefined) });
    const controller = new AbortController();
    const call = link.call("echo", { text: "late" }, controller.signal);
    setTimeout(() => controller.abort(new Error("aborted while starting")), 10);
    await expect(call).rejects.toThrow("aborted while starting");
    await new Promise((r) => setTimeout(r, 150));
    expect(sent).toBe(0);
  });

  it("fails the waiting calls with PROBER_GONE when the prober's process goes, and starts a new one at the next call", async () => {
    const { link, opened, sessions } = inProcess();
    await link.call("echo", { text: "a" }, new AbortController().signal);
    const waiting = link.call("waits", {}, new AbortController().signal);
    await new Promise((r) => setTimeout(r, 5));
    sessions[0]!.close("its process exited");
    await expect(waiting).rejects.toMatchObject({ code: "PROBER_GONE", status: 502, message: expect.stringContaining("its process exited") });
    expect(opened()).toBe(1);
    await expect(link.call("echo", { text: "b" }, new AbortController().signal)).resolves.toMatchObject({ ok: true });
    expect(opened()).toBe(2);
  });

  it("does not believe a prober that answers out of shape, and drops one that sends an endless line", async () => {
    // A reply that is not a message (a library that printed to stdout) is ignored; the call waits on.
    const junk = inProcess({ onWrite: (text) => (text.includes('"t":"run"') ? "hello from a library\n" : undefined) });
    const controller = new AbortController();
    const call = junk.link.call("echo", { text: "x" }, controller.signal);
    setTimeout(() => controller.abort(new Error("gave up")), 20);
    await expect(call).rejects.toThrow("gave up");
    // A line past the bound ends the session.
    const endless = inProcess({ onWrite: (text) => (text.includes('"t":"run"') ? "x".repeat(5000) : undefined) });
    await expect(endless.link.call("echo", { text: "x" }, new AbortController().signal)).rejects.toMatchObject({ code: "PROBER_GONE", message: expect.stringContaining("longer than 4096 bytes") });
  });

  it("keeps a remote probe's name, schema and load-time check local", async () => {
    const { link } = inProcess();
    const remote = remoteProbe(echo, link);
    expect([remote.name, remote.description, remote.paramsSchema]).toEqual([echo.name, echo.description, echo.paramsSchema]);
    expect(remote.check!({ text: "bad" } as never, { topology: {} as never, earlierStepIds: [] })).toEqual(["text must not be bad"]);
    await expect(remote.run({ text: "r" } as never, { signal: new AbortController().signal } as ProbeContext)).resolves.toMatchObject({ data: { echoed: { text: "r" } } });
  });
});

describe("the prober's messages", () => {
  it("are one marked JSON line each; other lines are not messages", () => {
    const line = encode({ t: "ready", probes: ["dns"] });
    expect(line.startsWith(MARKER) && line.endsWith("\n") && line.split("\n").length === 2).toBe(true);
    expect(decode(line.trimEnd())).toEqual({ t: "ready", probes: ["dns"] });
    expect(decode("Debugger listening")).toBeUndefined();
    expect(() => decode(`${MARKER}{not json`)).toThrow();
  });

  it("are checked for shape before the controller acts on them", () => {
    expect(asFromProber({ t: "done", id: 1, outcome: { ok: true, data: 1, transcript: [] } })).toBeDefined();
    for (const bad of [null, [], { t: "done", id: "1", outcome: { ok: true, transcript: [] } }, { t: "done", id: 1, outcome: { ok: "yes", transcript: [] } }, { t: "fail", id: 1, error: {} }, { t: "other", id: 1 }, { t: "ready", probes: [1] }]) {
      expect(asFromProber(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it("carry an error's code and status; an error without them stays a plain error", () => {
    const back = fromWire(toWire(new L7labError("PROBE_TIMEOUT", 504, "no answer", { server: "x" })));
    expect(back).toBeInstanceOf(L7labError);
    expect(back).toMatchObject({ code: "PROBE_TIMEOUT", status: 504, message: "no answer", details: { server: "x" } });
    const plain = fromWire(toWire(new TypeError("boom")));
    expect(plain).not.toBeInstanceOf(L7labError);
    expect(plain).toMatchObject({ name: "TypeError", message: "boom" });
    // A status no probe error has (a 200 here) is not taken: PROBER_ERROR, 502.
    expect(fromWire({ name: "X", message: "m", code: "OK", status: 200 })).toMatchObject({ code: "PROBER_ERROR", status: 502 });
  });
});

describe("what the controller takes from a prober it does not trust", () => {
  it("an outcome whose transcript lines or error are out of shape is not a message", () => {
    const done = (outcome: unknown) => asFromProber({ t: "done", id: 1, outcome });
    expect(done({ ok: true, data: null, transcript: [{ dir: "C", peer: "p", text: "t", atMs: 1 }] })).toBeDefined();
    for (const bad of [
      { ok: true, data: 1, transcript: [null] },
      { ok: true, data: 1, transcript: [{}] },
      { ok: true, data: 1, transcript: [{ dir: "X", peer: "p", text: "t", atMs: 1 }] },
      { ok: true, data: 1, transcript: [{ dir: "C", peer: "p", text: 5, atMs: 1 }] },
      { ok: false, data: 1, error: "boom", transcript: [] },
      { ok: true, transcript: [] },
    ]) expect(done(bad), JSON.stringify(bad)).toBeUndefined();
  });

  it("an error's status must be one a probe's error has, its code a word, and its details plain values without API directives", () => {
    expect(fromWire({ name: "X", message: "m", code: "EVIL", status: 429, details: { retryAfterS: 999999 } })).toMatchObject({ code: "PROBER_ERROR", status: 502 });
    expect(fromWire({ name: "X", message: "m", code: "not a code", status: 400 })).toMatchObject({ code: "PROBER_ERROR", status: 502 });
    const kept = fromWire({ name: "InvalidInputError", message: "m", code: "INVALID_INPUT", status: 400, details: { problems: ["a"], retryAfterS: 5, nested: { x: 1 }, "bad key": 1 } });
    expect(kept).toMatchObject({ code: "INVALID_INPUT", status: 400, details: { problems: ["a"] } });
    expect((kept as L7labError).details).toEqual({ problems: ["a"] });
  });
});

describe("LineSplitter", () => {
  it("splits on LF across chunks, drops a CR before it, and bounds a line's length", () => {
    const lines: string[] = [];
    const s = new LineSplitter(10, (l) => lines.push(l));
    s.push(Buffer.from("ab"));
    s.push(Buffer.from("c\r\nde\n\nf"));
    s.push(Buffer.from("g\n"));
    expect(lines).toEqual(["abc", "de", "", "fg"]);
    expect(() => s.push(Buffer.from("x".repeat(11)))).toThrow(LineTooLongError);
  });
});
