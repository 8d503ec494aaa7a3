/**
 * Classic pcap in, pcapng out. Pure: bytes in, bytes out, no files and no processes.
 *
 * Reads the pcap streams tcpdump writes (draft-ietf-opsawg-pcap: a 24-octet file header, then
 * 16-octet record headers each followed by the captured octets, all in the writer's byte order)
 * and writes one pcapng section (draft-ietf-opsawg-pcapng: a Section Header Block, one Interface
 * Description Block per capture, one Enhanced Packet Block per packet), always little-endian,
 * with nanosecond timestamps (if_tsresol 9) so that µs and ns captures merge without loss.
 */

export interface CaptureInterface {
  /** if_name, e.g. "mail-crepes/eth1". */
  name: string;
  /** if_description, e.g. "mail-crepes on network internet (10.0.0.25)". */
  description?: string;
}

export interface PcapHeader {
  /** The 16-bit LinkType (the FCS bits above it are left out), e.g. 1 for Ethernet. */
  linktype: number;
  snaplen: number;
  /** Magic a1b23c4d: record timestamps carry nanoseconds, not microseconds. */
  nanos: boolean;
  littleEndian: boolean;
}

export interface PcapPacket {
  /** Nanoseconds since 1970-01-01 00:00:00 UTC. */
  tsNs: bigint;
  capturedLength: number;
  originalLength: number;
  /** The captured octets; may share memory with the chunk given to `PcapReader.push`. */
  data: Buffer;
}

/** A pcap stream that cannot be read: a wrong magic number, an unknown version, an absurd length. */
export class PcapFormatError extends Error {
  readonly code = "PCAP_FORMAT";
  /** What was being read, when the reader was told (e.g. an interface name). */
  readonly source: string | undefined;
  /** Offset in the stream of the field at fault. */
  readonly offset: number;

  constructor(problem: string, offset: number, source?: string) {
    super(`${source === undefined ? "pcap stream" : `pcap stream of ${source}`}: ${problem} (at byte ${offset})`);
    this.name = "PcapFormatError";
    this.source = source;
    this.offset = offset;
  }
}

const FILE_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;
const MAGIC_MICROS = 0xa1b2c3d4;
const MAGIC_NANOS = 0xa1b23c4d;
/** libpcap refuses records longer than this (its usual largest snapshot length) unless the file's snaplen is larger. */
const LIBPCAP_MAX_SNAPLEN = 262_144;

/**
 * Incremental parser of one classic pcap byte stream, chunked any way. Each `push` returns the
 * packets whose last octet it brought; `end` tells how many octets of an unfinished record (a
 * capture cut off mid-packet) were left over. After a `PcapFormatError`, every later `push` throws it again.
 */
export class PcapReader {
  private readonly source: string | undefined;
  private chunks: Buffer[] = [];
  /** Read position in chunks[0]. */
  private offset = 0;
  private buffered = 0;
  /** Stream offset of the first buffered octet. */
  private position = 0;
  private fileHeader: PcapHeader | undefined;
  /** The record header read while its data is still awaited. */
  private record: { tsNs: bigint; capturedLength: number; originalLength: number } | undefined;
  private failure: PcapFormatError | undefined;

  /** `source` names the stream in error messages. */
  constructor(source?: string) {
    this.source = source;
  }

  get header(): PcapHeader | undefined {
    return this.fileHeader;
  }

  push(chunk: Buffer): PcapPacket[] {
    if (this.failure) throw this.failure;
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const packets: PcapPacket[] = [];
    try {
      for (;;) {
        if (!this.fileHeader) {
          if (this.buffered < FILE_HEADER_LENGTH) break;
          this.fileHeader = this.parseFileHeader(this.take(FILE_HEADER_LENGTH));
        } else if (!this.record) {
          if (this.buffered < RECORD_HEADER_LENGTH) break;
          this.record = this.parseRecordHeader(this.fileHeader, this.take(RECORD_HEADER_LENGTH));
        } else {
          if (this.buffered < this.record.capturedLength) break;
          packets.push({ ...this.record, data: this.take(this.record.capturedLength) });
          this.record = undefined;
        }
      }
    } catch (error) {
      if (error instanceof PcapFormatError) this.failure = error;
      throw error;
    }
    return packets;
  }

  /** Octets of an incomplete trailing file header or record, its record header included. */
  end(): { truncatedBytes: number } {
    return { truncatedBytes: this.buffered + (this.record ? RECORD_HEADER_LENGTH : 0) };
  }

  private fail(problem: string, offset: number): never {
    throw new PcapFormatError(problem, offset, this.source);
  }

  private parseFileHeader(bytes: Buffer): PcapHeader {
    const at = this.position - FILE_HEADER_LENGTH;
    const be = bytes.readUInt32BE(0);
    const le = bytes.readUInt32LE(0);
    let littleEndian: boolean;
    if (be === MAGIC_MICROS || be === MAGIC_NANOS) littleEndian = false;
    else if (le === MAGIC_MICROS || le === MAGIC_NANOS) littleEndian = true;
    else if (be === SHB) this.fail("this is pcapng, not classic pcap", at);
    else this.fail(`magic number 0x${be.toString(16).padStart(8, "0")} is neither a1b2c3d4 nor a1b23c4d in either byte order`, at);
    const nanos = (littleEndian ? le : be) === MAGIC_NANOS;
    const u16 = (o: number) => (littleEndian ? bytes.readUInt16LE(o) : bytes.readUInt16BE(o));
    const u32 = (o: number) => (littleEndian ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o));
    const major = u16(4);
    if (major !== 2) this.fail(`major version ${major}.${u16(6)} is not 2`, at + 4);
    return { linktype: u32(20) & 0xffff, snaplen: u32(16), nanos, littleEndian };
  }

  private parseRecordHeader(header: PcapHeader, bytes: Buffer) {
    const u32 = (o: number) => (header.littleEndian ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o));
    const capturedLength = u32(8);
    const limit = Math.max(header.snaplen, LIBPCAP_MAX_SNAPLEN);
    if (capturedLength > limit) {
      this.fail(`record claims ${capturedLength} captured octets, more than the ${limit} a record can hold (snaplen ${header.snaplen})`, this.position - RECORD_HEADER_LENGTH + 8);
    }
    const tsNs = BigInt(u32(0)) * 1_000_000_000n + BigInt(u32(4)) * (header.nanos ? 1n : 1000n);
    return { tsNs, capturedLength, originalLength: u32(12) };
  }

  /** The next n buffered octets, in one piece: a view of a chunk when they lie in one, else a copy. */
  private take(n: number): Buffer {
    this.buffered -= n;
    this.position += n;
    const first = this.chunks[0];
    if (n === 0 || !first) return Buffer.alloc(0);
    if (first.length - this.offset >= n) {
      const out = first.subarray(this.offset, this.offset + n);
      this.offset += n;
      if (this.offset === first.length) {
        this.chunks.shift();
        this.offset = 0;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    let used = 0;
    while (filled < n) {
      const chunk = this.chunks[used]!;
      const k = Math.min(n - filled, chunk.length - this.offset);
      chunk.copy(out, filled, this.offset, this.offset + k);
      filled += k;
      this.offset += k;
      if (this.offset === chunk.length) {
        used++;
        this.offset = 0;
      }
    }
    this.chunks.splice(0, used);
    return out;
  }
}

// pcapng block types and option codes (draft-ietf-opsawg-pcapng, sections 3.5, 4.1, 4.2, 4.3).
const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const EPB = 0x00000006;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const OPT_ENDOFOPT = 0;
const OPT_COMMENT = 1;
const SHB_USERAPPL = 4;
const IF_NAME = 2;
const IF_DESCRIPTION = 3;
const IF_TSRESOL = 9;
/** if_tsresol 9: timestamps count 10^-9 s. */
const TSRESOL_NANOS = 9;
const MAX_OPTION_LENGTH = 0xffff;

const padding = (n: number) => (4 - (n % 4)) % 4;

/** A string option's value: UTF-8, cut at a character boundary to fit the 16-bit option length. */
function utf8Value(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= MAX_OPTION_LENGTH) return bytes;
  let cut = MAX_OPTION_LENGTH;
  while (cut > 0 && (bytes[cut]! & 0xc0) === 0x80) cut--;
  return bytes.subarray(0, cut);
}

/** Options as written: each code, length, value padded to 32 bits; then opt_endofopt. None: no octets at all. */
function encodeOptions(options: [code: number, value: Buffer][]): Buffer[] {
  if (options.length === 0) return [];
  const parts: Buffer[] = [];
  for (const [code, value] of options) {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(code, 0);
    head.writeUInt16LE(value.length, 2);
    parts.push(head, value, Buffer.alloc(padding(value.length)));
  }
  const end = Buffer.alloc(4);
  end.writeUInt16LE(OPT_ENDOFOPT, 0);
  parts.push(end);
  return parts;
}

/** A whole block: type, total length, the body (each part's length a multiple of 4 overall), total length again. */
function encodeBlock(type: number, body: Buffer[]): Buffer {
  const bodyLength = body.reduce((sum, part) => sum + part.length, 0);
  const total = 12 + bodyLength;
  if (total % 4 !== 0) throw new Error(`pcapng block 0x${type.toString(16)} body of ${bodyLength} octets is not padded to 32 bits`);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(type, 0);
  head.writeUInt32LE(total, 4);
  const tail = Buffer.alloc(4);
  tail.writeUInt32LE(total, 0);
  return Buffer.concat([head, ...body, tail], total);
}

function checkUint(what: string, value: number, max: number): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${what} ${value} is not a whole number from 0 to ${max}`);
}

/**
 * Writes one little-endian pcapng section: `header()` first, then `addInterface` for each
 * interface before any of its packets, then `packet` for each packet, concatenated in that order.
 */
export class PcapngWriter {
  private readonly application: string;
  private readonly comment: string | undefined;
  private interfaces = 0;

  constructor(options: { application?: string; comment?: string } = {}) {
    this.application = options.application ?? "l7lab";
    this.comment = options.comment;
  }

  /** The Section Header Block: version 1.0, section length unspecified (-1), shb_userappl and any comment. */
  header(): Buffer {
    const fixed = Buffer.alloc(16);
    fixed.writeUInt32LE(BYTE_ORDER_MAGIC, 0);
    fixed.writeUInt16LE(1, 4);
    fixed.writeUInt16LE(0, 6);
    fixed.writeBigInt64LE(-1n, 8);
    const options: [number, Buffer][] = [];
    if (this.comment !== undefined) options.push([OPT_COMMENT, utf8Value(this.comment)]);
    options.push([SHB_USERAPPL, utf8Value(this.application)]);
    return encodeBlock(SHB, [fixed, ...encodeOptions(options)]);
  }

  /** The Interface Description Block of the next interface; its id (0, 1, ...) is what `packet` takes. */
  addInterface(iface: CaptureInterface, linktype: number, snaplen: number): { id: number; block: Buffer } {
    checkUint("LinkType", linktype, 0xffff);
    checkUint("SnapLen", snaplen, 0xffffffff);
    const fixed = Buffer.alloc(8);
    fixed.writeUInt16LE(linktype, 0);
    fixed.writeUInt16LE(0, 2);
    fixed.writeUInt32LE(snaplen, 4);
    const options: [number, Buffer][] = [[IF_NAME, utf8Value(iface.name)]];
    if (iface.description !== undefined) options.push([IF_DESCRIPTION, utf8Value(iface.description)]);
    options.push([IF_TSRESOL, Buffer.from([TSRESOL_NANOS])]);
    return { id: this.interfaces++, block: encodeBlock(IDB, [fixed, ...encodeOptions(options)]) };
  }

  /** An Enhanced Packet Block: timestamp in ns, captured length = the data's length, data padded to 32 bits. */
  packet(interfaceId: number, p: PcapPacket, comment?: string): Buffer {
    if (!Number.isInteger(interfaceId) || interfaceId < 0 || interfaceId >= this.interfaces) {
      throw new RangeError(`interface id ${interfaceId} has no Interface Description Block (${this.interfaces} added)`);
    }
    if (p.tsNs < 0n || p.tsNs > 0xffffffffffffffffn) throw new RangeError(`timestamp ${p.tsNs} ns does not fit 64 unsigned bits`);
    checkUint("original length", p.originalLength, 0xffffffff);
    const fixed = Buffer.alloc(20);
    fixed.writeUInt32LE(interfaceId, 0);
    fixed.writeUInt32LE(Number(p.tsNs >> 32n), 4);
    fixed.writeUInt32LE(Number(p.tsNs & 0xffffffffn), 8);
    fixed.writeUInt32LE(p.data.length, 12);
    fixed.writeUInt32LE(p.originalLength, 16);
    const options: [number, Buffer][] = comment === undefined ? [] : [[OPT_COMMENT, utf8Value(comment)]];
    return encodeBlock(EPB, [fixed, p.data, Buffer.alloc(padding(p.data.length)), ...encodeOptions(options)]);
  }
}

/**
 * Merges whole captures (each one interface's complete pcap bytes) into one pcapng: an IDB per
 * capture in input order (also for one without packets), then every packet in timestamp order,
 * ties kept in input order. An input shorter than a pcap file header is left out and named in
 * `skipped`; an incomplete last record (a capture stopped mid-write) is dropped. `limitBytes` caps
 * the packet data kept: the first packet that would pass it and all later ones are dropped and
 * `truncated` is set. Throws `PcapFormatError` for an input that is not classic pcap.
 */
export function mergeToPcapng(
  inputs: { iface: CaptureInterface; pcap: Buffer }[],
  options: { comment?: string; limitBytes?: number } = {},
): { pcapng: Buffer; packets: number; bytes: number; truncated: boolean; skipped: string[] } {
  const limitBytes = options.limitBytes ?? Infinity;
  if (!(limitBytes >= 0)) throw new RangeError(`limitBytes ${limitBytes} is not a number of octets`);
  const writer = new PcapngWriter(options.comment === undefined ? {} : { comment: options.comment });
  const blocks: Buffer[] = [writer.header()];
  const skipped: string[] = [];
  const queued: { id: number; packet: PcapPacket }[] = [];
  for (const { iface, pcap } of inputs) {
    if (pcap.length < FILE_HEADER_LENGTH) {
      skipped.push(iface.name);
      continue;
    }
    const reader = new PcapReader(iface.name);
    const packets = reader.push(pcap);
    const header = reader.header!;
    const { id, block } = writer.addInterface(iface, header.linktype, header.snaplen);
    blocks.push(block);
    for (const packet of packets) queued.push({ id, packet });
  }
  // Array.prototype.sort is stable, so equal timestamps keep input order and, within an input, file order.
  queued.sort((a, b) => (a.packet.tsNs < b.packet.tsNs ? -1 : a.packet.tsNs > b.packet.tsNs ? 1 : 0));
  let bytes = 0;
  let packets = 0;
  let truncated = false;
  for (const { id, packet } of queued) {
    if (bytes + packet.data.length > limitBytes) {
      truncated = true;
      break;
    }
    blocks.push(writer.packet(id, packet));
    bytes += packet.data.length;
    packets++;
  }
  return { pcapng: Buffer.concat(blocks), packets, bytes, truncated, skipped };
}
