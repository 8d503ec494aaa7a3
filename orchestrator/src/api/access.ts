import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/**
 * Who may drive the API, checked before any route runs, in this order:
 * 1. the Host header must name the API on the host's loopback (127.0.0.1, localhost or [::1],
 *    with one of `ports`): a page in the user's browser that rebinds a name of its own to
 *    127.0.0.1 still sends its own name, and is refused (403);
 * 2. every route but GET /api/health and GET /login wants `Authorization: Bearer <token>`, or the
 *    web UI's session cookie, which /login sets for the token (401 without either, with
 *    `WWW-Authenticate: Bearer`); while no token is set, every such request is refused. The cookie
 *    is HttpOnly and SameSite=Strict, so another site's page never sends it; a request that carries
 *    an Origin header must come from the API's own origin (403 otherwise);
 * 3. a request that changes something (POST, PUT, PATCH, DELETE) must send its body as
 *    application/json, `{}` when it has nothing to say (415 otherwise): a browser sends such a
 *    request to another origin only after a CORS preflight, which this API never answers.
 * A request the router refuses before any route runs (a malformed URL, an overlong path segment:
 * app.ts) passes checks 1 and 2 first: without the token it is a 401 like any other.
 */
export interface AccessOptions {
  /** The token as it is now; undefined while none is set. */
  token: () => string | undefined;
  /** The ports the API is reached on: its own, and the one published on the host's loopback. */
  ports: number[];
}

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];
const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const OPEN_ROUTES = new Set(["/api/health", "/login"]);
/** Routes the session cookie does not open: a live capture is for the CLI (the bearer token) only. */
const BEARER_ONLY = new Set(["/api/capture"]);
/** The web UI's session cookie. */
export const SESSION_COOKIE = "l7lab_session";

/**
 * The session cookie's value for a token: an HMAC of a fixed label keyed by the token, so that it
 * proves the token was known without being it, survives an orchestrator restart, and stops working
 * when the token changes.
 */
export function sessionValue(token: string): string {
  return createHmac("sha256", token).update("l7lab web UI session v1").digest("base64url");
}

/** The value of one cookie in a Cookie header, or undefined. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function sessionMatches(header: string | undefined, token: string): boolean {
  const value = cookieValue(header, SESSION_COOKIE);
  return value !== undefined && timingSafeEqual(digest(value), digest(sessionValue(token)));
}

/** The Host header values the API answers to. */
export function allowedHosts(ports: number[]): string[] {
  return [...new Set(ports)].flatMap((port) => LOOPBACK_NAMES.map((name) => `${name}:${port}`));
}

const digest = (s: string) => createHash("sha256").update(s).digest();

/** Whether `header` is `Bearer <token>`, compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer +(\S+) *$/i.exec(header ?? "");
  return match !== null && timingSafeEqual(digest(match[1]!), digest(token));
}

/** Why a request may not reach the API, as its answer says it. */
export interface Refusal {
  status: number;
  error: string;
  message: string;
  details?: Record<string, unknown>;
  /** Whether to send `WWW-Authenticate: Bearer` (a 401). */
  authenticate?: boolean;
}

/** The parts of a request the access checks read. */
export interface AccessRequest {
  method: string;
  url: string;
  headers: { host?: string | undefined; authorization?: string | undefined; "content-type"?: string | undefined; cookie?: string | undefined; origin?: string | undefined; "sec-fetch-site"?: string | undefined };
}

/**
 * The access checks (see the top of the file) as a function: why `request` is refused, or
 * undefined when it may go on. `body: false` leaves out the JSON body check, for a request that
 * is answered before any body is read (a malformed URL).
 */
export function accessCheck(options: AccessOptions): (request: AccessRequest, check?: { body: boolean }) => Refusal | undefined {
  const hosts = allowedHosts(options.ports);
  return (request, check = { body: true }) => {
    const host = (request.headers.host ?? "").toLowerCase();
    if (!hosts.includes(host)) {
      return { status: 403, error: "HOST_NOT_ALLOWED", message: `The API answers only on the host's loopback; Host "${request.headers.host ?? ""}" is not one of ${hosts.join(", ")}.`, details: { hosts } };
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !hosts.some((h) => origin.toLowerCase() === `http://${h}`)) {
      return { status: 403, error: "ORIGIN_NOT_ALLOWED", message: `The API answers pages of its own origin only; Origin "${origin}" is not one of ${hosts.map((h) => `http://${h}`).join(", ")}.`, details: { hosts } };
    }
    const path = request.url.split("?", 1)[0]!;
    if (!(OPEN_ROUTES.has(path) && (request.method === "GET" || request.method === "HEAD"))) {
      const token = options.token();
      const bearer = token !== undefined && bearerMatches(request.headers.authorization, token);
      // The session cookie counts only for the UI's own requests: a page on another port of the
      // loopback is the same *site*, so its <img src=...> would carry the cookie; the browser's
      // Sec-Fetch-Site says whether the request came from the UI's own origin (or the address bar).
      const site = request.headers["sec-fetch-site"];
      const session = token !== undefined && (site === undefined || site === "same-origin" || site === "none") && !BEARER_ONLY.has(path) && sessionMatches(request.headers.cookie, token);
      if (token === undefined || !(bearer || session)) {
        return {
          status: 401,
          error: "UNAUTHORIZED",
          message:
            token === undefined
              ? "The API has no token yet: run ./l7lab token (it makes one), then send it as Authorization: Bearer <token>."
              : "Send the lab's token as Authorization: Bearer <token> (./l7lab token prints it), or, in a browser, open the login link ./l7lab up prints.",
          authenticate: true,
        };
      }
    }
    if (check.body && MUTATING.has(request.method)) {
      const type = (request.headers["content-type"] ?? "").split(";", 1)[0]!.trim().toLowerCase();
      if (type !== "application/json") {
        return { status: 415, error: "UNSUPPORTED_MEDIA_TYPE", message: `A ${request.method} request must send its body as application/json ({} when it has nothing to send); got ${type === "" ? "no Content-Type" : `"${type}"`}.` };
      }
    }
    return undefined;
  };
}

/** Sends a refusal: `{ statusCode, error, message, details? }`, as every error answer of the API. */
export function sendRefusal(reply: FastifyReply, refusal: Refusal): FastifyReply {
  if (refusal.authenticate) reply.header("www-authenticate", 'Bearer realm="l7lab"');
  return reply.code(refusal.status).send({ statusCode: refusal.status, error: refusal.error, message: refusal.message, ...(refusal.details ? { details: refusal.details } : {}) });
}

export function registerAccess(app: FastifyInstance, options: AccessOptions): void {
  const check = accessCheck(options);
  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    const refusal = check(request);
    if (!refusal) return;
    // A person at the web UI's address without a session gets a page that says how to log in.
    if (refusal.status === 401 && !request.url.startsWith("/api/") && request.method === "GET") return sendLoginPage(reply, 401, LOGIN_NEEDED);
    return sendRefusal(reply, refusal);
  });
}

export const LOGIN_NEEDED = "This is the l7lab web UI. To open it, use the login link that <code>./l7lab up</code> prints (or run <code>./l7lab login-link</code>): it carries the lab's token, and your browser then keeps a session cookie.";

/** A small HTML page for the browser (no script, nothing fetched). */
export function sendLoginPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .code(status)
    .header("content-type", "text/html; charset=utf-8")
    .header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
    .header("cache-control", "no-store")
    .send(`<!doctype html><html lang="en"><meta charset="utf-8"><title>l7lab</title><style>body{font:16px system-ui,sans-serif;max-width:40em;margin:4em auto;padding:0 1em}</style><h1>l7lab</h1><p>${html}</p></html>`);
}

/**
 * The answers a route may give before its handler runs, by status, for its documented responses
 * (the OpenAPI document, and the schema its answer is sent with): 403 (Host) on every route, 401
 * (token) on every route but the open ones, 415 (not JSON), 400 (a body that is not JSON, is
 * empty, or nests too deep) and 413 (a body over the size limit) where a body is sent, and 400
 * (malformed percent-encoding, a query the schema refuses) and 414 (a path segment longer than the
 * router takes) where the URL carries parameters.
 */
export function accessResponses(route: { method: string | string[]; url: string; schema?: { params?: unknown; querystring?: unknown; body?: unknown } }): number[] {
  const methods = Array.isArray(route.method) ? route.method : [route.method];
  const statuses = new Set<number>([403]);
  if (!(OPEN_ROUTES.has(route.url) && methods.every((m) => m === "GET" || m === "HEAD"))) statuses.add(401);
  if (methods.some((m) => MUTATING.has(m))) [400, 413, 415].forEach((s) => statuses.add(s));
  if (route.schema?.querystring !== undefined || route.schema?.body !== undefined) statuses.add(400);
  if (route.url.includes(":")) [400, 414].forEach((s) => statuses.add(s));
  return [...statuses].sort((a, b) => a - b);
}
