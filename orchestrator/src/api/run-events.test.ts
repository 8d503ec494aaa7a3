import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { systemClock } from "../common/clock.ts";
import { ScenarioEngine } from "../engine/engine.ts";
import type { RunRecord } from "../engine/run-types.ts";
import { ManualFaults } from "../faults/manual-faults.ts";
import type { ProbeOutcome } from "../probes/probe.ts";
import { ProbeRegistry } from "../probes/registry.ts";
import { ScenarioCatalog } from "../scenarios/catalog.ts";
import { constantProbe, FakeDocker, fakeProbe, SERVICES, testTopology, VirtualClock } from "../scenarios/testing/fakes.ts";
import { SESSION_COOKIE, sessionValue } from "./access.ts";
import { buildApp } from "./app.ts";

// GET /api/runs/:id/events over a real socket, as the web UI's EventSource reads it: the run
// record now and at each change, then `event: end`, then the stream closes. A real ScenarioEngine
// over a fake Docker; the "gate" probe answers when the test opens its gate.
const TOKEN = "events-test-token";

interface SseMessage {
  event: string;
  data: string;
}

/** Reads Server-Sent Events off a fetch body, one message at a time; undefined once the stream has ended. */
class SseReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = "";
  /** Comment lines seen (": ping"). */
  readonly comments: string[] = [];

  constructor(body: ReadableStream<Uint8Array>) {
    this.#reader = body.getReader();
  }

  async next(timeoutMs = 5_000): Promise<SseMessage | undefined> {
    for (;;) {
      const end = this.#buffer.indexOf("\n\n");
      if (end >= 0) {
        const block = this.#buffer.slice(0, end);
        this.#buffer = this.#buffer.slice(end + 2);
        const message = { event: "message", data: [] as string[] };
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) this.comments.push(line);
          else if (line.startsWith("event: ")) message.event = line.slice(7);
          else if (line.startsWith("data: ")) message.data.push(line.slice(6));
        }
        if (message.data.length === 0 && message.event === "message") continue;
        return { event: message.event, data: message.data.join("\n") };
      }
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([
        this.#reader.read(),
        new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(new Error(`no event within ${timeoutMs} ms; have ${JSON.stringify(this.#buffer)}`)), timeoutMs))),
      ]).finally(() => clearTimeout(timer));
      if (chunk.done) {
        expect(this.#buffer, "nothing left half-sent when the stream ends").toBe("");
        return undefined;
      }
      this.#buffer += this.#decoder.decode(chunk.value, { stream: true });
    }
  }

  /** The messages up to and including `event: end`, and then that the stream has ended. */
  async rest(): Promise<SseMessage[]> {
    const messages: SseMessage[] = [];
    for (let m = await this.next(); m !== undefined; m = await this.next()) messages.push(m);
    return messages;
  }

  cancel(): Promise<void> {
    return this.#reader.cancel();
  }
}

/** A free port on 127.0.0.1, for the app's Host allowlist before it listens there. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const shape = (r: RunRecord) => `${r.status}: ${r.steps.map((s) => `${s.id}=${s.status}`).join(",")}`;

describe("GET /api/runs/:id/events", () => {
  let app: FastifyInstance;
  let dir: string;
  let base: string;
  let engine: ScenarioEngine;
  const gates: (() => void)[] = [];
  const cookie = `${SESSION_COOKIE}=${sessionValue(TOKEN)}`;

  /** Opens the oldest closed gate, once a run has reached it. */
  const open = async () => {
    await vi.waitFor(() => expect(gates.length).toBeGreaterThan(0), { timeout: 5_000, interval: 5 });
    gates.shift()!();
  };
  const startRun = async (scenario = "two"): Promise<RunRecord> => {
    const res = await fetch(`${base}/api/scenarios/${scenario}/runs`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(202);
    return (await res.json()) as RunRecord;
  };
  /** The events of a run as the web UI asks for them: with the session cookie, from its own origin. */
  const events = (id: string, headers: Record<string, string> = { cookie }) => fetch(`${base}/api/runs/${encodeURIComponent(id)}/events`, { headers: { accept: "text/event-stream", ...headers } });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "l7lab-events-"));
    await writeFile(join(dir, "two.yaml"), "name: two\ntitle: two steps, the first waits\nsteps:\n  - id: wait\n    probe: gate\n  - id: check\n    probe: fixed\n    expect: [{ path: answer, equals: 42 }]\n");
    await writeFile(join(dir, "quick.yaml"), "name: quick\ntitle: one step at once\nsteps:\n  - id: check\n    probe: fixed\n");
    const gate = fakeProbe("gate", () => new Promise<ProbeOutcome>((resolve) => gates.push(() => resolve({ ok: true, data: { opened: true }, transcript: [] }))));
    const registry = new ProbeRegistry([gate, constantProbe("fixed", { answer: 42 })]);
    const topology = testTopology();
    const docker = Object.assign(new FakeDocker([...SERVICES]), { project: "l7lab", ping: () => Promise.resolve(true) });
    engine = new ScenarioEngine({ registry, docker, topology, clock: new VirtualClock() });
    const port = await freePort();
    app = await buildApp({
      docker, topology, registry, engine,
      catalog: await ScenarioCatalog.load(dir, { registry, topology }),
      faults: new ManualFaults(docker, topology, systemClock),
      access: { token: () => TOKEN, ports: [port] },
    });
    await app.listen({ host: "127.0.0.1", port });
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("streams a running run: its record now, again at each step's start and end and at the run's end, then `event: end`, then closes", async () => {
    const run = await startRun();
    const res = await events(run.id);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const stream = new SseReader(res.body!);

    const first = await stream.next();
    expect(first?.event).toBe("message");
    const now = JSON.parse(first!.data) as RunRecord;
    expect(now).toMatchObject({ id: run.id, scenario: "two", status: "running" });
    expect(shape(now)).toBe("running: wait=running,check=pending");

    await open();
    const rest = await stream.rest();
    expect(rest.at(-1)?.event, "the last message").toBe("end");
    const records = rest.slice(0, -1).map((m) => {
      expect(m.event).toBe("message");
      return JSON.parse(m.data) as RunRecord;
    });
    expect(records.map(shape)).toEqual([
      "running: wait=passed,check=pending",
      "running: wait=passed,check=running",
      "running: wait=passed,check=passed",
      "passed: wait=passed,check=passed",
    ]);
    expect(records[0]!.steps[0]).toMatchObject({ result: { opened: true } });
    const final = await (await fetch(`${base}/api/runs/${run.id}`, { headers: { cookie } })).json();
    expect(records.at(-1), "the last record is the run as GET /api/runs/:id gives it").toEqual(final);
  });

  it("streams a finished run as one record, then `event: end`, then closes", async () => {
    const run = await startRun("quick");
    const done = await (await fetch(`${base}/api/runs/${run.id}?wait=true`, { headers: { cookie } })).json();
    expect(done).toMatchObject({ status: "passed" });
    const stream = new SseReader((await events(run.id)).body!);
    const messages = await stream.rest();
    expect(messages.map((m) => m.event)).toEqual(["message", "end"]);
    expect(JSON.parse(messages[0]!.data)).toEqual(done);
  });

  it("streams a queued run from `queued`, and ends it at once when it is aborted", async () => {
    const blocker = await startRun();
    const queued = await startRun();
    expect(queued.status).toBe("queued");
    const stream = new SseReader((await events(queued.id)).body!);
    expect(shape(JSON.parse((await stream.next())!.data) as RunRecord)).toBe("queued: wait=pending,check=pending");
    const aborted = await fetch(`${base}/api/runs/${queued.id}/abort`, { method: "POST", headers: { cookie, origin: base, "content-type": "application/json" }, body: "{}" });
    expect(aborted.status).toBe(200);
    const rest = await stream.rest();
    expect(rest.map((m) => m.event)).toEqual(["message", "end"]);
    expect(JSON.parse(rest[0]!.data)).toMatchObject({ status: "aborted", error: { code: "RUN_ABORTED" } });
    await open();
    expect(await (await fetch(`${base}/api/runs/${blocker.id}?wait=true`, { headers: { cookie } })).json()).toMatchObject({ status: "passed" });
  });

  it("answers an unknown run with a 404 in JSON, before any stream", async () => {
    const res = await events("nope1234");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await res.json()).toMatchObject({ statusCode: 404, error: "RUN_NOT_FOUND" });
  });

  it("wants the session or the token, and the API's own origin", async () => {
    const run = await startRun("quick");
    const none = await events(run.id, {});
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: "UNAUTHORIZED" });
    const foreign = await events(run.id, { cookie, origin: "http://evil.example" });
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ error: "ORIGIN_NOT_ALLOWED" });
    const bearer = await events(run.id, { authorization: `Bearer ${TOKEN}` });
    expect(bearer.status).toBe(200);
    expect((await new SseReader(bearer.body!).rest()).map((m) => m.event)).toEqual(["message", "end"]);
  });

  it("stops watching the run when the client goes away, and the run goes on", async () => {
    const watch = engine.watch.bind(engine);
    let watching = 0;
    const spy = vi.spyOn(engine, "watch").mockImplementation((id, listener) => {
      watching++;
      const stop = watch(id, listener);
      return () => {
        watching--;
        stop();
      };
    });
    try {
      const run = await startRun();
      const stream = new SseReader((await events(run.id)).body!);
      expect((await stream.next())?.event).toBe("message");
      expect(watching).toBe(1);
      await stream.cancel();
      await vi.waitFor(() => expect(watching, "the stream's listener is gone").toBe(0), { timeout: 5_000, interval: 10 });
      await open();
      expect(await (await fetch(`${base}/api/runs/${run.id}?wait=true`, { headers: { cookie } })).json()).toMatchObject({ status: "passed" });
      expect((await fetch(`${base}/api/health`)).status).toBe(200);
    } finally {
      spy.mockRestore();
    }
  });

  it("serves two streams of the same run alike", async () => {
    const run = await startRun();
    const a = new SseReader((await events(run.id)).body!);
    const b = new SseReader((await events(run.id, { authorization: `Bearer ${TOKEN}` })).body!);
    await a.next();
    await b.next();
    await open();
    const [restA, restB] = await Promise.all([a.rest(), b.rest()]);
    expect(restA).toEqual(restB);
    expect(restA.map((m) => m.event)).toEqual(["message", "message", "message", "message", "end"]);
  });
});
