/**
 * Benchmark: what the idle lab costs the machine, side by side with the same number of bare
 * containers (the Debian base image running `sleep` under an init, on one internal network).
 *
 *   npm run bench:idle [-- --seconds 120] [-- --settle 20]
 *
 * For each of the two, after `--settle` seconds of quiet: the machine's CPU busy time over
 * `--seconds` (from /proc/stat, in % of one core), Docker execs per second (exec_start events, which
 * is what a health check is), zombie processes on the whole machine, and the containers' memory
 * (`docker stats`). The default window is 120 s, one whole health-check interval: the lab's checks
 * start together, so a shorter window would see either all of them or none. Ends with the lab up.
 */
import { execFile, execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { promisify } from "node:util";
import { machine, opt } from "./api.ts";
import { parseComposeTopology } from "../orchestrator/src/lab/topology.ts";
import { waitHealthy } from "../scripts/lab-health.ts";

const args = process.argv.slice(2);
const seconds = opt(args, "seconds", 120);
const settle = opt(args, "settle", 20);
const sh = (cmd: string, argv: string[]) => execFileSync(cmd, argv, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
const run = promisify(execFile);
const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/** Jiffies the machine spent busy and in total, from the first line of /proc/stat. */
function cpuTimes(): { busy: number; total: number } {
  const f = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0); // user..steal; guest is inside user
  const idle = f[3]! + f[4]!; // idle + iowait
  return { busy: total - idle, total };
}

/** Processes in state Z anywhere on the machine. */
function zombies(): number {
  let n = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

const units: Record<string, number> = { B: 1, KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, kB: 1e3, MB: 1e6, GB: 1e9 };
/** The summed memory use of the given containers, in MiB (`docker stats`, page cache excluded). */
function memoryMiB(ids: string[]): number {
  if (ids.length === 0) return 0;
  const lines = sh("docker", ["stats", "--no-stream", "--format", "{{.MemUsage}}", ...ids]).trim().split("\n");
  let bytes = 0;
  for (const line of lines) {
    const m = /^([\d.]+)\s*([A-Za-z]+)/.exec(line);
    if (m) bytes += Number(m[1]) * (units[m[2]!] ?? 1);
  }
  return bytes / 2 ** 20;
}

interface Figures {
  cpuPercentOfOneCore: number;
  execsPerSecond: number;
  zombies: number;
  memoryMiB: number;
}

async function measure(label: string, ids: () => string[]): Promise<Figures> {
  console.log(`${label}: settling ${settle} s, then measuring ${seconds} s ...`);
  await sleep(settle);
  const since = Math.floor(Date.now() / 1000);
  const a = cpuTimes();
  await sleep(seconds);
  const b = cpuTimes();
  const until = Math.floor(Date.now() / 1000);
  const events = sh("docker", ["events", "--since", String(since), "--until", String(until), "--filter", "type=container", "--filter", "event=exec_start", "--format", "{{.Action}}"]);
  const execs = events.split("\n").filter((l) => l.startsWith("exec_start")).length;
  const cores = Number(sh("nproc", []).trim());
  const f: Figures = {
    cpuPercentOfOneCore: ((b.busy - a.busy) / (b.total - a.total)) * cores * 100,
    execsPerSecond: execs / (until - since),
    zombies: zombies(),
    memoryMiB: memoryMiB(ids()),
  };
  console.log(`${label}: CPU ${f.cpuPercentOfOneCore.toFixed(2)}% of one core, ${f.execsPerSecond.toFixed(2)} execs/s (${execs}), ${f.zombies} zombies, ${f.memoryMiB.toFixed(0)} MiB`);
  return f;
}

const env = Object.fromEntries(readFileSync(".env", "utf8").split("\n").filter((l) => /^\w+=/.test(l)).map((l) => l.split("=", 2) as [string, string]));
const baseImage = env["BASE_IMAGE"] ?? "debian:bookworm-slim";
// The services that stay up: not the one-shots that set a host's routes and exit (role net-init).
const topology = parseComposeTopology(readFileSync("docker-compose.yml", "utf8"));
const n = topology.services.filter((s) => s.role !== "net-init").length;
sh("docker", ["compose", "build", "--quiet"]);

// The floor: n bare containers, with the lab down.
sh("docker", ["compose", "down", "--timeout", "5"]);
const net = `l7lab-bench-idle-${process.pid}`;
sh("docker", ["network", "create", "--internal", net]);
const names = Array.from({ length: n }, (_, k) => `${net}-${k}`);
let floor: Figures;
try {
  await Promise.all(names.map((name) => run("docker", ["run", "-d", "--rm", "--name", name, "--network", net, "--init", baseImage, "sleep", "infinity"])));
  floor = await measure(`${n} bare containers`, () => names);
} finally {
  sh("docker", ["rm", "-f", ...names]);
  sh("docker", ["network", "rm", net]);
}

// The lab, idle once every service is healthy.
// (./l7lab up's wait on Docker's health events: Compose 2.26's --wait fails on a one-shot that has exited.)
const since = Date.now();
sh("docker", ["compose", "up", "--detach"]);
const up = await waitHealthy({ sinceMs: since, timeoutMs: 300_000 });
if (!up.ok) throw new Error(`the lab did not come up: ${up.reason}`);
const labIds = () => sh("docker", ["compose", "ps", "--quiet", "--status", "running"]).trim().split("\n").filter(Boolean);
const lab = await measure(`the lab (${n} services)`, labIds);

const docker = sh("docker", ["version", "--format", "{{.Server.Version}}"]).trim();
console.log(`\n${machine()}, Docker ${docker}; window ${seconds} s after ${settle} s of settling`);
console.log(`| figure | ${n} bare containers | the lab idle | lab - floor |`);
console.log(`| --- | --- | --- | --- |`);
const row = (name: string, k: keyof Figures, digits: number, unit: string) =>
  console.log(`| ${name} | ${floor[k].toFixed(digits)}${unit} | ${lab[k].toFixed(digits)}${unit} | ${(lab[k] - floor[k]).toFixed(digits)}${unit} |`);
row("machine CPU busy, % of one core", "cpuPercentOfOneCore", 2, "%");
row("Docker execs per second", "execsPerSecond", 2, "");
row("zombie processes on the machine", "zombies", 0, "");
row("container memory (docker stats)", "memoryMiB", 0, " MiB");
