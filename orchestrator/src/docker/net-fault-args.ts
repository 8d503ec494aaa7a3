/**
 * Pure helpers for network faults: the arguments given to services/router/net-fault.sh in the
 * helper container, and the parsing of its counters. No Docker here.
 */

export const LOSS_DIRECTIONS = ["both", "ingress", "egress"] as const;
export type LossDirection = (typeof LOSS_DIRECTIONS)[number];

export interface LossSpec {
  /** Percent of packets dropped, more than 0 and at most 100. */
  percent: number;
  direction: LossDirection;
}

/** Problems with a loss spec, one message each; none when it is valid. */
export function lossProblems(spec: { percent: unknown; direction?: unknown }): string[] {
  const problems: string[] = [];
  const p = spec.percent;
  if (typeof p !== "number" || !Number.isFinite(p) || p <= 0 || p > 100) {
    problems.push(`loss must be a percentage more than 0 and at most 100; got ${JSON.stringify(p)}`);
  }
  if (spec.direction !== undefined && !(LOSS_DIRECTIONS as readonly unknown[]).includes(spec.direction)) {
    problems.push(`direction must be one of ${LOSS_DIRECTIONS.join(", ")}; got ${JSON.stringify(spec.direction)}`);
  }
  return problems;
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
