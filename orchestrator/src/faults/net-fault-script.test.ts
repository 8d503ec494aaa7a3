/**
 * services/router/net-fault.sh's rate fault, run with stand-ins for tc, ip and iptables (no
 * namespace, no privileges): the arguments it checks, the tbf it puts on each interface, the lock,
 * the cleanup after a failure half-way, and the counters it reads from real `tc -s qdisc show`
 * output. That the kernel takes these commands is checked in a container (see net-fault.sh).
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { parseNetFaultStats, rateCounters } from "./net-fault-args.ts";

const SCRIPT = fileURLToPath(new URL("../../../services/router/net-fault.sh", import.meta.url));

/** `tc -s qdisc show` in a container holding `net-fault.sh rate 1500` on four veths, after UDP floods; v3 has someone else's tbf (handle 1:). */
const TC_S_QDISC_SHOW = `qdisc noqueue 0: dev lo root refcnt 2 
 Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) 
 backlog 0b 0p requeues 0
qdisc tbf 77: dev v1 root refcnt 3 rate 1500Kbit burst 2999b lat 100ms 
 Sent 24442 bytes 101 pkt (dropped 199, overlimits 464 requeues 0) 
 backlog 0b 0p requeues 0
qdisc tbf 77: dev v0 root refcnt 3 rate 1500Kbit burst 2999b lat 100ms 
 Sent 24514 bytes 17 pkt (dropped 483, overlimits 526 requeues 0) 
 backlog 0b 0p requeues 0
qdisc tbf 1: dev v3 root refcnt 3 rate 500Kbit burst 3000b lat 50ms 
 Sent 9000 bytes 9 pkt (dropped 91, overlimits 120 requeues 0) 
 backlog 0b 0p requeues 0
qdisc tbf 77: dev v2 root refcnt 3 rate 1500Kbit burst 2999b lat 100ms 
 Sent 22924 bytes 22 pkt (dropped 78, overlimits 136 requeues 0) 
 backlog 0b 0p requeues 0
`;

/** `ip -o link show` of a router-like namespace: loopback, a tunnel fallback device (down), and two veths. */
const LINKS = `1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00
2: tunl0@NONE: <NOARP> mtu 1480 qdisc noop state DOWN mode DEFAULT group default qlen 1000\\    link/ipip 0.0.0.0 brd 0.0.0.0
40: eth0@if41: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default \\    link/ether 02:42:0a:01:00:fe brd ff:ff:ff:ff:ff:ff link-netnsid 0
42: eth1@if43: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 9000 qdisc noqueue state UP mode DEFAULT group default \\    link/ether 02:42:0a:00:00:fe brd ff:ff:ff:ff:ff:ff link-netnsid 0
`;

// Stand-ins: tc keeps one file per interface with a root qdisc in $FAKE/qdiscs; iptables knows no
// chains (no loss fault); ip only lists $FAKE/links.
const FAKE_TC = `#!/bin/sh
echo "tc $*" >> "$FAKE/calls"
S="$FAKE/qdiscs"
case "$*" in
  "-s qdisc show")
    if [ -f "$FAKE/tc-s" ]; then cat "$FAKE/tc-s"; exit 0; fi
    for f in "$S"/*; do [ -e "$f" ] || continue; cat "$f"; echo " Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0) "; done ;;
  "qdisc show")
    echo "qdisc noqueue 0: dev lo root refcnt 2 "
    for f in "$S"/*; do [ -e "$f" ] && cat "$f"; done; true ;;
  "qdisc show dev "*)
    if [ -e "$S/$4" ]; then sed "s/ dev $4//" "$S/$4"; else echo "qdisc noqueue 0: root refcnt 2 "; fi ;;
  "qdisc add dev "*" parent "*|"class add dev "*|"filter add dev "*) ;;
  "qdisc add dev "*)
    if [ -e "$S/$4" ]; then echo "Error: Exclusivity flag on, cannot modify." >&2; exit 2; fi
    echo "qdisc tbf $7 dev $4 root refcnt 2 rate \${10} burst \${12}b lat \${14} " > "$S/$4" ;;
  "qdisc del dev "*)
    if [ -e "$S/$4" ] && grep -q "^qdisc tbf $7 " "$S/$4"; then rm "$S/$4"; else echo "Error: Invalid handle." >&2; exit 2; fi ;;
  *) echo "fake tc: $*" >&2; exit 1 ;;
esac
`;
const FAKE_IP = `#!/bin/sh
[ "$*" = "-o link show" ] || exit 1
cat "$FAKE/links"
`;
const FAKE_IPTABLES = "#!/bin/sh\nexit 1\n";

let dir = "";

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "net-fault-"));
  mkdirSync(join(dir, "bin"));
  mkdirSync(join(dir, "qdiscs"));
  for (const [name, text] of [["tc", FAKE_TC], ["ip", FAKE_IP], ["iptables", FAKE_IPTABLES]] as const) {
    writeFileSync(join(dir, "bin", name), text);
    chmodSync(join(dir, "bin", name), 0o755);
  }
  writeFileSync(join(dir, "links"), LINKS);
  writeFileSync(join(dir, "calls"), "");
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const env = () => ({ ...process.env, FAKE: dir, L7LAB_FAULT_RUN: dir, PATH: `${join(dir, "bin")}:${process.env["PATH"] ?? "/usr/bin:/bin"}` });
const run = (...args: string[]) => {
  const r = spawnSync("sh", [SCRIPT, ...args], { env: env(), encoding: "utf8", timeout: 10_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const qdiscs = () => Object.fromEntries(readdirSync(join(dir, "qdiscs")).map((dev) => [dev, readFileSync(join(dir, "qdiscs", dev), "utf8").trim()]));
const tcCalls = (verb: string) => readFileSync(join(dir, "calls"), "utf8").split("\n").filter((l) => l.startsWith(`tc qdisc ${verb} `));
const foreign = (dev: string) => writeFileSync(join(dir, "qdiscs", dev), `qdisc tbf 1: dev ${dev} root refcnt 2 rate 500Kbit burst 3000b lat 50ms \n`);

/** Starts a holder, and resolves once it says the fault is applied. */
function hold(...args: string[]) {
  const child = spawn("sh", [SCRIPT, ...args], { env: env() });
  let out = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const applied = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("l7lab-fault: applied")) resolve();
    });
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    void exited.then((code) => reject(new Error(`the holder exited (${code}) before applying: ${out}`)));
  });
  return { child, applied, exited, output: () => out };
}

describe("net-fault.sh rate", () => {
  it("puts a tbf on the egress of every interface that is up, with a burst of max(3000 B, 2 MTU, 10 ms), and removes it on SIGTERM", async () => {
    const h = hold("rate", "1500");
    await h.applied;
    expect(h.output()).toBe("l7lab-fault: applied rate 1500 kbit/s on egress of eth0 (burst 3000) eth1 (burst 18000), latency 100ms\n");
    expect(tcCalls("add")).toEqual([
      "tc qdisc add dev eth0 root handle 77: tbf rate 1500kbit burst 3000 latency 100ms",
      "tc qdisc add dev eth1 root handle 77: tbf rate 1500kbit burst 18000 latency 100ms",
    ]);
    expect(Object.keys(qdiscs()).sort()).toEqual(["eth0", "eth1"]);
    h.child.kill("SIGTERM");
    expect(await h.exited).toBe(0);
    expect(h.output()).toMatch(/l7lab-fault: removed\n$/);
    expect(qdiscs()).toEqual({});
  }, 20_000);

  it.each([
    ["100000", 125000],
    ["10000000", 12500000],
    ["8", 18000],
  ])("at %s kbit/s the burst on a 9000-byte MTU is %i bytes", async (kbit, burst) => {
    const h = hold("rate", kbit);
    await h.applied;
    expect(tcCalls("add")[1]).toBe(`tc qdisc add dev eth1 root handle 77: tbf rate ${kbit}kbit burst ${burst} latency 100ms`);
    h.child.kill("SIGTERM");
    expect(await h.exited).toBe(0);
  }, 20_000);

  it.each(["7", "10000001", "1.5", "abc", "010", "", "123456789012"])("refuses rate %j with exit 2, touching nothing", (kbit) => {
    const r = run("rate", kbit);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`net-fault.sh: rate KBIT must be a whole number of kbit/s from 8 to 10000000, got '${kbit}'\n`);
    expect(tcCalls("add")).toEqual([]);
  });

  it("refuses a second fault of either kind while a rate fault holds the namespace (exit 3), leaving it alone", () => {
    writeFileSync(join(dir, "qdiscs", "eth0"), "qdisc tbf 77: dev eth0 root refcnt 2 rate 1500Kbit burst 3000b lat 100ms \n");
    for (const args of [["rate", "2000"], ["loss", "10", "both"]]) {
      const r = run(...args);
      expect(r.code, args.join(" ")).toBe(3);
      expect(r.stderr).toMatch(/already has an l7lab fault; remove it first/);
    }
    expect(tcCalls("add")).toEqual([]);
    expect(tcCalls("del")).toEqual([]);
    expect(Object.keys(qdiscs())).toEqual(["eth0"]);
  });

  it("fails when an interface has someone else's root qdisc, removing only the tbf it had put on", () => {
    foreign("eth1");
    const r = run("rate", "1500");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/could not put a tbf on eth1, which has another root qdisc \(not an l7lab fault's\): qdisc tbf 1: root/);
    expect(tcCalls("del")).toEqual(["tc qdisc del dev eth0 root handle 77:"]);
    expect(Object.keys(qdiscs())).toEqual(["eth1"]);
  });

  it("fails when there is nothing but loopback to shape", () => {
    writeFileSync(join(dir, "links"), LINKS.split("\n").slice(0, 2).join("\n") + "\n");
    const r = run("rate", "1500");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no interface to shape/);
  });
});

describe("net-fault.sh profile --backend netem (a kernel with sch_netem; this one has none, so the stand-in tc takes it)", () => {
  it("puts a netem with every delay-line kind on each interface, the rate's tbf as its child, and removes the root on SIGTERM", async () => {
    const h = hold("profile", "--delay-us", "50000", "--jitter-us", "5000", "--distribution", "normal", "--duplicate", "1", "--reorder", "5", "--rate", "1500", "--backend", "netem");
    await h.applied;
    expect(tcCalls("add")).toEqual([
      "tc qdisc add dev eth0 root handle 77: netem limit 10000 delay 50000us 5000us distribution normal duplicate 1% reorder 5%",
      "tc qdisc add dev eth0 parent 77:1 handle 78: tbf rate 1500kbit burst 3000 latency 100ms",
      "tc qdisc add dev eth1 root handle 77: netem limit 10000 delay 50000us 5000us distribution normal duplicate 1% reorder 5%",
      "tc qdisc add dev eth1 parent 77:1 handle 78: tbf rate 1500kbit burst 18000 latency 100ms",
    ]);
    expect(h.output()).toMatch(/^l7lab-fault: applied rate 1500 kbit\/s on egress of eth0 \(burst 3000\) eth1 \(burst 18000\), latency 100ms; netem limit 10000 delay 50000us 5000us distribution normal duplicate 1% reorder 5% on eth0 eth1\n$/);
    h.child.kill("SIGTERM");
    expect(await h.exited).toBe(0);
    expect(tcCalls("del")).toEqual(["tc qdisc del dev eth0 root handle 77:", "tc qdisc del dev eth1 root handle 77:"]);
    expect(qdiscs()).toEqual({});
  }, 20_000);
});

describe("net-fault.sh profile --rate narrowed to peers", () => {
  it("puts an htb on each interface: the peers' class at the rate, with the tbf's burst and a 100 ms byte FIFO, the rest let through", async () => {
    const h = hold("profile", "--rate", "1500", "--peer", "10.0.0.22/32", "--peer", "10.1.0.22/32");
    await h.applied;
    const calls = readFileSync(join(dir, "calls"), "utf8").split("\n").filter((l) => / (add|del) /.test(l));
    expect(calls.filter((l) => l.includes("dev eth0"))).toEqual([
      "tc qdisc add dev eth0 root handle 77: htb default 2",
      "tc class add dev eth0 parent 77: classid 77:1 htb rate 1500kbit ceil 1500kbit burst 3000 cburst 3000",
      "tc class add dev eth0 parent 77: classid 77:2 htb rate 10gbit",
      "tc qdisc add dev eth0 parent 77:1 handle 78: bfifo limit 21750",
      "tc filter add dev eth0 parent 77: protocol ip prio 1 u32 match ip dst 10.0.0.22/32 flowid 77:1",
      "tc filter add dev eth0 parent 77: protocol ip prio 1 u32 match ip dst 10.1.0.22/32 flowid 77:1",
    ]);
    expect(h.output()).toMatch(/^l7lab-fault: applied rate 1500 kbit\/s on egress of eth0 \(burst 3000\) eth1 \(burst 18000\), latency 100ms, to 10\.0\.0\.22\/32 10\.1\.0\.22\/32 only\n$/);
    h.child.kill("SIGTERM");
    expect(await h.exited).toBe(0);
    expect(qdiscs()).toEqual({});
  }, 20_000);
});

describe("net-fault.sh stats and clear", () => {
  it("sums the rate counters of the l7lab tbf over the interfaces from tc -s qdisc show, leaving other qdiscs out", () => {
    writeFileSync(join(dir, "tc-s"), TC_S_QDISC_SHOW);
    const r = run("stats");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "ingress_seen 0\ningress_dropped 0\negress_seen 0\negress_dropped 0\nrate_sent_bytes 71880\nrate_sent_packets 140\nrate_dropped 760\nrate_overlimits 1126\n" +
        "delay_seen 0\ndelay_sent 0\ndelay_dropped 0\ndelay_duplicated 0\ndelay_reordered 0\ndelay_held_max 0\ndelay_send_failed 0\ncut_in_dropped 0\ncut_out_dropped 0\n",
    );
    expect(rateCounters(parseNetFaultStats(r.stdout))).toEqual({ sentBytes: 71880, sentPackets: 140, dropped: 760, overlimits: 1126 });
  });

  it("prints counters past 2^31 in full (mawk would print 5e+09, or clamp %d)", () => {
    writeFileSync(join(dir, "tc-s"), "qdisc tbf 77: dev eth0 root refcnt 2 rate 10Gbit burst 12498750b lat 100ms \n Sent 5000000000 bytes 3400000 pkt (dropped 0, overlimits 12 requeues 0) \n");
    expect(parseNetFaultStats(run("stats").stdout)).toMatchObject({ rate_sent_bytes: 5_000_000_000, rate_sent_packets: 3_400_000 });
  });

  it("prints 0 for the rate counters when there is no rate fault", () => {
    foreign("eth0");
    expect(parseNetFaultStats(run("stats").stdout)).toMatchObject({ rate_sent_bytes: 0, rate_sent_packets: 0, rate_dropped: 0, rate_overlimits: 0 });
  });

  it("clear removes a rate fault left behind, leaves other qdiscs, and is idempotent", () => {
    writeFileSync(join(dir, "qdiscs", "eth0"), "qdisc tbf 77: dev eth0 root refcnt 2 rate 1500Kbit burst 3000b lat 100ms \n");
    foreign("eth1");
    for (let i = 0; i < 2; i++) {
      const r = run("clear");
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("l7lab-fault: cleared\n");
    }
    expect(Object.keys(qdiscs())).toEqual(["eth1"]);
  });
});

describe("net-fault.sh profile, cut and linkdown: arguments refused before anything is touched (exit 2)", () => {
  it.each([
    [["profile"], "a profile needs at least one of --loss, --rate, --delay-us, --jitter-us, --duplicate, --reorder, --window"],
    [["profile", "--delay-us", "60000001"], "--delay-us must be a whole number of microseconds from 0 to 60000000, got '60000001'"],
    [["profile", "--delay-us", "1.5"], "--delay-us must be a whole number of microseconds from 0 to 60000000, got '1.5'"],
    [["profile", "--delay-us", "100", "--distribution", "pareto"], "--distribution must be uniform or normal, got 'pareto'"],
    [["profile", "--duplicate", "0"], "duplicate PERCENT must be more than 0 and at most 100, got 0"],
    [["profile", "--reorder", "x"], "reorder PERCENT must be a number, got 'x'"],
    [["profile", "--delay-us", "100", "--backend", "netem", "--peer", "10.0.0.80/32"], "--backend netem cannot be narrowed to a peer; use nfqueue"],
    [["profile", "--delay-us"], "--delay-us needs a value"],
    [["profile", "--fast", "1"], "unknown profile option '--fast'"],
    [["profile", "--delay-us", "100", "--peer", "www; reboot"], "--peer must be an IPv4 address or prefix, got 'www; reboot'"],
    [["cut"], "cut needs at least one --peer or --net"],
    [["cut", "--peer", "10.0.0.0/8;x"], "--peer must be an IPv4 address or prefix, got '10.0.0.0/8;x'"],
    [["cut", "--sideways"], "unknown cut option '--sideways'"],
  ])("%j", (args, message) => {
    const r = run(...args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`net-fault.sh: ${message}\n`);
    expect(readFileSync(join(dir, "calls"), "utf8")).toBe("");
  });

  it("linkdown and every command say their usage when their arguments are missing", () => {
    expect(run("linkdown")).toMatchObject({ code: 2, stderr: "usage: net-fault.sh linkdown ADDRESS\n" });
    expect(run("sideways").stderr).toMatch(/^usage: net-fault.sh profile OPTIONS \| loss .* \| cut OPTIONS \| linkdown ADDRESS \| stats \| clear \| capabilities\n$/);
  });
});

describe("net-fault.sh profile --window (a locked cwnd on the routes)", () => {
  // A stand-in ip with a main table in $FAKE/routes and table 7703 in $FAKE/marks: show, change
  // (replaces the route with the same destination), add, flush, get, and tcp_metrics flush (which
  // fails when $FAKE/no-flush exists); every call is logged.
  const ROUTING_IP = `#!/bin/sh
echo "ip $*" >> "$FAKE/calls"
R="$FAKE/routes"
M="$FAKE/marks"
touch "$M"
case "$*" in
  "-o link show") cat "$FAKE/links" ;;
  "-4 route show table main") cat "$R" ;;
  "-4 route show table 7703") cat "$M" ;;
  "route add unreachable 192.0.2.77/32 table 7703") if [ -s "$M" ]; then echo "RTNETLINK answers: File exists" >&2; exit 2; fi; echo "unreachable 192.0.2.77" > "$M" ;;
  "route flush table 7703") : > "$M" ;;
  "route change "*) shift 2; dst=$1; grep -v "^$dst " "$R" > "$R.new"; echo "$*" >> "$R.new"; mv "$R.new" "$R" ;;
  "route add "*) shift 2; echo "$*" >> "$R" ;;
  "route flush table main proto 77") grep -v " proto 77 " "$R" > "$R.new"; mv "$R.new" "$R" ;;
  "-4 route get 10.0.0.250") echo "10.0.0.250 dev eth1 src 10.0.0.41 uid 0"; echo "    cache" ;;
  "-4 route get "*) echo "RTNETLINK answers: Network is unreachable" >&2; exit 2 ;;
  "tcp_metrics flush all") [ ! -e "$FAKE/no-flush" ] || { echo "Error: no tcp_metrics" >&2; exit 2; } ;;
  *) exit 1 ;;
esac
`;
  const ROUTES = "default via 10.1.0.1 dev eth0\n10.1.0.0/24 dev eth0 proto kernel scope link src 10.1.0.41\n";
  beforeEach(() => {
    writeFileSync(join(dir, "bin", "ip"), ROUTING_IP);
    writeFileSync(join(dir, "routes"), ROUTES);
  });
  const routes = () => readFileSync(join(dir, "routes"), "utf8");
  const marks = () => readFileSync(join(dir, "marks"), "utf8");
  const calls = () => readFileSync(join(dir, "calls"), "utf8");
  const sorted = (text: string) => text.split("\n").filter((l) => l !== "").sort();

  it("locks cwnd and initcwnd on every route, flushes the TCP metrics, and takes it all off on SIGTERM", async () => {
    const h = hold("profile", "--window", "10");
    await h.applied;
    expect(h.output()).toBe("l7lab-fault: applied TCP window 10 segments (cwnd lock, initcwnd)\n");
    expect(routes()).toBe("default via 10.1.0.1 dev eth0 cwnd lock 10 initcwnd 10\n10.1.0.0/24 dev eth0 proto kernel scope link src 10.1.0.41 cwnd lock 10 initcwnd 10\n");
    expect(marks()).toContain("192.0.2.77");
    expect(calls()).toMatch(/ip tcp_metrics flush all\n/);
    h.child.kill("SIGTERM");
    expect(await h.exited).toBe(0);
    expect(sorted(routes())).toEqual(sorted(ROUTES));
    expect(marks()).toBe("");
    expect(calls().match(/tcp_metrics flush all/g)).toHaveLength(2);
  }, 20_000);

  it("narrowed to a peer, adds a host route of its own (proto 77) the way the kernel reaches the peer, leaves the others alone, and deletes it", async () => {
    const h = hold("profile", "--window", "4", "--peer", "10.0.0.250/32");
    await h.applied;
    expect(routes()).toBe(ROUTES + "10.0.0.250/32 dev eth1 src 10.0.0.41 proto 77 cwnd lock 4 initcwnd 4\n");
    h.child.kill("SIGTERM");
    expect(await h.exited).toBe(0);
    expect(sorted(routes())).toEqual(sorted(ROUTES));
  }, 20_000);

  it("a failure half-way (a second peer with no route) undoes what it made: no host route, no marker", () => {
    const r = run("profile", "--window", "4", "--peer", "10.0.0.250/32", "--peer", "10.9.9.9/32");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no route to 10\.9\.9\.9|Network is unreachable/);
    expect(sorted(routes())).toEqual(sorted(ROUTES));
    expect(marks()).toBe("");
  });

  it("refuses routes it could not write back as they were, and skips one that is down", async () => {
    writeFileSync(join(dir, "routes"), "default via 10.1.0.1 dev eth0 initcwnd 20\n");
    let r = run("profile", "--window", "10");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already has TCP metrics, which a window would overwrite: default via 10\.1\.0\.1 dev eth0 initcwnd 20/);
    expect(routes()).toBe("default via 10.1.0.1 dev eth0 initcwnd 20\n");
    writeFileSync(join(dir, "routes"), "default proto static\n\tnexthop via 10.1.0.1 dev eth0 weight 1\n");
    r = run("profile", "--window", "10");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/multipath route/);
    writeFileSync(join(dir, "routes"), ROUTES + "10.2.0.0/24 dev eth2 proto kernel scope link src 10.2.0.41 linkdown\n");
    const h = hold("profile", "--window", "10");
    await h.applied;
    expect(routes()).toContain("10.2.0.0/24 dev eth2 proto kernel scope link src 10.2.0.41 linkdown\n");
    h.child.kill("SIGTERM");
    expect(await h.exited).toBe(0);
  }, 20_000);

  it("fails, touching nothing for long, when the TCP metrics cache cannot be flushed (the window would not hold)", () => {
    writeFileSync(join(dir, "no-flush"), "");
    const r = run("profile", "--window", "10");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/could not be flushed/);
    expect(sorted(routes())).toEqual(sorted(ROUTES));
    expect(marks()).toBe("");
  });

  it("clear says so when it cannot flush the TCP metrics cache", async () => {
    const h = hold("profile", "--window", "10");
    await h.applied;
    h.child.kill("SIGKILL");
    await h.exited;
    writeFileSync(join(dir, "no-flush"), "");
    const r = run("clear");
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/NOT removed, still in place: the TCP metrics cache \(not flushed\)/);
    expect(routes()).not.toContain("cwnd");
  }, 20_000);

  it("refuses a window that is not 1 to 1000 segments, touching nothing; a second profile finds the first", async () => {
    for (const bad of ["0", "1001", "ten"]) {
      const r = run("profile", "--window", bad);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--window must be a whole number of segments from 1 to 1000/);
    }
    expect(routes()).not.toContain("cwnd");
    const h = hold("profile", "--window", "10");
    await h.applied;
    const second = run("profile", "--window", "20");
    expect(second.code).toBe(3);
    h.child.kill("SIGTERM");
    expect(await h.exited).toBe(0);
  }, 20_000);

  it("clear (from another helper) takes a window off, marker and all", async () => {
    const h = hold("profile", "--window", "10");
    await h.applied;
    h.child.kill("SIGKILL");
    await h.exited;
    expect(routes()).toContain("cwnd lock 10");
    const r = run("clear");
    expect(r.code, r.stderr).toBe(0);
    expect(routes()).not.toContain("cwnd");
    expect(marks()).toBe("");
  }, 20_000);
});
