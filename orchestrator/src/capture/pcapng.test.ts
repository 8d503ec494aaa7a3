import { describe, expect, it } from "vitest";
import { mergeToPcapng, PcapFormatError, type PcapPacket, PcapReader, PcapngWriter } from "./pcapng.ts";

// ---- Classic pcap written by hand, in either byte order ----

interface RecordSpec {
  sec: number;
  /** Microseconds or nanoseconds, as the file's magic says. */
  frac: number;
  data: Buffer;
  originalLength?: number;
}

function u16(value: number, le: boolean): Buffer {
  const b = Buffer.alloc(2);
  if (le) b.writeUInt16LE(value);
  else b.writeUInt16BE(value);
  return b;
}
function u32(value: number, le: boolean): Buffer {
  const b = Buffer.alloc(4);
  if (le) b.writeUInt32LE(value);
  else b.writeUInt32BE(value);
  return b;
}

function pcapHeader(o: { le: boolean; nanos: boolean; linktype?: number; snaplen?: number; major?: number }): Buffer {
  return Buffer.concat([
    u32(o.nanos ? 0xa1b23c4d : 0xa1b2c3d4, o.le),
    u16(o.major ?? 2, o.le),
    u16(4, o.le),
    u32(0, o.le),
    u32(0, o.le),
    u32(o.snaplen ?? 262144, o.le),
    u32(o.linktype ?? 1, o.le),
  ]);
}

function pcapRecord(r: RecordSpec, le: boolean): Buffer {
  return Buffer.concat([u32(r.sec, le), u32(r.frac, le), u32(r.data.length, le), u32(r.originalLength ?? r.data.length, le), r.data]);
}

function pcapFile(o: { le: boolean; nanos: boolean; linktype?: number; snaplen?: number }, records: RecordSpec[]): Buffer {
  return Buffer.concat([pcapHeader(o), ...records.map((r) => pcapRecord(r, o.le))]);
}

/** Feeds `bytes` in chunks of `size` and collects the packets, with the index of the chunk that completed each. */
function feed(bytes: Buffer, size: number): { reader: PcapReader; packets: PcapPacket[]; completedAt: number[] } {
  const reader = new PcapReader();
  const packets: PcapPacket[] = [];
  const completedAt: number[] = [];
  for (let i = 0, n = 0; i < bytes.length; i += size, n++) {
    for (const p of reader.push(bytes.subarray(i, i + size))) {
      packets.push(p);
      completedAt.push(n);
    }
  }
  return { reader, packets, completedAt };
}

const plain = (p: PcapPacket) => ({ ...p, data: [...p.data] });

// ---- An independent pcapng block walker ----

interface Block {
  type: number;
  body: Buffer;
}

function walk(file: Buffer): Block[] {
  const blocks: Block[] = [];
  let at = 0;
  while (at < file.length) {
    expect(at % 4).toBe(0);
    expect(file.length - at).toBeGreaterThanOrEqual(12);
    const type = file.readUInt32LE(at);
    const total = file.readUInt32LE(at + 4);
    expect(total % 4).toBe(0);
    expect(total).toBeGreaterThanOrEqual(12);
    expect(at + total).toBeLessThanOrEqual(file.length);
    expect(file.readUInt32LE(at + total - 4)).toBe(total);
    blocks.push({ type, body: file.subarray(at + 8, at + total - 4) });
    at += total;
  }
  expect(at).toBe(file.length);
  return blocks;
}

/** Options from `bytes` on: [code, value] each, checking padding zeroes and the closing opt_endofopt. */
function readOptions(bytes: Buffer): [number, Buffer][] {
  const out: [number, Buffer][] = [];
  if (bytes.length === 0) return out;
  let at = 0;
  for (;;) {
    const code = bytes.readUInt16LE(at);
    const length = bytes.readUInt16LE(at + 2);
    if (code === 0) {
      expect(length).toBe(0);
      expect(at + 4).toBe(bytes.length);
      return out;
    }
    const padded = Math.ceil(length / 4) * 4;
    out.push([code, bytes.subarray(at + 4, at + 4 + length)]);
    expect([...bytes.subarray(at + 4 + length, at + 4 + padded)]).toEqual(new Array(padded - length).fill(0));
    at += 4 + padded;
  }
}

function readShb(b: Block) {
  expect(b.type).toBe(0x0a0d0d0a);
  return {
    magic: b.body.readUInt32LE(0),
    major: b.body.readUInt16LE(4),
    minor: b.body.readUInt16LE(6),
    sectionLength: b.body.readBigInt64LE(8),
    options: readOptions(b.body.subarray(16)),
  };
}

function readIdb(b: Block) {
  expect(b.type).toBe(1);
  return { linktype: b.body.readUInt16LE(0), reserved: b.body.readUInt16LE(2), snaplen: b.body.readUInt32LE(4), options: readOptions(b.body.subarray(8)) };
}

function readEpb(b: Block) {
  expect(b.type).toBe(6);
  const capturedLength = b.body.readUInt32LE(12);
  const padded = Math.ceil(capturedLength / 4) * 4;
  expect([...b.body.subarray(20 + capturedLength, 20 + padded)]).toEqual(new Array(padded - capturedLength).fill(0));
  return {
    interfaceId: b.body.readUInt32LE(0),
    tsHigh: b.body.readUInt32LE(4),
    tsLow: b.body.readUInt32LE(8),
    capturedLength,
    originalLength: b.body.readUInt32LE(16),
    data: b.body.subarray(20, 20 + capturedLength),
    options: readOptions(b.body.subarray(20 + padded)),
  };
}

const text = (options: [number, Buffer][], code: number) => options.filter(([c]) => c === code).map(([, v]) => v.toString("utf8"));

/** The EPBs of a merged file as (interface, timestamp in ns, first data octet). */
function packetsOf(file: Buffer) {
  return walk(file)
    .filter((b) => b.type === 6)
    .map(readEpb)
    .map((e) => ({ id: e.interfaceId, tsNs: (BigInt(e.tsHigh) << 32n) | BigInt(e.tsLow), first: e.data[0] }));
}

// ---- PcapReader ----

describe("PcapReader", () => {
  const records: RecordSpec[] = [
    { sec: 1_700_000_000, frac: 123_456, data: Buffer.from([1, 2, 3, 4, 5, 6, 7]), originalLength: 1514 },
    { sec: 1_700_000_001, frac: 999_999, data: Buffer.alloc(0) },
    { sec: 4_294_967_295, frac: 1, data: Buffer.from("hello pcap") },
  ];
  const variants = [
    { title: "µs little-endian", le: true, nanos: false },
    { title: "µs big-endian", le: false, nanos: false },
    { title: "ns little-endian", le: true, nanos: true },
    { title: "ns big-endian", le: false, nanos: true },
  ];

  describe.each(variants)("$title", ({ le, nanos }) => {
    const file = pcapFile({ le, nanos, linktype: 113, snaplen: 65535 }, records);
    const expected = records.map((r) => ({
      tsNs: BigInt(r.sec) * 1_000_000_000n + BigInt(r.frac) * (nanos ? 1n : 1000n),
      capturedLength: r.data.length,
      originalLength: r.originalLength ?? r.data.length,
      data: [...r.data],
    }));

    it.each([1, 3, 7, 16, 24, file.length])("gives the same packets fed %i bytes at a time", (size) => {
      const { reader, packets } = feed(file, size);
      expect(reader.header).toEqual({ linktype: 113, snaplen: 65535, nanos, littleEndian: le });
      expect(packets.map(plain)).toEqual(expected);
      expect(reader.end()).toEqual({ truncatedBytes: 0 });
    });

    it("gives each packet with the byte that completes it, not before", () => {
      const { completedAt } = feed(file, 1);
      const ends = [24 + 16 + 7, 24 + 16 + 7 + 16, file.length].map((end) => end - 1);
      expect(completedAt).toEqual(ends);
    });
  });

  it("reads a little-endian µs file laid out octet by octet", () => {
    const file = Buffer.from([
      0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
      0x01, 0x00, 0x00, 0x00, 0x40, 0x42, 0x0f, 0x00, 3, 0, 0, 0, 60, 0, 0, 0, 0xaa, 0xbb, 0xcc,
    ]);
    const reader = new PcapReader();
    // 0x000f4240 = 1,000,000 µs: a writer that did not carry into the seconds still gets its arithmetic.
    expect(reader.push(file).map(plain)).toEqual([{ tsNs: 2_000_000_000n, capturedLength: 3, originalLength: 60, data: [0xaa, 0xbb, 0xcc] }]);
    expect(reader.header).toEqual({ linktype: 1, snaplen: 65535, nanos: false, littleEndian: true });
  });

  it("keeps only the 16-bit LinkType when FCS bits are set above it", () => {
    const header = pcapHeader({ le: false, nanos: false, linktype: 0x1000_0000 | 1 });
    const reader = new PcapReader();
    reader.push(header);
    expect(reader.header?.linktype).toBe(1);
  });

  it("has no header and nothing truncated before any bytes", () => {
    const reader = new PcapReader();
    expect(reader.header).toBeUndefined();
    expect(reader.push(Buffer.alloc(0))).toEqual([]);
    expect(reader.end()).toEqual({ truncatedBytes: 0 });
  });

  it("reports an incomplete file header as truncated", () => {
    const reader = new PcapReader();
    reader.push(pcapHeader({ le: true, nanos: false }).subarray(0, 20));
    expect(reader.header).toBeUndefined();
    expect(reader.end()).toEqual({ truncatedBytes: 20 });
  });

  it("reports a record cut in its header or in its data as truncated, after the whole packets", () => {
    const whole = pcapFile({ le: true, nanos: true }, [{ sec: 5, frac: 6, data: Buffer.from("abcd") }]);
    const cut = pcapRecord({ sec: 7, frac: 8, data: Buffer.alloc(100, 1) }, true);
    for (const keep of [1, 15, 16, 17, 115]) {
      const { reader, packets } = feed(Buffer.concat([whole, cut.subarray(0, keep)]), 5);
      expect(packets.map((p) => p.data.toString())).toEqual(["abcd"]);
      expect(reader.end()).toEqual({ truncatedBytes: keep });
    }
  });

  it.each([
    { title: "an unknown magic number", bytes: Buffer.from("GIF89a-not-a-pcap-at-all"), message: /magic number 0x47494638/, offset: 0 },
    { title: "a pcapng file", bytes: Buffer.from([0x0a, 0x0d, 0x0d, 0x0a, ...new Array(20).fill(0)]), message: /pcapng, not classic pcap/, offset: 0 },
    { title: "major version 3", bytes: pcapHeader({ le: true, nanos: false, major: 3 }), message: /major version 3\.4 is not 2/, offset: 4 },
    {
      title: "a record longer than both the snaplen and 262144",
      bytes: Buffer.concat([pcapHeader({ le: false, nanos: false, snaplen: 1500 }), u32(0, false), u32(0, false), u32(262145, false), u32(262145, false)]),
      message: /262145 captured octets, more than the 262144/,
      offset: 32,
    },
  ])("refuses $title, and keeps refusing", ({ bytes, message, offset }) => {
    const reader = new PcapReader("web/eth0");
    let error: unknown;
    try {
      reader.push(bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PcapFormatError);
    expect((error as PcapFormatError).code).toBe("PCAP_FORMAT");
    expect((error as PcapFormatError).offset).toBe(offset);
    expect((error as PcapFormatError).message).toMatch(message);
    expect((error as PcapFormatError).message).toMatch(/^pcap stream of web\/eth0: /);
    expect(() => reader.push(Buffer.alloc(1))).toThrow(error as Error);
  });

  it("accepts a record longer than 262144 octets when the snaplen allows it", () => {
    const data = Buffer.alloc(300_000, 7);
    const reader = new PcapReader();
    const packets = reader.push(pcapFile({ le: true, nanos: false, snaplen: 300_000 }, [{ sec: 1, frac: 0, data }]));
    expect(packets).toHaveLength(1);
    expect(packets[0]!.data.equals(data)).toBe(true);
  });
});

// ---- PcapngWriter, byte for byte ----

describe("PcapngWriter", () => {
  it("writes the Section Header Block byte for byte", () => {
    const expected = Buffer.from([
      0x0a, 0x0d, 0x0d, 0x0a, 44, 0, 0, 0, // SHB, 44 octets
      0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0, // byte-order magic, version 1.0
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // section length -1
      4, 0, 5, 0, 0x6c, 0x37, 0x6c, 0x61, 0x62, 0, 0, 0, // shb_userappl "l7lab" + 3 padding
      0, 0, 0, 0, // opt_endofopt
      44, 0, 0, 0,
    ]);
    expect(new PcapngWriter().header()).toEqual(expected);
  });

  it("puts a comment and another application name in the Section Header Block", () => {
    const shb = readShb(walk(new PcapngWriter({ application: "l7lab 1.2", comment: "run 42" }).header())[0]!);
    expect(shb).toMatchObject({ magic: 0x1a2b3c4d, major: 1, minor: 0, sectionLength: -1n });
    expect(text(shb.options, 1)).toEqual(["run 42"]);
    expect(text(shb.options, 4)).toEqual(["l7lab 1.2"]);
  });

  it("writes an Interface Description Block byte for byte", () => {
    const expected = Buffer.from([
      1, 0, 0, 0, 52, 0, 0, 0, // IDB, 52 octets
      1, 0, 0, 0, 0x00, 0x00, 0x04, 0x00, // LinkType 1, reserved, SnapLen 262144
      2, 0, 6, 0, 0x61, 0x2f, 0x65, 0x74, 0x68, 0x30, 0, 0, // if_name "a/eth0" + 2 padding
      3, 0, 1, 0, 0x78, 0, 0, 0, // if_description "x" + 3 padding
      9, 0, 1, 0, 9, 0, 0, 0, // if_tsresol 9 + 3 padding
      0, 0, 0, 0, // opt_endofopt
      52, 0, 0, 0,
    ]);
    const writer = new PcapngWriter();
    expect(writer.addInterface({ name: "a/eth0", description: "x" }, 1, 262144)).toEqual({ id: 0, block: expected });
    expect(writer.addInterface({ name: "b/eth0" }, 1, 262144).id).toBe(1);
  });

  it("writes an Enhanced Packet Block byte for byte: 64-bit ns timestamp, data padded to 32 bits", () => {
    const writer = new PcapngWriter();
    writer.addInterface({ name: "a" }, 1, 65535);
    writer.addInterface({ name: "b" }, 1, 65535);
    // 1_700_000_000.123456789 s = 0x17979CFE_3D85CD15 ns.
    const tsNs = 1_700_000_000_123_456_789n;
    expect(tsNs).toBe(0x17979cfe3d85cd15n);
    const expected = Buffer.from([
      6, 0, 0, 0, 40, 0, 0, 0, // EPB, 40 octets
      1, 0, 0, 0, // interface 1
      0xfe, 0x9c, 0x97, 0x17, // timestamp high 0x17979cfe
      0x15, 0xcd, 0x85, 0x3d, // timestamp low 0x3d85cd15
      5, 0, 0, 0, 0xea, 0x05, 0, 0, // captured 5, original 1514
      0xde, 0xad, 0xbe, 0xef, 0x01, 0, 0, 0, // data + 3 padding; no options
      40, 0, 0, 0,
    ]);
    const packet = { tsNs, capturedLength: 5, originalLength: 1514, data: Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x01]) };
    expect(writer.packet(1, packet)).toEqual(expected);
  });

  it("writes an EPB comment as opt_comment and ends the options", () => {
    const writer = new PcapngWriter();
    writer.addInterface({ name: "a" }, 1, 65535);
    const epb = readEpb(walk(writer.packet(0, { tsNs: 0n, capturedLength: 4, originalLength: 4, data: Buffer.from("abcd") }, "lost here"))[0]!);
    expect(epb.options).toEqual([[1, Buffer.from("lost here")]]);
    expect(epb.data.toString()).toBe("abcd");
  });

  it("cuts a string option longer than 65535 octets at a character boundary", () => {
    const writer = new PcapngWriter({ comment: "é".repeat(40_000) });
    const comment = text(readShb(walk(writer.header())[0]!).options, 1)[0]!;
    expect(comment).toBe("é".repeat(32_767));
  });

  it("refuses a packet for an interface it has not described, and values that do not fit", () => {
    const writer = new PcapngWriter();
    const p = { tsNs: 1n, capturedLength: 0, originalLength: 0, data: Buffer.alloc(0) };
    expect(() => writer.packet(0, p)).toThrow(/interface id 0 has no Interface Description Block/);
    writer.addInterface({ name: "a" }, 1, 0);
    expect(() => writer.packet(0, { ...p, tsNs: 1n << 64n })).toThrow(RangeError);
    expect(() => writer.packet(0, { ...p, tsNs: -1n })).toThrow(RangeError);
    expect(() => writer.addInterface({ name: "b" }, 65536, 0)).toThrow(/LinkType 65536/);
  });
});

// ---- mergeToPcapng ----

describe("mergeToPcapng", () => {
  const mail = { name: "mail-crepes/eth1", description: "mail-crepes on network internet (10.0.0.25)" };
  const dns = { name: "dns/eth0" };
  // mail: µs, big-endian; dns: ns, little-endian; their timestamps interleave.
  const mailPcap = pcapFile({ le: false, nanos: false, snaplen: 65535 }, [
    { sec: 10, frac: 1, data: Buffer.from([0xa1, 1, 1]) },
    { sec: 10, frac: 3, data: Buffer.from([0xa2, 2, 2, 2, 2]) },
    { sec: 12, frac: 0, data: Buffer.from([0xa3]) },
  ]);
  const dnsPcap = pcapFile({ le: true, nanos: true, linktype: 113, snaplen: 262144 }, [
    { sec: 10, frac: 500, data: Buffer.from([0xb1, 1, 1, 1]) },
    { sec: 10, frac: 3000, data: Buffer.from([0xb2, 2]) },
    { sec: 11, frac: 0, data: Buffer.from([0xb3, 3, 3, 3, 3, 3, 3, 3, 3]) },
  ]);

  it("writes an SHB, an IDB per capture, then all packets in timestamp order with their interface ids", () => {
    const result = mergeToPcapng([{ iface: mail, pcap: mailPcap }, { iface: dns, pcap: dnsPcap }], { comment: "scenario mail-link-down" });
    expect(result).toMatchObject({ packets: 6, bytes: 3 + 5 + 1 + 4 + 2 + 9, truncated: false, skipped: [] });
    const blocks = walk(result.pcapng);
    expect(blocks.map((b) => b.type)).toEqual([0x0a0d0d0a, 1, 1, 6, 6, 6, 6, 6, 6]);

    const shb = readShb(blocks[0]!);
    expect(shb).toMatchObject({ magic: 0x1a2b3c4d, major: 1, minor: 0, sectionLength: -1n });
    expect(text(shb.options, 4)).toEqual(["l7lab"]);
    expect(text(shb.options, 1)).toEqual(["scenario mail-link-down"]);

    const [idbMail, idbDns] = [readIdb(blocks[1]!), readIdb(blocks[2]!)];
    expect(idbMail).toMatchObject({ linktype: 1, reserved: 0, snaplen: 65535 });
    expect(idbDns).toMatchObject({ linktype: 113, reserved: 0, snaplen: 262144 });
    expect(text(idbMail.options, 2)).toEqual(["mail-crepes/eth1"]);
    expect(text(idbMail.options, 3)).toEqual(["mail-crepes on network internet (10.0.0.25)"]);
    expect(text(idbDns.options, 2)).toEqual(["dns/eth0"]);
    expect(text(idbDns.options, 3)).toEqual([]);
    for (const idb of [idbMail, idbDns]) expect(idb.options.filter(([c]) => c === 9)).toEqual([[9, Buffer.from([9])]]);

    expect(packetsOf(result.pcapng)).toEqual([
      { id: 1, tsNs: 10_000_000_500n, first: 0xb1 },
      { id: 0, tsNs: 10_000_001_000n, first: 0xa1 },
      { id: 0, tsNs: 10_000_003_000n, first: 0xa2 },
      { id: 1, tsNs: 10_000_003_000n, first: 0xb2 },
      { id: 1, tsNs: 11_000_000_000n, first: 0xb3 },
      { id: 0, tsNs: 12_000_000_000n, first: 0xa3 },
    ]);
    const epbs = blocks.filter((b) => b.type === 6).map(readEpb);
    expect(epbs.map((e) => e.capturedLength)).toEqual([4, 3, 5, 2, 9, 1]);
    expect(epbs.every((e) => e.originalLength === e.capturedLength && e.options.length === 0)).toBe(true);
  });

  it("keeps input order for equal timestamps, and file order within an input", () => {
    const a = pcapFile({ le: true, nanos: false }, [
      { sec: 1, frac: 0, data: Buffer.from([1]) },
      { sec: 1, frac: 0, data: Buffer.from([2]) },
    ]);
    const b = pcapFile({ le: true, nanos: true }, [{ sec: 1, frac: 0, data: Buffer.from([3]) }]);
    const order = (inputs: Buffer[]) => packetsOf(mergeToPcapng(inputs.map((pcap, i) => ({ iface: { name: `if${i}` }, pcap }))).pcapng).map((p) => p.first);
    expect(order([a, b])).toEqual([1, 2, 3]);
    expect(order([b, a])).toEqual([3, 1, 2]);
  });

  it("sorts packets that one capture has out of order", () => {
    const a = pcapFile({ le: true, nanos: false }, [
      { sec: 2, frac: 0, data: Buffer.from([2]) },
      { sec: 1, frac: 0, data: Buffer.from([1]) },
    ]);
    expect(packetsOf(mergeToPcapng([{ iface: { name: "a" }, pcap: a }]).pcapng).map((p) => p.first)).toEqual([1, 2]);
  });

  it("stops at limitBytes: the first packet that would pass it and all later ones are dropped", () => {
    const inputs = [{ iface: mail, pcap: mailPcap }, { iface: dns, pcap: dnsPcap }];
    // In time order the sizes are 4, 3, 5, 2, 9, 1.
    const cases = [
      { limitBytes: 0, packets: 0, bytes: 0, truncated: true },
      { limitBytes: 7, packets: 2, bytes: 7, truncated: true },
      { limitBytes: 13, packets: 3, bytes: 12, truncated: true },
      { limitBytes: 24, packets: 6, bytes: 24, truncated: false },
    ];
    for (const { limitBytes, ...expected } of cases) {
      const result = mergeToPcapng(inputs, { limitBytes });
      expect(result).toMatchObject(expected);
      const blocks = walk(result.pcapng);
      expect(blocks.filter((b) => b.type === 1)).toHaveLength(2);
      expect(blocks.filter((b) => b.type === 6).map(readEpb).reduce((sum, e) => sum + e.capturedLength, 0)).toBe(expected.bytes);
    }
  });

  it("describes a capture with a header and no packets, and skips one shorter than a header", () => {
    const empty = pcapHeader({ le: true, nanos: false, linktype: 1, snaplen: 262144 });
    const result = mergeToPcapng([
      { iface: { name: "quiet/eth0" }, pcap: empty },
      { iface: { name: "never-started/eth0" }, pcap: Buffer.alloc(0) },
      { iface: { name: "cut/eth0" }, pcap: empty.subarray(0, 23) },
      { iface: mail, pcap: mailPcap },
    ]);
    expect(result).toMatchObject({ packets: 3, bytes: 9, truncated: false, skipped: ["never-started/eth0", "cut/eth0"] });
    const blocks = walk(result.pcapng);
    const names = blocks.filter((b) => b.type === 1).map((b) => text(readIdb(b).options, 2)[0]);
    expect(names).toEqual(["quiet/eth0", "mail-crepes/eth1"]);
    expect(new Set(packetsOf(result.pcapng).map((p) => p.id))).toEqual(new Set([1]));
  });

  it("writes a valid file of only the SHB when there is nothing to merge", () => {
    const result = mergeToPcapng([]);
    expect(result).toEqual({ pcapng: new PcapngWriter().header(), packets: 0, bytes: 0, truncated: false, skipped: [] });
  });

  it("keeps the whole packets of a capture whose last record was cut off", () => {
    const cut = Buffer.concat([mailPcap, pcapRecord({ sec: 13, frac: 0, data: Buffer.alloc(50) }, false).subarray(0, 30)]);
    const result = mergeToPcapng([{ iface: mail, pcap: cut }]);
    expect(result).toMatchObject({ packets: 3, bytes: 9, truncated: false });
    expect(walk(result.pcapng)).toHaveLength(5);
  });

  it("refuses an input that is not classic pcap, naming its interface", () => {
    expect(() => mergeToPcapng([{ iface: mail, pcap: Buffer.alloc(24, 0x55) }])).toThrow(/pcap stream of mail-crepes\/eth1: magic number 0x55555555/);
  });
});
