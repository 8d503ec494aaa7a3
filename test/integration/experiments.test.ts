/**
 * Experiments on the real lab: each shipped experiment in --quick mode through the CLI, as a user
 * runs it (./l7lab experiment run <name> --quick --out DIR), its files, and an abort that leaves
 * no fault behind.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { retryUntil } from "../../orchestrator/src/common/retry.ts";
import { api, faultHelpers, repoRoot } from "./lab.ts";

const execFileAsync = promisify(execFile);
/** Runs the CLI; a failure carries what it printed (which point left its bound, say). */
async function run(file: string, args: string[], options: { cwd: string; timeout: number }): Promise<{ stdout: string }> {
  try {
    return await execFileAsync(file, args, options);
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${e.message}\n${e.stdout ?? ""}${e.stderr ?? ""}`, { cause: error });
  }
}
const out = mkdtempSync(join(tmpdir(), "l7lab-experiments-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface ExperimentRun {
  id: string;
  status: string;
  points: { point: Record<string, unknown>; status: string; stats?: { mean: number; n: number }; model: number; allowed: number; withinBound?: boolean; runId?: string }[];
}

/**
 * `./l7lab experiment run <name> --quick --out DIR`, as a user runs it: the run must pass. Its
 * output, data.csv's rows (without the header) and the run's id.
 */
async function quick(name: string): Promise<{ stdout: string; rows: string[][]; id: string }> {
  const dir = join(out, name);
  const { stdout } = await run(join(repoRoot, "l7lab"), ["experiment", "run", name, "--quick", "--out", dir], { cwd: repoRoot, timeout: 120_000 });
  expect(stdout).toMatch(new RegExp(`${name} \\(run [0-9a-f]{8}\\): PASSED`));
  const rows = readFileSync(join(dir, "data.csv"), "utf8").trim().split("\n").slice(1).map((l) => l.split(","));
  return { stdout, rows, id: /run ([0-9a-f]{8})\)/.exec(stdout)![1]! };
}

describe("the shipped experiments, in --quick mode", () => {
  it("GET /api/experiments lists them, each valid", async () => {
    const list = await api<{ name: string; valid: boolean; errors: string[] }[]>("GET", "/experiments");
    expect(list.status).toBe(200);
    expect(list.body.map((e) => e.name)).toEqual(expect.arrayContaining(["caching-load", "dns-latency", "http-persistence", "rtp-jitter", "tftp-loss", "window-rtt"]));
    expect(list.body.flatMap((e) => e.errors)).toEqual([]);
  });

  it("dns-latency: ./l7lab experiment run --quick passes, within 2 minutes, and writes data.csv, report.md and plot.svg", async () => {
    const dir = join(out, "dns-latency");
    const started = Date.now();
    const { stdout } = await run(join(repoRoot, "l7lab"), ["experiment", "run", "dns-latency", "--quick", "--out", dir], { cwd: repoRoot, timeout: 120_000 });
    expect(Date.now() - started).toBeLessThan(120_000);
    expect(stdout).toMatch(/point 1\/2 rttMs=0, cache=cold: .*: within/);
    expect(stdout).toMatch(/point 2\/2 rttMs=100, cache=cold: .*: within/);
    expect(stdout).toMatch(/dns-latency \(run [0-9a-f]{8}\): PASSED/);
    const csv = readFileSync(join(dir, "data.csv"), "utf8").trim().split("\n");
    expect(csv[0]).toBe("rttMs,cache,mean,sd,n,min,max,model,allowed,within_bound,status");
    expect(csv.slice(1).map((l) => l.split(",")[9])).toEqual(["yes", "yes"]);
    // Three referrals of 100 ms each: 300 ms, and a few of the LAN's.
    const cold100 = Number(csv[2]!.split(",")[2]);
    expect(cold100).toBeGreaterThanOrEqual(300);
    expect(cold100).toBeLessThan(330);
    expect(readFileSync(join(dir, "report.md"), "utf8")).toMatch(/\*\*passed\*\*/);
    expect(readFileSync(join(dir, "plot.svg"), "utf8")).toMatch(/^<svg [^>]*>[\s\S]*RTT to each server of the hierarchy \(ms\)[\s\S]*resolution time \(ms\)/);
    // Each point was a scenario run whose faults were undone when it ended.
    const id = /run ([0-9a-f]{8})\)/.exec(stdout)![1]!;
    const record = (await api<ExperimentRun>("GET", `/experiments/dns-latency/runs/${id}`)).body;
    for (const p of record.points) {
      const point = (await api<{ cleanup: { ok: boolean; action: string }[] }>("GET", `/runs/${p.runId}`)).body;
      expect(point.cleanup.map((c) => c.action)).toEqual(Array(3).fill(`remove delay ${String(p.point["rttMs"])} ms`));
      expect(point.cleanup.every((c) => c.ok)).toBe(true);
    }
    expect(await faultHelpers()).toEqual([]);
  }, 150_000);

  it("http-persistence: --quick passes; at 100 ms the page takes ~22, ~12 and ~3 round trips over 11, 1 and 1 connections", async () => {
    const { rows, id } = await quick("http-persistence");
    const at100 = Object.fromEntries(rows.filter((r) => r[0] === "100").map((r) => [r[1], Number(r[2])]));
    expect(at100["non-persistent"]).toBeGreaterThanOrEqual(2200);
    expect(at100["non-persistent"]).toBeLessThan(2420);
    expect(at100["persistent"]).toBeGreaterThanOrEqual(1200);
    expect(at100["persistent"]).toBeLessThan(1320);
    expect(at100["pipelined"]).toBeGreaterThanOrEqual(300);
    expect(at100["pipelined"]).toBeLessThan(330);
    const record = (await api<ExperimentRun>("GET", `/experiments/http-persistence/runs/${id}`)).body;
    const connections: Record<string, number> = {};
    for (const p of record.points) {
      const point = (await api<{ steps: { id: string; result?: { connections?: number; objects?: number } }[] }>("GET", `/runs/${p.runId}`)).body;
      const page = point.steps.find((s) => s.id.startsWith("page"))!.result!;
      expect(page.objects).toBe(10);
      connections[String(p.point["mode"])] = page.connections!;
    }
    expect(connections).toEqual({ "non-persistent": 11, persistent: 1, pipelined: 1 });
    expect(await faultHelpers()).toEqual([]);
  }, 150_000);

  it("rtp-jitter: --quick passes; 10 ms of uniform jitter shows as a mean |D| of about 2/3 of it, and no packet is lost", async () => {
    const { rows } = await quick("rtp-jitter");
    expect(rows.map((r) => [r[0], r[8]])).toEqual([["0", "yes"], ["10", "yes"]]);
    const clean = Number(rows[0]![1]);
    const jittered = Number(rows[1]![1]);
    expect(clean).toBeLessThan(1);
    expect(jittered).toBeGreaterThan(6);
    expect(jittered).toBeLessThan(7.7);
    expect(await faultHelpers()).toEqual([]);
  }, 150_000);

  it("window-rtt: --quick passes; 10 segments give one window per round trip at 10 and 100 ms", async () => {
    const { rows } = await quick("window-rtt");
    const goodput = Object.fromEntries(rows.map((r) => [r[0], Number(r[2])]));
    // 14,480 octets per round trip: 11,584 kbit/s at 10 ms, 1,158 at 100 ms; a tenth as fast at ten times the RTT.
    expect(goodput["100"]).toBeGreaterThan(1100);
    expect(goodput["100"]).toBeLessThan(1170);
    expect(goodput["10"]! / goodput["100"]!).toBeGreaterThan(9);
    expect(goodput["10"]! / goodput["100"]!).toBeLessThan(10.1);
    expect(await faultHelpers()).toEqual([]);
  }, 150_000);

  it("tftp-loss: --quick passes; 10% loss makes the thin client's boot (581 exchanges at 512 octets) take seconds, not milliseconds", async () => {
    const { rows } = await quick("tftp-loss");
    const ms = Object.fromEntries(rows.map((r) => [r[0], Number(r[2])]));
    expect(ms["0"]).toBeLessThan(500);
    // About 136 failed exchanges at 50 ms each.
    expect(ms["10"]).toBeGreaterThan(4500);
    expect(ms["10"]).toBeLessThan(9300);
    expect(await faultHelpers()).toEqual([]);
  }, 150_000);

  it("caching-load: --quick passes; without the cache the access link's queue grows with the load (ρ 0.3 against 0.85)", async () => {
    const { rows } = await quick("caching-load");
    const ms = Object.fromEntries(rows.map((r) => [r[0], Number(r[2])]));
    // 200 ms away, 68 ms on the link: ~300 ms at ρ = 0.3, ~650 ms at 0.85.
    expect(ms["4.4"]).toBeGreaterThan(240);
    expect(ms["4.4"]).toBeLessThan(360);
    expect(ms["12.45"]! - ms["4.4"]!).toBeGreaterThan(200);
    expect(await faultHelpers()).toEqual([]);
  }, 150_000);

  it("an aborted run stops at the point under way and leaves no fault behind", async () => {
    const started = await api<ExperimentRun>("POST", "/experiments/dns-latency/runs", {});
    expect(started.status).toBe(202);
    const id = started.body.id;
    await retryUntil(async () => ((await faultHelpers()).length > 0 ? true : undefined), "the first point's faults applied", { timeoutMs: 30_000, intervalMs: 50 });
    expect((await api("POST", `/experiments/dns-latency/runs/${id}/abort`, {})).status).toBe(200);
    const done = await retryUntil(async () => {
      const r = (await api<ExperimentRun>("GET", `/experiments/dns-latency/runs/${id}`)).body;
      return r.status === "running" ? undefined : r;
    }, "the aborted run finishing", { timeoutMs: 30_000, intervalMs: 100 });
    expect(done.status).toBe("aborted");
    expect(done.points.filter((p) => p.status === "done").length).toBeLessThan(done.points.length);
    expect(await faultHelpers()).toEqual([]);
  }, 60_000);
});
