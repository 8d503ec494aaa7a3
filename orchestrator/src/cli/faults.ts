/** Pure helpers for `l7lab fault`: reading a rate from the command line, and showing faults. */

/** A fault as GET/POST /api/faults show it: loss ({ loss, direction }) or a rate limit ({ rateKbit }). */
export interface FaultView {
  id: string;
  service: string;
  loss?: number;
  direction?: string;
  rateKbit?: number;
  helper: string;
}

/** What DELETE /api/faults/:id says about a removed fault. */
export interface HealedView {
  service: string;
  heldMs: number;
  rateKbit?: number;
  counters:
    | { ingressSeen: number; ingressDropped: number; egressSeen: number; egressDropped: number; measuredPercent: number }
    | { sentBytes: number; sentPackets: number; dropped: number; overlimits: number }
    | null;
}

const RATE_UNITS: Record<string, number> = { "": 1, k: 1, m: 1000, g: 1_000_000 };

/**
 * A rate as typed on the command line, in kbit/s (1000 bit/s, as tc counts): "1500", "1500kbit",
 * "1500k", "1.5mbit", "2mbit/s", "10mbps", "1gbit". Throws, saying what is accepted, when it is not a positive whole
 * number of kbit/s; the API checks the range.
 */
export function parseRateKbit(text: string): number {
  // A number, then nothing (kbit/s) or k, m or g with an optional bit, bit/s or bps.
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*(?:([kmg])(?:bit\/s|bit|bps)?)?$/i.exec(text.trim());
  const unit = m ? RATE_UNITS[(m[2] ?? "").toLowerCase()] : undefined;
  const hint = 'like 1500 (kbit/s), 1500kbit or 1.5mbit';
  if (!m || unit === undefined) throw new Error(`the rate must be a number of kbit/s, ${hint}; got "${text}"`);
  const kbit = Number(m[1]) * unit;
  const whole = Math.round(kbit);
  // 1.1 * 1000 is 1100.0000000000002: a whole number within rounding error counts as one.
  if (Math.abs(kbit - whole) > 1e-6 * Math.max(1, kbit) || whole <= 0) {
    throw new Error(`the rate must come to a whole number of kbit/s (more than 0), ${hint}; "${text}" is ${kbit} kbit/s`);
  }
  return whole;
}

/** "loss 10% both" or "rate 1500 kbit/s". */
export function faultText(f: Pick<FaultView, "loss" | "direction" | "rateKbit">): string {
  return f.rateKbit !== undefined ? `rate ${f.rateKbit} kbit/s` : `loss ${f.loss}% ${f.direction}`;
}

/** The row of `l7lab fault list` for one fault: id, service, fault, helper. */
export function faultRow(f: FaultView): string[] {
  return [f.id, f.service, faultText(f), f.helper];
}

/** What `l7lab fault heal` prints about a removed fault. */
export function healedLine(h: HealedView): string {
  const head = `removed after ${(h.heldMs / 1000).toFixed(1)} s from ${h.service}`;
  const c = h.counters;
  if (!c) return head;
  if ("sentBytes" in c) return `${head}: sent ${c.sentBytes} bytes in ${c.sentPackets} packets, dropped ${c.dropped} (queue full), held back ${c.overlimits} times`;
  return `${head}: dropped ${c.ingressDropped} of ${c.ingressSeen} packets in, ${c.egressDropped} of ${c.egressSeen} out (${c.measuredPercent}%)`;
}
