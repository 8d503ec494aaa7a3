import dnsPacket, { type Packet, type RecordType } from "dns-packet";
import { sameName } from "./names.ts";

/** Building queries and checking that a response belongs to one. Pure. */

export interface QuerySpec {
  id: number;
  name: string;
  /** A record type mnemonic; "ANY" is sent as type 255. */
  type: string;
  rd: boolean;
}

export function buildQuery(q: QuerySpec): Packet {
  return {
    type: "query",
    id: q.id,
    flags: q.rd ? dnsPacket.RECURSION_DESIRED : 0,
    // dns-packet's types omit "ANY", but its encoder knows it (255).
    questions: [{ name: q.name.replace(/\.$/, "") || ".", type: q.type as RecordType, class: "IN" }],
  };
}

/**
 * Why a packet is not the response to `query`, or undefined when it is: it must be a response with
 * the query's id, and repeat the question (a response without a question section is accepted, as
 * some servers send FORMERR that way).
 */
export function mismatch(query: QuerySpec, response: Packet): string | undefined {
  if (response.type !== "response") return "not a response (QR=0)";
  if (response.id !== query.id) return `id ${response.id ?? 0} instead of ${query.id}`;
  const q = response.questions?.[0];
  if (q && (!sameName(q.name, query.name) || q.type.toUpperCase() !== query.type.toUpperCase())) {
    return `question ${q.name} ${q.type} instead of ${query.name} ${query.type}`;
  }
  return undefined;
}
