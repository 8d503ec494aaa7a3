import { createHash } from "node:crypto";
import { isIP } from "node:net";
import type { Dispatcher } from "undici";
import { InvalidInputError, ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import { labServerAddress, serverProblems } from "../lab-server.ts";
import { undici } from "../libraries.ts";
import type { Topology } from "../../lab/topology.ts";
import type { Probe, ProbeContext, ProbeOutcome } from "../probe.ts";
import { Transcript } from "../transcript.ts";
import { DEFAULT_TIMEOUT_MS, httpParamsSchema, type HttpProbeParams, type HttpTarget, paramProblems, parseProxy, parseTarget } from "./params.ts";
import { type HttpResult, MAX_INCLUDED_BODY_BYTES } from "./types.ts";
import { parseStatusLine, tappingConnector, type WireTap } from "./wire-tap.ts";

export type * from "./types.ts";
export { HTTP_METHODS, MAX_INCLUDED_BODY_BYTES } from "./types.ts";
export { DEFAULT_TIMEOUT_MS, httpParamsSchema, type HttpProbeParams, type HttpTarget, paramProblems, parseProxy, parseTarget } from "./params.ts";

const WHAT = "HTTP probe parameters";
type IncomingHttpHeaders = Dispatcher.ResponseData["headers"];
const EMPTY_SHA256 = createHash("sha256").digest("hex");

/** "addr:port", with brackets around an IPv6 address. */
const hostPort = (address: string, port: number) => (isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`);
const ms = (x: number) => Math.round(x * 10) / 10;

/** Lower-case names; repeated headers joined with ", ". */
export function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}

/** The fields derived from headers: the proxy's cache verdict, Age, Last-Modified, ETag. */
export function headerFacts(headers: Record<string, string>): Pick<HttpResult, "cache" | "age" | "lastModified" | "etag"> {
  const cache = headers["x-cache"] ?? headers["x-cache-status"];
  const age = headers["age"] !== undefined && /^\s*\d+\s*$/.test(headers["age"]) ? Number(headers["age"]) : undefined;
  return {
    ...(cache !== undefined ? { cache } : {}),
    ...(age !== undefined ? { age } : {}),
    ...(headers["last-modified"] !== undefined ? { lastModified: headers["last-modified"] } : {}),
    ...(headers["etag"] !== undefined ? { etag: headers["etag"] } : {}),
  };
}

interface Route {
  target: HttpTarget;
  /** Where the connection goes: the origin, or the proxy. */
  address: string;
  port: number;
  proxy?: string;
}

function route(params: HttpProbeParams, ctx: ProbeContext): Route {
  const target = parseTarget(params.url) as HttpTarget;
  const origin = labServerAddress(WHAT, target.hostname, ctx.topology);
  if (params.proxy === undefined) return { target, address: origin, port: target.port };
  const proxy = parseProxy(params.proxy) as { host: string; port: number };
  const address = labServerAddress(WHAT, proxy.host, ctx.topology);
  return { target, address, port: proxy.port, proxy: hostPort(address, proxy.port) };
}

/** An undici error that is a timeout of connecting, of the head or of the body. */
const isUndiciTimeout = (err: unknown) =>
  ["UND_ERR_CONNECT_TIMEOUT", "UND_ERR_HEADERS_TIMEOUT", "UND_ERR_BODY_TIMEOUT"].includes((err as { code?: unknown } | null)?.code as string);

function describe(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown; cause?: unknown } | null;
  const message = typeof e?.message === "string" ? e.message : String(err);
  const code = typeof e?.code === "string" && !message.includes(e.code) ? ` (${e.code})` : "";
  return message + code;
}

async function run(params: HttpProbeParams, ctx: ProbeContext): Promise<ProbeOutcome<HttpResult>> {
  const problems = paramProblems(params);
  if (problems.length > 0) throw new InvalidInputError(WHAT, problems);
  const { target, address, port, proxy } = route(params, ctx);
  const method = params.method ?? "GET";
  const timeoutMs = params.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const peer = hostPort(address, port);
  const server = proxy ? `proxy ${peer}` : `${target.hostHeader} (${peer})`;
  const requestTarget = proxy ? target.absolute : target.path;
  const transcript = new Transcript();
  const data: HttpResult = {
    url: target.absolute,
    method,
    via: proxy ? "proxy" : "direct",
    ...(proxy ? { proxy } : {}),
    status: 0,
    headers: {},
    bodyBytes: 0,
    sha256: EMPTY_SHA256,
    timing: { ttfbMs: 0, totalMs: 0 },
  };

  const tap: WireTap = {};
  const { Client, buildConnector } = await undici();
  const client = new Client(`http://${peer}`, {
    connect: tappingConnector(buildConnector({ timeout: timeoutMs }), tap),
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    pipelining: 1,
  });
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new ProbeTimeoutError("HTTP", server, timeoutMs, `${method} ${requestTarget}`)), timeoutMs);
  const signal = AbortSignal.any([ctx.signal, deadline.signal]);
  const started = performance.now();
  let headersAt: number | undefined;
  let requestLogged = false;
  const logRequest = () => {
    if (requestLogged) return;
    requestLogged = true;
    if (tap.requestHead !== undefined) {
      transcript.client(peer, tap.requestHead);
      return;
    }
    if (tap.sentAt === undefined) return; // nothing went out: no connection
    transcript.client(peer, `${method} ${requestTarget} HTTP/1.1`);
    transcript.client(peer, `host: ${target.hostHeader}`);
    for (const [name, value] of Object.entries(params.headers ?? {})) transcript.client(peer, `${name}: ${value}`);
  };

  try {
    const res = await client.request({
      method,
      path: requestTarget,
      headers: { host: target.hostHeader, ...params.headers },
      signal,
    });
    headersAt = performance.now();
    logRequest();
    data.status = res.statusCode;
    data.headers = flattenHeaders(res.headers);
    const status = parseStatusLine(tap.responseHead);
    const statusText = status.statusText ?? res.statusText;
    if (statusText) data.statusText = statusText;
    if (status.httpVersion !== undefined) data.httpVersion = status.httpVersion;
    if (tap.responseHead !== undefined) {
      transcript.server(peer, tap.responseHead);
    } else {
      transcript.server(peer, `HTTP/${data.httpVersion ?? "1.1"} ${res.statusCode}${statusText ? " " + statusText : ""}`);
      for (const [name, value] of Object.entries(data.headers)) transcript.server(peer, `${name}: ${value}`);
    }
    Object.assign(data, headerFacts(data.headers));

    const hash = createHash("sha256");
    const kept: Buffer[] = [];
    let keptBytes = 0;
    for await (const chunk of res.body as AsyncIterable<Buffer>) {
      hash.update(chunk);
      data.bodyBytes += chunk.length;
      if (params.includeBody && keptBytes <= MAX_INCLUDED_BODY_BYTES) {
        kept.push(chunk);
        keptBytes += chunk.length;
      }
    }
    const ended = performance.now();
    data.sha256 = hash.digest("hex");
    if (params.includeBody) {
      if (data.bodyBytes <= MAX_INCLUDED_BODY_BYTES) data.body = Buffer.concat(kept).toString("utf8");
      else data.bodyOmitted = `the body is ${data.bodyBytes} bytes, more than ${MAX_INCLUDED_BODY_BYTES}`;
    }
    const sentAt = tap.sentAt ?? started;
    const totalMs = ended - sentAt;
    data.timing = {
      ttfbMs: ms((tap.firstByteAt ?? headersAt) - sentAt),
      totalMs: ms(totalMs),
      ...(data.bodyBytes > 0 && totalMs > 0 ? { goodputKbit: Math.round(((data.bodyBytes * 8) / totalMs) * 10) / 10 } : {}),
    };
    transcript.note(peer, `${data.bodyBytes} body bytes; status line after ${data.timing.ttfbMs} ms, end of body after ${data.timing.totalMs} ms`);
    return { ok: true, data, transcript: transcript.lines };
  } catch (err) {
    logRequest();
    if (ctx.signal.aborted) throw ctx.signal.reason ?? err;
    let failure: ProbeTimeoutError | ProbeNetworkError;
    if (deadline.signal.aborted || isUndiciTimeout(err)) {
      const what = headersAt === undefined ? `${method} ${requestTarget}` : `${method} ${requestTarget} (the body)`;
      failure = new ProbeTimeoutError("HTTP", server, timeoutMs, what);
    } else {
      failure = new ProbeNetworkError("HTTP", server, describe(err), { cause: err });
    }
    const sentAt = tap.sentAt ?? started;
    data.timing = { ttfbMs: tap.firstByteAt !== undefined ? ms(tap.firstByteAt - sentAt) : 0, totalMs: ms(performance.now() - sentAt) };
    transcript.note(peer, failure.message);
    return { ok: false, data, error: { code: failure.code, message: failure.message }, transcript: transcript.lines };
  } finally {
    clearTimeout(timer);
    await client.destroy().catch(() => undefined);
  }
}

/**
 * Load-time check that the URL's host and the proxy (when there is one) are lab servers: the
 * problems, or none. A URL or proxy that does not parse is paramProblems' to report.
 */
export function labTargetProblems(what: string, url: string, proxy: string | undefined, topology: Topology): string[] {
  const problems: string[] = [];
  const target = parseTarget(url);
  if (typeof target !== "string") problems.push(...serverProblems(what, target.hostname, topology));
  if (proxy !== undefined) {
    const parsed = parseProxy(proxy);
    if (typeof parsed !== "string") problems.push(...serverProblems(what, parsed.host, topology));
  }
  return problems;
}

/**
 * The HTTP probe: one GET or HEAD, straight to the origin or through a forward proxy (then with
 * the absolute-form request target, as a browser configured with a proxy sends it, so the proxy
 * can cache). Every HTTP status, a 404, a 304 or a proxy's 502 included, is a result (`ok: true`);
 * `ok: false` means the exchange could not happen: no connection, a timeout, an answer that is
 * not HTTP.
 */
export const httpProbe: Probe<typeof httpParamsSchema, HttpResult> = {
  name: "http",
  description: "Sends one HTTP GET or HEAD (with optional conditional/cache headers), directly or through a forward proxy in absolute form; reports status, headers, body hash, cache verdict and timing.",
  paramsSchema: httpParamsSchema,
  check(params, ctx) {
    return [...paramProblems(params), ...labTargetProblems(WHAT, params.url, params.proxy, ctx.topology)];
  },
  run,
};
