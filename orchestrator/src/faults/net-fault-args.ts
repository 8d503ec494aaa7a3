/**
 * Pure helpers for network faults: the arguments given to services/router/net-fault.sh in the
 * helper container, and the parsing of its counters. No Docker here. A fault is one of two kinds:
 * random loss ({ loss, direction }) or rate shaping, an access link ({ rateKbit }).
 */

export const LOSS_DIRECTIONS = ["both", "ingress", "egress"] as const;
export type LossDirection = (typeof LOSS_DIRECTIONS)[number];

export interface LossSpec {
  /** Percent of packets dropped, more than 0 and at most 100. */
  percent: number;
  direction: LossDirection;
}

/**
 * The smallest loss a helper applies: lossArgs passes the percentage with 4 decimals, so a smaller
 * one reaches net-fault.sh as 0, which it refuses (exit 2): the API took `loss: 1e-5`, started a
 * helper, and answered 502.
 */
export const LOSS_PERCENT_MIN = 0.0001;

/** Problems with a loss spec, one message each; none when it is valid. */
export function lossProblems(spec: { percent: unknown; direction?: unknown }): string[] {
  const problems: string[] = [];
  const p = spec.percent;
  if (typeof p !== "number" || !Number.isFinite(p) || p <= 0 || p > 100) {
    problems.push(`loss must be a percentage more than 0 and at most 100; got ${JSON.stringify(p)}`);
  } else if (Number(p.toFixed(4)) < LOSS_PERCENT_MIN) {
    problems.push(`loss must be at least ${LOSS_PERCENT_MIN} percent (it is applied to 4 decimals); got ${p}`);
  }
  if (spec.direction !== undefined && !(LOSS_DIRECTIONS as readonly unknown[]).includes(spec.direction)) {
    problems.push(`direction must be one of ${LOSS_DIRECTIONS.join(", ")}; got ${JSON.stringify(spec.direction)}`);
  }
  return problems;
}

/** The smallest and largest rate, in kbit/s (1000 bit/s): 8 kbit/s to 10 Gbit/s. */
export const RATE_KBIT_MIN = 8;
export const RATE_KBIT_MAX = 10_000_000;

export interface RateSpec {
  /** The most the service may send, in kbit/s (1000 bit/s): an integer from 8 to 10000000. */
  rateKbit: number;
}

/** Problems with a rate spec, one message each; none when it is valid. */
export function rateProblems(spec: { rateKbit: unknown }): string[] {
  const r = spec.rateKbit;
  if (typeof r === "number" && Number.isInteger(r) && r >= RATE_KBIT_MIN && r <= RATE_KBIT_MAX) return [];
  return [`rateKbit must be a whole number of kbit/s from ${RATE_KBIT_MIN} to ${RATE_KBIT_MAX} (10 Gbit/s); got ${JSON.stringify(r)}`];
}

/** The net-fault.sh arguments for rate shaping: ["rate", "<kbit>"]. */
export function rateArgs(spec: RateSpec): string[] {
  const problems = rateProblems(spec);
  if (problems.length > 0) throw new RangeError(problems.join("; "));
  return ["rate", String(spec.rateKbit)];
}

/** The spreads a jitter can have: uniform on [-J, +J], or normal with standard deviation J (netem's). */
export const DISTRIBUTIONS = ["uniform", "normal"] as const;
export type Distribution = (typeof DISTRIBUTIONS)[number];

/** The largest delay, jitter or reordering gap, in ms. */
export const DELAY_MS_MAX = 10_000;
/** The reordering gap when none is given, in ms. */
export const DEFAULT_GAP_MS = 10;
/** The range of a fixed TCP window, in segments. */
export const WINDOW_SEGMENTS_MIN = 1;
export const WINDOW_SEGMENTS_MAX = 1000;
/** The most peers a partition names. */
export const PARTITION_PEERS_MAX = 16;

/**
 * A network fault as scenarios, the ledger and the API hold it. Either a link profile (any of
 * loss, rateKbit, delayMs with jitterMs, duplicate, reorder; optionally narrowed `to` a peer
 * service), or a partition from peer services, or a service cut from a whole network
 * (disconnect), or one of its links down (linkDown).
 */
export interface NetFaultSpec {
  /** Percent of packets dropped at random; direction says which. */
  loss?: number;
  direction?: LossDirection;
  /** A rate limit on what the service sends, in kbit/s. */
  rateKbit?: number;
  /** Added to everything the service sends, in ms (a round trip to it grows by this much). */
  delayMs?: number;
  /** A random part of the delay, in ms, spread as `distribution` says (uniform by default). */
  jitterMs?: number;
  distribution?: Distribution;
  /** Percent of packets sent twice. */
  duplicate?: number;
  /** Percent of packets held back gapMs (default 10), so that later ones overtake them. */
  reorder?: number;
  gapMs?: number;
  /** A fixed TCP window on what the service sends: at most this many segments in flight per connection (a locked cwnd). */
  windowSegments?: number;
  /** Only traffic to (and for ingress loss, from) this service suffers the profile; a rate then shapes only what goes to it. */
  to?: string;
  /** The services this one is partitioned from: nothing passes either way (oneWay: only from this one to them). */
  partition?: string[];
  oneWay?: boolean;
  /** A network this service is cut from: nothing passes on its interface there. */
  disconnect?: string;
  /** A network whose interface on this service goes down (and up again when healed). */
  linkDown?: string;
}

/** The four families of network fault; a service holds one fault, of one family, at a time. */
export type NetFaultKind = "profile" | "partition" | "disconnect" | "linkDown";

const PROFILE_FIELDS = ["loss", "direction", "rateKbit", "delayMs", "jitterMs", "distribution", "duplicate", "reorder", "gapMs", "windowSegments", "to"] as const;
/** The fields that ask for the delay line (or netem). */
const DELAY_FIELDS = ["delayMs", "jitterMs", "duplicate", "reorder"] as const;

export function netFaultKind(spec: NetFaultSpec): NetFaultKind {
  if (spec.partition !== undefined) return "partition";
  if (spec.disconnect !== undefined) return "disconnect";
  if (spec.linkDown !== undefined) return "linkDown";
  return "profile";
}

/** Does the profile need the delay line (or netem)? */
export const needsDelayLine = (spec: NetFaultSpec): boolean => DELAY_FIELDS.some((f) => spec[f] !== undefined);

/** The fields a fault is given as (a scenario's fault step, an API request), not yet checked. */
export type NetFaultFields = { [K in keyof NetFaultSpec]?: unknown };

const KINDS_HINT = "loss, rateKbit, delayMs (with jitterMs), duplicate, reorder, windowSegments; or partition, disconnect or linkDown";

/** Problems with which fields a fault has (one family, each field with what it needs). */
export function netFaultChoiceProblems(given: NetFaultFields): string[] {
  const has = (k: keyof NetFaultSpec) => given[k] !== undefined;
  const families = [
    PROFILE_FIELDS.some((f) => has(f) && f !== "to" && f !== "direction" && f !== "distribution" && f !== "gapMs") ? PROFILE_FAMILY : undefined,
    has("partition") ? "partition" : undefined,
    has("disconnect") ? "disconnect" : undefined,
    has("linkDown") ? "linkDown" : undefined,
  ].filter((f): f is string => f !== undefined);
  if (families.length > 1) return [`a fault is one of ${KINDS_HINT}; this one mixes ${families.join(" and ")} (one network fault per service at a time)`];
  if (families.length === 0) return [`a fault needs one of ${KINDS_HINT}; it has none`];
  const problems: string[] = [];
  if (has("direction") && !has("loss")) problems.push("direction applies only to loss; remove it, or give loss (percent)");
  if (has("jitterMs") && !has("delayMs")) problems.push("jitterMs is a spread around delayMs; give delayMs too (0 is allowed)");
  if (has("distribution") && !has("jitterMs")) problems.push("distribution applies only to jitterMs; remove it, or give jitterMs");
  if (has("gapMs") && !has("reorder")) problems.push("gapMs applies only to reorder; remove it, or give reorder (percent)");
  if (has("oneWay") && !has("partition")) problems.push("oneWay applies only to partition; remove it");
  if (has("to") && families[0] !== PROFILE_FAMILY) problems.push("to narrows a link profile (loss, rateKbit, delayMs, duplicate, reorder, windowSegments) to one peer; a partition names its peers itself");
  return problems;
}
const PROFILE_FAMILY = "a link profile (loss, rateKbit, delayMs, duplicate, reorder, windowSegments)";

const isNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

function percentProblem(name: string, v: unknown): string[] {
  if (!isNumber(v) || v <= 0 || v > 100) return [`${name} must be a percentage more than 0 and at most 100; got ${JSON.stringify(v)}`];
  if (Number(v.toFixed(4)) < LOSS_PERCENT_MIN) return [`${name} must be at least ${LOSS_PERCENT_MIN} percent (it is applied to 4 decimals); got ${v}`];
  return [];
}

function msProblem(name: string, v: unknown): string[] {
  if (!isNumber(v) || v < 0 || v > DELAY_MS_MAX) return [`${name} must be a number of milliseconds from 0 to ${DELAY_MS_MAX}; got ${JSON.stringify(v)}`];
  if (Math.round(v * 1000) !== v * 1000 && Math.abs(Math.round(v * 1000) - v * 1000) > 1e-6) return [`${name} is applied to the microsecond: give at most 3 decimals; got ${v}`];
  return [];
}

function serviceNameProblem(name: string, v: unknown): string[] {
  return typeof v === "string" && v.length > 0 ? [] : [`${name} must be a service name; got ${JSON.stringify(v)}`];
}

/** Problems with a fault as given: its choice of fields, then their values. None when it is valid. */
export function netFaultProblems(given: NetFaultFields): string[] {
  const choice = netFaultChoiceProblems(given);
  if (choice.length > 0) return choice;
  const problems: string[] = [];
  if (given.loss !== undefined || given.direction !== undefined) problems.push(...lossProblems({ percent: given.loss, direction: given.direction }));
  if (given.rateKbit !== undefined) problems.push(...rateProblems({ rateKbit: given.rateKbit }));
  for (const f of ["delayMs", "jitterMs", "gapMs"] as const) if (given[f] !== undefined) problems.push(...msProblem(f, given[f]));
  if (given.distribution !== undefined && !(DISTRIBUTIONS as readonly unknown[]).includes(given.distribution)) {
    problems.push(`distribution must be one of ${DISTRIBUTIONS.join(", ")}; got ${JSON.stringify(given.distribution)}`);
  }
  for (const f of ["duplicate", "reorder"] as const) if (given[f] !== undefined) problems.push(...percentProblem(f, given[f]));
  if (given.windowSegments !== undefined) {
    const w = given.windowSegments;
    if (!(typeof w === "number" && Number.isInteger(w) && w >= WINDOW_SEGMENTS_MIN && w <= WINDOW_SEGMENTS_MAX)) {
      problems.push(`windowSegments must be a whole number of segments from ${WINDOW_SEGMENTS_MIN} to ${WINDOW_SEGMENTS_MAX}; got ${JSON.stringify(w)}`);
    }
  }
  if (given.to !== undefined) problems.push(...serviceNameProblem("to", given.to));
  if (given.partition !== undefined) {
    const p = given.partition;
    const list = typeof p === "string" ? [p] : p;
    if (!Array.isArray(list) || list.length === 0 || list.length > PARTITION_PEERS_MAX || !list.every((s) => typeof s === "string" && s.length > 0)) {
      problems.push(`partition must be a service name or a list of 1 to ${PARTITION_PEERS_MAX} service names; got ${JSON.stringify(p)}`);
    } else if (new Set(list).size !== list.length) {
      problems.push(`partition names a service twice: ${JSON.stringify(p)}`);
    }
  }
  if (given.oneWay !== undefined && typeof given.oneWay !== "boolean") problems.push(`oneWay must be true or false; got ${JSON.stringify(given.oneWay)}`);
  for (const f of ["disconnect", "linkDown"] as const) {
    if (given[f] !== undefined && (typeof given[f] !== "string" || given[f] === "")) problems.push(`${f} must be a network name; got ${JSON.stringify(given[f])}`);
  }
  return problems;
}

/** The spec of a fault whose fields netFaultProblems accepted: defaults filled in, a lone partition peer made a list. */
export function netFaultSpec(given: NetFaultFields): NetFaultSpec {
  const problems = netFaultProblems(given);
  if (problems.length > 0) throw new RangeError(problems.join("; "));
  const g = given as NetFaultSpec & { partition?: string | string[] };
  const spec: NetFaultSpec = {};
  if (g.loss !== undefined) Object.assign(spec, { loss: g.loss, direction: g.direction ?? "both" });
  if (g.rateKbit !== undefined) spec.rateKbit = g.rateKbit;
  if (g.delayMs !== undefined) spec.delayMs = g.delayMs;
  if (g.jitterMs !== undefined) Object.assign(spec, { jitterMs: g.jitterMs, distribution: g.distribution ?? "uniform" });
  if (g.duplicate !== undefined) spec.duplicate = g.duplicate;
  if (g.reorder !== undefined) Object.assign(spec, { reorder: g.reorder, gapMs: g.gapMs ?? DEFAULT_GAP_MS });
  if (g.windowSegments !== undefined) spec.windowSegments = g.windowSegments;
  if (g.to !== undefined) spec.to = g.to;
  if (g.partition !== undefined) Object.assign(spec, { partition: typeof g.partition === "string" ? [g.partition] : [...g.partition], oneWay: g.oneWay ?? false });
  if (g.disconnect !== undefined) spec.disconnect = g.disconnect;
  if (g.linkDown !== undefined) spec.linkDown = g.linkDown;
  return spec;
}

/** Where a fault aims, in addresses: resolved from the lab's topology by the caller. */
export interface NetFaultTargets {
  /** The peers' addresses (to, or the partition's services), each a /32. */
  peers: string[];
  /** The service's own address on the network it is cut from, or whose link goes down. */
  ownAddress?: string;
}

/** How the delay-line kinds are applied: the userspace delay line, or netem where the kernel has it. */
export type DelayBackend = "nfqueue" | "netem";

const us = (ms: number) => String(Math.round(ms * 1000));
const percentArg = (p: number) => Number(p.toFixed(4)).toString();

/** The net-fault.sh arguments for a fault, its targets resolved. */
export function netFaultArgs(spec: NetFaultSpec, targets: NetFaultTargets = { peers: [] }, backend: DelayBackend = "nfqueue"): string[] {
  const problems = netFaultProblems(spec);
  if (problems.length > 0) throw new RangeError(problems.join("; "));
  const peers = targets.peers.flatMap((p) => ["--peer", p]);
  switch (netFaultKind(spec)) {
    case "partition":
      return ["cut", ...(spec.oneWay ? ["--one-way"] : []), ...peers];
    case "disconnect":
    case "linkDown": {
      if (targets.ownAddress === undefined) throw new RangeError("the service's own address on the network is needed");
      return spec.disconnect !== undefined ? ["cut", "--net", targets.ownAddress] : ["linkdown", targets.ownAddress];
    }
    case "profile": {
      if (spec.to !== undefined && targets.peers.length === 0) throw new RangeError(`the addresses of "${spec.to}" are needed`);
      // A lone loss or rate keeps net-fault.sh's short forms (what transcripts have always shown).
      const fields = Object.keys(spec).filter((k) => spec[k as keyof NetFaultSpec] !== undefined);
      if (fields.every((f) => f === "loss" || f === "direction") && spec.loss !== undefined) return lossArgs({ percent: spec.loss, direction: spec.direction ?? "both" });
      if (fields.length === 1 && spec.rateKbit !== undefined) return rateArgs({ rateKbit: spec.rateKbit });
      const args = ["profile"];
      if (spec.loss !== undefined) args.push(...lossArgs({ percent: spec.loss, direction: spec.direction ?? "both" }).slice(1).flatMap((v, i) => [i === 0 ? "--loss" : "--direction", v]));
      if (spec.rateKbit !== undefined) args.push("--rate", String(spec.rateKbit));
      if (spec.delayMs !== undefined) args.push("--delay-us", us(spec.delayMs));
      if (spec.jitterMs !== undefined) args.push("--jitter-us", us(spec.jitterMs), "--distribution", spec.distribution ?? "uniform");
      if (spec.duplicate !== undefined) args.push("--duplicate", percentArg(spec.duplicate));
      if (spec.reorder !== undefined) args.push("--reorder", percentArg(spec.reorder), "--gap-us", us(spec.gapMs ?? DEFAULT_GAP_MS));
      if (spec.windowSegments !== undefined) args.push("--window", String(spec.windowSegments));
      if (needsDelayLine(spec)) args.push("--backend", spec.to !== undefined ? "nfqueue" : backend);
      args.push(...peers);
      return args;
    }
  }
}

/** "loss 10% both, delay 100 ms jitter 10 ms uniform" or "partition from dns-root, dns-tld", for messages and transcripts. */
export function describeNetFault(spec: NetFaultSpec): string {
  switch (netFaultKind(spec)) {
    case "partition":
      return `${spec.oneWay ? "one-way " : ""}partition from ${(spec.partition ?? []).join(", ")}`;
    case "disconnect":
      return `cut from network ${spec.disconnect}`;
    case "linkDown":
      return `link down on network ${spec.linkDown}`;
    case "profile": {
      const parts: string[] = [];
      if (spec.loss !== undefined) parts.push(`loss ${spec.loss}% ${spec.direction ?? "both"}`);
      if (spec.rateKbit !== undefined) parts.push(`rate ${spec.rateKbit} kbit/s`);
      if (spec.delayMs !== undefined) parts.push(`delay ${spec.delayMs} ms${spec.jitterMs !== undefined ? ` jitter ${spec.jitterMs} ms ${spec.distribution ?? "uniform"}` : ""}`);
      if (spec.duplicate !== undefined) parts.push(`duplicate ${spec.duplicate}%`);
      if (spec.reorder !== undefined) parts.push(`reorder ${spec.reorder}% gap ${spec.gapMs ?? DEFAULT_GAP_MS} ms`);
      if (spec.windowSegments !== undefined) parts.push(`TCP window ${spec.windowSegments} segments`);
      return parts.join(", ") + (spec.to !== undefined ? ` to ${spec.to}` : "");
    }
  }
}

/** The net-fault.sh arguments for random loss: ["loss", "<percent>", "<direction>"]. */
export function lossArgs(spec: LossSpec): string[] {
  const problems = lossProblems(spec);
  if (problems.length > 0) throw new RangeError(problems.join("; "));
  // At most 6 decimals of probability (iptables statistic takes a fraction); no exponent notation.
  const percent = Number(spec.percent.toFixed(4)).toString();
  return ["loss", percent, spec.direction];
}

/** Parses net-fault.sh stats output ("name value" per line) into numbers; other lines are ignored. */
export function parseNetFaultStats(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)\s+(\d+)\s*$/.exec(line.trim());
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

/** What the counters say about the fault: packets seen and dropped each way, and the measured loss. */
export interface LossCounters {
  ingressSeen: number;
  ingressDropped: number;
  egressSeen: number;
  egressDropped: number;
  /** Dropped / seen over both directions, in percent (0 when nothing was seen). */
  measuredPercent: number;
}

export function lossCounters(stats: Record<string, number>): LossCounters {
  const c = {
    ingressSeen: stats["ingress_seen"] ?? 0,
    ingressDropped: stats["ingress_dropped"] ?? 0,
    egressSeen: stats["egress_seen"] ?? 0,
    egressDropped: stats["egress_dropped"] ?? 0,
  };
  const seen = c.ingressSeen + c.egressSeen;
  const dropped = c.ingressDropped + c.egressDropped;
  return { ...c, measuredPercent: seen === 0 ? 0 : Math.round((dropped / seen) * 10000) / 100 };
}

/** What a rate fault's counters say, summed over the shaped interfaces (tc -s qdisc show). */
export interface RateCounters {
  /** Bytes and packets the shaper let through. */
  sentBytes: number;
  sentPackets: number;
  /** Packets dropped because the queue was full (they waited longer than its latency allows). */
  dropped: number;
  /** Times the shaper had a packet to send but no tokens for it: how often the rate held traffic back. */
  overlimits: number;
}

export function rateCounters(stats: Record<string, number>): RateCounters {
  return {
    sentBytes: stats["rate_sent_bytes"] ?? 0,
    sentPackets: stats["rate_sent_packets"] ?? 0,
    dropped: stats["rate_dropped"] ?? 0,
    overlimits: stats["rate_overlimits"] ?? 0,
  };
}

/** What the delay line's counters say (or netem's, which counts less). */
export interface DelayCounters {
  /** Packets that entered the delay line, and that it released. */
  delayedPackets: number;
  releasedPackets: number;
  /** Packets dropped because it held as many as it may (10000). */
  delayDropped: number;
  duplicated: number;
  reordered: number;
  /** The most packets it held at once. */
  heldMax: number;
  /** Packets due that its socket could not take at once (lost, as on a full link). */
  sendFailed: number;
}

export function delayCounters(stats: Record<string, number>): DelayCounters {
  return {
    delayedPackets: stats["delay_seen"] ?? 0,
    releasedPackets: stats["delay_sent"] ?? 0,
    delayDropped: stats["delay_dropped"] ?? 0,
    duplicated: stats["delay_duplicated"] ?? 0,
    reordered: stats["delay_reordered"] ?? 0,
    heldMax: stats["delay_held_max"] ?? 0,
    sendFailed: stats["delay_send_failed"] ?? 0,
  };
}

/** What a partition or a disconnect dropped: arriving, and sent (or forwarded). */
export interface CutCounters {
  cutInDropped: number;
  cutOutDropped: number;
}

export function cutCounters(stats: Record<string, number>): CutCounters {
  return { cutInDropped: stats["cut_in_dropped"] ?? 0, cutOutDropped: stats["cut_out_dropped"] ?? 0 };
}

/** A fault's counters: one flat object with the groups of the kinds it has (a link down has none). */
export type FaultCounters = Partial<LossCounters & RateCounters & DelayCounters & CutCounters>;

export function faultCounters(spec: NetFaultSpec, stats: Record<string, number>): FaultCounters {
  const kind = netFaultKind(spec);
  if (kind === "partition" || kind === "disconnect") return cutCounters(stats);
  if (kind === "linkDown") return {};
  return {
    ...(spec.loss !== undefined ? lossCounters(stats) : {}),
    ...(spec.rateKbit !== undefined ? rateCounters(stats) : {}),
    ...(needsDelayLine(spec) ? delayCounters(stats) : {}),
  };
}
