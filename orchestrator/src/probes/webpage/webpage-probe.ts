import { isIP } from "node:net";
import { Type, type Static } from "typebox";
import type { Client as UndiciClient } from "undici";
import { InvalidInputError, ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import { labTargetProblems } from "../http/http-probe.ts";
import { parseTarget, type HttpTarget } from "../http/params.ts";
import { labServerAddress } from "../lab-server.ts";
import { undici } from "../libraries.ts";
import type { Probe, ProbeContext, ProbeOutcome } from "../probe.ts";
import { Transcript } from "../transcript.ts";
import { MAX_OBJECTS, modelRoundTrips, PAGE_MODES, type PageMode, pageReferences } from "./page.ts";

export { MAX_OBJECTS, modelRoundTrips, PAGE_MODES, type PageMode, pageReferences } from "./page.ts";

const WHAT = "web page probe parameters";
export const DEFAULT_PAGE_TIMEOUT_MS = 30_000;
/** A base page larger than this is refused: the probe reads it whole to find its objects. */
export const MAX_BASE_BYTES = 1024 * 1024;

export const webpageParamsSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, description: 'The base page, "http://host[:port]/path"; host is a compose service, a lab host name or an address' }),
    mode: Type.Enum([...PAGE_MODES], {
      description:
        '"non-persistent": a new connection for the base page and for each object, one after another (HTTP/1.0 style, Connection: close); "persistent": one connection, each request sent when the previous answer has arrived; "pipelined": one connection, every object requested at once after the base page',
    }),
    maxObjects: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_OBJECTS, description: `Fetch at most this many of the page's objects (default: all, up to ${MAX_OBJECTS})` })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 120_000, description: `Timeout of the whole page, base and objects (default ${DEFAULT_PAGE_TIMEOUT_MS})` })),
  },
  { additionalProperties: false },
);

export type WebpageParams = Static<typeof webpageParamsSchema>;

export interface PageRequest {
  /** The request target (path and query). */
  target: string;
  status: number;
  bytes: number;
  /** The connection it went over, by the order the probe opened them: 1 for the first (a reconnect by the library is not seen). */
  connection: number;
  /** When the request was handed to the connection, and when the last byte of its body arrived: ms since the base page was asked for. */
  startMs: number;
  endMs: number;
}

export interface WebpageResult {
  url: string;
  mode: PageMode;
  /** The server, "address:port". */
  server: string;
  /** The base page's status. */
  status: number;
  /** How many objects the page references on its own server, and how many were fetched. */
  referenced: number;
  objects: number;
  /** References to other hosts, not fetched. */
  skipped: string[];
  /** TCP connections the probe began (connect attempts, a refused one included). */
  connections: number;
  /** Body bytes of the base page and the objects. */
  bytes: number;
  /** Answers that were not 2xx (the base page's included). */
  failed: number;
  /** From asking for the base page (its connection's handshake included) to the last byte of the last object. */
  totalMs: number;
  /** The base page alone (its connection's handshake included). */
  baseMs: number;
  /** The slides' model for this mode and number of objects, in round trips. */
  modelRoundTrips: number;
  requests: PageRequest[];
}

const hostPort = (address: string, port: number) => (isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`);
const ms = (x: number) => Math.round(x * 10) / 10;

function paramProblems(params: WebpageParams): string[] {
  const target = parseTarget(params.url);
  const problems = typeof target === "string" ? [target] : [];
  if (!(PAGE_MODES as readonly string[]).includes(params.mode)) problems.push(`mode "${String(params.mode)}" is not one of ${PAGE_MODES.map((m) => `"${m}"`).join(", ")}`);
  return problems;
}

async function run(params: WebpageParams, ctx: ProbeContext): Promise<ProbeOutcome<WebpageResult>> {
  const problems = paramProblems(params);
  if (problems.length > 0) throw new InvalidInputError(WHAT, problems);
  const target = parseTarget(params.url) as HttpTarget;
  const address = labServerAddress(WHAT, target.hostname, ctx.topology);
  const peer = hostPort(address, target.port);
  const server = `${target.hostHeader} (${peer})`;
  const timeoutMs = params.timeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS;
  const mode = params.mode;
  const transcript = new Transcript();
  // Set when the first request is handed over, after the client library is loaded and built.
  let started = performance.now();
  const since = (t: number) => ms(t - started);
  const data: WebpageResult = {
    url: target.absolute, mode, server: peer, status: 0, referenced: 0, objects: 0, skipped: [], connections: 0, bytes: 0, failed: 0,
    totalMs: 0, baseMs: 0, modelRoundTrips: 0, requests: [],
  };

  const { Client, buildConnector } = await undici();
  const connector = buildConnector({ timeout: timeoutMs });
  const clients: UndiciClient[] = [];
  /** A client whose connections are counted; `pipelining` requests may be outstanding on it. */
  const newClient = (pipelining: number) => {
    const client = new Client(`http://${peer}`, {
      connect: (options, callback) => {
        data.connections++;
        transcript.note(peer, `connection ${data.connections}: TCP connect`);
        connector(options, callback);
      },
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      pipelining,
    });
    clients.push(client);
    return client;
  };

  const deadline = new AbortController();
  let current = "GET " + target.path;
  const timer = setTimeout(() => deadline.abort(new ProbeTimeoutError("HTTP", server, timeoutMs, `the page (${current})`)), timeoutMs);
  const signal = AbortSignal.any([ctx.signal, deadline.signal]);
  const close = mode === "non-persistent";

  const fetch = async (client: UndiciClient, path: string, keep: boolean): Promise<{ request: PageRequest; body?: string }> => {
    const startAt = performance.now();
    const connection = data.connections > 0 && !close ? data.connections : data.connections + 1;
    transcript.client(peer, `GET ${path} HTTP/1.1${close ? " (Connection: close)" : ""}`);
    // undici treats a GET as "blocking" (nothing pipelined behind it until its head arrives)
    // unless told otherwise: these are small static objects, so pipelined mode says so.
    const res = await client.request({ method: "GET", path, headers: { host: target.hostHeader }, reset: close, blocking: mode !== "pipelined", signal });
    transcript.server(peer, `HTTP/1.1 ${res.statusCode}${res.statusText ? " " + res.statusText : ""} (${path})`);
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (keep) {
        if (bytes > MAX_BASE_BYTES) throw new ProbeNetworkError("HTTP", server, `the base page is larger than ${MAX_BASE_BYTES} bytes; give a smaller page`);
        chunks.push(chunk);
      }
    }
    const request: PageRequest = { target: path, status: res.statusCode, bytes, connection, startMs: since(startAt), endMs: since(performance.now()) };
    data.requests.push(request);
    data.bytes += bytes;
    if (res.statusCode < 200 || res.statusCode > 299) data.failed++;
    return { request, ...(keep ? { body: Buffer.concat(chunks).toString("utf8") } : {}) };
  };

  try {
    const first = newClient(1);
    started = performance.now();
    const base = await fetch(first, target.path, true);
    data.status = base.request.status;
    data.baseMs = base.request.endMs;
    const refs = base.request.status >= 200 && base.request.status <= 299 ? pageReferences(base.body ?? "", target.absolute) : { objects: [], skipped: [] };
    const objects = refs.objects.slice(0, params.maxObjects ?? MAX_OBJECTS);
    data.referenced = refs.objects.length;
    data.skipped = refs.skipped;
    data.objects = objects.length;
    transcript.note(peer, `the page references ${refs.objects.length} object(s) on this server${refs.skipped.length ? ` and ${refs.skipped.length} elsewhere (not fetched)` : ""}; fetching ${objects.length}, ${mode}`);
    if (mode === "non-persistent") {
      for (const path of objects) {
        current = `GET ${path}`;
        await fetch(newClient(1), path, false);
      }
    } else if (mode === "persistent") {
      for (const path of objects) {
        current = `GET ${path}`;
        await fetch(first, path, false);
      }
    } else if (objects.length > 0) {
      current = `${objects.length} pipelined GETs`;
      // The base page's connection, now with every object outstanding at once.
      first.pipelining = objects.length;
      await Promise.all(objects.map((path) => fetch(first, path, false)));
    }
    data.totalMs = since(performance.now());
    data.modelRoundTrips = modelRoundTrips(mode, objects.length);
    transcript.note(peer, `${data.objects} object(s), ${data.bytes} body bytes over ${data.connections} connection(s) in ${data.totalMs} ms`);
    return { ok: true, data, transcript: transcript.lines };
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? err;
    data.totalMs = since(performance.now());
    const failure =
      deadline.signal.aborted || /TIMEOUT/.test(String((err as { code?: unknown } | null)?.code))
        ? new ProbeTimeoutError("HTTP", server, timeoutMs, `the page (${current})`)
        : err instanceof ProbeNetworkError
          ? err
          : new ProbeNetworkError("HTTP", server, err instanceof Error ? err.message : String(err), { cause: err });
    transcript.note(peer, failure.message);
    return { ok: false, data, error: { code: failure.code, message: failure.message }, transcript: transcript.lines };
  } finally {
    clearTimeout(timer);
    await Promise.all(clients.map((c) => c.destroy().catch(() => undefined)));
  }
}

/**
 * The web page probe: the slides' non-persistent, persistent and pipelined HTTP, timed. It fetches
 * a base page, finds the objects it references on the same server (img/script src, link href) and
 * fetches them in the given mode over real TCP connections, counting the connections it opens.
 */
export const webpageProbe: Probe<typeof webpageParamsSchema, WebpageResult> = {
  name: "webpage",
  description:
    "Fetches a base page and the objects it references on the same server, non-persistent (a connection per object), persistent, or persistent with pipelining; reports the time, the connections opened and the slides' model in round trips.",
  paramsSchema: webpageParamsSchema,
  check(params, ctx) {
    return [...paramProblems(params), ...labTargetProblems(WHAT, params.url, undefined, ctx.topology)];
  },
  run,
};
