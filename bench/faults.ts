/**
 * Benchmark: how precise the network faults are, measured from a workstation as a user would.
 *
 *   ./l7lab bench faults [--connects 40] [--transfers 5]
 *
 *   delay      For D = 10, 50, 100 and 200 ms on www: TCP connects from Alice (curl's
 *              time_connect, one round trip each), against connects without the fault taken in
 *              the same round; the added p50 against D. Target: within 1 ms or 2% of D,
 *              whichever is larger.
 *   jitter     50 ms with 10 ms of jitter, uniform then normal: the connects' standard deviation
 *              against the distribution's (10/sqrt(3) = 5.77 ms, and 10 ms). Target: within 20%.
 *   throughput The 8 MiB object from www to Alice, through the delay line at 0 ms against no fault,
 *              alternated; Mbit/s, and the delay line's CPU (its helper container's cgroup) per
 *              MiB. Target: at least 100 Mbit/s. And the same 2 MiB behind 100 ms of delay on www
 *              (the sender) and on Alice (the receiver's ACKs): the same round trip, so about the
 *              same time, unless the delay line throttles a sender's TCP (TCP Small Queues).
 *   partition  Alice partitioned from www while she pings it 100 times (10 ms apart): echo
 *              requests www received (its /proc/net/snmp InEchos), which must be 0; then the time
 *              from the DELETE to Alice's first answered ping. Target: under 1 s.
 *
 * The lab must be up and idle; run it alone (2 cores). It prints figures, not verdicts, but flags
 * any figure off its target.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import Docker from "dockerode";
import { call, machine, median, opt } from "./api.ts";

const args = process.argv.slice(2);
const connects = opt(args, "connects", 40);
const transfers = opt(args, "transfers", 5);
const run = promisify(execFile);
const docker = new Docker();

async function sh(service: string, command: string): Promise<string> {
  const { stdout } = await run("docker", ["compose", "exec", "-T", service, "sh", "-c", command], { maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

interface Topology {
  services: { name: string; networks: { network: string; ipv4: string }[] }[];
}
const topology = await call<Topology>("GET", "/topology");
const addressOf = (name: string) => topology.services.find((s) => s.name === name)!.networks.find((n) => n.network === "internet")!.ipv4;
const www = addressOf("www");

async function withFault<T>(body: Record<string, unknown>, work: (fault: { id: string; helper: string }) => Promise<T>): Promise<T> {
  const fault = await call<{ id: string; helper: string }>("POST", "/faults", body);
  try {
    return await work(fault);
  } finally {
    await call("DELETE", `/faults/${fault.id}`);
  }
}

/**
 * Round trips (ms) of `n` TCP connects from Alice to www:80, `gapS` seconds apart. A gap longer
 * than the largest delay lets each connect find the delay line empty: it keeps packets in order,
 * so a SYN-ACK queued behind the last packets of the connection before would wait for them.
 */
async function connectTimes(n: number, gapS = 0): Promise<number[]> {
  const out = await sh("alice", `for i in $(seq ${n}); do curl -s -o /dev/null --max-time 5 -w '%{time_connect}\\n' http://${www}/; sleep ${gapS}; done`);
  return out.trim().split("\n").map((l) => Number(l) * 1000);
}

const sd = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};
const f = (x: number, d = 2) => x.toFixed(d);
const flag = (ok: boolean) => (ok ? "" : "  <-- off target");

console.log(`fault precision benchmark, ${machine()}`);
const caps = await call<{ kinds: Record<string, { backend: string }> }>("GET", "/capabilities");
console.log(`delay backend: ${caps.kinds["delay"]!.backend}`);

console.log(`\ndelay: TCP connects from alice to www, ${connects} per point; added p50 = p50(delayed) - p50(no fault, same round)`);
console.log("D (ms)  p50 no fault  p50 delayed  added  error   bound");
for (const d of [10, 50, 100, 200]) {
  const base = median(await connectTimes(connects));
  const delayed = median(await withFault({ service: "www", delayMs: d }, () => connectTimes(connects)));
  const added = delayed - base;
  const bound = Math.max(1, 0.02 * d);
  console.log(`${String(d).padStart(6)}  ${f(base).padStart(12)}  ${f(delayed).padStart(11)}  ${f(added).padStart(5)}  ${f(added - d).padStart(5)}  ±${f(bound)}${flag(Math.abs(added - d) <= bound)}`);
}

console.log(`\njitter: 50 ms delay with 10 ms of jitter, ${connects * 2} connects each, 150 ms apart; standard deviation against the distribution's`);
console.log("distribution  expected sd  measured sd  ratio  mean added");
for (const [distribution, expected] of [["uniform", 10 / Math.sqrt(3)], ["normal", 10]] as const) {
  const base = median(await connectTimes(10));
  const times = await withFault({ service: "www", delayMs: 50, jitterMs: 10, distribution }, () => connectTimes(connects * 2, 0.15));
  const s = sd(times);
  const mean = times.reduce((a, b) => a + b, 0) / times.length - base;
  console.log(`${distribution.padEnd(12)}  ${f(expected).padStart(11)}  ${f(s).padStart(11)}  ${f(s / expected).padStart(5)}  ${f(mean).padStart(10)}${flag(Math.abs(s / expected - 1) <= 0.2)}`);
}

/** Downloads of the 8 MiB object by Alice from www: Mbit/s of each. */
async function downloads(n: number): Promise<number[]> {
  const out = await sh("alice", `for i in $(seq ${n}); do curl -s -o /dev/null --max-time 60 -w '%{size_download} %{time_total}\\n' http://${www}/objects/large.bin; done`);
  return out.trim().split("\n").map((l) => {
    const [size, time] = l.split(" ").map(Number);
    return (size! * 8) / time! / 1e6;
  });
}
/** The CPU a container has used, in ms (cgroup usage, from Docker's stats). */
async function cpuMs(name: string): Promise<number> {
  const stats = (await docker.getContainer(name).stats({ stream: false })) as unknown as { cpu_stats: { cpu_usage: { total_usage: number } } };
  return stats.cpu_stats.cpu_usage.total_usage / 1e6;
}

console.log(`\nthroughput: the 8 MiB object from www to alice, ${transfers} downloads per round, 3 rounds alternated; median Mbit/s`);
const plain: number[] = [];
const lined: number[] = [];
let lineCpuMs = 0;
let lineMiB = 0;
for (let round = 0; round < 3; round++) {
  plain.push(...(await downloads(transfers)));
  await withFault({ service: "www", delayMs: 0 }, async (fault) => {
    const before = await cpuMs(fault.helper);
    lined.push(...(await downloads(transfers)));
    lineCpuMs += (await cpuMs(fault.helper)) - before;
    lineMiB += 8 * transfers;
  });
}
console.log(`no fault               ${f(median(plain), 0).padStart(6)} Mbit/s`);
console.log(`delay line at 0 ms     ${f(median(lined), 0).padStart(6)} Mbit/s  (${f(median(lined) / median(plain))}x)${flag(median(lined) >= 100)}`);
console.log(`delay line CPU         ${f(lineCpuMs / lineMiB, 2)} ms per MiB (${f(lineCpuMs / 1000)} s for ${lineMiB} MiB)`);

/** Seconds for Alice to download the first 2 MiB of the 8 MiB object from www. */
async function twoMiB(): Promise<number> {
  return Number((await sh("alice", `curl -s -o /dev/null --max-time 60 -r 0-2097151 -w '%{time_total}' http://${www}/objects/large.bin`)).trim());
}
const onSender: number[] = [];
const onReceiver: number[] = [];
for (let round = 0; round < 3; round++) {
  onSender.push(await withFault({ service: "www", delayMs: 100 }, twoMiB));
  onReceiver.push(await withFault({ service: "alice", delayMs: 100 }, twoMiB));
}
console.log(`2 MiB, 100 ms on www (sender)    ${f(median(onSender))} s`);
console.log(`2 MiB, 100 ms on alice (receiver) ${f(median(onReceiver))} s  (sender/receiver ${f(median(onSender) / median(onReceiver))}x)${flag(median(onSender) / median(onReceiver) < 1.5)}`);

console.log("\npartition: alice from www while alice pings www 100 times, 10 ms apart");
/** Echo requests www has received (its namespace's /proc/net/snmp: an Icmp header line, then values). */
async function inEchos(): Promise<number> {
  const [names, values] = (await sh("www", "grep '^Icmp:' /proc/net/snmp")).trim().split("\n").map((l) => l.split(/\s+/));
  return Number(values![names!.indexOf("InEchos")]);
}
const before = await inEchos();
const fault = await call<{ id: string }>("POST", "/faults", { service: "alice", partition: "www" });
const during = await sh("alice", `ping -n -q -c 100 -i 0.01 -W 1 ${www} | grep transmitted || true`);
const crossed = (await inEchos()) - before;
// From the DELETE to the first answer: Alice pings every 10 ms meanwhile.
const pinger = sh("alice", `for i in $(seq 300); do ping -n -c 1 -W 0.05 ${www} >/dev/null 2>&1 && { date +%s%N; exit 0; }; done; echo none`);
await new Promise((r) => setTimeout(r, 200));
const healStart = Date.now();
await call("DELETE", `/faults/${fault.id}`);
const answered = (await pinger).trim();
const healedMs = answered === "none" ? NaN : Number(BigInt(answered) / 1_000_000n) - healStart;
console.log(`echo requests that reached www: ${crossed}${flag(crossed === 0)}   (alice: ${during.trim()})`);
console.log(`healed: first answered ping ${healedMs} ms after the DELETE was sent${flag(healedMs < 1000)}`);
