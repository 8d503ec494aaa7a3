import type { Answer, Packet } from "dns-packet";
import { absoluteName } from "./names.ts";
import type { DnsRecord, DnsResponse, DnsTransport } from "./types.ts";

/** Converts dns-packet records and packets to the probe's plain data. Pure. */

const RCODES = [
  "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
];

/** The mnemonic of a 4-bit header rcode ("RCODE_11" for unassigned ones). */
export function rcodeName(rcode: number): string {
  return RCODES[rcode] ?? `RCODE_${rcode}`;
}

/** One character string as `dig` prints it: quoted, `"` and `\` escaped, other bytes as \DDD. */
export function quoteCharacterString(s: string | Buffer): string {
  const bytes = typeof s === "string" ? Buffer.from(s) : s;
  let out = "";
  for (const b of bytes) {
    if (b === 0x22 || b === 0x5c) out += "\\" + String.fromCharCode(b);
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += "\\" + String(b).padStart(3, "0");
  }
  return `"${out}"`;
}

/** Unknown data in the RFC 3597 form: `\# <length> <hex>`. */
function genericData(data: Buffer): string {
  return data.length === 0 ? "\\# 0" : `\\# ${data.length} ${data.toString("hex").toUpperCase()}`;
}

type Data = Pick<DnsRecord, "data" | "value">;

function recordData(a: Exclude<Answer, { type: "OPT" }>): Data {
  switch (a.type) {
    case "A":
    case "AAAA":
      return { data: a.data };
    case "NS":
    case "CNAME":
    case "PTR":
    case "DNAME":
      return { data: absoluteName(a.data) };
    case "MX": {
      const value = { preference: a.data.preference ?? 0, exchange: absoluteName(a.data.exchange) };
      return { data: `${value.preference} ${value.exchange}`, value };
    }
    case "SOA": {
      const d = a.data;
      const value = {
        mname: absoluteName(d.mname),
        rname: absoluteName(d.rname),
        serial: d.serial ?? 0,
        refresh: d.refresh ?? 0,
        retry: d.retry ?? 0,
        expire: d.expire ?? 0,
        minimum: d.minimum ?? 0,
      };
      const data = [value.mname, value.rname, value.serial, value.refresh, value.retry, value.expire, value.minimum].join(" ");
      return { data, value };
    }
    case "SRV": {
      const value = { priority: a.data.priority ?? 0, weight: a.data.weight ?? 0, port: a.data.port, target: absoluteName(a.data.target) };
      return { data: `${value.priority} ${value.weight} ${value.port} ${value.target}`, value };
    }
    case "TXT": {
      const parts = Array.isArray(a.data) ? a.data : [a.data];
      return {
        data: parts.map(quoteCharacterString).join(" "),
        value: { strings: parts.map((p) => (typeof p === "string" ? p : p.toString("utf8"))) },
      };
    }
    case "CAA":
      return { data: `${a.data.flags ?? (a.data.issuerCritical ? 128 : 0)} ${a.data.tag} ${quoteCharacterString(a.data.value)}` };
    case "HINFO":
      return { data: `${quoteCharacterString(a.data.cpu)} ${quoteCharacterString(a.data.os)}` };
    case "DS":
      return { data: `${a.data.keyTag} ${a.data.algorithm} ${a.data.digestType} ${a.data.digest.toString("hex").toUpperCase()}` };
    case "DNSKEY":
      return { data: `${a.data.flags} 3 ${a.data.algorithm} ${a.data.key.toString("base64")}` };
    default: {
      const data: unknown = a.data;
      if (Buffer.isBuffer(data)) return { data: genericData(data) };
      if (typeof data === "string") return { data };
      return { data: JSON.stringify(data, (_k, v: unknown) => (isBufferJson(v) ? Buffer.from(v.data).toString("hex") : v)) };
    }
  }
}

function isBufferJson(v: unknown): v is { type: "Buffer"; data: number[] } {
  return typeof v === "object" && v !== null && (v as { type?: unknown }).type === "Buffer" && Array.isArray((v as { data?: unknown }).data);
}

/** One record in the probe's form; undefined for the EDNS OPT pseudo-record. */
export function toRecord(a: Answer): DnsRecord | undefined {
  if (a.type === "OPT") return undefined;
  return { name: absoluteName(a.name), type: a.type, class: a.class ?? "IN", ttl: a.ttl ?? 0, ...recordData(a) };
}

export function toRecords(list: readonly Answer[] | undefined): DnsRecord[] {
  return (list ?? []).map(toRecord).filter((r): r is DnsRecord => r !== undefined);
}

/** Where and how a response was received: what the packet itself does not say. */
export interface ResponseMeta {
  server: string;
  port: number;
  transport: DnsTransport;
  rttMs: number;
  /** The question asked, used when the response carries no question section. */
  question?: { name: string; type: string };
}

const AA = 1 << 10;
const TC = 1 << 9;
const RD = 1 << 8;
const RA = 1 << 7;

/** A dns-packet response (decoded or built by hand) as a `DnsResponse`. */
export function summarize(packet: Packet, meta: ResponseMeta): DnsResponse {
  const flags = packet.flags ?? 0;
  const q = packet.questions?.[0];
  return {
    server: meta.server,
    port: meta.port,
    transport: meta.transport,
    rttMs: meta.rttMs,
    id: packet.id ?? 0,
    rcode: rcodeName(flags & 0xf),
    flags: { aa: (flags & AA) !== 0, tc: (flags & TC) !== 0, rd: (flags & RD) !== 0, ra: (flags & RA) !== 0 },
    question: q ? { name: absoluteName(q.name), type: q.type } : { name: absoluteName(meta.question?.name ?? "."), type: meta.question?.type ?? "" },
    answers: toRecords(packet.answers),
    authority: toRecords(packet.authorities),
    additional: toRecords(packet.additionals),
  };
}

/** The A/AAAA data among some records. */
export function addressesOf(records: readonly DnsRecord[]): string[] {
  return records.filter((r) => r.type === "A" || r.type === "AAAA").map((r) => r.data);
}
