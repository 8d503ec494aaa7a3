import type { Clock } from "../../common/clock.ts";
import { ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import { Transcript } from "../transcript.ts";
import { absoluteName } from "./names.ts";
import { addressesOf } from "./records.ts";
import { decide } from "./referral.ts";
import { DNS_PORT, peerOf, queryServer } from "./transport.ts";
import type { DnsQueryType, DnsRecord, DnsResponse, DnsTraceResult, GlueLookup, NameServer, TraceHop } from "./types.ts";

/** Where to send the packets for a name server's address (tests map lab addresses to loopback ports). */
export type Route = (address: string) => { host: string; port: number };

export interface TraceOptions {
  name: string;
  type: DnsQueryType;
  /** The address of the server to start at, normally a root server. */
  root: string;
  /** The port of every server asked; default 53. */
  port?: number;
  /** Overrides where the packets for an address go; default `{ host: address, port }`. */
  route?: Route;
  /** Whether a server's address may be asked at all; a refused one is an error hop. Default: all. */
  allowAddress?: (address: string) => boolean;
  timeoutMs?: number;
  retries?: number;
  tcp?: boolean;
  signal?: AbortSignal;
  transcript?: Transcript;
  /** What times the queries' timeouts; default the system clock. */
  clock?: Clock;
  /** Most queries in all (glue lookups included); default 30. */
  maxHops?: number;
  /** Most CNAMEs followed; default 8. */
  maxCnames?: number;
  /** How deep glueless name-server lookups may nest; default 3. */
  maxGlueDepth?: number;
}

interface Run {
  opts: TraceOptions;
  route: Route;
  transcript: Transcript;
  queries: number;
  maxHops: number;
  maxCnames: number;
  maxGlueDepth: number;
}

interface Resolution {
  hops: TraceHop[];
  cnames: string[];
  rcode: string;
  answers: DnsRecord[];
  error?: string;
}

/** A server to ask: a name server (with or without glue) or the starting server. */
interface Candidate {
  name?: string;
  address?: string;
  glueLookup?: GlueLookup;
}

/** Name servers with an address first (in their order), then the glueless ones; addresses once. */
function candidates(nameservers: readonly NameServer[]): Candidate[] {
  const addresses = new Set<string>();
  const withGlue: NameServer[] = [];
  for (const ns of nameservers) {
    if (ns.address === undefined || addresses.has(ns.address)) continue;
    addresses.add(ns.address);
    withGlue.push(ns);
  }
  const glued = new Set(withGlue.map((ns) => ns.name.toLowerCase()));
  const glueless = nameservers.filter((ns) => ns.address === undefined && !glued.has(ns.name.toLowerCase()));
  return [...withGlue, ...glueless].map((ns) => ({ ...ns }));
}

function describeNameservers(nameservers: readonly NameServer[]): string {
  return nameservers.map((ns) => (ns.address ? `${ns.name} (${ns.address})` : `${ns.name} (no glue)`)).join(", ");
}

/** Resolves `name`/`type` from the starting server, following referrals and CNAMEs. */
async function resolve(run: Run, name: string, type: DnsQueryType, depth: number): Promise<Resolution> {
  const { opts, transcript } = run;
  const hops: TraceHop[] = [];
  const cnames: string[] = [];
  const cnameRecords: DnsRecord[] = [];
  let qname = absoluteName(name);
  const visited = new Set([qname.toLowerCase()]);
  const start: Candidate[] = [{ address: opts.root }];
  let zone = ".";
  let queue = [...start];
  let lastRcode: string | undefined;
  const fail = (error: string): Resolution => {
    transcript.note(zone, `stopped: ${error}`);
    return { hops, cnames, rcode: lastRcode && lastRcode !== "NOERROR" ? lastRcode : "SERVFAIL", answers: cnameRecords, error };
  };

  for (;;) {
    const server = queue.shift();
    if (!server) return fail(`no server of zone ${zone} gave a usable answer for ${qname} ${type}`);
    const hop: TraceHop = { server: server.address ?? server.name ?? "", zone, kind: "error", qname };
    if (server.name) hop.serverName = server.name;
    if (server.glueLookup) hop.glueLookup = server.glueLookup;

    if (server.address === undefined) {
      const nsName = server.name ?? "";
      if (depth >= run.maxGlueDepth) {
        hops.push({ ...hop, error: `no glue for ${nsName} and glue lookups are nested ${depth} deep already` });
        continue;
      }
      transcript.note(nsName, `no glue for ${nsName}; looking up its address from the root`);
      const sub = await resolve(run, nsName, "A", depth + 1);
      const glueLookup: GlueLookup = { name: nsName, addresses: addressesOf(sub.answers).filter((a) => !a.includes(":")), hops: sub.hops };
      if (glueLookup.addresses.length === 0) {
        hops.push({ ...hop, glueLookup, error: `no address found for ${nsName}` });
        continue;
      }
      transcript.note(nsName, `${nsName} is at ${glueLookup.addresses.join(", ")}`);
      queue = [...glueLookup.addresses.map((address, i) => ({ name: nsName, address, ...(i === 0 ? { glueLookup } : {}) })), ...queue];
      continue;
    }

    if (opts.allowAddress && !opts.allowAddress(server.address)) {
      hops.push({ ...hop, error: `${server.address} is not a lab address; it was not asked` });
      transcript.note(server.address, `not asking ${server.address}: it is not a lab address`);
      continue;
    }
    if (run.queries >= run.maxHops) return fail(`gave up after ${run.maxHops} queries`);
    run.queries += 1;
    const to = run.route(server.address);
    let response: DnsResponse;
    try {
      response = await queryServer({
        server: to.host,
        port: to.port,
        name: qname,
        type,
        rd: false,
        timeoutMs: opts.timeoutMs,
        retries: opts.retries,
        tcp: opts.tcp,
        signal: opts.signal,
        clock: opts.clock,
        transcript,
      });
    } catch (err) {
      if (!(err instanceof ProbeTimeoutError || err instanceof ProbeNetworkError)) throw err;
      hops.push({ ...hop, kind: err instanceof ProbeTimeoutError ? "timeout" : "error", error: err.message });
      if (queue.length > 0) transcript.note(peerOf(to.host, to.port), `trying the next server of zone ${zone}`);
      continue;
    }
    hop.response = response;
    lastRcode = response.rcode;
    const peer = peerOf(to.host, to.port);
    const d = decide(response, { qname, qtype: type, zone });
    switch (d.kind) {
      case "lame":
        hops.push({ ...hop, kind: "error", error: d.reason });
        transcript.note(peer, `lame answer (${d.reason})${queue.length > 0 ? `; trying the next server of zone ${zone}` : ""}`);
        continue;
      case "referral":
        hops.push({ ...hop, kind: "referral", referral: { zone: d.zone, nameservers: d.nameservers } });
        transcript.note(peer, `referral to ${d.zone}: ${describeNameservers(d.nameservers)}`);
        zone = d.zone;
        queue = candidates(d.nameservers);
        lastRcode = undefined;
        continue;
      case "cname": {
        hops.push({ ...hop, kind: "cname" });
        cnameRecords.push(...d.records);
        cnames.push(...d.records.map((r) => r.data));
        const target = absoluteName(d.target);
        if (cnames.length > run.maxCnames) return fail(`more than ${run.maxCnames} CNAMEs`);
        if (visited.has(target.toLowerCase())) return fail(`CNAME loop at ${target}`);
        visited.add(target.toLowerCase());
        transcript.note(peer, `CNAME ${qname} -> ${target}; starting again at the root for ${target}`);
        qname = target;
        zone = ".";
        queue = [...start];
        lastRcode = undefined;
        continue;
      }
      case "answer":
      case "nxdomain":
      case "nodata":
        hops.push({ ...hop, kind: d.kind });
        transcript.note(peer, d.kind === "answer" ? `answer for ${qname} ${type}` : `${d.kind === "nxdomain" ? "NXDOMAIN" : "NODATA"} for ${qname} ${type}`);
        return { hops, cnames, rcode: response.rcode, answers: [...cnameRecords, ...d.records] };
    }
  }
}

/**
 * Resolves a name iteratively, like `dig +trace`: asks the starting (root) server with RD=0 and
 * follows referrals down the tree, looking up glueless name servers from the root, trying a zone's
 * servers in order, and starting again at the root for a CNAME's target.
 */
export async function traceIterative(opts: TraceOptions): Promise<DnsTraceResult> {
  const port = opts.port ?? DNS_PORT;
  const run: Run = {
    opts,
    route: opts.route ?? ((address) => ({ host: address, port })),
    transcript: opts.transcript ?? new Transcript(),
    queries: 0,
    maxHops: opts.maxHops ?? 30,
    maxCnames: opts.maxCnames ?? 8,
    maxGlueDepth: opts.maxGlueDepth ?? 3,
  };
  const res = await resolve(run, opts.name, opts.type, 0);
  const answered = res.hops.filter((h) => h.response !== undefined);
  return {
    mode: "iterative",
    name: absoluteName(opts.name),
    type: opts.type,
    hops: res.hops,
    zones: answered.map((h) => h.zone),
    servers: answered.map((h) => h.server),
    cnames: res.cnames,
    rcode: res.rcode,
    answers: res.answers,
    addresses: addressesOf(res.answers),
    ...(res.error === undefined ? {} : { error: res.error }),
  };
}
