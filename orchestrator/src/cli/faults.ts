/**
 * Pure helpers for `l7lab fault`: reading a fault from the command line into the API's request,
 * and showing faults. The fault's words and counters are the orchestrator's own (describeNetFault,
 * describeCounters), so the CLI says what transcripts say.
 */
import type { FaultCounters, NetFaultSpec } from "../faults/net-fault-args.ts";
import { describeNetFault } from "../faults/net-fault-args.ts";
import { describeCounters } from "../faults/net-faults.ts";

/** A fault as GET/POST /api/faults show it. */
export type FaultView = { id: string; service: string; helper: string } & NetFaultSpec;

/** What DELETE /api/faults/:id says about a removed fault. */
export type HealedView = { service: string; heldMs: number; counters: FaultCounters | null } & NetFaultSpec;

export const FAULT_USAGE = `usage:
  l7lab fault loss <service> <percent> [both|ingress|egress]
  l7lab fault rate <service> <rate>               1500 (kbit/s), 1500kbit, 1.5mbit
  l7lab fault delay <service> <ms> [--jitter <ms>] [--distribution uniform|normal]
  l7lab fault duplicate <service> <percent>
  l7lab fault reorder <service> <percent> [--gap <ms>]
  l7lab fault window <service> <segments>         a fixed TCP window on what it sends
      Any of these takes --to <service> (only traffic to it), and the others as options to make
      one profile: --loss <percent> [--direction D], --rate <rate>, --delay <ms>, --jitter <ms>,
      --duplicate <percent>, --reorder <percent>, --gap <ms>, --window <segments>.
  l7lab fault partition <service> <peer>[,<peer>...] [--one-way]
  l7lab fault disconnect <service> <network>
  l7lab fault link-down <service> <network>
  l7lab fault list
  l7lab fault heal <id> | --all
  l7lab fault capabilities`;

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

/** A number of milliseconds: "100", "100ms", "0.5ms", "1s". The API checks the range. */
export function parseMs(what: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s)?$/i.exec(text.trim());
  if (!m) throw new Error(`${what} must be a number of milliseconds, like 100, 100ms or 0.2s; got "${text}"`);
  return (m[2] ?? "ms").toLowerCase() === "s" ? Number(m[1]) * 1000 : Number(m[1]);
}

/** A percentage: "10" or "10%". The API checks the range. */
export function parsePercent(what: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*%?$/.exec(text.trim());
  if (!m) throw new Error(`${what} must be a percentage, like 10 or 2.5%; got "${text}"`);
  return Number(m[1]);
}

/** A number of TCP segments: "10". The API checks the range. */
export function parseSegments(what: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new Error(`${what} must be a whole number of segments, like 10; got "${text}"`);
  return Number(text.trim());
}

/** What `l7lab fault ...` asks of the API. */
export type FaultCommand =
  | { op: "apply"; body: { service: string } & Record<string, unknown> }
  | { op: "list" }
  | { op: "heal"; id: string }
  | { op: "heal-all" }
  | { op: "capabilities" };

const PROFILE_OPTIONS: Record<string, (v: string) => [string, unknown]> = {
  "--loss": (v) => ["loss", parsePercent("--loss", v)],
  "--direction": (v) => ["direction", v],
  "--rate": (v) => ["rateKbit", parseRateKbit(v)],
  "--delay": (v) => ["delayMs", parseMs("--delay", v)],
  "--jitter": (v) => ["jitterMs", parseMs("--jitter", v)],
  "--distribution": (v) => ["distribution", v],
  "--duplicate": (v) => ["duplicate", parsePercent("--duplicate", v)],
  "--reorder": (v) => ["reorder", parsePercent("--reorder", v)],
  "--gap": (v) => ["gapMs", parseMs("--gap", v)],
  "--window": (v) => ["windowSegments", parseSegments("--window", v)],
  "--to": (v) => ["to", v],
};

/** Splits arguments into positional ones and --name value options (and the flags named). */
function split(args: readonly string[], flags: readonly string[]): { positional: string[]; options: [string, string][]; set: Set<string> } {
  const positional: string[] = [];
  const options: [string, string][] = [];
  const set = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith("--")) positional.push(a);
    else if (flags.includes(a)) set.add(a);
    else {
      const [name, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, args[++i]];
      if (inline === undefined) throw new Error(`${name} needs a value\n${FAULT_USAGE}`);
      options.push([name, inline]);
    }
  }
  return { positional, options, set };
}

/** Reads `l7lab fault <args>`. Throws an Error that says what to fix (with the usage) when it cannot. */
export function parseFaultCommand(args: readonly string[]): FaultCommand {
  const [sub, ...rest] = args;
  const { positional, options, set } = split(rest, ["--one-way", "--all"]);
  const exactly = (n: number, what: string) => {
    if (positional.length !== n) throw new Error(`l7lab fault ${sub} takes ${what}; got ${positional.length === 0 ? "nothing" : positional.map((p) => `"${p}"`).join(" ")}\n${FAULT_USAGE}`);
  };
  const noOptions = () => {
    if (options.length > 0) throw new Error(`l7lab fault ${sub} takes no ${options[0]![0]}\n${FAULT_USAGE}`);
  };
  const profile = (main: Record<string, unknown>): FaultCommand => {
    const body: Record<string, unknown> = { ...main };
    for (const [name, value] of options) {
      const read = PROFILE_OPTIONS[name];
      if (!read) throw new Error(`unknown option ${name} for l7lab fault ${sub}; valid: ${Object.keys(PROFILE_OPTIONS).join(", ")}`);
      const [field, v] = read(value);
      if (field in body) throw new Error(`${name} is given twice (or is the command's own value)`);
      body[field] = v;
    }
    return { op: "apply", body: { service: positional[0]!, ...body } };
  };
  switch (sub) {
    case "loss":
      if (positional.length !== 2 && positional.length !== 3) exactly(2, "<service> <percent> [both|ingress|egress]");
      return profile({ loss: parsePercent("the loss", positional[1]!), ...(positional[2] ? { direction: positional[2] } : {}) });
    case "rate":
      exactly(2, "<service> <rate>");
      return profile({ rateKbit: parseRateKbit(positional[1]!) });
    case "delay":
      exactly(2, "<service> <ms>");
      return profile({ delayMs: parseMs("the delay", positional[1]!) });
    case "duplicate":
    case "reorder":
      exactly(2, "<service> <percent>");
      return profile({ [sub]: parsePercent(`the ${sub} percentage`, positional[1]!) });
    case "window":
      exactly(2, "<service> <segments>");
      return profile({ windowSegments: parseSegments("the window", positional[1]!) });
    case "partition":
      exactly(2, "<service> <peer>[,<peer>...]");
      noOptions();
      return { op: "apply", body: { service: positional[0]!, partition: positional[1]!.split(",").filter((p) => p !== ""), ...(set.has("--one-way") ? { oneWay: true } : {}) } };
    case "disconnect":
    case "link-down":
      exactly(2, "<service> <network>");
      noOptions();
      return { op: "apply", body: { service: positional[0]!, [sub === "disconnect" ? "disconnect" : "linkDown"]: positional[1]! } };
    case "list":
      exactly(0, "nothing");
      return { op: "list" };
    case "capabilities":
      exactly(0, "nothing");
      return { op: "capabilities" };
    case "heal":
      if (set.has("--all") && positional.length === 0) return { op: "heal-all" };
      exactly(1, "<id> (or --all)");
      return { op: "heal", id: positional[0]! };
    default:
      throw new Error(sub === undefined ? FAULT_USAGE : `unknown fault command "${sub}"\n${FAULT_USAGE}`);
  }
}

/** "loss 10% both", "delay 100 ms jitter 10 ms uniform to www", "partition from dns-root". */
export function faultText(f: NetFaultSpec): string {
  return describeNetFault(f);
}

/** The row of `l7lab fault list` for one fault: id, service, fault, helper. */
export function faultRow(f: FaultView): string[] {
  const { id, service, helper, ...spec } = f;
  return [id, service, faultText(spec), helper];
}

/** What `l7lab fault heal` prints about a removed fault. */
export function healedLine(h: HealedView): string {
  const head = `removed after ${(h.heldMs / 1000).toFixed(1)} s from ${h.service}`;
  const said = h.counters ? describeCounters(h.counters) : "";
  return said ? `${head}: ${said}` : head;
}
