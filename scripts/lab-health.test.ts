import { describe, expect, it } from "vitest";
import { HealthWait, type PsEntry } from "./lab-health.ts";

const ps = (Service: string, ID: string, State: string, Health: string, extra: Partial<PsEntry> = {}): PsEntry => ({ ID, Name: `l7lab-${Service}-1`, Service, State, Health, ExitCode: 0, ...extra });
const since = Date.parse("2026-12-07T06:00:00Z");
const full = (short: string) => short + "0".repeat(64 - short.length);

describe("HealthWait: when ./l7lab up has its lab", () => {
  it("is done only once every starting service has reported healthy", () => {
    const wait = new HealthWait([ps("dns-root", "aaa111", "running", "starting"), ps("www", "bbb222", "running", "starting"), ps("lab-ca", "ccc333", "running", "healthy")], since);
    expect(wait.outcome()).toBeUndefined();
    expect(wait.pending()).toEqual(["dns-root", "www"]);
    expect(wait.event({ id: full("bbb222"), Action: "health_status: healthy" })).toBeUndefined();
    expect(wait.pending()).toEqual(["dns-root"]);
    expect(wait.event({ id: full("aaa111"), Action: "health_status: healthy" })).toEqual({ ok: true });
  });

  it("counts a running container without a health check as up, and is done at once when all are", () => {
    expect(new HealthWait([ps("bob", "aaa111", "running", ""), ps("www", "bbb222", "running", "healthy")], since).outcome()).toEqual({ ok: true });
  });

  it("fails, naming the service, when a container dies or turns unhealthy", () => {
    const dies = new HealthWait([ps("dns-root", "aaa111", "running", "starting"), ps("www", "bbb222", "running", "starting")], since);
    expect(dies.event({ id: full("aaa111"), Action: "die" })).toEqual({ ok: false, reason: "service dns-root exited" });
    const sick = new HealthWait([ps("dns-root", "aaa111", "running", "starting")], since);
    expect(sick.event({ id: full("aaa111"), Action: "health_status: unhealthy" })).toEqual({ ok: false, reason: "service dns-root is unhealthy" });
    expect(new HealthWait([ps("www", "bbb222", "running", "unhealthy")], since).outcome()).toEqual({ ok: false, reason: "service www is unhealthy" });
  });

  it("waits for a one-shot init container (role net-init) to exit, and wants exit code 0", () => {
    const labels = "com.docker.compose.service=bob-routes,l7lab.role=net-init,l7lab.init-for=bob";
    const ok = new HealthWait([ps("bob", "aaa111", "running", "starting"), ps("bob-routes", "bbb222", "running", "", { Labels: labels })], since);
    expect(ok.pending()).toEqual(["bob", "bob-routes"]);
    expect(ok.event({ id: full("aaa111"), Action: "health_status: healthy" })).toBeUndefined();
    expect(ok.event({ id: full("bbb222"), Action: "die", Actor: { Attributes: { exitCode: "0" } } })).toEqual({ ok: true });
    const failed = new HealthWait([ps("bob-routes", "bbb222", "running", "", { Labels: labels })], since);
    expect(failed.event({ id: full("bbb222"), Action: "die", Actor: { Attributes: { exitCode: "2" } } })).toEqual({ ok: false, reason: "one-shot service bob-routes exited (exit code 2)" });
    // Already done when the wait begins: up if it exited 0, a failure of this start otherwise.
    expect(new HealthWait([ps("bob-routes", "bbb222", "exited", "", { Labels: labels, FinishedAt: "2026-12-07T06:00:01Z" })], since).outcome()).toEqual({ ok: true });
    expect(new HealthWait([ps("bob-routes", "bbb222", "exited", "", { Labels: labels, ExitCode: 1, FinishedAt: "2026-12-07T06:00:01Z" })], since).outcome())
      .toEqual({ ok: false, reason: "one-shot service bob-routes exited (exit code 1)" });
    // Without the label, an exit is a failure as before.
    expect(new HealthWait([ps("bob-routes", "bbb222", "running", "")], since).event({ id: full("bbb222"), Action: "die", Actor: { Attributes: { exitCode: "0" } } }))
      .toEqual({ ok: false, reason: "service bob-routes exited" });
  });

  it("ignores events about containers compose did not list (replaced by a recreate, or another project's)", () => {
    const wait = new HealthWait([ps("dns-root", "aaa111", "running", "starting")], since);
    expect(wait.event({ id: full("ddd444"), Action: "die" })).toBeUndefined();
    expect(wait.event({ id: full("ddd444"), Action: "health_status: healthy" })).toBeUndefined();
    expect(wait.pending()).toEqual(["dns-root"]);
  });

  it("fails for a container that exited during this start, with its exit code, but not for one that had exited before", () => {
    const before = new HealthWait([ps("dns-root", "aaa111", "running", "starting"), ps("tftp", "eee555", "exited", "", { FinishedAt: "2026-12-07T05:59:59.9Z" })], since);
    expect(before.outcome()).toBeUndefined();
    expect(before.pending()).toEqual(["dns-root"]);
    const during = new HealthWait([ps("dns-root", "aaa111", "running", "starting"), ps("tftp", "eee555", "exited", "", { FinishedAt: "2026-12-07T06:00:01Z", ExitCode: 3 })], since);
    expect(during.outcome()).toEqual({ ok: false, reason: "service tftp exited (exit code 3)" });
  });

  it("waits for a container that is still being created or restarting", () => {
    const wait = new HealthWait([ps("media", "fff666", "created", "")], since);
    expect(wait.pending()).toEqual(["media"]);
    expect(wait.event({ id: full("fff666"), Action: "health_status: healthy" })).toEqual({ ok: true });
  });
});
