import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { api, explain, longRunning, repoRoot, runScenario, sh, type Run, type RunStep } from "./lab.ts";

const compose = (...args: string[]) => {
  const r = spawnSync("docker", ["compose", ...args], { cwd: repoRoot, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`docker compose ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
};

describe("scenario dns-resolution, run through the orchestrator's API", () => {
  let run: Run;
  let step: (id: string) => RunStep;

  beforeAll(async () => {
    ({ run, step } = await runScenario("dns-resolution"));
  });

  it("passes, every step with its own timing", () => {
    expect(run.status, explain(run)).toBe("passed");
    for (const s of run.steps) {
      expect(s.status, `step ${s.id}`).toBe("passed");
      expect(s.durationMs, `step ${s.id} has a duration`).toBeTypeOf("number");
    }
  });

  it("traces www.hamburger.edu from the root, then the CNAME target from the root again", () => {
    const trace = step("trace-www");
    expect(trace.result?.["zones"]).toEqual([".", "edu.", "hamburger.edu.", ".", "edu.", "someschool.edu."]);
    expect(trace.result?.["servers"]).toContain("10.0.0.10");
    expect(trace.result?.["addresses"]).toEqual(["10.0.0.41"]);
    // The transcript is in the textbook's C:/S: form.
    expect(trace.transcript.some((l) => l.dir === "C" && l.text.includes("www.hamburger.edu"))).toBe(true);
    expect(trace.transcript.some((l) => l.dir === "S" && l.text.includes("CNAME"))).toBe(true);
  });

  it("resolves A, MX, CNAME, PTR, SOA and TXT records through the resolver, and NXDOMAIN for a missing name", () => {
    expect(step("a-record").result?.["addresses"]).toEqual(["10.0.0.22"]);
    const data = (id: string) => (step(id).result?.["answers"] as { data: string }[])[0]?.data;
    expect(data("mx-record")).toBe("10 mail.hamburger.edu.");
    expect(data("cname-record")).toBe("www.someschool.edu.");
    expect(data("ptr-record")).toBe("bob.hamburger.edu.");
    expect(data("soa-record")).toMatch(/^ns1\.hamburger\.edu\. hostmaster\.hamburger\.edu\. \d{10} 900 300 604800 60$/);
    expect(data("txt-record")).toContain("v=spf1");
    expect(step("nxdomain").result?.["rcode"]).toBe("NXDOMAIN");
  });

  it("answers a repeated lookup from the cache: the TTL counts down and the authoritative servers see one query", () => {
    const first = step("cache-first").result?.["ttl"] as number;
    const second = step("cache-second").result?.["ttl"] as number;
    const ttls = `TTL ${first} s on the first lookup, ${second} s 2 s later`;
    expect(second, `${ttls}; bound: below the first`).toBeLessThan(first);
    expect(first - second, `${ttls}: counted down ${first - second} s; bound: at least 1 s`).toBeGreaterThanOrEqual(1);
    expect(step("auth-queries").result?.["count"]).toBe(1);
  });

  it("fails over to the secondary with the primary stopped, and starts the primary again", () => {
    expect(step("stop-primary").result?.["state"]).toBe("exited");
    expect(step("failover-lookup").result?.["addresses"]).toEqual(["10.0.0.25"]);
    expect(step("secondary-answered").result?.["count"]).toBeGreaterThanOrEqual(1);
    expect(step("primary-back").result?.["flags"]).toMatchObject({ aa: true });
  });

  it("leaves every service running and healthy afterwards", async () => {
    const services = await api<{ service: string; state: string; health: string }[]>("GET", "/services");
    const unwell = services.body.filter((s) => longRunning(s.service) && (s.state !== "running" || (s.health !== "healthy" && s.health !== "none")));
    expect(unwell).toEqual([]);
  });
});

describe("the secondary name server (ns2.hamburger.edu) started before its primary", () => {
  // A new secondary container has no copy of the zone; the primary is down while it starts.
  let log = "";
  let logBeforePrimary = "";
  let servedAfterMs = Number.NaN;

  beforeAll(async () => {
    compose("stop", "--timeout", "2", "dns-hamburger-1");
    compose("up", "--detach", "--force-recreate", "--no-deps", "dns-hamburger-2");
    await new Promise((resolve) => setTimeout(resolve, 2000));
    logBeforePrimary = compose("logs", "--no-log-prefix", "dns-hamburger-2");
    const started = Date.now();
    compose("start", "dns-hamburger-1");
    for (let i = 0; i < 100; i++) {
      if ((await sh("dns-hamburger-2", "host -W 1 -t SOA hamburger.edu 127.0.0.1")).exitCode === 0) {
        servedAfterMs = Date.now() - started;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    log = compose("logs", "--no-log-prefix", "dns-hamburger-2");
  }, 60_000);

  afterAll(() => {
    compose("up", "--detach", "--wait", "dns-hamburger-1", "dns-hamburger-2");
  }, 120_000);

  it("serves the zone within 10 s of the primary's start (BIND's own retry would take a minute)", () => {
    expect(servedAfterMs, `served ${servedAfterMs} ms after the primary started; its log:\n${log}`).toBeLessThan(10_000);
  });

  it("waits for the primary before starting named, so its first transfer does not fail", () => {
    expect(logBeforePrimary, "named started with the primary still down").not.toMatch(/starting BIND/);
    expect(log).not.toMatch(/refresh: failure trying primary/);
    expect(log).toMatch(/transfer of 'hamburger.edu\/IN' from 10\.0\.0\.30#53: Transfer status: success/);
  });
});

describe("the DNS health check (services/common/dns-health.sh: one query over TCP, in bash)", () => {
  // -w 0: one try, no waiting for a server that is still starting.
  const check = (service: string, args: string) => sh(service, `/usr/local/bin/dns-health.sh -w 0 ${args}`);

  it("passes for a zone the server serves, and for a name resolved through the lab resolver", async () => {
    expect(await check("dns-root", "-r -t SOA . 127.0.0.1")).toEqual({ exitCode: 0, out: "" });
    expect(await check("dns-hamburger-2", "-r -t SOA hamburger.edu. 127.0.0.1")).toEqual({ exitCode: 0, out: "" });
    expect(await check("bob", "-t A www.someschool.edu.")).toEqual({ exitCode: 0, out: "" });
  });

  it("fails, saying why, when the server does not serve the zone, the name does not exist, or nothing listens", async () => {
    const cases: [string, string, RegExp][] = [
      // The root answers with a referral: no answer record.
      ["dns-root", "-r -t SOA hamburger.edu. 127.0.0.1", /127\.0\.0\.1 has no SOA record for hamburger\.edu\./],
      ["dns-root", "-r -t SOA nosuch. 127.0.0.1", /answered nosuch\. SOA with NXDOMAIN/],
      // The resolver refuses to answer without recursion for a zone it does not serve.
      ["dns-resolver", "-r -t SOA hamburger.edu. 127.0.0.1", /answered hamburger\.edu\. SOA with REFUSED/],
      ["dns-root", "-r -t SOA . 127.0.0.2", /nothing answers on 127\.0\.0\.2 port 53/],
    ];
    for (const [service, args, why] of cases) {
      const r = await check(service, args);
      expect(r.exitCode, `${service}: dns-health.sh ${args}`).toBe(1);
      expect(r.out, `${service}: dns-health.sh ${args}`).toMatch(why);
    }
  });
});
