import { once } from "node:events";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../common/clock.ts";
import { InvalidInputError } from "../../common/errors.ts";
import { PATIENT_TIMEOUT_MS } from "../../common/testing/timing.ts";
import type { DockerAdapter } from "../../docker/docker-adapter.ts";
import { Topology, type ServiceSpec } from "../../lab/topology.ts";
import type { ProbeContext } from "../probe.ts";
import { webpageProbe, type WebpageParams } from "./webpage-probe.ts";

const service = (name: string, ipv4: string, hostnames: string[] = []): ServiceSpec => ({
  name, role: "web", hostnames, description: "", networks: [{ network: "lab", ipv4 }],
});
const topology = new Topology("l7lab", [service("web", "127.0.0.1", ["www.someschool.edu"]), service("outside", "198.51.100.7", ["www.outside.example"])], [
  { name: "lab", subnet: "10.0.0.0/24", internal: true, private: false, description: "" },
]);
const context = (signal = new AbortController().signal): ProbeContext => ({ signal, clock: systemClock, topology, docker: {} as DockerAdapter, stepStartedAt: () => undefined });

const PAGE = `<html><body><img src="a.gif"><img src="/b.gif"><img src="http://cdn.example/c.gif"><script src="d.js"></script></body></html>`;

/**
 * A bare HTTP/1.1 server over net: it records each connection's requests, and answers a
 * connection's requests only once `hold` of them have arrived on it (so a client that does not
 * pipeline waits for ever), then one at a time, in order, keeping the connection unless asked
 * to close.
 */
interface Server {
  port: number;
  connections: string[][];
  close(): Promise<void>;
}
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function serve(options: { hold?: (connection: number, seen: number) => number; status?: (path: string) => number } = {}): Promise<Server> {
  const connections: string[][] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    const requests: string[] = [];
    connections.push(requests);
    const index = connections.length;
    let buffer = "";
    let answered = 0;
    const closes: boolean[] = [];
    socket.on("data", (chunk) => {
      buffer += chunk.toString("latin1");
      for (let end = buffer.indexOf("\r\n\r\n"); end >= 0; end = buffer.indexOf("\r\n\r\n")) {
        const head = buffer.slice(0, end);
        buffer = buffer.slice(end + 4);
        requests.push(head.split(" ")[1]!);
        closes.push(/\r\nconnection: close/i.test(head));
      }
      // Answer in batches: the next `hold` pending requests once they have all arrived.
      for (let need = options.hold?.(index, answered) ?? 1; requests.length - answered >= need; need = options.hold?.(index, answered) ?? 1) {
        for (const stop = answered + need; answered < stop; ) {
          const path = requests[answered]!;
          const body = path.endsWith(".html") ? PAGE : "x".repeat(40);
          const status = options.status?.(path) ?? 200;
          const close = closes[answered]!;
          socket.write(`HTTP/1.1 ${status} ${status === 200 ? "OK" : "Not Found"}\r\ncontent-length: ${body.length}\r\n${close ? "connection: close\r\n" : ""}\r\n${body}`);
          answered++;
          if (close) {
            socket.end();
            return;
          }
        }
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const s: Server = {
    port: (server.address() as net.AddressInfo).port,
    connections,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  servers.push(s);
  return s;
}

const run = (params: WebpageParams, ctx = context()) => webpageProbe.run({ timeoutMs: PATIENT_TIMEOUT_MS, ...params }, ctx);
const url = (port: number) => `http://www.someschool.edu:${port}/page.html`;

describe("the web page probe", () => {
  it("non-persistent: a connection for the page and one per object, each asking to close", async () => {
    const s = await serve();
    const out = await run({ url: url(s.port), mode: "non-persistent" });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ status: 200, referenced: 3, objects: 3, connections: 4, failed: 0, modelRoundTrips: 8, skipped: ["http://cdn.example/c.gif"] });
    expect(s.connections).toEqual([["/page.html"], ["/a.gif"], ["/b.gif"], ["/d.js"]]);
    expect(out.data.requests.map((r) => r.connection)).toEqual([1, 2, 3, 4]);
    expect(out.data.bytes).toBe(PAGE.length + 3 * 40);
  });

  it("persistent: everything over one connection, one request at a time", async () => {
    const s = await serve();
    const out = await run({ url: url(s.port), mode: "persistent" });
    expect(out.data).toMatchObject({ objects: 3, connections: 1, modelRoundTrips: 5 });
    expect(s.connections).toEqual([["/page.html", "/a.gif", "/b.gif", "/d.js"]]);
    expect(out.data.requests.map((r) => r.connection)).toEqual([1, 1, 1, 1]);
    const [, ...objects] = out.data.requests;
    for (let i = 1; i < objects.length; i++) expect(objects[i]!.startMs).toBeGreaterThanOrEqual(objects[i - 1]!.endMs);
  });

  it("pipelined: every object requested before the first answer (the server holds its answers until all three are in)", async () => {
    // The first request on the connection (the page) is answered at once; then the server waits for all three objects.
    const s = await serve({ hold: (_c, answered) => (answered === 0 ? 1 : 3) });
    const out = await run({ url: url(s.port), mode: "pipelined", timeoutMs: 5_000 });
    expect(out.ok, JSON.stringify(out.error)).toBe(true);
    expect(out.data).toMatchObject({ objects: 3, connections: 1, modelRoundTrips: 3 });
    expect(s.connections).toEqual([["/page.html", "/a.gif", "/b.gif", "/d.js"]]);
    expect(out.data.requests.map((r) => r.connection)).toEqual([1, 1, 1, 1]);
  });

  it("a persistent client that waits for each answer does not get past a server that holds them (the pipelined test can fail)", async () => {
    const s = await serve({ hold: (_c, answered) => (answered === 0 ? 1 : 3) });
    const out = await run({ url: url(s.port), mode: "persistent", timeoutMs: 800 });
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_TIMEOUT");
    expect(out.error?.message).toMatch(/within 800 ms/);
  });

  it("maxObjects limits the objects; an object's 404 is counted, not an error", async () => {
    const s = await serve({ status: (p) => (p === "/a.gif" ? 404 : 200) });
    const out = await run({ url: url(s.port), mode: "persistent", maxObjects: 2 });
    expect(out.data).toMatchObject({ referenced: 3, objects: 2, failed: 1 });
  });

  it("a base page that is not 2xx has no objects", async () => {
    const s = await serve({ status: () => 404 });
    const out = await run({ url: url(s.port), mode: "pipelined" });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ status: 404, objects: 0, failed: 1, connections: 1 });
  });

  it("refuses a mode it does not know, and a server outside the lab, naming the choices", async () => {
    await expect(run({ url: url(80), mode: "parallel" as never })).rejects.toThrow(InvalidInputError);
    await expect(run({ url: url(80), mode: "parallel" as never })).rejects.toThrow(/"non-persistent", "persistent", "pipelined"/);
    const problems = webpageProbe.check!({ url: "http://www.outside.example/", mode: "persistent" }, { topology, earlierStepIds: [] });
    expect(problems.join("\n")).toMatch(/www\.outside\.example/);
  });

  it("a closed port is a network error with the server named", async () => {
    const s = await serve();
    const port = s.port;
    await s.close();
    servers.splice(0);
    const out = await run({ url: url(port), mode: "persistent" });
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_NETWORK");
    expect(out.error?.message).toContain(`127.0.0.1:${port}`);
  });
});
