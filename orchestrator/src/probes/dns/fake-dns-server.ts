import dgram from "node:dgram";
import net from "node:net";
import { once } from "node:events";
import dnsPacket, { type Answer, type DecodedPacket, type Packet, type StringAnswer } from "dns-packet";
import { isAtOrBelow, isBelow, sameName } from "./names.ts";

/**
 * Test support (not used by the probe): fake DNS servers on 127.0.0.1, over UDP and TCP on the
 * same random port, answering with whatever a handler returns.
 */

/** A reply: one packet, raw bytes, several messages, or nothing (the query is dropped). */
export type FakeReply = Packet | Buffer | (Packet | Buffer)[] | undefined;
export type FakeHandler = (query: DecodedPacket, transport: "udp" | "tcp") => FakeReply | Promise<FakeReply>;

export interface ReceivedQuery {
  transport: "udp" | "tcp";
  id: number;
  name: string;
  type: string;
  rd: boolean;
}

export interface FakeDnsServer {
  port: number;
  queries: ReceivedQuery[];
  close(): Promise<void>;
}

export interface FakeServerOptions {
  /** Write each TCP reply in two pieces (the first 3 bytes, then the rest) to test reassembly. */
  splitTcpWrites?: boolean;
}

const toBuffers = (reply: FakeReply): Buffer[] =>
  (reply === undefined ? [] : Array.isArray(reply) ? reply : [reply]).map((m) => (Buffer.isBuffer(m) ? m : dnsPacket.encode(m)));

async function bind(handler: FakeHandler, options: FakeServerOptions): Promise<FakeDnsServer> {
  const queries: ReceivedQuery[] = [];
  const record = (q: DecodedPacket, transport: "udp" | "tcp") => {
    const question = q.questions?.[0];
    queries.push({ transport, id: q.id ?? 0, name: question?.name ?? "", type: question?.type ?? "", rd: q.flag_rd });
  };
  const udp = dgram.createSocket("udp4");
  udp.on("message", (msg, rinfo) => {
    const query = dnsPacket.decode(msg);
    record(query, "udp");
    void Promise.resolve(handler(query, "udp")).then((reply) => {
      for (const buf of toBuffers(reply)) udp.send(buf, rinfo.port, rinfo.address);
    });
  });
  udp.bind(0, "127.0.0.1");
  await once(udp, "listening");
  const port = udp.address().port;

  const sockets = new Set<net.Socket>();
  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        const query = dnsPacket.decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
        record(query, "tcp");
        void Promise.resolve(handler(query, "tcp")).then(async (reply) => {
          for (const buf of toBuffers(reply)) {
            const framed = Buffer.concat([Buffer.from([buf.length >> 8, buf.length & 0xff]), buf]);
            if (!options.splitTcpWrites) {
              socket.write(framed);
              continue;
            }
            socket.write(framed.subarray(0, 3));
            await new Promise((r) => setTimeout(r, 10));
            socket.write(framed.subarray(3));
          }
        });
      }
    });
  });
  try {
    tcp.listen(port, "127.0.0.1");
    await once(tcp, "listening");
  } catch (err) {
    udp.close();
    throw err;
  }
  return {
    port,
    queries,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise<void>((r) => udp.close(() => r())), new Promise<void>((r) => tcp.close(() => r()))]);
    },
  };
}

/** Starts a fake server; retries when the random UDP port happens to be taken for TCP. */
export async function startFakeDnsServer(handler: FakeHandler, options: FakeServerOptions = {}): Promise<FakeDnsServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await bind(handler, options);
    } catch (err) {
      if (attempt >= 5 || (err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
    }
  }
}

export const AA = dnsPacket.AUTHORITATIVE_ANSWER;
export const TC = dnsPacket.TRUNCATED_RESPONSE;
export const RD = dnsPacket.RECURSION_DESIRED;
export const RA = dnsPacket.RECURSION_AVAILABLE;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;

/** A response to `query`: same id and question, RD copied, with the given flags and sections. */
export function respond(query: Packet, fields: Omit<Packet, "type" | "id" | "questions"> = {}): Packet {
  return {
    ...fields,
    type: "response",
    id: query.id ?? 0,
    flags: (fields.flags ?? 0) | ((query.flags ?? 0) & RD),
    questions: query.questions ?? [],
  };
}

const targetOf = (r: Answer): string => (r as StringAnswer).data;

/**
 * A minimal authoritative server for `zone`: answers from `records` (AA), refers to child zones
 * (their NS records, plus A glue found in `records`), says NXDOMAIN or NODATA (with the SOA),
 * REFUSED outside the zone. A CNAME is answered with the in-zone target's data, if any.
 */
export function authority(zone: string, records: Answer[]): FakeHandler {
  const soa = records.filter((r) => r.type === "SOA");
  return (query) => {
    const q = query.questions?.[0];
    if (!q) return respond(query, { flags: RCODE.FORMERR });
    if (!isAtOrBelow(q.name, zone)) return respond(query, { flags: RCODE.REFUSED });
    const cut = records.filter((r) => r.type === "NS" && !sameName(r.name, zone) && isAtOrBelow(q.name, r.name));
    const first = cut[0];
    if (first) {
      const ns = cut.filter((r) => sameName(r.name, first.name));
      const glue = records.filter((r) => r.type === "A" && ns.some((n) => sameName(targetOf(n), r.name)));
      return respond(query, { authorities: ns, additionals: glue });
    }
    const atName = records.filter((r) => sameName(r.name, q.name));
    if (atName.length === 0 && !records.some((r) => isBelow(r.name, q.name))) {
      return respond(query, { flags: AA | RCODE.NXDOMAIN, authorities: soa });
    }
    const data = atName.filter((r) => r.type === q.type || (q.type as string) === "ANY");
    if (data.length > 0) return respond(query, { flags: AA, answers: data });
    const cname = atName.find((r) => r.type === "CNAME");
    if (cname) {
      const target = records.filter((r) => sameName(r.name, targetOf(cname)) && r.type === q.type);
      return respond(query, { flags: AA, answers: [cname, ...target] });
    }
    return respond(query, { flags: AA, authorities: soa });
  };
}

/** Builds records tersely: `rr("www.hamburger.edu", "CNAME", "www.someschool.edu")`. */
export function rr(name: string, type: "A" | "AAAA" | "NS" | "CNAME" | "PTR", data: string, ttl = 300): Answer {
  return { name, type, class: "IN", ttl, data };
}

export function soaRecord(zone: string, serial = 1): Answer {
  return {
    name: zone,
    type: "SOA",
    class: "IN",
    ttl: 300,
    data: { mname: `ns.${zone}`, rname: `hostmaster.${zone}`, serial, refresh: 3600, retry: 600, expire: 86400, minimum: 60 },
  };
}
