/**
 * The shapes the DNS probe returns. Plain data only (JSON-serialisable), shared by the wire,
 * transport, trace and probe modules and exported for the scenario engine and the API.
 */

/** The query types the probe accepts. */
export const DNS_QUERY_TYPES = ["A", "AAAA", "MX", "NS", "CNAME", "PTR", "SOA", "TXT", "SRV", "ANY"] as const;
export type DnsQueryType = (typeof DNS_QUERY_TYPES)[number];

export type DnsTransport = "udp" | "tcp";

export interface SoaValue {
  mname: string;
  rname: string;
  serial: number;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

export interface MxValue {
  preference: number;
  exchange: string;
}

export interface SrvValue {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface TxtValue {
  strings: string[];
}

/** Structured record data, for the types whose presentation form has several fields. */
export type DnsRecordValue = SoaValue | MxValue | SrvValue | TxtValue;

/** One resource record, in the form `dig` prints it. */
export interface DnsRecord {
  /** Absolute owner name with a trailing dot ("." for the root). */
  name: string;
  type: string;
  class: string;
  ttl: number;
  /** Presentation form of the data: "192.0.2.1", "www.someschool.edu.", "10 mail.crepes.fr.", ... */
  data: string;
  value?: DnsRecordValue;
}

export interface DnsFlags {
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
}

/** One DNS response, summarised. */
export interface DnsResponse {
  /** The address the query was sent to. */
  server: string;
  port: number;
  transport: DnsTransport;
  rttMs: number;
  id: number;
  /** "NOERROR", "NXDOMAIN", "SERVFAIL", "REFUSED", ... */
  rcode: string;
  flags: DnsFlags;
  question: { name: string; type: string };
  answers: DnsRecord[];
  authority: DnsRecord[];
  additional: DnsRecord[];
}

export type DnsLookupMode = "recursive" | "direct";
export type DnsMode = DnsLookupMode | "iterative";

/** The result of one recursive (RD=1) or direct (RD=0) query. */
export type DnsLookupResult = DnsResponse & {
  mode: DnsLookupMode;
  name: string;
  type: DnsQueryType;
  /** The A/AAAA data among the answers. */
  addresses: string[];
  /** The TTL of the first answer record. */
  ttl?: number;
};

/** The data of a lookup that no server answered (the outcome has `ok: false`). */
export interface DnsNoAnswer {
  mode: DnsLookupMode;
  name: string;
  type: DnsQueryType;
  server: string;
  port: number;
  answered: false;
}

export type TraceHopKind = "referral" | "answer" | "cname" | "nxdomain" | "nodata" | "timeout" | "error";

export interface NameServer {
  name: string;
  address?: string;
}

/** A name server's address that had to be looked up because a referral carried no glue for it. */
export interface GlueLookup {
  name: string;
  addresses: string[];
  hops: TraceHop[];
}

/** One query of an iterative resolution. */
export interface TraceHop {
  /** The address asked (or the name server's name when no address could be found for it). */
  server: string;
  /** The NS name this address belongs to; absent for the starting server. */
  serverName?: string;
  /** The zone this server was asked as: "." for the root, then the zone of the previous referral. */
  zone: string;
  kind: TraceHopKind;
  /** The name asked about (changes after a CNAME). */
  qname: string;
  response?: DnsResponse;
  referral?: { zone: string; nameservers: NameServer[] };
  /** Why this hop failed (timeout, network error, lame answer). */
  error?: string;
  /** The iterative lookup of `serverName` when the referral had no glue for it. */
  glueLookup?: GlueLookup;
}

/** The result of an iterative resolution, like `dig +trace`. */
export interface DnsTraceResult {
  mode: "iterative";
  name: string;
  type: DnsQueryType;
  hops: TraceHop[];
  /** The zones of the hops in order, hops that got no response (timeouts, network errors) excluded. */
  zones: string[];
  /** The addresses of the hops that answered. */
  servers: string[];
  /** The CNAME targets, in the order they were followed. */
  cnames: string[];
  /** The final rcode ("SERVFAIL" when the resolution could not finish and no server said otherwise). */
  rcode: string;
  /** The final answer records, CNAMEs included. */
  answers: DnsRecord[];
  /** The A/AAAA data among `answers`. */
  addresses: string[];
  /** Why the resolution stopped without an answer, NXDOMAIN or NODATA. */
  error?: string;
}

export type DnsProbeResult = DnsLookupResult | DnsTraceResult | DnsNoAnswer;
