import { isIP } from "node:net";
import { Type, type Static } from "typebox";
import { HTTP_METHODS } from "./types.ts";

/** The parameters of the HTTP probe, and the checks a schema cannot express. */

export const DEFAULT_TIMEOUT_MS = 10_000;

export const httpParamsSchema = Type.Object(
  {
    url: Type.String({ minLength: 1, description: 'The URL to fetch, "http://host[:port]/path"; host is a compose service, a lab host name or an address' }),
    method: Type.Optional(Type.Enum([...HTTP_METHODS], { description: 'The request method: "GET" (default) or "HEAD"' })),
    headers: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: "Request headers to send, e.g. If-Modified-Since, If-None-Match, Cache-Control (the probe sets Host)" }),
    ),
    proxy: Type.Optional(Type.String({ minLength: 1, description: 'A forward proxy, "host:port" (e.g. "proxy.hamburger.edu:3128"); the request goes to it in absolute form' })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 120_000, default: DEFAULT_TIMEOUT_MS, description: "Timeout of the whole exchange: connecting, the response head and the body" })),
    includeBody: Type.Optional(Type.Boolean({ description: "Put the body in the result as UTF-8 text when it is at most 64 KiB" })),
  },
  { additionalProperties: false },
);

export type HttpProbeParams = Static<typeof httpParamsSchema>;

/** The parts of the URL the probe uses. */
export interface HttpTarget {
  /** The host as written, without IPv6 brackets: what is resolved with the topology. */
  hostname: string;
  port: number;
  /** The Host header value: host, and ":port" when it is not 80. */
  hostHeader: string;
  /** Path and query: the origin-form request target. */
  path: string;
  /** The absolute URL without fragment: the absolute-form request target (through a proxy). */
  absolute: string;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const stripBrackets = (host: string) => (host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host);

/** Parses an http:// URL; a string naming the problem when it is not one. */
export function parseTarget(url: string): HttpTarget | string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `url "${url}" is not a URL; write "http://host[:port]/path"`;
  }
  if (u.protocol !== "http:") return `url "${url}" is not http:// (the probe speaks plain HTTP only)`;
  if (u.hostname === "") return `url "${url}" has no host`;
  if (u.username !== "" || u.password !== "") return `url "${url}" must not carry user:password`;
  const port = u.port === "" ? 80 : Number(u.port);
  const path = (u.pathname || "/") + u.search;
  return { hostname: stripBrackets(u.hostname), port, hostHeader: u.host, path, absolute: `http://${u.host}${path}` };
}

/** Parses "host:port" (or "[v6]:port"); a string naming the problem when it is not that. */
export function parseProxy(proxy: string): { host: string; port: number } | string {
  const m = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]/\s]+):(\d{1,5})$/.exec(proxy);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port < 1 || port > 65535) return `proxy "${proxy}" is not "host:port" (e.g. "proxy.hamburger.edu:3128")`;
  const host = stripBrackets(m[1]!);
  if (m[1]!.startsWith("[") && isIP(host) !== 6) return `proxy "${proxy}" has an invalid IPv6 address`;
  return { host, port };
}

/** What the schema cannot say: a URL that is not http://, bad headers, combinations that make no sense. */
export function paramProblems(params: HttpProbeParams): string[] {
  const problems: string[] = [];
  const target = parseTarget(params.url);
  if (typeof target === "string") problems.push(target);
  if (params.method !== undefined && !(HTTP_METHODS as readonly string[]).includes(params.method)) {
    problems.push(`method "${String(params.method)}" is not one of ${HTTP_METHODS.map((m) => `"${m}"`).join(", ")}`);
  }
  if (params.method === "HEAD" && params.includeBody === true) problems.push('includeBody makes no sense with method "HEAD": a HEAD response has no body');
  for (const [name, value] of Object.entries(params.headers ?? {})) {
    if (!TOKEN.test(name)) problems.push(`header name ${JSON.stringify(name)} is not an HTTP token (letters, digits and !#$%&'*+.^_\`|~-)`);
    if (/[\r\n\0]/.test(value)) problems.push(`header ${JSON.stringify(name)}: the value must not contain CR, LF or NUL`);
    const lower = name.toLowerCase();
    if (lower === "host") problems.push('header "Host" is set by the probe from the url; leave it out');
    if (lower === "content-length" || lower === "transfer-encoding") problems.push(`header "${name}" makes no sense: the probe sends ${params.method ?? "GET"} without a body`);
    if (lower === "proxy-authorization" && params.proxy === undefined) problems.push('header "Proxy-Authorization" applies only with a proxy');
  }
  if (params.proxy !== undefined) {
    const proxy = parseProxy(params.proxy);
    if (typeof proxy === "string") problems.push(proxy);
  }
  return problems;
}
