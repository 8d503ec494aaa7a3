import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseComposeTopology } from "../lab/topology.ts";
import { addressNames, busOrder, HEALTH_SYMBOL, HEALTH_WORDS, serviceHealth, topologyLayout, type Topology, type TopologyLayout } from "./topology-layout.ts";

// The lab's own topology, as GET /api/topology answers it.
const compose = parseComposeTopology(readFileSync(new URL("../../../docker-compose.yml", import.meta.url), "utf8"));
const lab = (state = "running", health = "healthy"): Topology => ({
  project: compose.project,
  networks: compose.networks.map((n) => ({ name: n.name, subnet: n.subnet, internal: n.internal, private: n.private, description: n.description })),
  services: compose.services.map((s) => ({ name: s.name, hostnames: s.hostnames, role: s.role, description: s.description, networks: s.networks, state, health })),
});

const net = (name: string) => ({ name, subnet: `10.${name.length}.0.0/24`, internal: true, private: false, description: name });
const svc = (name: string, networks: string[]) => ({ name, hostnames: [], role: "x", description: name, networks: networks.map((network, i) => ({ network, ipv4: `10.0.${i}.1` })), state: "running", health: "healthy" });

type Rect = { x: number; y: number; width: number; height: number };
const overlap = (a: Rect, b: Rect) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/** The layout's drawing is sound: no box on another, no line through a box or along another line, each joint on its bus. */
function checkDrawing(layout: TopologyLayout, topology: Topology) {
  const boxes = layout.boxes;
  expect(boxes.map((b) => b.name).sort()).toEqual(topology.services.map((s) => s.name).sort());
  for (const [i, a] of boxes.entries()) for (const b of boxes.slice(i + 1)) expect(overlap(a, b), `${a.name} and ${b.name} overlap`).toBe(false);
  for (const l of layout.links) {
    expect(l.y1).toBeLessThan(l.y2);
    for (const b of boxes) {
      if (b.name === l.service) continue;
      const crosses = l.x > b.x && l.x < b.x + b.width && l.y1 < b.y + b.height && l.y2 > b.y;
      expect(crosses, `the line of ${l.service} passes through ${b.name}`).toBe(false);
    }
    for (const m of layout.links) {
      if (m === l || m.x !== l.x) continue;
      expect(l.y2 <= m.y1 || m.y2 <= l.y1, `the lines of ${l.service} and ${m.service} run along each other`).toBe(true);
    }
  }
  for (const s of topology.services) {
    const joints = layout.joints.filter((j) => j.service === s.name);
    expect(joints.map((j) => j.network).sort()).toEqual(s.networks.map((n) => n.network).sort());
    for (const j of joints) {
      const bus = layout.buses.find((b) => b.name === j.network)!;
      expect(j.y).toBe(bus.y);
      expect(j.x).toBeGreaterThan(bus.x1);
      expect(j.x).toBeLessThan(bus.x2);
      // The joint is on one of the service's lines.
      expect(layout.links.some((l) => l.service === s.name && l.x === j.x && l.y1 <= j.y && j.y <= l.y2)).toBe(true);
    }
  }
  for (const b of boxes) {
    expect(b.x + b.width).toBeLessThanOrEqual(layout.width);
    expect(b.y + b.height).toBeLessThanOrEqual(layout.height);
    for (const bus of layout.buses) expect(bus.y > b.y && bus.y < b.y + b.height, `${bus.name} runs through ${b.name}`).toBe(false);
  }
}

describe("the topology's layout", () => {
  it("draws the lab's every network as a bus and every service as a box, without a line through a box", () => {
    const topology = lab();
    const layout = topologyLayout(topology);
    expect(layout.buses.map((b) => b.name).sort()).toEqual(topology.networks.map((n) => n.name).sort());
    checkDrawing(layout, topology);
  });

  it("orders the lab's buses so that no line crosses a bus it does not join", () => {
    const topology = lab();
    const layout = topologyLayout(topology);
    for (const l of layout.links) {
      const crossed = layout.buses.filter((b) => b.y > l.y1 && b.y < l.y2);
      const joined = new Set(topology.services.find((s) => s.name === l.service)!.networks.map((n) => n.network));
      for (const b of crossed) expect(joined.has(b.name), `${l.service}'s line crosses ${b.name}`).toBe(true);
    }
  });

  it("puts a box on two networks between their buses, and a box on one network next to its bus", () => {
    const layout = topologyLayout(lab());
    const box = (name: string) => layout.boxes.find((b) => b.name === name)!;
    const bus = (name: string) => layout.buses.find((b) => b.name === name)!.y;
    const router = box("router");
    expect(router.y).toBeGreaterThan(Math.min(bus("internet"), bus("campus")));
    expect(router.y + router.height).toBeLessThan(Math.max(bus("internet"), bus("campus")));
    const root = box("dns-root");
    const gap = Math.min(Math.abs(root.y - bus("internet")), Math.abs(root.y + root.height - bus("internet")));
    expect(gap).toBeLessThan(60);
  });

  it("shows each service's names, its address on each network and its health, in words", () => {
    const layout = topologyLayout(lab());
    const mail = layout.boxes.find((b) => b.name === "mail-hamburger")!;
    expect(mail.lines.map((l) => l.text)).toEqual(["mail-hamburger", "mail.hamburger.edu", "10.0.0.25 internet", "10.1.0.25 campus", "10.253.2.2 hamburger-mail…", "✓ healthy"]);
    expect(mail.title).toContain("hamburger-mail-backend: 10.253.2.2");
    for (const b of layout.boxes) for (const l of b.lines) expect(l.text.length).toBeLessThanOrEqual(26);
  });

  it("is the same whatever the health: a refresh moves nothing", () => {
    const geometry = (l: TopologyLayout) => JSON.stringify({ ...l, boxes: l.boxes.map((b) => [b.name, b.x, b.y, b.width, b.height]) });
    expect(geometry(topologyLayout(lab("exited", "none")))).toBe(geometry(topologyLayout(lab())));
    expect(topologyLayout(lab())).toEqual(topologyLayout(lab()));
  });

  it("puts the services on no lab network apart, below the buses", () => {
    const layout = topologyLayout(lab());
    const ca = layout.boxes.find((b) => b.name === "lab-ca")!;
    expect(layout.unattachedY).toBeDefined();
    expect(ca.y).toBeGreaterThanOrEqual(layout.unattachedY!);
    expect(ca.y).toBeGreaterThan(Math.max(...layout.buses.map((b) => b.y)));
    expect(layout.links.some((l) => l.service === "lab-ca")).toBe(false);
  });

  it("chooses the bus order with the fewest crossings, then the one closest to the given order", () => {
    const networks = ["a", "b", "c"].map(net);
    // x joins a and c: with b between them its line would cross b.
    expect(busOrder(networks, [svc("x", ["a", "c"])]).map((i) => networks[i]!.name)).toEqual(["a", "c", "b"]);
    expect(busOrder(networks, [svc("x", ["a", "b"])]).map((i) => networks[i]!.name)).toEqual(["a", "b", "c"]);
  });

  it("stays sound when crowded: many services on many networks, more than the columns", () => {
    const names = ["n0", "n1", "n2", "n3"];
    const services = Array.from({ length: 30 }, (_, i) => svc(`s${i}`, names.filter((_, j) => (i >> j) & 1 || i % 4 === j)));
    const topology: Topology = { project: "t", networks: names.map(net), services };
    checkDrawing(topologyLayout(topology, { columns: 3 }), topology);
  });
});

describe("a service's health", () => {
  it.each([
    ["running", "healthy", "healthy", "healthy"],
    ["running", "unhealthy", "unhealthy", "unhealthy"],
    ["running", "starting", "starting", "starting"],
    ["paused", "healthy", "healthy", "healthy (paused)"],
    ["exited", "none", "exited", "exited"],
    ["exited", "unhealthy", "unhealthy", "unhealthy (exited)"],
    ["absent", "none", "exited", "exited (no container)"],
    ["dead", "none", "exited", "exited (dead)"],
    ["restarting", "none", "starting", "starting (restarting)"],
    ["running", "none", "none", "none (no health check)"],
    ["paused", "none", "none", "none (paused)"],
  ])("%s and %s is %s: %s", (state, health, word, text) => {
    expect(serviceHealth(state, health)).toEqual({ health: word, text });
    // The text always holds the word (the box's data-health), and there is a symbol beside it.
    expect(text).toContain(word);
  });

  it.each([
    ["created", "none", "none (on demand)"],
    ["exited", "none", "none (on demand)"],
    ["absent", "none", "none (on demand, absent)"],
    ["running", "none", "none (no health check)"],
  ])("an on-demand service (the diskless VM) %s is %s", (state, health, text) => {
    expect(serviceHealth(state, health, true)).toEqual({ health: "none", text });
  });

  it("has a distinct symbol for each health", () => {
    expect(new Set(HEALTH_WORDS.map((w) => HEALTH_SYMBOL[w])).size).toBe(HEALTH_WORDS.length);
  });
});

describe("names of addresses", () => {
  it("names the lab's addresses after their services and host names", () => {
    const names = addressNames(lab());
    expect(names.get("10.0.0.10")).toBe("dns-root (a.root-servers.net)");
    expect(names.get("10.1.0.53")).toBe("dns-resolver (dns.hamburger.edu)");
    expect(names.get("www.someschool.edu")).toBe("www");
  });
});
