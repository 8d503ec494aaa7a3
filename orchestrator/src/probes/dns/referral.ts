import { absoluteName, isAtOrBelow, isBelow, labelCount, sameName } from "./names.ts";
import type { DnsRecord, DnsResponse, NameServer } from "./types.ts";

/**
 * What an iterative resolver does with one response: the pure half of `trace.ts`.
 *
 *   answer    the data asked for (after any in-zone CNAMEs): stop.
 *   cname     a CNAME (chain) whose target the server is not authoritative for, or has no data
 *             for: restart at the root for `target`.
 *   referral  NS records for a zone below the one asked: ask those name servers next.
 *   nxdomain  the name does not exist: stop.
 *   nodata    the name exists but has no data of this type (AA or an SOA, no answer): stop.
 *   lame      anything else (SERVFAIL, REFUSED, an empty non-authoritative answer, an upward
 *             referral): try the zone's next server.
 */
export type TraceDecision =
  | { kind: "answer"; records: DnsRecord[] }
  | { kind: "cname"; target: string; records: DnsRecord[] }
  | { kind: "referral"; zone: string; nameservers: NameServer[] }
  | { kind: "nxdomain"; records: DnsRecord[] }
  | { kind: "nodata"; records: DnsRecord[] }
  | { kind: "lame"; reason: string };

export interface TraceState {
  /** The name asked about. */
  qname: string;
  /** The type asked about. */
  qtype: string;
  /** The zone the server was asked as ("." for the root). */
  zone: string;
}

interface Chain {
  /** The CNAME records followed from qname. */
  cnames: DnsRecord[];
  /** The name the chain ends at (qname when there is no CNAME). */
  end: string;
  /** Whether the chain left the zone the server was asked as (its data there is not trusted). */
  leftZone: boolean;
  /** The records of the asked type at `end` (only when the chain stayed in the zone). */
  data: DnsRecord[];
}

function followChain(answers: readonly DnsRecord[], s: TraceState): Chain {
  const cnames: DnsRecord[] = [];
  const seen = new Set<string>();
  let end = absoluteName(s.qname);
  for (;;) {
    const data = answers.filter((r) => sameName(r.name, end) && (s.qtype === "ANY" || r.type === s.qtype));
    if (data.length > 0) return { cnames, end, leftZone: false, data };
    if (s.qtype === "CNAME") break;
    const cname = answers.find((r) => sameName(r.name, end) && r.type === "CNAME");
    if (!cname || seen.has(cname.data.toLowerCase())) break;
    seen.add(end.toLowerCase());
    cnames.push(cname);
    end = cname.data;
    if (!isAtOrBelow(end, s.zone)) return { cnames, end, leftZone: true, data: [] };
  }
  return { cnames, end, leftZone: false, data: [] };
}

/**
 * The referral in a response: the NS records of the deepest zone that is below the zone asked and
 * at or above qname, with their glue (A records in the additional section) in NS order.
 */
export function findReferral(r: DnsResponse, s: TraceState): { zone: string; nameservers: NameServer[] } | undefined {
  const candidates = r.authority.filter((rr) => rr.type === "NS" && isBelow(rr.name, s.zone) && isAtOrBelow(s.qname, rr.name));
  if (candidates.length === 0) return undefined;
  const deepest = candidates.reduce((a, b) => (labelCount(b.name) > labelCount(a.name) ? b : a));
  const zone = absoluteName(deepest.name);
  const nameservers: NameServer[] = [];
  for (const ns of candidates.filter((rr) => sameName(rr.name, zone))) {
    const glue = r.additional.filter((rr) => rr.type === "A" && sameName(rr.name, ns.data));
    if (glue.length === 0) nameservers.push({ name: ns.data });
    for (const a of glue) nameservers.push({ name: ns.data, address: a.data });
  }
  return { zone, nameservers };
}

export function decide(r: DnsResponse, s: TraceState): TraceDecision {
  if (r.rcode !== "NOERROR" && r.rcode !== "NXDOMAIN") return { kind: "lame", reason: `the server answered ${r.rcode}` };
  const chain = followChain(r.answers, s);
  if (chain.data.length > 0) return { kind: "answer", records: [...chain.cnames, ...chain.data] };
  if (chain.leftZone) return { kind: "cname", target: chain.end, records: chain.cnames };
  if (r.rcode === "NXDOMAIN") return { kind: "nxdomain", records: chain.cnames };
  if (chain.cnames.length > 0) return { kind: "cname", target: chain.end, records: chain.cnames };
  const referral = findReferral(r, s);
  if (referral) return { kind: "referral", ...referral };
  if (r.flags.aa || r.authority.some((rr) => rr.type === "SOA")) return { kind: "nodata", records: [] };
  const upward = r.authority.some((rr) => rr.type === "NS");
  return {
    kind: "lame",
    reason: upward ? `a referral that does not lead below ${s.zone}` : "an answer with no data, no referral and no SOA (not authoritative)",
  };
}
