/**
 * The lab's topology (GET /api/topology) as a bus diagram, laid out deterministically and pure:
 * each network is a horizontal bus; each service a box joined by vertical lines to the buses of
 * the networks it is on. The buses are ordered so that as few lines as possible cross a bus they
 * do not join (every order is tried for up to 7 networks); each box sits between the outermost
 * buses it joins (a box on one network just above or below it). A box goes in the first of
 * `columns` columns, and the first tier of boxes in its row, where neither it nor its lines meet
 * another box or line (a column has two lanes: lines going up from a box and lines going down);
 * where none is free, in a new column. The layout depends on the topology alone, not on health,
 * so a refresh moves nothing.
 */
import type { Static } from "typebox";
import type { TopologyReply } from "../api/schemas.ts";

export type Topology = Static<typeof TopologyReply>;
export type TopologyService = Topology["services"][number];
export type TopologyNetwork = Topology["networks"][number];

/** The health a box shows: Docker's health check, or why there is none. */
export type HealthWord = "healthy" | "unhealthy" | "starting" | "exited" | "none";
export const HEALTH_WORDS: readonly HealthWord[] = ["healthy", "unhealthy", "starting", "exited", "none"];
export const HEALTH_SYMBOL: Record<HealthWord, string> = { healthy: "✓", unhealthy: "✗", starting: "…", exited: "■", none: "○" };

/**
 * A service's health word, and the text that says it (with the container's state when that adds
 * something). An on-demand service (a compose profile's: the diskless VM) that is not running is
 * as it should be: "none", saying it is on demand.
 */
export function serviceHealth(state: string, health: string, onDemand = false): { health: HealthWord; text: string } {
  const running = state === "running";
  if (onDemand && !running && state !== "paused" && state !== "restarting") {
    // Short: it must fit a box's line. Created or exited is how an on-demand service should be.
    return { health: "none", text: state === "created" || state === "exited" ? "none (on demand)" : `none (on demand, ${state})` };
  }
  if (health === "healthy" || health === "unhealthy" || health === "starting") {
    return { health, text: running ? health : `${health} (${state})` };
  }
  if (state === "absent") return { health: "exited", text: "exited (no container)" };
  if (state === "exited" || state === "dead" || state === "created" || state === "removing") {
    return { health: "exited", text: state === "exited" ? "exited" : `exited (${state})` };
  }
  if (state === "restarting") return { health: "starting", text: "starting (restarting)" };
  return { health: "none", text: running ? "none (no health check)" : `none (${state})` };
}

export const BOX_WIDTH = 180;
const COLUMN_GAP = 18;
const LEFT = 190; // the buses' labels
const LINE = 15;
const BOX_PAD = 8;
const TIER_GAP = 26;
const BUS_GAP = 34;
const TOP = 16;
/** Characters of a line in a box (11-12 px sans-serif in BOX_WIDTH). */
export const BOX_CHARS = 26;
const MAX_HOSTNAMES = 3;
const MAX_PERMUTED = 7;
const MAX_TIERS = 12;

export interface TopoBus {
  name: string;
  subnet: string;
  description: string;
  private: boolean;
  internal: boolean;
  y: number;
  x1: number;
  x2: number;
}

export interface TopoLine {
  kind: "name" | "host" | "address" | "health";
  text: string;
}

export interface TopoBox {
  name: string;
  x: number;
  y: number;
  width: number;
  height: number;
  /** The lines of text in the box, cut to BOX_CHARS; the health line is last. */
  lines: TopoLine[];
  /** Everything about the service, uncut, for the box's title. */
  title: string;
  health: HealthWord;
  healthText: string;
  state: string;
}

export interface TopoLink {
  service: string;
  x: number;
  y1: number;
  y2: number;
}

export interface TopoJoint {
  service: string;
  network: string;
  ipv4: string;
  x: number;
  y: number;
}

export interface TopologyLayout {
  width: number;
  height: number;
  buses: TopoBus[];
  boxes: TopoBox[];
  links: TopoLink[];
  joints: TopoJoint[];
  /** The top of the services on no lab network, if there are any. */
  unattachedY?: number;
}

const cut = (text: string, max = BOX_CHARS) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** The cost of a bus order: the buses lines cross without joining them. */
function crossings(order: readonly number[], memberships: readonly number[][]): number {
  const pos = new Array<number>(order.length);
  order.forEach((bus, i) => (pos[bus] = i));
  let cost = 0;
  for (const m of memberships) {
    if (m.length < 2) continue;
    const ps = m.map((b) => pos[b]!);
    cost += Math.max(...ps) - Math.min(...ps) + 1 - m.length;
  }
  return cost;
}

function* permutations(items: number[]): Generator<number[]> {
  if (items.length <= 1) {
    yield items;
    return;
  }
  for (let i = 0; i < items.length; i++) {
    for (const rest of permutations([...items.slice(0, i), ...items.slice(i + 1)])) yield [items[i]!, ...rest];
  }
}

/** The buses' order (indices into networks): the fewest crossings, then the least moved from the given order. */
export function busOrder(networks: readonly TopologyNetwork[], services: readonly TopologyService[]): number[] {
  const index = new Map(networks.map((n, i) => [n.name, i]));
  const memberships = services.map((s) => [...new Set(s.networks.map((n) => index.get(n.network)).filter((i): i is number => i !== undefined))]);
  const given = networks.map((_, i) => i);
  if (networks.length > MAX_PERMUTED) return given;
  let best = given;
  let bestCost = [crossings(given, memberships), 0];
  for (const order of permutations(given)) {
    const cost = [crossings(order, memberships), order.reduce((a, bus, i) => a + Math.abs(bus - i), 0)];
    if (cost[0]! < bestCost[0]! || (cost[0] === bestCost[0] && cost[1]! < bestCost[1]!)) {
      best = order;
      bestCost = cost;
    }
  }
  return best;
}

type Lane = "up" | "down";
interface Placed {
  service: TopologyService;
  row: number;
  key: number;
  column: number;
  /** Bus positions joined, ascending. */
  buses: number[];
}

/**
 * The vertical keys: bus b is at b; row r (above bus r, below bus r - 1) has its tiers between.
 * Tier 0 of a row is the one nearest its bus (the top row's bottom, the bottom row's top) or, for
 * a row between buses, its middle; further tiers alternate away from it.
 */
function tierKey(row: number, tier: number, buses: number): number {
  const step = 0.01 * (tier + 1);
  if (buses === 0) return tier;
  if (row === 0) return -step;
  if (row === buses) return buses - 1 + step;
  const off = Math.ceil(tier / 2) * 0.01 * (tier % 2 === 1 ? -1 : 1);
  return row - 0.5 + off;
}

export function topologyLayout(topology: Topology, options: { columns?: number } = {}): TopologyLayout {
  const maxColumns = Math.max(1, options.columns ?? 6);
  const order = busOrder(topology.networks, topology.services);
  const nets = order.map((i) => topology.networks[i]!);
  const position = new Map(nets.map((n, i) => [n.name, i]));
  const n = nets.length;

  // Occupancy per column and lane: closed intervals of keys.
  const lanes = new Map<string, [number, number][]>();
  const free = (column: number, lane: Lane, a: number, b: number) => (lanes.get(`${column}:${lane}`) ?? []).every(([x, y]) => b < x || a > y);
  const take = (column: number, lane: Lane, a: number, b: number) => {
    const key = `${column}:${lane}`;
    lanes.set(key, [...(lanes.get(key) ?? []), [a, b]]);
  };

  const attached = topology.services.filter((s) => s.networks.some((x) => position.has(x.network)));
  const unattached = topology.services.filter((s) => !s.networks.some((x) => position.has(x.network)));
  const busesOf = (s: TopologyService) => [...new Set(s.networks.map((x) => position.get(x.network)).filter((p): p is number => p !== undefined))].sort((a, b) => a - b);
  const ordered = [...attached.filter((s) => busesOf(s).length > 1), ...attached.filter((s) => busesOf(s).length === 1)];

  const placed: Placed[] = [];
  for (const service of ordered) {
    const buses = busesOf(service);
    const lo = buses[0]!;
    const hi = buses[buses.length - 1]!;
    // The rows it may sit in: between its outermost buses, nearest the middle first; on one bus, just above it or just below.
    const rows =
      buses.length === 1
        ? [lo, lo + 1]
        : Array.from({ length: hi - lo }, (_, i) => lo + 1 + i).sort((a, b) => Math.abs(a - (lo + hi + 1) / 2) - Math.abs(b - (lo + hi + 1) / 2) || a - b);
    const fits = (tier: number, column: number): Placed | undefined => {
      for (const row of rows) {
        const key = tierKey(row, tier, n);
        const up = lo < row ? ([lo, key] as const) : undefined;
        const down = hi >= row ? ([key, hi] as const) : undefined;
        if (!free(column, "up", key, key) || !free(column, "down", key, key)) continue;
        if (up && !free(column, "up", up[0], up[1])) continue;
        if (down && !free(column, "down", down[0], down[1])) continue;
        take(column, "up", up?.[0] ?? key, key);
        take(column, "down", key, down?.[1] ?? key);
        return { service, row, key, column, buses };
      }
      return undefined;
    };
    let spot: Placed | undefined;
    for (let tier = 0; tier < MAX_TIERS && !spot; tier++) {
      for (let column = 0; column < maxColumns && !spot; column++) spot = fits(tier, column);
    }
    // Lines through every column of every tier: a column past the others, which is always free.
    for (let column = maxColumns; !spot; column++) spot = fits(0, column);
    placed.push(spot);
  }

  const boxLines = (s: TopologyService): TopoLine[] => {
    const hosts = s.hostnames.length > MAX_HOSTNAMES ? [...s.hostnames.slice(0, MAX_HOSTNAMES - 1), `+${s.hostnames.length - MAX_HOSTNAMES + 1} more`] : s.hostnames;
    const addresses = [...s.networks].sort((a, b) => (position.get(a.network) ?? n) - (position.get(b.network) ?? n));
    const { text } = serviceHealth(s.state, s.health, (s.profiles?.length ?? 0) > 0);
    return [
      { kind: "name", text: cut(s.name) },
      ...hosts.map((h) => ({ kind: "host" as const, text: cut(h) })),
      ...addresses.map((a) => ({ kind: "address" as const, text: cut(`${a.ipv4} ${a.network}`) })),
      { kind: "health", text: cut(`${HEALTH_SYMBOL[serviceHealth(s.state, s.health, (s.profiles?.length ?? 0) > 0).health]} ${text}`) },
    ];
  };
  const boxHeight = (s: TopologyService) => BOX_PAD * 2 + LINE * boxLines(s).length;
  const columnX = (c: number) => LEFT + c * (BOX_WIDTH + COLUMN_GAP);

  // Walk down the keys: each tier as high as its tallest box, each bus between.
  const tierKeys = [...new Set(placed.map((p) => p.key))];
  const keys = [...tierKeys.map((k) => ({ k, bus: false })), ...nets.map((_, b) => ({ k: b, bus: true }))].sort((a, b) => a.k - b.k || Number(a.bus) - Number(b.bus));
  const tierY = new Map<number, number>();
  const tierHeight = new Map<number, number>();
  const busY: number[] = [];
  let y = TOP;
  let previous: "bus" | "tier" | undefined;
  for (const { k, bus } of keys) {
    if (bus) {
      y += previous === undefined ? BUS_GAP / 2 : BUS_GAP;
      busY[k] = y;
      previous = "bus";
    } else {
      y += previous === undefined ? 0 : previous === "bus" ? BUS_GAP : TIER_GAP;
      tierY.set(k, y);
      tierHeight.set(k, Math.max(...placed.filter((p) => p.key === k).map((p) => boxHeight(p.service))));
      y += tierHeight.get(k)!;
      previous = "tier";
    }
  }

  const usedColumns = Math.max(1, ...placed.map((p) => p.column + 1), Math.min(maxColumns, unattached.length));
  const right = columnX(usedColumns - 1) + BOX_WIDTH + COLUMN_GAP;
  const buses: TopoBus[] = nets.map((net, b) => ({
    name: net.name,
    subnet: net.subnet,
    description: net.description,
    private: net.private,
    internal: net.internal,
    y: busY[b]!,
    x1: 16,
    x2: right,
  }));

  const box = (s: TopologyService, x: number, top: number): TopoBox => {
    const { health, text } = serviceHealth(s.state, s.health, (s.profiles?.length ?? 0) > 0);
    const title = [
      `${s.name}: ${s.description}`,
      ...(s.hostnames.length ? [`hosts: ${s.hostnames.join(", ")}`] : []),
      ...s.networks.map((a) => `${a.network}: ${a.ipv4}`),
      `state: ${s.state}, health: ${s.health}`,
    ].join("\n");
    return { name: s.name, x, y: top, width: BOX_WIDTH, height: boxHeight(s), lines: boxLines(s), title, health, healthText: text, state: s.state };
  };

  const boxes: TopoBox[] = [];
  const links: TopoLink[] = [];
  const joints: TopoJoint[] = [];
  for (const p of placed) {
    // A box whose lines all go down sits at the bottom of its tier, next to its bus.
    const down = p.buses.every((bus) => bus >= p.row);
    const b = box(p.service, columnX(p.column), tierY.get(p.key)! + (down ? tierHeight.get(p.key)! - boxHeight(p.service) : 0));
    boxes.push(b);
    const upX = b.x + BOX_WIDTH / 3;
    const downX = b.x + (2 * BOX_WIDTH) / 3;
    const above = p.buses.filter((bus) => bus < p.row);
    const below = p.buses.filter((bus) => bus >= p.row);
    if (above.length) links.push({ service: b.name, x: upX, y1: busY[Math.min(...above)]!, y2: b.y });
    if (below.length) links.push({ service: b.name, x: downX, y1: b.y + b.height, y2: busY[Math.max(...below)]! });
    for (const a of p.service.networks) {
      const bus = position.get(a.network);
      if (bus === undefined) continue;
      joints.push({ service: b.name, network: a.network, ipv4: a.ipv4, x: bus < p.row ? upX : downX, y: busY[bus]! });
    }
  }

  let unattachedY: number | undefined;
  if (unattached.length) {
    unattachedY = y + BUS_GAP + 20;
    let rowTop = unattachedY;
    for (let i = 0; i < unattached.length; i += maxColumns) {
      const row = unattached.slice(i, i + maxColumns);
      row.forEach((s, j) => boxes.push(box(s, columnX(j), rowTop)));
      rowTop += Math.max(...row.map(boxHeight)) + TIER_GAP;
    }
    y = rowTop - TIER_GAP;
  }

  return { width: right, height: y + TOP, buses, boxes, links, joints, ...(unattachedY !== undefined ? { unattachedY } : {}) };
}

/** Names for the ladder's columns: each service's addresses and host names → "service (host)". */
export function addressNames(topology: Pick<Topology, "services">): Map<string, string> {
  const names = new Map<string, string>();
  for (const s of topology.services) {
    const name = s.hostnames[0] ? `${s.name} (${s.hostnames[0]})` : s.name;
    for (const a of s.networks) names.set(a.ipv4, name);
    for (const h of s.hostnames) names.set(h, s.name);
  }
  return names;
}
