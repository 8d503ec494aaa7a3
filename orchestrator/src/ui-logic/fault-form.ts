/**
 * The web UI's fault form, pure: the kinds it offers (a link profile's loss, delay or rate, or a
 * partition from a peer), the POST /api/faults body made from what was entered, and a fault or
 * its counters in words. The request's type is the API's (faults/schema.ts); the API checks the
 * ranges and says what it accepts, and the UI shows its message.
 */
import type { Static } from "typebox";
import type { FaultCountersSchema, NetFaultRequestSchema } from "../faults/schema.ts";

export type FaultRequest = Static<typeof NetFaultRequestSchema>;
/** A fault applied by hand, as GET /api/faults lists it. */
export type ManualFault = FaultRequest & { id: string; helper: string; appliedAt: string };
export type FaultCounters = Static<typeof FaultCountersSchema>;
/** What DELETE /api/faults/:id answers. */
export type HealedFault = Omit<FaultRequest, "service"> & { fault: string; service: string; heldMs: number; counters: FaultCounters };

export type FaultKind = "loss" | "delay" | "rate" | "partition";

export const FAULT_KINDS: readonly { kind: FaultKind; label: string; unit?: string; example?: string }[] = [
  { kind: "loss", label: "Packet loss", unit: "%", example: "10" },
  { kind: "delay", label: "Delay", unit: "ms", example: "40" },
  { kind: "rate", label: "Rate limit", unit: "kbit/s", example: "1500" },
  { kind: "partition", label: "Partition from a peer" },
];

export interface FaultInput {
  service: string;
  kind: FaultKind;
  /** The amount, as typed (loss, delay, rate). */
  value: string;
  /** The peer (partition). */
  peer: string;
}

export type FaultFormResult = { ok: true; body: FaultRequest } | { ok: false; message: string };

/** The request body for what was entered, or what is missing from it. */
export function faultRequest(input: FaultInput): FaultFormResult {
  const service = input.service.trim();
  if (!service) return { ok: false, message: "Choose the service the fault applies to." };
  const kind = FAULT_KINDS.find((k) => k.kind === input.kind);
  if (!kind) return { ok: false, message: `Choose a kind of fault: ${FAULT_KINDS.map((k) => k.kind).join(", ")}.` };
  if (kind.kind === "partition") {
    const peer = input.peer.trim();
    if (!peer) return { ok: false, message: "Choose the peer the service is cut off from." };
    if (peer === service) return { ok: false, message: `A service cannot be partitioned from itself: choose a peer other than ${service}.` };
    return { ok: true, body: { service, partition: peer } };
  }
  const text = input.value.trim();
  const value = Number(text);
  if (text === "" || !Number.isFinite(value)) return { ok: false, message: `${kind.label} needs a number in ${kind.unit}, e.g. ${kind.example}.` };
  if (value <= 0) return { ok: false, message: `${kind.label} must be more than 0 ${kind.unit}.` };
  const field = { loss: "loss", delay: "delayMs", rate: "rateKbit" } as const;
  return { ok: true, body: { service, [field[kind.kind]]: value } };
}

/** A fault in words: "loss 10% (ingress) to dns-root", "partition from proxy, www (one way)". */
export function describeFault(f: Omit<FaultRequest, "service">): string {
  const parts: string[] = [];
  if (f.loss !== undefined) parts.push(`loss ${f.loss}%${f.direction && f.direction !== "both" ? ` (${f.direction})` : ""}`);
  if (f.delayMs !== undefined) parts.push(`delay ${f.delayMs} ms${f.jitterMs ? ` ± ${f.jitterMs} ms${f.distribution ? ` ${f.distribution}` : ""}` : ""}`);
  if (f.rateKbit !== undefined) parts.push(`rate ${f.rateKbit} kbit/s`);
  if (f.duplicate !== undefined) parts.push(`${f.duplicate}% duplicated`);
  if (f.reorder !== undefined) parts.push(`${f.reorder}% reordered${f.gapMs !== undefined ? ` by ${f.gapMs} ms` : ""}`);
  if (f.windowSegments !== undefined) parts.push(`TCP window ${f.windowSegments} segments`);
  if (f.partition !== undefined) parts.push(`partition from ${[f.partition].flat().join(", ")}${f.oneWay ? " (one way)" : ""}`);
  if (f.disconnect !== undefined) parts.push(`disconnected from ${f.disconnect}`);
  if (f.linkDown !== undefined) parts.push(`link down on ${f.linkDown}`);
  const text = parts.join(", ") || "no fault";
  return f.to !== undefined ? `${text} to ${f.to}` : text;
}

/** A healed fault's counters in words: "ingressDropped 5, egressDropped 3"; null says they could not be read. */
export function describeCounters(counters: FaultCounters): string {
  if (counters === null) return "its counters could not be read";
  const entries = Object.entries(counters).filter(([, v]) => v !== undefined);
  return entries.length ? entries.map(([k, v]) => `${k} ${typeof v === "number" ? Number(v.toFixed(2)) : String(v)}`).join(", ") : "no counters";
}
