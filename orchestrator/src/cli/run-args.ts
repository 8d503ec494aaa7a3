/** The options of `l7lab run` and `l7lab capture`, parsed without any I/O. */

export interface RunCommand {
  name: string;
  transcripts: boolean;
  pcap?: string;
  filter?: string;
  junit?: string;
}

export interface CaptureCommand {
  service?: string;
  network?: string;
  filter?: string;
  seconds?: number;
}

export const RUN_USAGE = "usage: l7lab run <scenario> [--transcript] [--pcap FILE [--filter BPF]] [--junit FILE]; `l7lab scenarios` lists them";
export const CAPTURE_USAGE = "usage: l7lab capture <service> | --network <name> [--filter BPF] [--seconds N] > file.pcapng";

/** Splits argv into positionals and `--name value` / `--flag` options, refusing names not in `valued` or `flags`. */
function options(argv: readonly string[], valued: readonly string[], flags: readonly string[], usage: string): { positional: string[]; values: Map<string, string>; set: Set<string> } {
  const positional: string[] = [];
  const values = new Map<string, string>();
  const set = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("--")) {
      positional.push(a);
      continue;
    }
    const [key, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (flags.includes(key)) {
      set.add(key);
    } else if (valued.includes(key)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === "") throw new Error(`--${key} needs a value. ${usage}`);
      values.set(key, value);
    } else {
      throw new Error(`unknown option --${key}; valid options are ${[...flags, ...valued].map((o) => `--${o}`).join(", ")}. ${usage}`);
    }
  }
  return { positional, values, set };
}

export function parseRunCommand(argv: readonly string[]): RunCommand {
  const { positional, values, set } = options(argv, ["pcap", "filter", "junit"], ["transcript"], RUN_USAGE);
  const [name, ...extra] = positional;
  if (name === undefined) throw new Error(RUN_USAGE);
  if (extra.length > 0) throw new Error(`one scenario at a time (got ${positional.join(", ")}). ${RUN_USAGE}`);
  if (values.has("filter") && !values.has("pcap")) throw new Error(`--filter narrows a capture: give --pcap FILE too. ${RUN_USAGE}`);
  const out: RunCommand = { name, transcripts: set.has("transcript") };
  for (const k of ["pcap", "filter", "junit"] as const) {
    const v = values.get(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

export function parseCaptureCommand(argv: readonly string[]): CaptureCommand {
  const { positional, values } = options(argv, ["network", "filter", "seconds"], [], CAPTURE_USAGE);
  const network = values.get("network");
  if ((positional.length === 0) === (network === undefined) || positional.length > 1) throw new Error(`name one service, or one network with --network. ${CAPTURE_USAGE}`);
  const out: CaptureCommand = positional[0] === undefined ? { network: network! } : { service: positional[0] };
  const filter = values.get("filter");
  if (filter !== undefined) out.filter = filter;
  const seconds = values.get("seconds");
  if (seconds !== undefined) {
    const n = Number(seconds);
    if (!Number.isInteger(n) || n < 1 || n > 3600) throw new Error(`--seconds takes a whole number from 1 to 3600, not "${seconds}". ${CAPTURE_USAGE}`);
    out.seconds = n;
  }
  return out;
}

/** The live capture's query string. */
export function captureQuery(c: CaptureCommand): string {
  const q = new URLSearchParams();
  if (c.service !== undefined) q.set("service", c.service);
  if (c.network !== undefined) q.set("network", c.network);
  if (c.filter !== undefined) q.set("filter", c.filter);
  if (c.seconds !== undefined) q.set("seconds", String(c.seconds));
  return q.toString();
}
