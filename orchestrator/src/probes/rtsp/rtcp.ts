/**
 * RTCP (RFC 3550 section 6): compound packets parsed (SR, RR, SDES, BYE, APP, others counted) and
 * built (the receiver report this client sends: RR + SDES CNAME, optionally BYE; the sender
 * report the test server sends).
 */

export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;
export const SDES_CNAME = 1;

/** Seconds from the NTP epoch (1900) to the Unix epoch (1970). */
export const NTP_UNIX_OFFSET = 2_208_988_800;

export interface ReportBlock {
  ssrc: number;
  /** The fraction lost since the previous report, in 1/256. */
  fractionLost: number;
  /** Cumulative packets lost, signed 24 bits. */
  cumulativeLost: number;
  extendedHighestSeq: number;
  jitter: number;
  /** The middle 32 bits of the last SR's NTP timestamp, and the delay since it in 1/65536 s. */
  lsr: number;
  dlsr: number;
}

export interface SenderReport {
  type: "SR";
  ssrc: number;
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: ReportBlock[];
}

export interface ReceiverReport {
  type: "RR";
  ssrc: number;
  reports: ReportBlock[];
}

export interface SdesChunk {
  ssrc: number;
  items: { type: number; value: string }[];
  cname: string | null;
}

export type RtcpPacket =
  | SenderReport
  | ReceiverReport
  | { type: "SDES"; chunks: SdesChunk[] }
  | { type: "BYE"; ssrcs: number[]; reason: string | null }
  | { type: "APP"; ssrc: number; subtype: number; name: string }
  | { type: "unknown"; packetType: number };

export interface RtcpParseResult {
  /** false: not a compound RTCP packet (a bad version or length); `packets` are then not to be trusted. */
  valid: boolean;
  packets: RtcpPacket[];
  /** What is wrong: structural errors (valid false), or deviations from A.2 (valid stays true). */
  problems: string[];
}

function readReportBlocks(buf: Buffer, offset: number, count: number): ReportBlock[] {
  const blocks: ReportBlock[] = [];
  for (let i = 0; i < count; i++) {
    const at = offset + 24 * i;
    blocks.push({
      ssrc: buf.readUInt32BE(at),
      fractionLost: buf[at + 4]!,
      cumulativeLost: buf.readIntBE(at + 5, 3),
      extendedHighestSeq: buf.readUInt32BE(at + 8),
      jitter: buf.readUInt32BE(at + 12),
      lsr: buf.readUInt32BE(at + 16),
      dlsr: buf.readUInt32BE(at + 20),
    });
  }
  return blocks;
}

function readSdes(body: Buffer, count: number): SdesChunk[] | string {
  const chunks: SdesChunk[] = [];
  let at = 0;
  for (let c = 0; c < count; c++) {
    if (at + 4 > body.length) return `SDES chunk ${c + 1} of ${count} does not fit`;
    const chunk: SdesChunk = { ssrc: body.readUInt32BE(at), items: [], cname: null };
    at += 4;
    for (;;) {
      if (at >= body.length) return `SDES chunk ${c + 1} has no end`;
      const type = body[at]!;
      if (type === 0) {
        // The null item ends the list; the chunk is padded to a 32-bit boundary.
        at = (Math.floor(at / 4) + 1) * 4;
        break;
      }
      const length = body[at + 1];
      if (length === undefined || at + 2 + length > body.length) return `SDES item of type ${type} does not fit`;
      const value = body.subarray(at + 2, at + 2 + length).toString("utf8");
      chunk.items.push({ type, value });
      if (type === SDES_CNAME) chunk.cname ??= value;
      at += 2 + length;
    }
    chunks.push(chunk);
  }
  return chunks;
}

/** Parses a compound RTCP packet (RFC 3550 6.1), with the validity checks of A.2. */
export function parseRtcpCompound(buf: Buffer): RtcpParseResult {
  const packets: RtcpPacket[] = [];
  const problems: string[] = [];
  const fail = (why: string): RtcpParseResult => ({ valid: false, packets, problems: [...problems, why] });
  if (buf.length < 4) return fail(`${buf.length} bytes, shorter than an RTCP header`);
  let at = 0;
  while (at < buf.length) {
    if (buf.length - at < 4) return fail(`${buf.length - at} stray bytes after the last packet`);
    const b0 = buf[at]!;
    const version = b0 >> 6;
    if (version !== 2) return fail(`packet ${packets.length + 1}: version ${version}, not 2`);
    const padding = (b0 & 0x20) !== 0;
    const count = b0 & 0x1f;
    const packetType = buf[at + 1]!;
    const length = (buf.readUInt16BE(at + 2) + 1) * 4;
    if (at + length > buf.length) return fail(`packet ${packets.length + 1} (type ${packetType}) says ${length} bytes; ${buf.length - at} are left`);
    const last = at + length === buf.length;
    if (padding && !last) problems.push(`packet ${packets.length + 1} has the padding bit but is not the last (A.2)`);
    let end = at + length;
    if (padding) {
      const pad = buf[end - 1]!;
      if (pad === 0 || pad > length - 4) return fail(`packet ${packets.length + 1}: a padding count of ${pad} does not fit`);
      end -= pad;
    }
    const body = buf.subarray(at + 4, end);
    if (packets.length === 0 && packetType !== RTCP_SR && packetType !== RTCP_RR) problems.push(`the compound packet begins with type ${packetType}, not SR or RR (A.2)`);
    switch (packetType) {
      case RTCP_SR:
        if (body.length < 24 + 24 * count) return fail(`an SR with ${count} report blocks needs ${28 + 24 * count} bytes`);
        packets.push({
          type: "SR",
          ssrc: body.readUInt32BE(0),
          ntpSeconds: body.readUInt32BE(4),
          ntpFraction: body.readUInt32BE(8),
          rtpTimestamp: body.readUInt32BE(12),
          packetCount: body.readUInt32BE(16),
          octetCount: body.readUInt32BE(20),
          reports: readReportBlocks(body, 24, count),
        });
        break;
      case RTCP_RR:
        if (body.length < 4 + 24 * count) return fail(`an RR with ${count} report blocks needs ${8 + 24 * count} bytes`);
        packets.push({ type: "RR", ssrc: body.readUInt32BE(0), reports: readReportBlocks(body, 4, count) });
        break;
      case RTCP_SDES: {
        const chunks = readSdes(body, count);
        if (typeof chunks === "string") return fail(chunks);
        packets.push({ type: "SDES", chunks });
        break;
      }
      case RTCP_BYE: {
        if (body.length < 4 * count) return fail(`a BYE with ${count} SSRCs needs ${4 + 4 * count} bytes`);
        const ssrcs = Array.from({ length: count }, (_, i) => body.readUInt32BE(4 * i));
        const reasonLength = body[4 * count];
        const reason = reasonLength !== undefined && 4 * count + 1 + reasonLength <= body.length ? body.subarray(4 * count + 1, 4 * count + 1 + reasonLength).toString("utf8") : null;
        packets.push({ type: "BYE", ssrcs, reason });
        break;
      }
      case RTCP_APP:
        if (body.length < 8) return fail("an APP packet needs 12 bytes");
        packets.push({ type: "APP", ssrc: body.readUInt32BE(0), subtype: count, name: body.subarray(4, 8).toString("latin1") });
        break;
      default:
        packets.push({ type: "unknown", packetType });
        break;
    }
    at += length;
  }
  return { valid: true, packets, problems };
}

/** The middle 32 bits of a 64-bit NTP timestamp: what an RR's LSR field carries. */
export function ntpMiddle(seconds: number, fraction: number): number {
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}

/**
 * An NTP timestamp as an ISO time; null for 0 (a sender without wall clock). Seconds with the top
 * bit clear are read as era 1 (from 2036), as RFC 4330 3 says.
 */
export function ntpToIso(seconds: number, fraction: number): string | null {
  if (seconds === 0 && fraction === 0) return null;
  const unix = seconds >= 0x80000000 ? seconds - NTP_UNIX_OFFSET : seconds + 2 ** 32 - NTP_UNIX_OFFSET;
  return new Date(unix * 1000 + Math.floor((fraction / 2 ** 32) * 1000)).toISOString();
}

/** A Unix time in ms as an NTP timestamp (seconds, fraction). */
export function unixMsToNtp(ms: number): { seconds: number; fraction: number } {
  const secondsFloat = ms / 1000 + NTP_UNIX_OFFSET;
  const seconds = Math.floor(secondsFloat);
  return { seconds: seconds >>> 0, fraction: Math.min(0xffffffff, Math.floor((secondsFloat - seconds) * 2 ** 32)) >>> 0 };
}

function header(count: number, packetType: number, totalBytes: number): Buffer {
  const h = Buffer.alloc(4);
  h[0] = 0x80 | (count & 0x1f);
  h[1] = packetType;
  h.writeUInt16BE(totalBytes / 4 - 1, 2);
  return h;
}

function reportBlockBytes(block: ReportBlock): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt32BE(block.ssrc >>> 0, 0);
  b[4] = Math.max(0, Math.min(255, block.fractionLost));
  b.writeIntBE(Math.max(-0x800000, Math.min(0x7fffff, block.cumulativeLost)), 5, 3);
  b.writeUInt32BE(block.extendedHighestSeq >>> 0, 8);
  b.writeUInt32BE(block.jitter >>> 0, 12);
  b.writeUInt32BE(block.lsr >>> 0, 16);
  b.writeUInt32BE(Math.max(0, Math.min(0xffffffff, block.dlsr)) >>> 0, 20);
  return b;
}

/** An RR packet (RFC 3550 6.4.2): header, the reporter's SSRC, up to 31 report blocks. */
export function buildRr(ssrc: number, reports: readonly ReportBlock[]): Buffer {
  if (reports.length > 31) throw new Error("an RR carries at most 31 report blocks");
  const body = Buffer.alloc(4);
  body.writeUInt32BE(ssrc >>> 0, 0);
  const blocks = reports.map(reportBlockBytes);
  return Buffer.concat([header(reports.length, RTCP_RR, 8 + 24 * reports.length), body, ...blocks]);
}

/** An SR packet (RFC 3550 6.4.1). */
export function buildSr(sr: Omit<SenderReport, "type">): Buffer {
  const body = Buffer.alloc(24);
  body.writeUInt32BE(sr.ssrc >>> 0, 0);
  body.writeUInt32BE(sr.ntpSeconds >>> 0, 4);
  body.writeUInt32BE(sr.ntpFraction >>> 0, 8);
  body.writeUInt32BE(sr.rtpTimestamp >>> 0, 12);
  body.writeUInt32BE(sr.packetCount >>> 0, 16);
  body.writeUInt32BE(sr.octetCount >>> 0, 20);
  const blocks = sr.reports.map(reportBlockBytes);
  return Buffer.concat([header(sr.reports.length, RTCP_SR, 28 + 24 * sr.reports.length), body, ...blocks]);
}

/** An SDES packet with one chunk holding a CNAME item, padded to 32 bits with at least one null octet. */
export function buildSdesCname(ssrc: number, cname: string): Buffer {
  const text = Buffer.from(cname, "utf8").subarray(0, 255);
  const itemsLength = 2 + text.length;
  const chunkLength = 4 + (Math.floor(itemsLength / 4) + 1) * 4;
  const chunk = Buffer.alloc(chunkLength);
  chunk.writeUInt32BE(ssrc >>> 0, 0);
  chunk[4] = SDES_CNAME;
  chunk[5] = text.length;
  text.copy(chunk, 6);
  return Buffer.concat([header(1, RTCP_SDES, 4 + chunkLength), chunk]);
}

/** A BYE packet for one SSRC. */
export function buildBye(ssrc: number): Buffer {
  const body = Buffer.alloc(4);
  body.writeUInt32BE(ssrc >>> 0, 0);
  return Buffer.concat([header(1, RTCP_BYE, 8), body]);
}

/** The compound packet a receiver sends: RR, SDES with its CNAME, and BYE when it leaves. */
export function buildReceiverReport(spec: { ssrc: number; reports: readonly ReportBlock[]; cname: string; bye?: boolean }): Buffer {
  const parts = [buildRr(spec.ssrc, spec.reports), buildSdesCname(spec.ssrc, spec.cname)];
  if (spec.bye) parts.push(buildBye(spec.ssrc));
  return Buffer.concat(parts);
}
