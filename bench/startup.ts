/**
 * Benchmark: how long the lab takes to come up, against the physical floor.
 *
 *   npm run bench:startup [-- --rounds 3] [-- --cold-build] [-- --against FILE]
 *
 * With the images built, each round times the start `./l7lab up` makes (`docker compose up
 * --detach`, then Docker's health events until every service is healthy: scripts/lab-health.ts)
 * from a downed lab, and, in the same round, the start of the same number of bare containers (the
 * Debian base image running `sleep`, on one internal network) until all run. The ratio of the two
 * is the figure to quote. (It no longer times `docker compose up --detach --wait` beside it:
 * Compose 2.26's --wait fails on the one-shots that set bob's and the proxy's routes and exit.)
 * It also prints, per round, the CPU time the machine
 * spent (all cores, from /proc/stat) on each, and, per service, the median time from `up` to the
 * container's start and to its first passing health check. With --cold-build it also times a
 * build of every image with no cache (base images excepted), which needs the package archive.
 * With --against FILE, each round also times the same start with the compose override FILE
 * added (`docker compose -f docker-compose.yml -f FILE`: other images, a service without its
 * health check, ...), alternating with the plain lab, and prints the median of the per-round
 * ratios: what a change costs or saves at start, measured side by side.
 */
import { execFile, execFileSync, spawnSync } from "node:child_process";
import { promisify } from "node:util";
import { existsSync, readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { waitHealthy } from "../scripts/lab-health.ts";

const args = process.argv.slice(2);
const rounds = Number(args[args.indexOf("--rounds") + 1] ?? 3) || 3;
const coldBuild = args.includes("--cold-build");
const againstAt = args.indexOf("--against");
const against = againstAt >= 0 ? args[againstAt + 1] : undefined;
if (againstAt >= 0 && (against === undefined || !existsSync(against))) {
  console.error(`--against wants a compose override file, got "${against ?? ""}"`);
  process.exit(2);
}

const sh = (cmd: string, argv: string[]) => execFileSync(cmd, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
function timed(cmd: string, argv: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, argv, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(" ")} failed: ${r.stderr}`);
  return (performance.now() - t0) / 1000;
}
/** CPU-seconds the whole machine has been busy (all cores), from /proc/stat. */
function busyCpuSeconds(): number {
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = ticks as number[];
  return (user! + nice! + system! + irq! + softirq! + steal!) / 100; // USER_HZ is 100 on Linux
}
interface Inspected { Name: string; State: { StartedAt: string; Health?: { Log?: { ExitCode: number; End: string }[] } } }
/** Seconds from `since` (epoch ms) to each service's start and to its first passing health check. */
function serviceTimes(since: number): Map<string, { started: number; healthy: number }> {
  const ids = sh("docker", ["compose", "ps", "--quiet"]).trim().split("\n");
  const out = new Map<string, { started: number; healthy: number }>();
  for (const c of JSON.parse(sh("docker", ["inspect", ...ids])) as Inspected[]) {
    const ok = c.State.Health?.Log?.find((l) => l.ExitCode === 0);
    const service = c.Name.replace(/^\/[^-]+-/, "").replace(/-\d+$/, "");
    out.set(service, { started: (Date.parse(c.State.StartedAt) - since) / 1000, healthy: ok ? (Date.parse(ok.End) - since) / 1000 : NaN });
  }
  return out;
}
const run = promisify(execFile);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const env = Object.fromEntries(readFileSync(".env", "utf8").split("\n").filter((l) => /^\w+=/.test(l)).map((l) => l.split("=", 2) as [string, string]));
const baseImage = env["BASE_IMAGE"] ?? "debian:bookworm-slim";
const services = sh("docker", ["compose", "config", "--services"]).trim().split("\n");
const n = services.length;

if (coldBuild) {
  console.log(`cold build of all images (no cache, base images kept) ...`);
  sh("docker", ["compose", "down", "--timeout", "2"]);
  const t = timed("docker", ["compose", "build", "--no-cache"]);
  console.log(`cold build: ${t.toFixed(1)} s`);
}
sh("docker", ["compose", "build", "--quiet"]);

/**
 * `./l7lab up`'s start (scripts/lab-up.ts) without its build: seconds until every service is
 * healthy. `env`: COMPOSE_FILE for the --against start.
 */
async function labUp(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const t0 = performance.now();
  const since = Date.now();
  const r = spawnSync("docker", ["compose", "up", "--detach"], { encoding: "utf8", env });
  if (r.status !== 0) throw new Error(`docker compose up --detach failed: ${r.stderr}`);
  const outcome = await waitHealthy({ sinceMs: since, timeoutMs: 300_000, env });
  if (!outcome.ok) throw new Error(`the lab did not come up: ${outcome.reason}`);
  return (performance.now() - t0) / 1000;
}

const lab: number[] = [];
const withOverride: number[] = [];
const overrideEnv = { ...process.env, COMPOSE_FILE: `docker-compose.yml:${against}` };
const floor: number[] = [];
const labCpu: number[] = [];
const floorCpu: number[] = [];
const perService = new Map<string, { started: number[]; healthy: number[] }>();
for (let i = 0; i < rounds; i++) {
  sh("docker", ["compose", "down", "--timeout", "2"]);
  const since = Date.now();
  let cpu = busyCpuSeconds();
  lab.push(await labUp());
  labCpu.push(busyCpuSeconds() - cpu);
  for (const [service, t] of serviceTimes(since)) {
    const row = perService.get(service) ?? { started: [], healthy: [] };
    row.started.push(t.started);
    row.healthy.push(t.healthy);
    perService.set(service, row);
  }
  sh("docker", ["compose", "down", "--timeout", "2"]);

  const net = `l7lab-bench-floor-${process.pid}`;
  sh("docker", ["network", "create", "--internal", net]);
  const names = Array.from({ length: n }, (_, k) => `${net}-${k}`);
  const t0 = performance.now();
  cpu = busyCpuSeconds();
  // Started all at once, as compose starts independent services.
  await Promise.all(names.map((name) => run("docker", ["run", "-d", "--rm", "--name", name, "--network", net, "--init", baseImage, "sleep", "600"])));
  floor.push((performance.now() - t0) / 1000);
  floorCpu.push(busyCpuSeconds() - cpu);
  sh("docker", ["rm", "-f", ...names]);
  sh("docker", ["network", "rm", net]);

  if (against !== undefined) {
    sh("docker", ["compose", "down", "--timeout", "2"]);
    withOverride.push(await labUp(overrideEnv));
    spawnSync("docker", ["compose", "down", "--timeout", "2"], { env: overrideEnv });
  }
  const extra = against !== undefined ? `, lab with ${against} ${withOverride[i]!.toFixed(2)} s` : "";
  console.log(`round ${i + 1}: lab up and healthy ${lab[i]!.toFixed(2)} s (${labCpu[i]!.toFixed(1)} CPU-s), ${n} bare containers ${floor[i]!.toFixed(2)} s (${floorCpu[i]!.toFixed(1)} CPU-s)${extra}`);
}
const docker = sh("docker", ["version", "--format", "{{.Server.Version}}"]).trim();
console.log(`\n${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Docker ${docker}`);
console.log(`services: ${n}; rounds: ${rounds}`);
console.log(`lab up to all healthy (./l7lab up's wait), median: ${median(lab).toFixed(2)} s`);
console.log(`${n} bare containers started at once, median: ${median(floor).toFixed(2)} s`);
console.log(`ratio lab / floor: ${(median(lab) / median(floor)).toFixed(2)} (median of the rounds' own ratios: ${median(lab.map((l, k) => l / floor[k]!)).toFixed(2)})`);
if (against !== undefined) {
  const ratios = withOverride.map((w, k) => w / lab[k]!);
  console.log(`lab with ${against} added, median: ${median(withOverride).toFixed(2)} s (${(median(withOverride) / median(floor)).toFixed(2)}x the floor; median of the rounds' ratios to the plain lab: ${median(ratios).toFixed(2)}, ${ratios.filter((r) => r < 1).length} of ${rounds} rounds faster)`);
}
console.log(`CPU time spent by the machine (all cores), median: lab ${median(labCpu).toFixed(1)} CPU-s, bare containers ${median(floorCpu).toFixed(1)} CPU-s`);
console.log(`\nper service, median seconds from \`up\` (ordered by time to healthy):`);
const rows = [...perService].map(([service, t]) => ({ service, started: median(t.started), healthy: median(t.healthy) })).sort((a, b) => a.healthy - b.healthy);
for (const r of rows) console.log(`  ${r.service.padEnd(20)} started ${r.started.toFixed(1).padStart(5)}  healthy ${r.healthy.toFixed(1).padStart(5)}`);
