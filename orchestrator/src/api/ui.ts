/**
 * The web UI at the API's address: /login takes the token once (the link ./l7lab up prints, as
 * Jupyter's does) and leaves a session cookie; /, /app.js and /app.css are the built UI
 * (orchestrator/ui, `npm run build:ui`), which then calls the API with that cookie. Everything
 * but /login needs the session (access.ts).
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import { bearerMatches, SESSION_COOKIE, sendLoginPage, sessionValue, type AccessOptions } from "./access.ts";

const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
};

/**
 * A request as the orchestrator's log shows it: a token in the query (a login link, on whatever
 * path it was sent to) is never written out.
 */
export function logRequest(req: { method: string; url: string; ip?: string }): Record<string, string | undefined> {
  return { method: req.method, url: req.url.replace(/([?&]token=)[^&#]*/gi, "$1[not logged]"), remoteAddress: req.ip };
}

/** The UI's own content security policy: nothing but its own files and its own API. */
export const UI_CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

export function registerUi(app: FastifyInstance, options: { dir: string; access: AccessOptions }): void {
  // The request log names the path only: the query carries the token.
  const withoutQuery = { req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url.split("?", 1)[0] }) };
  app.get("/login", { schema: { hide: true }, logSerializers: withoutQuery }, async (req, reply) => {
    const given = (req.query as { token?: unknown }).token;
    const token = options.access.token();
    if (token === undefined || typeof given !== "string" || !bearerMatches(`Bearer ${given}`, token)) {
      return sendLoginPage(reply, 401, "That login link does not carry the lab's current token. Run <code>./l7lab login-link</code> for a fresh one.");
    }
    // No Secure flag: the API is plain HTTP on the host's loopback. The token leaves the address
    // bar at once (303 to /), and no page of the UI sends a Referer (Referrer-Policy).
    return reply
      .header("set-cookie", `${SESSION_COOKIE}=${sessionValue(token)}; Path=/; HttpOnly; SameSite=Strict`)
      .header("referrer-policy", "no-referrer")
      .header("cache-control", "no-store")
      .redirect("/", 303);
  });

  app.get("/logout", { schema: { hide: true } }, async (_req, reply) =>
    sendLoginPage(reply.header("set-cookie", `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`), 200, "Logged out. The login link that <code>./l7lab up</code> prints opens the UI again."),
  );

  for (const [path, { file, type }] of Object.entries(FILES)) {
    app.get(path, { schema: { hide: true } }, async (_req, reply) => {
      let body: Buffer;
      try {
        body = await readFile(join(options.dir, file));
      } catch {
        return sendLoginPage(reply, 503, `The web UI is not built (no ${file} in ${options.dir}): run <code>npm run build:ui</code>, or rebuild the orchestrator's image.`);
      }
      return reply
        .header("content-type", type)
        .header("content-security-policy", UI_CSP)
        .header("x-content-type-options", "nosniff")
        .header("referrer-policy", "no-referrer")
        .header("cache-control", "no-cache")
        .send(body);
    });
  }
}
