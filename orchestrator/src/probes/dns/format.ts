import { absoluteName } from "./names.ts";
import type { DnsRecord, DnsResponse, DnsTransport } from "./types.ts";

/** Transcript text for DNS queries and responses, in the form `dig` uses. Pure. */

/** A record in presentation form: `www.hamburger.edu. 300 IN CNAME www.someschool.edu.` */
export function formatRecord(r: DnsRecord): string {
  return `${r.name} ${r.ttl} ${r.class} ${r.type} ${r.data}`;
}

export interface QueryLine {
  name: string;
  type: string;
  rd: boolean;
  id: number;
  transport: DnsTransport;
}

/** The `C:` text of a query: `www.hamburger.edu. A? rd=0 id=4711 (udp)`. */
export function describeQuery(q: QueryLine): string {
  return `${absoluteName(q.name)} ${q.type}? rd=${q.rd ? 1 : 0} id=${q.id} (${q.transport})`;
}

/** The flags that are set, as dig lists them: "qr aa rd". */
export function flagList(flags: DnsResponse["flags"]): string {
  return ["qr", ...(["aa", "tc", "rd", "ra"] as const).filter((f) => flags[f])].join(" ");
}

/**
 * The `S:` lines of a response: a header line (rcode, id, flags, section sizes, time, transport),
 * then each non-empty section under a `;; ANSWER SECTION:` style label, one record a line.
 */
export function describeResponse(r: DnsResponse): string[] {
  const lines = [
    `${r.rcode} id=${r.id} flags: ${flagList(r.flags)}; answer ${r.answers.length}, authority ${r.authority.length}, ` +
      `additional ${r.additional.length} (${r.rttMs} ms, ${r.transport})`,
  ];
  const sections: [string, DnsRecord[]][] = [
    ["ANSWER", r.answers],
    ["AUTHORITY", r.authority],
    ["ADDITIONAL", r.additional],
  ];
  for (const [label, records] of sections) {
    if (records.length === 0) continue;
    lines.push(`;; ${label} SECTION:`, ...records.map(formatRecord));
  }
  return lines;
}
