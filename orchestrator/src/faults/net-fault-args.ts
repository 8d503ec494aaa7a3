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

/** A network fault as scenarios, the ledger and the API hold it: random loss or a rate limit. */
export type NetFaultSpec = { loss: number; direction: LossDirection } | RateSpec;
export type NetFaultKind = "loss" | "rate";

export const isRateFault = (spec: NetFaultSpec): spec is RateSpec => "rateKbit" in spec;

/** The fields a fault is given as (a scenario's fault step, an API request), not yet checked. */
export interface NetFaultFields {
  loss?: unknown;
  rateKbit?: unknown;
  direction?: unknown;
}

/** Problems with which fields a fault has: exactly one of loss and rateKbit, direction only with loss. */
export function netFaultChoiceProblems(given: NetFaultFields): string[] {
  const hasLoss = given.loss !== undefined;
  const hasRate = given.rateKbit !== undefined;
  if (hasLoss && hasRate) return ["fault needs either loss (percent) or rateKbit (kbit/s), not both (one network fault per service at a time)"];
  if (!hasLoss && !hasRate) return ["fault needs either loss (percent of packets dropped at random) or rateKbit (kbit/s, a rate limit); it has neither"];
  if (hasRate && given.direction !== undefined) return ["direction applies only to loss, not to rateKbit; remove it (a rate limit shapes what the service sends on each of its interfaces)"];
  return [];
}

/** Problems with a fault as given: its choice of fields, then their values. None when it is valid. */
export function netFaultProblems(given: NetFaultFields): string[] {
  const choice = netFaultChoiceProblems(given);
  if (choice.length > 0) return choice;
  return given.rateKbit !== undefined ? rateProblems({ rateKbit: given.rateKbit }) : lossProblems({ percent: given.loss, direction: given.direction });
}

/** The spec of a fault whose fields netFaultProblems accepted; direction defaults to both. */
export function netFaultSpec(given: NetFaultFields): NetFaultSpec {
  const problems = netFaultProblems(given);
  if (problems.length > 0) throw new RangeError(problems.join("; "));
  if (given.rateKbit !== undefined) return { rateKbit: given.rateKbit as number };
  return { loss: given.loss as number, direction: (given.direction ?? "both") as LossDirection };
}

/** The net-fault.sh arguments for either kind of fault. */
export function netFaultArgs(spec: NetFaultSpec): string[] {
  return isRateFault(spec) ? rateArgs(spec) : lossArgs({ percent: spec.loss, direction: spec.direction });
}

/** "loss 10% both" or "rate 1500 kbit/s", for messages and transcripts. */
export function describeNetFault(spec: NetFaultSpec): string {
  return isRateFault(spec) ? `rate ${spec.rateKbit} kbit/s` : `loss ${spec.loss}% ${spec.direction}`;
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
