/**
 * Every fault kind by hand, on the real lab, as a user checks it from a workstation: the round
 * trip to a delayed server, ping's own DUP! marks and sequence numbers, a partition that lets
 * nothing through and heals at once, a link down and back with its route. Each fault is applied
 * through the API (POST /api/faults) and removed with DELETE, whose counters are checked too.
 */
import { afterEach, describe, expect, it } from "vitest";
import { retryUntil } from "../../orchestrator/src/common/retry.ts";
import { api, explain, faultHelpers, lab, runScenario, sh, topology, type Run } from "./lab.ts";

const www = topology.addressOf("www", "internet");
const root = topology.addressOf("dns-root", "internet");

/** Faults a test applied, removed after it whatever happens. */
const applied: string[] = [];
afterEach(async () => {
  while (applied.length > 0) await api("DELETE", `/faults/${applied.pop()!}`);
});

async function fault(body: Record<string, unknown>): Promise<string> {
  const r = await api<{ id: string; message?: string }>("POST", "/faults", body);
  if (r.status !== 201) throw new Error(`POST /api/faults ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`);
  applied.push(r.body.id);
  return r.body.id;
}

async function heal(id: string): Promise<{ counters: Record<string, number> }> {
  const r = await api<{ counters: Record<string, number> }>("DELETE", `/faults/${id}`);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  applied.splice(applied.indexOf(id), 1);
  return r.body;
}

/** TCP connect times (ms) from a service to www:80, one curl each: one round trip apiece. */
async function connectTimes(from: string, n: number): Promise<number[]> {
  const r = await sh(from, `for i in $(seq ${n}); do curl -s -o /dev/null --max-time 5 -w '%{time_connect}\\n' http://${www}/; done`);
  const times = r.out.trim().split("\n").map((l) => Number(l) * 1000);
  if (times.length !== n || times.some((t) => !Number.isFinite(t) || t <= 0)) throw new Error(`curl from ${from} did not connect ${n} times: ${r.out}`);
  return times;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const stddev = (xs: number[]) => {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

/** ping's reply sequence numbers, in the order they came, and how many it marked DUP!. */
async function pings(from: string, to: string, count: number, interval: string): Promise<{ seqs: number[]; dups: number }> {
  const r = await sh(from, `ping -n -c ${count} -i ${interval} -W 2 ${to}`, 60_000);
  const replies = r.out.split("\n").filter((l) => /icmp_seq=\d+/.test(l));
  return { seqs: replies.map((l) => Number(/icmp_seq=(\d+)/.exec(l)![1])), dups: replies.filter((l) => l.includes("DUP!")).length };
}

/** Seconds a service's curl takes to fetch the first `bytes` octets of www's large object (all of them must come). */
async function download(from: string, bytes: number, maxSeconds: number): Promise<number> {
  const r = await sh(from, `curl -s -o /dev/null --max-time ${maxSeconds} -r 0-${bytes - 1} -w '%{size_download} %{time_total}' http://${www}/objects/large.bin`);
  const [size, seconds] = r.out.trim().split(" ").map(Number);
  expect(size, r.out).toBe(bytes);
  return seconds!;
}

describe("GET /api/capabilities", () => {
  it("says how each kind is applied here: the userspace delay line where the kernel has no netem", async () => {
    const r = await api<{ kernel: Record<string, boolean>; kinds: Record<string, { backend: string; available: boolean }> }>("GET", "/capabilities");
    expect(r.status).toBe(200);
    expect(r.body.kernel).toMatchObject({ nfqueue: true, statistic: true, tbf: true });
    for (const kind of ["loss", "rate", "delay", "jitter", "duplicate", "reorder", "partition", "disconnect", "linkDown", "window"]) expect(r.body.kinds[kind]?.available, kind).toBe(true);
    expect(r.body.kinds["delay"]!.backend).toMatch(r.body.kernel["netem"] ? /^netem/ : /^userspace delay line/);
  });
});

describe("delay and jitter, seen from Alice's workstation", () => {
  it("delay 100 ms on www: each TCP connect from Alice takes 100 ms more; healed, it is back to under 10 ms", async () => {
    expect(median(await connectTimes("alice", 5))).toBeLessThan(10);
    const id = await fault({ service: "www", delayMs: 100 });
    const times = await connectTimes("alice", 10);
    expect(median(times)).toBeGreaterThanOrEqual(100);
    expect(median(times)).toBeLessThan(110);
    const healed = await heal(id);
    expect(healed.counters["delayedPackets"]).toBeGreaterThanOrEqual(20);
    // Read while it ran: what it had not yet released, it held.
    expect(healed.counters["delayedPackets"]! - healed.counters["releasedPackets"]!).toBeLessThanOrEqual(healed.counters["heldMax"]!);
    expect(median(await connectTimes("alice", 5))).toBeLessThan(10);
  });

  it("jitter 20 ms uniform around 60 ms: connects spread between 40 and 80 ms, with about the uniform's standard deviation (11.5 ms)", async () => {
    await fault({ service: "www", delayMs: 60, jitterMs: 20 });
    const times = await connectTimes("alice", 30);
    expect(Math.min(...times)).toBeGreaterThanOrEqual(39);
    expect(Math.max(...times)).toBeLessThan(90);
    expect(stddev(times)).toBeGreaterThan(6);
    expect(stddev(times)).toBeLessThan(17);
  });

  it("narrowed with to: alice, the delay reaches Alice's connects and not the router's pings", async () => {
    await fault({ service: "www", delayMs: 80, to: "alice" });
    expect(median(await connectTimes("alice", 5))).toBeGreaterThanOrEqual(80);
    const r = await sh("router", `ping -n -c 5 -i 0.2 ${www}`);
    const rtts = [...r.out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
    expect(rtts).toHaveLength(5);
    expect(median(rtts)).toBeLessThan(10);
  });

  it("combines with loss and a rate into one profile, and a second fault on www is refused until it is healed", async () => {
    const id = await fault({ service: "www", delayMs: 30, loss: 20, direction: "egress", rateKbit: 10_000 });
    // The helper, made from the router's image, is no second "router" (nor "www") to the lab.
    const services = (await lab.listServices()).map((s) => s.service);
    expect(services.filter((s) => s === "router" || s === "www")).toEqual(["router", "www"]);
    const again = await api<{ message: string }>("POST", "/faults", { service: "www", duplicate: 5 });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(new RegExp(`already has network fault ${id} \\(loss 20% egress, rate 10000 kbit/s, delay 30 ms\\)`));
    await sh("alice", `for i in $(seq 20); do curl -s -o /dev/null --max-time 5 http://${www}/; done`, 120_000);
    const c = (await heal(id)).counters;
    expect(c["egressSeen"]).toBeGreaterThan(0);
    expect(c["egressDropped"]).toBeGreaterThan(0);
    expect(c["sentPackets"]).toBeGreaterThan(0);
    expect(c["delayedPackets"]).toBeGreaterThan(0);
  });
});

describe("a rate narrowed to one peer", () => {
  it("4 Mbit/s on www to Alice: her 500 kB takes about a second, while the proxy (seen as the router) gets it at LAN speed", async () => {
    const fetch = (from: string) => download(from, 500_000, 20);
    const id = await fault({ service: "www", rateKbit: 4000, to: "alice" });
    const alice = await fetch("alice");
    expect(alice).toBeGreaterThan(0.9); // 4,000,000 bits at 4 Mbit/s, less the bucket's first burst
    expect(alice).toBeLessThan(2);
    expect(await fetch("proxy")).toBeLessThan(0.3);
    const c = (await heal(id)).counters;
    expect(c["sentBytes"]).toBeGreaterThanOrEqual(500_000);
    expect(c["sentBytes"]).toBeLessThan(800_000);
  });
});

describe("a fixed TCP window", () => {
  it("10 segments on www to Alice, 50 ms away: after her first connection, 1 MB comes at one window per round trip (about 290 kB/s), the proxy's much faster; healed, www's routes are as before", async () => {
    const fetch = (from: string) => download(from, 1_000_000, 30);
    const routesBefore = (await sh("www", "ip route")).out;
    const id = await fault({ service: "www", delayMs: 50, windowSegments: 10, to: "alice" });
    await fetch("alice"); // the kernel takes the locked window from its metrics cache, which this connection fills
    // 1,000,000 octets in windows of 14,480: 70 round trips of ~50 ms (the handshake's and the request's make 71-72).
    const alice = await fetch("alice");
    expect(alice).toBeGreaterThan(3.4);
    expect(alice).toBeLessThan(4.0);
    expect((await sh("www", "ip route")).out).toMatch(new RegExp(`^${topology.addressOf("alice", "internet").replaceAll(".", "\\.")} .* proto 77 .*cwnd lock 10 initcwnd 10`, "m"));
    // The proxy is not narrowed in: www sends it the megabyte in a few round trips of 50 ms (slow start, no window).
    await fetch("proxy");
    expect(await fetch("proxy")).toBeLessThan(1.0);
    await heal(id);
    expect((await sh("www", "ip route")).out).toBe(routesBefore);
    expect(await fetch("alice")).toBeLessThan(0.3);
  }, 60_000);
});

describe("duplication and reordering, as ping shows them", () => {
  it("duplicate 50% on www: about half of the router's pings come back twice (DUP!), as the counters say", async () => {
    const id = await fault({ service: "www", duplicate: 50 });
    const { seqs, dups } = await pings("router", www, 40, "0.05");
    expect(seqs.length - dups).toBe(40);
    expect(dups).toBeGreaterThanOrEqual(8);
    expect(dups).toBeLessThanOrEqual(32);
    // The copy of the last reply can arrive after ping has left.
    const duplicated = (await heal(id)).counters["duplicated"]!;
    expect(duplicated - dups).toBeGreaterThanOrEqual(0);
    expect(duplicated - dups).toBeLessThanOrEqual(1);
  });

  it("reorder 50% with a 30 ms gap on www: pings 10 ms apart come back out of order, none lost", async () => {
    const id = await fault({ service: "www", reorder: 50, gapMs: 30 });
    const { seqs } = await pings("router", www, 40, "0.01");
    expect([...seqs].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const inversions = seqs.filter((s, i) => i > 0 && s < seqs[i - 1]!).length;
    expect(inversions).toBeGreaterThan(3);
    expect((await heal(id)).counters["reordered"]).toBeGreaterThan(5);
  });
});

describe("partitions", () => {
  it("Alice partitioned from www: nothing passes either way, the router still gets through, and it heals within a second", async () => {
    const id = await fault({ service: "alice", partition: "www" });
    const cut = await sh("alice", `curl -s -o /dev/null --max-time 2 -w '%{http_code}' http://${www}/`);
    expect(cut.out).toBe("000");
    expect((await pings("router", www, 2, "0.2")).seqs).toHaveLength(2);
    const healedAt = Date.now();
    const c = (await heal(id)).counters;
    expect(c["cutOutDropped"]).toBeGreaterThan(0);
    const back = await sh("alice", `curl -s -o /dev/null --max-time 2 -w '%{http_code}' http://${www}/`);
    expect(back.out).toBe("200");
    expect(Date.now() - healedAt).toBeLessThan(1_000 + 500); // the heal's own reply, then one fetch
  });

  it("one way: what www sends Alice is lost, and what Alice sends www still arrives (www counts none dropped coming in)", async () => {
    const id = await fault({ service: "www", partition: ["alice"], oneWay: true });
    expect((await pings("alice", www, 3, "0.2")).seqs).toEqual([]);
    const c = (await heal(id)).counters;
    expect(c["cutInDropped"]).toBe(0);
    expect(c["cutOutDropped"]).toBeGreaterThanOrEqual(3);
  });

  it("the resolver partitioned from the root and the TLD: a name it has cached still resolves, one under a TLD it has not does not", async () => {
    const resolver = topology.addressOf("dns-resolver", "internet");
    const status = async (name: string, seconds: number) =>
      (await sh("alice", `dig +time=${seconds} +tries=1 @${resolver} ${name} | grep -o -e 'status: [A-Z]*' -e 'timed out' | head -1`, 30_000)).out.trim();
    expect(await status("www.someschool.edu", 5)).toBe("status: NOERROR");
    const id = await fault({ service: "dns-resolver", partition: ["dns-root", "dns-tld"] });
    expect(await status("www.someschool.edu", 5)).toBe("status: NOERROR");
    // The lab's Unbound counts a silent server as down once its timeout backs off past 400 ms: SERVFAIL, not a hang.
    expect(await status(`nothere-${Date.now()}.example`, 3)).toBe("status: SERVFAIL");
    // The root itself still answers Alice: the partition is the resolver's alone.
    expect((await sh("alice", `dig +time=2 +tries=1 @${root} . NS | grep -o 'status: [A-Z]*'`)).out.trim()).toBe("status: NOERROR");
    expect((await heal(id)).counters["cutOutDropped"]).toBeGreaterThan(0);
    // Healed, the resolver uses the root and the TLD again once it forgets they were silent (10 s):
    // later tests resolve through it.
    await retryUntil(async () => ((await status(`gone-${Date.now()}.edu`, 2)) === "status: NXDOMAIN" ? true : undefined), "the resolver reaching the TLD again", {
      timeoutMs: 20_000,
      intervalMs: 1000,
    });
  }, 40_000);
});

describe("a service cut from a network, and a link down", () => {
  it("the router cut from the campus: Bob cannot get past it, but still reaches the proxy on his own network", async () => {
    const proxy = topology.addressOf("proxy", "campus");
    await fault({ service: "router", disconnect: "campus" });
    expect((await pings("bob", www, 2, "0.2")).seqs).toEqual([]);
    expect((await pings("bob", proxy, 2, "0.2")).seqs).toHaveLength(2);
  });

  it("Bob's campus link down, then up: his interface goes DOWN, and comes back UP with its default route through the campus router", async () => {
    const proxy = topology.addressOf("proxy", "campus");
    const id = await fault({ service: "bob", linkDown: "campus" });
    expect((await sh("bob", "ip -br link show eth0")).out).toMatch(/\bDOWN\b/);
    expect((await pings("bob", proxy, 1, "0.2")).seqs).toEqual([]);
    await heal(id);
    expect((await sh("bob", "ip -br link show eth0")).out).toMatch(/\bUP\b/);
    expect((await sh("bob", "ip route show default")).out.trim()).toBe(`default via ${topology.addressOf("router", "campus")} dev eth0`);
    expect((await pings("bob", proxy, 2, "0.2")).seqs).toHaveLength(2);
  });
});

describe("faults refused before anything is touched", () => {
  it.each([
    [{ service: "www", delayMs: 50, to: "bob" }, 400, /whose traffic reaches "www" through router's NAT/],
    [{ service: "bob", linkDown: "internet" }, 400, /which service "bob" is not on; its networks: campus/],
    [{ service: "www", partition: ["nowhere"] }, 400, /partition names unknown service "nowhere"; valid services: /],
    [{ service: "www", delayMs: 50, loss: 1, partition: "alice" }, 400, /mixes a link profile .* and partition/],
  ])("%j gets %i", async (body, status, message) => {
    const r = await api<{ message: string }>("POST", "/faults", body);
    expect(r.status).toBe(status);
    expect(r.body.message).toMatch(message);
    expect((await api<unknown[]>("GET", "/faults")).body).toEqual([]);
  });
});

describe("scenario dns-root-partition (R3)", () => {
  it("passes: cached names resolve from the cache, names needing the root or the TLD get SERVFAIL within 3 s, and the TLD answers again after the heal", async () => {
    const { run, step } = await runScenario("dns-root-partition");
    expect(run.status, explain(run)).toBe("passed");
    expect(step("needs-tld").result).toMatchObject({ rcode: "SERVFAIL" });
    expect(step("needs-tld").result!["rttMs"]).toBeLessThan(3000);
    expect(step("cached").result).toMatchObject({ rcode: "NOERROR", addresses: ["10.0.0.41"] });
    expect(run.cleanup.every((c) => c.ok)).toBe(true);
    expect(await faultHelpers()).toEqual([]);
  }, 90_000);
});

describe("scenario mail-link-down (a link down, then a disconnect)", () => {
  it("passes: mail waits in Alice's queue while the MX's link is down, in Bob's while his MTA is cut from the mailbox server, and all 5 arrive once", async () => {
    const { run, step } = await runScenario("mail-link-down");
    expect(run.status, explain(run)).toBe("passed");
    expect(step("check").result).toMatchObject({ sent: 5, lostCount: 0, unexpectedCount: 0, duplicatedCount: 0 });
    expect(run.cleanup.every((c) => c.ok)).toBe(true);
    expect(await faultHelpers()).toEqual([]);
    // The link came back with its routes: Alice's MTA reaches the MX again.
    expect((await sh("mail-crepes", "timeout 5 bash -c 'exec 3<>/dev/tcp/mail.hamburger.edu/25 && head -c 4 <&3'")).out).toBe("220 ");
  }, 180_000);
});

describe("scenario proxy-origin-partition (R4)", () => {
  it("passes: the fresh object is a hit, the stale one is served stale or a 504 within 15 s, and the origin answers after the heal", async () => {
    const { run, step } = await runScenario("proxy-origin-partition");
    expect(run.status, explain(run)).toBe("passed");
    expect(step("stale").result).toMatchObject({ status: expect.any(Number) });
    expect((step("heal").result as { counters: { cutOutDropped: number } }).counters.cutOutDropped).toBeGreaterThan(0);
  }, 120_000);

  it("aborted while the partition holds, it removes the partition: no helper is left, and the proxy reaches the origin at once", async () => {
    const started = await api<Run>("POST", "/scenarios/proxy-origin-partition/runs");
    expect(started.status).toBe(202);
    const id = started.body.id;
    const stepOf = async (name: string) => (await api<Run>("GET", `/runs/${id}`)).body.steps.find((s) => s.id === name)?.status;
    await retryUntil(async () => ((await stepOf("stale")) === "running" ? true : undefined), "the stale fetch starting under the partition", { timeoutMs: 30_000, intervalMs: 100 });
    expect(await faultHelpers()).toHaveLength(1);
    await api("POST", `/runs/${id}/abort`);
    const run = (await api<Run>("GET", `/runs/${id}?wait=true`)).body;
    expect(run.status).toBe("aborted");
    expect(run.cleanup).toEqual([expect.objectContaining({ service: "proxy", action: "remove partition from www", ok: true })]);
    expect(await faultHelpers()).toEqual([]);
    const fetched = await sh("bob", `curl -s -o /dev/null --max-time 3 -w '%{http_code}' -x proxy.hamburger.edu:3128 'http://www.someschool.edu/cache/no-store.txt?abort=${id}'`);
    expect(fetched.out).toBe("200");
  }, 120_000);
});

describe("scenario rtsp-impaired", () => {
  it("passes: jitter, duplicates and reordering from the media server show in the client's RTP statistics, and the client counts the duplicates the fault made", async () => {
    const { run, step } = await runScenario("rtsp-impaired");
    expect(run.status, explain(run)).toBe("passed");
    type Track = { rtp: { duplicates: number } };
    const seen = (step("play").result as { tracks: Track[] }).tracks.reduce((n, t) => n + t.rtp.duplicates, 0);
    const made = (step("healed").result as { counters: { duplicated: number } }).counters.duplicated;
    // The copies made after the client stopped listening (its teardown) are not seen.
    expect(seen).toBeLessThanOrEqual(made);
    expect(seen).toBeGreaterThanOrEqual(made - 5);
  }, 60_000);
});

describe("scenario dns-delayed-referrals", () => {
  it("passes: with 40 ms on the root, the TLD and the authoritative server, the iterative walk takes three round trips, then LAN speed again", async () => {
    const { run, step } = await runScenario("dns-delayed-referrals");
    expect(run.status, explain(run)).toBe("passed");
    const walk = step("walk").durationMs!;
    expect(walk).toBeGreaterThanOrEqual(120);
    expect(walk).toBeLessThan(250);
    expect(step("walk-again").durationMs!).toBeLessThan(60);
  }, 60_000);
});
