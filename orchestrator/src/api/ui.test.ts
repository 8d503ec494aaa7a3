import { logRequest } from "./ui.ts";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { FastifyInstance, FastifyServerOptions, InjectOptions, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../common/clock.ts";
import { ScenarioEngine } from "../engine/engine.ts";
import { ManualFaults } from "../faults/manual-faults.ts";
import { ProbeRegistry } from "../probes/registry.ts";
import { ScenarioCatalog } from "../scenarios/catalog.ts";
import { FakeDocker, SERVICES, testTopology } from "../scenarios/testing/fakes.ts";
import { sessionValue, SESSION_COOKIE } from "./access.ts";
import { buildApp } from "./app.ts";
import { UI_CSP } from "./ui.ts";

// The web UI's server side: /login, the session cookie the access checks take like the token, the
// Origin check, and the UI's files. `inject` sends Host localhost:80.
const TOKEN = "ui-test-token-0123456789";
const INDEX = "<!doctype html><title>l7lab</title><script src=/app.js></script>";

/** The Set-Cookie header as name, value and attributes (lower-cased names). */
function setCookie(res: LightMyRequestResponse): { name: string; value: string; attributes: Map<string, string> } | undefined {
  const header = res.headers["set-cookie"];
  if (header === undefined) return undefined;
  const [pair, ...rest] = (Array.isArray(header) ? header : [header]).join("\n").split(";").map((s) => s.trim());
  const eq = pair!.indexOf("=");
  const attributes = new Map(rest.map((a) => [a.split("=", 1)[0]!.toLowerCase(), a.includes("=") ? a.slice(a.indexOf("=") + 1) : ""]));
  return { name: pair!.slice(0, eq), value: pair!.slice(eq + 1), attributes };
}

describe("web UI: login, session cookie, Origin, files", () => {
  let dir: string;
  let uiDir: string;
  let emptyDir: string;
  let token: string | undefined = TOKEN;
  let app: FastifyInstance;
  const docker = Object.assign(new FakeDocker([...SERVICES]), { project: "l7lab", ping: () => Promise.resolve(true) });

  /** The app over fakes; `uiDir` as given (absent: no UI), `logger` as given. */
  const build = async (ui: string | undefined, logger: FastifyServerOptions["logger"] = false) => {
    const registry = new ProbeRegistry([]);
    const topology = testTopology();
    return buildApp(
      {
        docker, topology, registry,
        catalog: await ScenarioCatalog.load(dir, { registry, topology }),
        engine: new ScenarioEngine({ registry, docker, topology }),
        faults: new ManualFaults(docker, topology, systemClock),
        access: { token: () => token, ports: [80] },
        ...(ui === undefined ? {} : { uiDir: ui }),
      },
      { logger },
    );
  };
  const login = (given: string) => app.inject({ method: "GET", url: `/login?token=${encodeURIComponent(given)}` });
  const withCookie = (value: string, options: InjectOptions = {}) => app.inject({ method: "GET", ...options, headers: { cookie: `${SESSION_COOKIE}=${value}`, ...options.headers } });
  /** The cookie's value from a successful login with the current token. */
  const session = async () => setCookie(await login(token!))!.value;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "l7lab-ui-"));
    uiDir = join(dir, "ui");
    emptyDir = join(dir, "empty");
    await mkdir(uiDir);
    await mkdir(emptyDir);
    await writeFile(join(uiDir, "index.html"), INDEX);
    await writeFile(join(uiDir, "app.js"), "console.log('l7lab');\n");
    await writeFile(join(uiDir, "app.css"), "body { margin: 0 }\n");
    app = await build(uiDir);
  });
  afterAll(async () => {
    await app.close();
    await rm(dir, { recursive: true, force: true });
  });

  it("takes the cookie only from the UI's own origin (Sec-Fetch-Site), never for a live capture", async () => {
    const value = await session();
    expect((await withCookie(value, { url: "/api/topology", headers: { "sec-fetch-site": "same-origin" } })).statusCode).toBe(200);
    expect((await withCookie(value, { url: "/", headers: { "sec-fetch-site": "none" } })).statusCode).toBe(200);
    // A page on another port of the loopback is the same site: its <img> carries the cookie.
    expect((await withCookie(value, { url: "/api/topology", headers: { "sec-fetch-site": "same-site" } })).statusCode).toBe(401);
    expect((await withCookie(value, { url: "/api/topology", headers: { "sec-fetch-site": "cross-site" } })).statusCode).toBe(401);
    expect((await withCookie(value, { url: "/api/capture?service=dns-resolver", headers: { "sec-fetch-site": "same-origin" } })).statusCode).toBe(401);
  });

  it("never logs a token given in a query, whatever the path", () => {
    expect(logRequest({ method: "GET", url: `/login/?token=${TOKEN}&x=1` })).toEqual({ method: "GET", url: "/login/?token=[not logged]&x=1", remoteAddress: undefined });
    expect(logRequest({ method: "GET", url: `/x?a=1&TOKEN=${TOKEN}` }).url).not.toContain(TOKEN);
  });

  describe("/login", () => {
    it("takes the right token once: 303 to /, and an HttpOnly SameSite=Strict session cookie for Path=/ that is not the token", async () => {
      const res = await login(TOKEN);
      expect(res.statusCode).toBe(303);
      expect(res.headers.location).toBe("/");
      const cookie = setCookie(res)!;
      expect(cookie.name).toBe(SESSION_COOKIE);
      expect(cookie.value).toBe(sessionValue(TOKEN));
      expect(cookie.value).not.toBe(TOKEN);
      expect(cookie.value).not.toContain(TOKEN);
      expect(cookie.value.length).toBeGreaterThanOrEqual(40);
      expect(cookie.attributes.has("httponly")).toBe(true);
      expect(cookie.attributes.get("samesite")).toBe("Strict");
      expect(cookie.attributes.get("path")).toBe("/");
      expect(cookie.attributes.has("max-age") || cookie.attributes.has("expires"), "a session cookie").toBe(false);
      expect(res.headers["referrer-policy"]).toBe("no-referrer");
      expect(res.headers["cache-control"]).toBe("no-store");
      expect(res.body).not.toContain(TOKEN);
    });

    it("makes a cookie that depends on the token: another token, another value", () => {
      expect(sessionValue(TOKEN)).toBe(sessionValue(TOKEN));
      expect(sessionValue(`${TOKEN}x`)).not.toBe(sessionValue(TOKEN));
    });

    it.each([
      ["a wrong token", `/login?token=not-${TOKEN}`],
      ["the token with something after it", `/login?token=${TOKEN}x`],
      ["the token's first part", `/login?token=${TOKEN.slice(0, 10)}`],
      ["an empty token", "/login?token="],
      ["no token", "/login"],
      ["the token twice", `/login?token=${TOKEN}&token=${TOKEN}`],
      ["the session value in place of the token", `/login?token=${sessionValue(TOKEN)}`],
    ])("refuses %s: 401, an HTML page naming ./l7lab login-link, and no cookie", async (_what, url) => {
      const res = await app.inject({ method: "GET", url });
      expect(res.statusCode).toBe(401);
      expect(res.headers["content-type"]).toMatch(/^text\/html/);
      expect(res.body).toMatch(/^<!doctype html>/i);
      expect(res.body).toContain("./l7lab login-link");
      expect(res.headers["set-cookie"]).toBeUndefined();
      expect(res.headers.location).toBeUndefined();
    });

    it("refuses every login while the lab has no token", async () => {
      token = undefined;
      try {
        const res = await login(TOKEN);
        expect(res.statusCode).toBe(401);
        expect(res.headers["set-cookie"]).toBeUndefined();
      } finally {
        token = TOKEN;
      }
    });

    it("still checks the Host: 403 HOST_NOT_ALLOWED for a foreign Host, with the right token, and no cookie", async () => {
      for (const host of ["evil.example:80", "evil.example", "127.0.0.1.nip.io:80", "localhost:8081"]) {
        const res = await app.inject({ method: "GET", url: `/login?token=${TOKEN}`, headers: { host } });
        expect(res.statusCode, host).toBe(403);
        expect(res.json()).toMatchObject({ error: "HOST_NOT_ALLOWED" });
        expect(res.headers["set-cookie"], host).toBeUndefined();
      }
      expect((await app.inject({ method: "GET", url: `/login?token=${TOKEN}`, headers: { host: "127.0.0.1:80" } })).statusCode).toBe(303);
    });

    it("refuses a login from another site's page (a foreign Origin): 403, no cookie", async () => {
      const res = await app.inject({ method: "GET", url: `/login?token=${TOKEN}`, headers: { origin: "http://evil.example" } });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: "ORIGIN_NOT_ALLOWED" });
      expect(res.headers["set-cookie"]).toBeUndefined();
    });

    // BUG (reported): the login link's token is in the URL, and Fastify's request log (server.ts
    // logs at info) writes the URL as it came: the token ends up in the orchestrator's log (docker
    // compose logs). Fix: a `req` serializer that drops /login's query (server.ts's logger options,
    // or buildApp's). Flip to `it` then.
    it("does not write the token to the log when it logs a login", async () => {
      const lines: string[] = [];
      const stream = new Writable({ write: (chunk: Buffer, _encoding, done) => void (lines.push(chunk.toString()), done()) });
      const logged = await build(uiDir, { level: "info", stream });
      try {
        expect((await logged.inject({ method: "GET", url: `/login?token=${TOKEN}` })).statusCode).toBe(303);
        expect(lines.length).toBeGreaterThan(0);
        expect(lines.join("")).not.toContain(TOKEN);
      } finally {
        await logged.close();
      }
    });
  });

  describe("the session cookie", () => {
    it("opens the API and the UI like the token: /api/topology 200, / is index.html with the UI's CSP", async () => {
      const value = await session();
      const topology = await withCookie(value, { url: "/api/topology" });
      expect(topology.statusCode).toBe(200);
      expect(topology.headers["content-type"]).toMatch(/^application\/json/);
      const index = await withCookie(value, { url: "/" });
      expect(index.statusCode).toBe(200);
      expect(index.body).toBe(INDEX);
      expect(index.headers["content-type"]).toBe("text/html; charset=utf-8");
      expect(index.headers["content-security-policy"]).toBe(UI_CSP);
      expect(index.headers["x-content-type-options"]).toBe("nosniff");
      expect(index.headers["referrer-policy"]).toBe("no-referrer");
    });

    it("serves app.js and app.css with their own types and the same headers", async () => {
      const value = await session();
      for (const [url, type, body] of [["/app.js", "text/javascript; charset=utf-8", "console.log('l7lab');\n"], ["/app.css", "text/css; charset=utf-8", "body { margin: 0 }\n"]] as const) {
        const res = await withCookie(value, { url });
        expect(res.statusCode, url).toBe(200);
        expect(res.body, url).toBe(body);
        expect(res.headers["content-type"], url).toBe(type);
        expect(res.headers["content-security-policy"], url).toBe(UI_CSP);
        expect(res.headers["x-content-type-options"], url).toBe("nosniff");
      }
    });

    it("has a CSP that allows only the UI's own files and API: no inline script, no eval, no framing", () => {
      const directives = new Map(UI_CSP.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
      expect(directives.get("default-src")).toEqual(["'self'"]);
      expect(directives.get("script-src")).toEqual(["'self'"]);
      expect(directives.get("connect-src")).toEqual(["'self'"]);
      expect(directives.get("frame-ancestors")).toEqual(["'none'"]);
      expect(UI_CSP).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    });

    it("is found among other cookies, and takes the bearer token's place for a request that changes something", async () => {
      const value = await session();
      const res = await app.inject({ method: "GET", url: "/api/topology", headers: { cookie: `theme=dark; ${SESSION_COOKIE}=${value}; other=1` } });
      expect(res.statusCode).toBe(200);
      const paused = await app.inject({ method: "POST", url: "/api/services/dns-resolver/pause", payload: {}, headers: { cookie: `${SESSION_COOKIE}=${value}` } });
      expect(paused.statusCode).toBe(200);
      expect(docker.services.get("dns-resolver")?.state).toBe("paused");
      await app.inject({ method: "POST", url: "/api/services/dns-resolver/unpause", payload: {}, headers: { cookie: `${SESSION_COOKIE}=${value}` } });
      expect(docker.services.get("dns-resolver")?.state).toBe("running");
    });

    it.each([
      ["made for another token", () => sessionValue("another-token")],
      ["the token itself", () => TOKEN],
      ["empty", () => ""],
      ["the right value with a character changed", () => sessionValue(TOKEN).replace(/^./, (c) => (c === "A" ? "B" : "A"))],
    ])("is refused when it is %s: 401 (JSON at /api, the login page at /)", async (_what, value) => {
      const api = await withCookie(value(), { url: "/api/topology" });
      expect(api.statusCode).toBe(401);
      expect(api.json()).toMatchObject({ error: "UNAUTHORIZED" });
      const page = await withCookie(value(), { url: "/" });
      expect(page.statusCode).toBe(401);
      expect(page.headers["content-type"]).toMatch(/^text\/html/);
      expect(page.body).not.toContain(INDEX);
    });

    it("is refused under another name", async () => {
      const res = await app.inject({ method: "GET", url: "/api/topology", headers: { cookie: `session=${sessionValue(TOKEN)}; x${SESSION_COOKIE}=${sessionValue(TOKEN)}` } });
      expect(res.statusCode).toBe(401);
    });

    it("stops working when the token changes, and a login with the new token works", async () => {
      const old = await session();
      expect((await withCookie(old, { url: "/api/topology" })).statusCode).toBe(200);
      token = "a-new-token-after-rotation";
      try {
        expect((await withCookie(old, { url: "/api/topology" })).statusCode).toBe(401);
        expect((await withCookie(old, { url: "/" })).statusCode).toBe(401);
        expect((await login(TOKEN)).statusCode, "the old token's login link").toBe(401);
        const fresh = await login(token);
        expect(fresh.statusCode).toBe(303);
        const value = setCookie(fresh)!.value;
        expect(value).not.toBe(old);
        expect((await withCookie(value, { url: "/api/topology" })).statusCode).toBe(200);
      } finally {
        token = TOKEN;
      }
    });

    it("is refused while the lab has no token", async () => {
      const value = await session();
      token = undefined;
      try {
        expect((await withCookie(value, { url: "/api/topology" })).statusCode).toBe(401);
      } finally {
        token = TOKEN;
      }
    });

    it("is cleared by /logout: an emptied cookie with Max-Age=0 on the same Path", async () => {
      const res = await withCookie(await session(), { url: "/logout" });
      expect(res.statusCode).toBe(200);
      expect(res.headers["content-type"]).toMatch(/^text\/html/);
      const cookie = setCookie(res)!;
      expect(cookie.name).toBe(SESSION_COOKIE);
      expect(cookie.value).toBe("");
      expect(cookie.attributes.get("max-age")).toBe("0");
      expect(cookie.attributes.get("path")).toBe("/");
    });
  });

  describe("without a session", () => {
    it("answers a browser at / with a 401 HTML page that says how to log in, not JSON", async () => {
      for (const url of ["/", "/app.js", "/nothing-here"]) {
        const res = await app.inject({ method: "GET", url });
        expect(res.statusCode, url).toBe(401);
        expect(res.headers["content-type"], url).toBe("text/html; charset=utf-8");
        expect(res.body, url).toMatch(/^<!doctype html>/i);
        expect(res.body, url).toContain("./l7lab login-link");
        expect(res.body, url).not.toContain(INDEX);
        expect(res.headers["content-security-policy"], url).toMatch(/default-src 'none'/);
        expect(res.headers["cache-control"], url).toBe("no-store");
      }
    });

    it("answers the API with a 401 in JSON as before", async () => {
      const res = await app.inject({ method: "GET", url: "/api/topology" });
      expect(res.statusCode).toBe(401);
      expect(res.headers["content-type"]).toMatch(/^application\/json/);
      expect(res.headers["www-authenticate"]).toBe('Bearer realm="l7lab"');
      expect(res.json()).toMatchObject({ statusCode: 401, error: "UNAUTHORIZED" });
      expect(res.json<{ message: string }>().message).toMatch(/login link/);
    });

    it("does not log out a browser that has no session: /logout is refused like any page", async () => {
      const res = await app.inject({ method: "GET", url: "/logout" });
      expect(res.statusCode).toBe(401);
    });
  });

  describe("Origin", () => {
    const pause = (headers: Record<string, string>) => app.inject({ method: "POST", url: "/api/services/dns-resolver/pause", payload: {}, headers });

    it.each(["http://evil.example", "http://localhost.evil.example:80", "https://127.0.0.1:80", "http://127.0.0.1:8080", "null"])(
      "refuses a request with a session cookie from Origin %s: 403 ORIGIN_NOT_ALLOWED, and changes nothing",
      async (origin) => {
        const res = await pause({ cookie: `${SESSION_COOKIE}=${await session()}`, origin });
        expect(res.statusCode).toBe(403);
        expect(res.json()).toMatchObject({ error: "ORIGIN_NOT_ALLOWED", details: { hosts: ["127.0.0.1:80", "localhost:80", "[::1]:80"] } });
        expect(docker.services.get("dns-resolver")?.state).toBe("running");
      },
    );

    it("refuses a foreign Origin even with the bearer token, and on a GET", async () => {
      const res = await app.inject({ method: "GET", url: "/api/topology", headers: { authorization: `Bearer ${TOKEN}`, origin: "http://evil.example" } });
      expect(res.statusCode).toBe(403);
      expect(res.json()).toMatchObject({ error: "ORIGIN_NOT_ALLOWED" });
    });

    it.each(["http://127.0.0.1:80", "http://localhost:80", "http://[::1]:80", "HTTP://LOCALHOST:80"])("takes a request from the API's own origin %s", async (origin) => {
      const cookie = `${SESSION_COOKIE}=${await session()}`;
      const res = await pause({ cookie, origin });
      expect(res.statusCode).toBe(200);
      expect(docker.services.get("dns-resolver")?.state).toBe("paused");
      expect((await app.inject({ method: "POST", url: "/api/services/dns-resolver/unpause", payload: {}, headers: { cookie, origin } })).statusCode).toBe(200);
    });

    it("still wants the session or token from the API's own origin", async () => {
      const res = await pause({ origin: "http://127.0.0.1:80" });
      expect(res.statusCode).toBe(401);
      expect(docker.services.get("dns-resolver")?.state).toBe("running");
    });
  });

  describe("the UI's files", () => {
    it("answers 503 with an HTML page naming npm run build:ui when the UI is not built", async () => {
      const unbuilt = await build(emptyDir);
      try {
        for (const url of ["/", "/app.js", "/app.css"]) {
          const res = await unbuilt.inject({ method: "GET", url, headers: { cookie: `${SESSION_COOKIE}=${sessionValue(TOKEN)}` } });
          expect(res.statusCode, url).toBe(503);
          expect(res.headers["content-type"], url).toMatch(/^text\/html/);
          expect(res.body, url).toContain("npm run build:ui");
        }
      } finally {
        await unbuilt.close();
      }
    });

    it("serves no UI without a uiDir: / is a 404 NO_ROUTE, not a server error", async () => {
      const bare = await build(undefined);
      try {
        for (const url of ["/", "/app.js", "/logout"]) {
          const res = await bare.inject({ method: "GET", url, headers: { authorization: `Bearer ${TOKEN}` } });
          expect(res.statusCode, url).toBe(404);
          expect(res.json(), url).toMatchObject({ error: "NO_ROUTE" });
        }
        const login = await bare.inject({ method: "GET", url: `/login?token=${TOKEN}` });
        expect(login.statusCode).toBe(404);
        expect(login.headers["set-cookie"]).toBeUndefined();
      } finally {
        await bare.close();
      }
    });

    it("serves only its three files: no other file of uiDir, no path out of it", async () => {
      await writeFile(join(uiDir, "secret.txt"), "not for the browser");
      const value = await session();
      for (const url of ["/secret.txt", "/index.html", "/..%2fui%2fsecret.txt", "/app.js/../secret.txt"]) {
        const res = await withCookie(value, { url });
        expect(res.statusCode, url).not.toBe(200);
        expect(res.statusCode, url).toBeLessThan(500);
        expect(res.body, url).not.toContain("not for the browser");
      }
    });
  });
});
