import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

/**
 * Who may drive the API, checked before any route runs, in this order:
 * 1. the Host header must name the API on the host's loopback (127.0.0.1, localhost or [::1],
 *    with one of `ports`): a page in the user's browser that rebinds a name of its own to
 *    127.0.0.1 still sends its own name, and is refused (403);
 * 2. every route but GET /api/health wants `Authorization: Bearer <token>` (401 without it, with
 *    `WWW-Authenticate: Bearer`); while no token is set, every such request is refused;
 * 3. a request that changes something (POST, PUT, PATCH, DELETE) must send its body as
 *    application/json, `{}` when it has nothing to say (415 otherwise): a browser sends such a
 *    request to another origin only after a CORS preflight, which this API never answers.
 */
export interface AccessOptions {
  /** The token as it is now; undefined while none is set. */
  token: () => string | undefined;
  /** The ports the API is reached on: its own, and the one published on the host's loopback. */
  ports: number[];
}

const LOOPBACK_NAMES = ["127.0.0.1", "localhost", "[::1]"];
const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const OPEN_ROUTES = new Set(["/api/health"]);

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

function refuse(reply: FastifyReply, status: number, error: string, message: string, details?: Record<string, unknown>): FastifyReply {
  return reply.code(status).send({ statusCode: status, error, message, ...(details ? { details } : {}) });
}

export function registerAccess(app: FastifyInstance, options: AccessOptions): void {
  const hosts = allowedHosts(options.ports);
  app.addHook("onRequest", async (request: FastifyRequest, reply: FastifyReply) => {
    const host = (request.headers.host ?? "").toLowerCase();
    if (!hosts.includes(host)) {
      return refuse(reply, 403, "HOST_NOT_ALLOWED", `The API answers only on the host's loopback; Host "${request.headers.host ?? ""}" is not one of ${hosts.join(", ")}.`, { hosts });
    }
    const path = request.url.split("?", 1)[0]!;
    if (!(OPEN_ROUTES.has(path) && (request.method === "GET" || request.method === "HEAD"))) {
      const token = options.token();
      if (token === undefined || !bearerMatches(request.headers.authorization, token)) {
        reply.header("www-authenticate", 'Bearer realm="l7lab"');
        return refuse(
          reply,
          401,
          "UNAUTHORIZED",
          token === undefined
            ? "The API has no token yet: run ./l7lab token (it makes one), then send it as Authorization: Bearer <token>."
            : "Send the lab's token as Authorization: Bearer <token>; ./l7lab token prints it.",
        );
      }
    }
    if (MUTATING.has(request.method)) {
      const type = (request.headers["content-type"] ?? "").split(";", 1)[0]!.trim().toLowerCase();
      if (type !== "application/json") {
        return refuse(reply, 415, "UNSUPPORTED_MEDIA_TYPE", `A ${request.method} request must send its body as application/json ({} when it has nothing to send); got ${type === "" ? "no Content-Type" : `"${type}"`}.`);
      }
    }
  });
}
