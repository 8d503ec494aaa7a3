import { once } from "node:events";
import http from "node:http";
import net from "node:net";

/** Test servers on 127.0.0.1 only: an HTTP server that records what it was asked, and raw TCP ones. */

export interface SeenRequest {
  method: string;
  /** The request target as sent: "/x" (origin form) or "http://host/x" (absolute form). */
  target: string;
  httpVersion: string;
  /** Header names as sent, with their values, in order. */
  rawHeaders: [string, string][];
  headers: http.IncomingHttpHeaders;
}

export interface FakeResponse {
  status: number;
  statusText?: string;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
}

export type FakeHandler = (req: SeenRequest) => FakeResponse;

export interface FakeHttpServer {
  port: number;
  seen: SeenRequest[];
  close(): Promise<void>;
}

const pairs = (raw: string[]): [string, string][] => {
  const out: [string, string][] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) out.push([raw[i]!, raw[i + 1]!]);
  return out;
};

/** An HTTP/1.1 server on 127.0.0.1 (a random port) answering with `handler`. */
export async function startFakeHttpServer(handler: FakeHandler): Promise<FakeHttpServer> {
  const seen: SeenRequest[] = [];
  const server = http.createServer((req, res) => {
    const request: SeenRequest = { method: req.method ?? "", target: req.url ?? "", httpVersion: req.httpVersion, rawHeaders: pairs(req.rawHeaders), headers: req.headers };
    seen.push(request);
    const answer = handler(request);
    res.statusCode = answer.status;
    if (answer.statusText !== undefined) res.statusMessage = answer.statusText;
    for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value);
    res.end(answer.body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    seen,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A TCP server on 127.0.0.1 that does `onConnection` with each socket: write nothing (a server
 * that never answers), or write something that is not HTTP.
 */
export async function startRawServer(onConnection: (socket: net.Socket) => void): Promise<FakeHttpServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    onConnection(socket);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    seen: [],
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
