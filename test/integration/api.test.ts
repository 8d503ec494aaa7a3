import { spawnSync } from "node:child_process";
import { request } from "node:http";
import { rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { api, apiBase, apiToken, longRunning, oneShots, repoRoot, sh, topology } from "./lab.ts";

type ErrorBody = { statusCode: number; error: string; message: string };
type Service = { service: string; state: string; health: string };

/** The services that are not running, one-shots and on-demand ones aside (an empty list is what every bad-input test wants). */
async function notRunning(): Promise<Service[]> {
  const reply = await api<Service[]>("GET", "/services");
  // A one-shot is well once it has exited; an on-demand service (the diskless VM) whenever it is not running.
  return reply.body.filter((s) => s.state !== "running" && (longRunning(s.service) || (oneShots.has(s.service) && s.state !== "exited")));
}

/** A raw request to the API on the host's loopback, with exactly the headers given (node:http: fetch would not send a foreign Host). */
function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; body: ErrorBody }> {
  return new Promise((resolve, reject) => {
    const req = request(apiBase + path, { method, headers, setHost: !("host" in headers) }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString("utf8")) as ErrorBody }));
    });
    req.on("error", reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

describe("who may drive the API, on the host's loopback", () => {
  const auth = () => ({ authorization: `Bearer ${apiToken()}` });
  const host = new URL(apiBase).host;

  it("./l7lab token prints the token the API wants, and nothing else", () => {
    const r = spawnSync(join(repoRoot, "l7lab"), ["token"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${apiToken()}\n`);
  });

  it("answers 401 without the token or with a wrong one, except the health check", async () => {
    expect((await raw("GET", "/health", {})).status).toBe(200);
    const attempts: Record<string, string>[] = [{}, { authorization: "Bearer not-the-token" }, { authorization: `Basic ${apiToken()}` }];
    for (const headers of attempts) {
      const reply = await raw("GET", "/topology", headers);
      expect(reply.status, JSON.stringify(headers)).toBe(401);
      expect(reply.body.message).toMatch(/\.\/l7lab token prints it/);
    }
    expect((await raw("GET", "/topology", auth())).status).toBe(200);
  });

  it("refuses a page in the user's browser: a foreign Origin, a text/plain POST, a foreign Host (DNS rebinding), a bodiless POST; the service keeps running", async () => {
    const stop = "/services/dns-resolver/stop";
    const page = { origin: "http://evil.example", "content-type": "text/plain" };
    const foreign = await raw("POST", stop, { ...auth(), ...page, host: "evil.example:8080" }, "{}");
    expect(foreign.status).toBe(403);
    expect(foreign.body.message).toMatch(/Host "evil\.example:8080" is not one of 127\.0\.0\.1:\d+, localhost:\d+, \[::1\]:\d+/);
    // Even with the token and the right Host, another site's page (its Origin) is refused...
    const fromPage = await raw("POST", stop, { ...auth(), ...page, host }, "{}");
    expect(fromPage.status).toBe(403);
    expect(fromPage.body.message).toMatch(/Origin "http:\/\/evil\.example" is not one of http:\/\/127\.0\.0\.1:\d+/);
    // ...and so is a body that is not JSON.
    const plain = await raw("POST", stop, { ...auth(), "content-type": "text/plain", host }, "{}");
    expect(plain.status).toBe(415);
    const bodiless = await raw("POST", stop, { ...auth(), host });
    expect(bodiless.status).toBe(415);
    expect(bodiless.body.message).toMatch(/application\/json \(\{\} when it has nothing to send\); got no Content-Type/);
    expect(await notRunning()).toEqual([]);
  });
});

describe("the run queue on the real lab", () => {
  it("takes one running and 10 waiting runs, then answers 429 with Retry-After; aborted, the waiting runs never touch the lab", async () => {
    const start = () => api<{ id: string; status: string; error?: string; message?: string }>("POST", "/scenarios/mail-alice-to-bob/runs");
    const started = [];
    for (let i = 0; i < 11; i++) started.push(await start());
    expect(started.map((r) => r.status)).toEqual(Array<number>(11).fill(202));
    expect(started.map((r) => r.body.status)).toEqual(["running", ...Array<string>(10).fill("queued")]);
    const res = await fetch(`${apiBase}/scenarios/mail-alice-to-bob/runs`, { method: "POST", headers: { authorization: `Bearer ${apiToken()}`, "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("10");
    expect(((await res.json()) as ErrorBody).message).toMatch(/10 runs are waiting already, the most the queue holds \(limit 10/);
    for (const r of started.slice(1)) expect((await api("POST", `/runs/${r.body.id}/abort`)).status).toBe(200);
    const first = await api<{ status: string }>("GET", `/runs/${started[0]!.body.id}?wait=true`);
    expect(first.body.status).toBe("passed");
    for (const r of started.slice(1)) {
      const run = (await api<{ status: string; steps: { status: string }[] }>("GET", `/runs/${r.body.id}`)).body;
      expect(run.status).toBe("aborted");
      expect(new Set(run.steps.map((s) => s.status)), "every step skipped: the run never ran").toEqual(new Set(["skipped"]));
    }
  });
});

describe("regular expressions from requests run in linear time (RE2)", () => {
  it("a pattern that backtracks for ever in JavaScript answers at once, and the API stays responsive", async () => {
    // The root's query log gets a line with 50 a's followed by a space. On it, JavaScript's engine
    // takes about 2.5 s for (a+)+$ with 28 a's, doubling with each more: 50 would take years.
    const name = `${"a".repeat(50)}.`;
    expect((await sh("bob", `dig +tries=1 +time=2 @10.0.0.10 ${name} A | grep -c NXDOMAIN`)).out.trim()).toBe("1");
    const t0 = performance.now();
    const call = api<{ ok: boolean; data: { count: number; byService: Record<string, number> } }>("POST", "/probes/logs/calls", { services: ["dns-root"], pattern: "(a+)+$", regex: true, settleMs: 500 });
    const health = await api("GET", "/health");
    const reply = await call;
    expect(health.status).toBe(200);
    expect(reply.status).toBe(200);
    expect(reply.body.ok).toBe(true);
    expect(performance.now() - t0, "ms for the call; bound: 5000").toBeLessThan(5000);
    // The line is there (a plain search finds it), and the pattern rightly matches no line.
    const plain = await api<{ ok: boolean; data: { count: number } }>("POST", "/probes/logs/calls", { services: ["dns-root"], pattern: `query: ${name.slice(0, -1)} IN A`, settleMs: 0 });
    expect(plain.body.data.count).toBeGreaterThanOrEqual(1);
  });

  it("a backreference is refused with a 400 that names RE2", async () => {
    const reply = await api<ErrorBody>("POST", "/probes/logs/calls", { services: ["dns-root"], pattern: "(a)\\1", regex: true, settleMs: 0 });
    expect(reply.status).toBe(400);
    expect(reply.body.message).toMatch(/invalid escape sequence.*the lab runs regular expressions with RE2, in linear time/);
  });
});

describe("the orchestrator's API", () => {
  it("reports its health and the Docker engine's", async () => {
    const reply = await api("GET", "/health");
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ status: "ok", docker: true, project: topology.project });
  });

  it("shows the topology from docker-compose.yml with live health", async () => {
    const reply = await api<{ networks: { name: string; subnet: string; internal: boolean; private: boolean }[]; services: { name: string; hostnames: string[]; networks: { ipv4: string }[]; health: string }[] }>("GET", "/topology");
    expect(reply.status).toBe(200);
    const root = reply.body.services.find((s) => s.name === "dns-root");
    expect(root).toMatchObject({ hostnames: ["a.root-servers.net"], networks: [{ network: "internet", ipv4: "10.0.0.10" }], health: "healthy" });
    const lab = reply.body.networks.filter((n) => n.name !== "mgmt" && !n.private);
    expect(lab.map((n) => [n.name, n.subnet, n.internal])).toEqual([["internet", "10.0.0.0/24", true], ["campus", "10.1.0.0/24", true]]);
  });

  it("lists the scenarios with their validity", async () => {
    const reply = await api<{ name: string; valid: boolean }[]>("GET", "/scenarios");
    expect(reply.body).toContainEqual(expect.objectContaining({ name: "dns-resolution", valid: true }));
  });

  it("publishes an OpenAPI document that describes its routes", async () => {
    const reply = await api<{ openapi: string; paths: Record<string, unknown> }>("GET", "/openapi.json");
    expect(reply.status).toBe(200);
    expect(reply.body.openapi).toMatch(/^3\./);
    expect(Object.keys(reply.body.paths)).toEqual(expect.arrayContaining(["/api/topology", "/api/scenarios/{name}/runs", "/api/services/{name}/{action}"]));
  });

  it("pauses and unpauses a service, and restarts one to healthy", async () => {
    const paused = await api<Service>("POST", "/services/dns-crepes/pause");
    expect(paused.status).toBe(200);
    expect(paused.body.state).toBe("paused");
    const unpaused = await api<Service>("POST", "/services/dns-crepes/unpause");
    expect(unpaused.body.state).toBe("running");
    const restarted = await api<Service>("POST", "/services/dns-crepes/restart");
    expect(restarted.body.state).toBe("running");
    // Back to healthy: its health check asks it a real query.
    let health = restarted.body.health;
    for (let i = 0; i < 40 && health !== "healthy"; i++) {
      await new Promise((r) => setTimeout(r, 250));
      health = (await api<Service>("GET", "/services/dns-crepes")).body.health;
    }
    expect(health).toBe("healthy");
  });
});

describe("bad input to the API gets a clear 4xx and changes nothing", () => {
  const invalidFile = join(repoRoot, "scenarios", "zz-invalid-by-test.yaml");
  afterAll(async () => {
    await rm(invalidFile, { force: true });
  });

  it("an unknown service: 404 naming the valid services", async () => {
    const reply = await api<ErrorBody>("POST", "/services/dns-rooot/stop");
    expect(reply.status).toBe(404);
    expect(reply.body.error).toBe("UNKNOWN_SERVICE");
    expect(reply.body.message).toContain('"dns-rooot"');
    expect(reply.body.message).toContain('"dns-root"');
    expect(reply.body.message).toContain('"dns-hamburger-1"');
  });

  it("an unknown action: 404 naming the valid actions, and the service keeps running", async () => {
    const reply = await api<ErrorBody>("POST", "/services/dns-root/explode");
    expect(reply.status).toBe(404);
    expect(reply.body.message).toMatch(/"pause".*"restart".*"start".*"stop"/);
    expect(await notRunning()).toEqual([]);
  });

  it("the orchestrator and the host-setup helper cannot be acted on", async () => {
    const self = await api<ErrorBody>("POST", "/services/orchestrator/stop");
    expect(self.status).toBe(409);
    expect(self.body.message).toContain("serves the API");
    const bridges = await api<ErrorBody>("POST", "/services/lab-bridges/kill");
    expect(bridges.status).toBe(409);
    expect(bridges.body.message).toContain("firewall");
    expect(await notRunning()).toEqual([]);
  });

  it("an unknown scenario: 404 naming the valid scenarios", async () => {
    const reply = await api<ErrorBody>("POST", "/scenarios/dns-resolutoin/runs");
    expect(reply.status).toBe(404);
    expect(reply.body.message).toContain('"dns-resolution"');
  });

  it("a probe called by hand answers, and one aimed outside the lab is refused with 400 before sending anything", async () => {
    const ok = await api<{ ok: boolean; data: { addresses: string[] } }>("POST", "/probes/dns/calls", { name: "www.someschool.edu" });
    expect(ok.status).toBe(200);
    expect(ok.body.data.addresses).toEqual(["10.0.0.41"]);
    const outside = await api<ErrorBody>("POST", "/probes/dns/calls", { mode: "direct", server: "192.0.2.53", name: "example.org" });
    expect(outside.status).toBe(400);
    expect(outside.body.message).toContain("is not in the lab's networks");
  });

  it("an unknown run: 404", async () => {
    const reply = await api<ErrorBody>("GET", "/runs/no-such-run");
    expect(reply.status).toBe(404);
  });

  it("a malformed query parameter: 400 saying which and why", async () => {
    const reply = await api<ErrorBody>("POST", "/scenarios/dns-resolution/runs?wait=perhaps");
    expect(reply.status).toBe(400);
    expect(reply.body.message).toContain("wait");
  });

  it("an unknown route: 404 listing the routes", async () => {
    const reply = await api<ErrorBody>("GET", "/topologie");
    expect(reply.status).toBe(404);
    expect(reply.body.message).toContain("GET /api/topology");
  });

  it("an invalid scenario file is listed with what to fix, and running it is refused with 400 and stops nothing", async () => {
    await writeFile(
      invalidFile,
      ["name: zz-invalid-by-test", "title: broken on purpose", "steps:", "  - id: stop-it", "    service: dns-hamburger-1", "    action: stop",
        "  - id: typo", "    service: dns-hambuger-1", "    action: start", ""].join("\n"),
    );
    const list = await api<{ name: string; valid: boolean; errors: string[] }[]>("GET", "/scenarios");
    const entry = list.body.find((s) => s.name === "zz-invalid-by-test");
    expect(entry?.valid).toBe(false);
    expect(entry?.errors.join("\n")).toContain('"dns-hambuger-1"');
    expect(entry?.errors.join("\n")).toContain('"dns-hamburger-1"');

    const reply = await api<ErrorBody>("POST", "/scenarios/zz-invalid-by-test/runs?wait=true");
    expect(reply.status).toBe(400);
    expect(reply.body.message).toContain("dns-hambuger-1");
    expect(await notRunning()).toEqual([]);
  });
});
