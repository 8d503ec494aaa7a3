import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  decodePacket,
  describePacket,
  encodePacket,
  NetasciiDecoder,
  netasciiDecode,
  netasciiEncode,
  TFTP_ERRORS,
  tftpErrorName,
  type TftpPacket,
  TftpPacketError,
} from "./packet.ts";

/** Bytes written out: numbers are octets, strings their ASCII octets (no NUL added). */
function bytes(...parts: (number | string)[]): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === "number" ? Buffer.from([p]) : Buffer.from(p, "latin1"))));
}

describe("encodePacket and decodePacket: byte-exact vectors", () => {
  const cases: { title: string; packet: TftpPacket; wire: Buffer }[] = [
    {
      title: "RRQ without options",
      packet: { type: "RRQ", filename: "pxelinux.0", mode: "octet", options: {} },
      wire: bytes(0, 1, "pxelinux.0", 0, "octet", 0),
    },
    {
      title: "RRQ with blksize and tsize",
      packet: { type: "RRQ", filename: "pxelinux.0", mode: "octet", options: { blksize: "1468", tsize: "0" } },
      wire: bytes(0, 1, "pxelinux.0", 0, "octet", 0, "blksize", 0, "1468", 0, "tsize", 0, "0", 0),
    },
    {
      title: "WRQ netascii with timeout and an unknown option",
      packet: { type: "WRQ", filename: "upload/notes.txt", mode: "netascii", options: { timeout: "3", windowsize: "4" } },
      wire: bytes(0, 2, "upload/notes.txt", 0, "netascii", 0, "timeout", 0, "3", 0, "windowsize", 0, "4", 0),
    },
    { title: "DATA 1 with 3 bytes", packet: { type: "DATA", block: 1, data: Buffer.from("abc") }, wire: bytes(0, 3, 0, 1, "abc") },
    { title: "DATA 65535, empty", packet: { type: "DATA", block: 65535, data: Buffer.alloc(0) }, wire: bytes(0, 3, 0xff, 0xff) },
    { title: "DATA 258 with binary bytes", packet: { type: "DATA", block: 258, data: Buffer.from([0, 0x0d, 0xff]) }, wire: bytes(0, 3, 1, 2, 0, 0x0d, 0xff) },
    { title: "ACK 0", packet: { type: "ACK", block: 0 }, wire: bytes(0, 4, 0, 0) },
    { title: "ACK 65535", packet: { type: "ACK", block: 65535 }, wire: bytes(0, 4, 0xff, 0xff) },
    { title: "ERROR with an empty message", packet: { type: "ERROR", code: 0, message: "" }, wire: bytes(0, 5, 0, 0, 0) },
    { title: "OACK", packet: { type: "OACK", options: { blksize: "1468", tsize: "43210" } }, wire: bytes(0, 6, "blksize", 0, "1468", 0, "tsize", 0, "43210", 0) },
    { title: "OACK without options", packet: { type: "OACK", options: {} }, wire: bytes(0, 6) },
  ];
  it.each(cases)("$title", ({ packet, wire }) => {
    expect(encodePacket(packet)).toEqual(wire);
    expect(decodePacket(wire)).toEqual(packet);
  });

  it.each(TFTP_ERRORS.map((e) => ({ ...e, message: e.name })))("ERROR $code $name", ({ code, message }) => {
    const wire = bytes(0, 5, 0, code, message, 0);
    expect(encodePacket({ type: "ERROR", code, message })).toEqual(wire);
    expect(decodePacket(wire)).toEqual({ type: "ERROR", code, message });
  });

  it("decodes the mode and option names case-insensitively, keeping values as sent", () => {
    expect(decodePacket(bytes(0, 1, "BOOT/Kernel", 0, "OCTET", 0, "BlkSize", 0, "1024", 0, "X-Vendor", 0, "Some Value", 0))).toEqual({
      type: "RRQ",
      filename: "BOOT/Kernel",
      mode: "octet",
      options: { blksize: "1024", "x-vendor": "Some Value" },
    });
  });

  it("a DATA packet's data is the rest of the datagram", () => {
    const packet = decodePacket(bytes(0, 3, 0, 7, ...Array.from({ length: 512 }, () => 0x41))) as { data: Buffer };
    expect(packet.data.length).toBe(512);
  });
});

describe("decodePacket rejects malformed packets", () => {
  const big = Buffer.concat([bytes(0, 3, 0, 1), Buffer.alloc(65465)]);
  const cases: { title: string; wire: Buffer; message: string; opcode: number | undefined }[] = [
    { title: "empty", wire: bytes(), message: "truncated packet: 0 byte(s), not even an opcode", opcode: undefined },
    { title: "one byte", wire: bytes(0), message: "truncated packet: 1 byte(s), not even an opcode", opcode: undefined },
    { title: "opcode 0", wire: bytes(0, 0, 0, 1), message: "unknown opcode 0", opcode: undefined },
    { title: "opcode 7", wire: bytes(0, 7, 0, 1), message: "unknown opcode 7", opcode: undefined },
    { title: "RRQ with nothing", wire: bytes(0, 1), message: "RRQ: truncated, no filename", opcode: 1 },
    { title: "RRQ filename without NUL", wire: bytes(0, 1, "abc"), message: "RRQ: the filename is not terminated by NUL", opcode: 1 },
    { title: "RRQ without mode", wire: bytes(0, 1, "abc", 0), message: "RRQ: truncated, no mode", opcode: 1 },
    { title: "WRQ mode without NUL", wire: bytes(0, 2, "abc", 0, "octet"), message: "WRQ: the mode is not terminated by NUL", opcode: 2 },
    { title: "RRQ empty filename", wire: bytes(0, 1, 0, "octet", 0), message: "RRQ: the filename is empty", opcode: 1 },
    { title: "RRQ empty mode", wire: bytes(0, 1, "a", 0, 0), message: "RRQ: the mode is empty", opcode: 1 },
    { title: "an option without value", wire: bytes(0, 1, "a", 0, "octet", 0, "blksize", 0), message: 'RRQ: option "blksize" has no value', opcode: 1 },
    { title: "an option value without NUL", wire: bytes(0, 1, "a", 0, "octet", 0, "blksize", 0, "512"), message: "RRQ: an option is not terminated by NUL", opcode: 1 },
    { title: "an empty option name", wire: bytes(0, 1, "a", 0, "octet", 0, 0, "1", 0), message: "RRQ: an option name is empty", opcode: 1 },
    { title: "a repeated option", wire: bytes(0, 6, "tsize", 0, "1", 0, "TSIZE", 0, "2", 0), message: 'OACK: option "tsize" appears twice', opcode: 6 },
    { title: "blksize 7", wire: bytes(0, 6, "blksize", 0, "7", 0), message: "OACK: blksize=7 is not a whole number between 8 and 65464", opcode: 6 },
    { title: "blksize 65465", wire: bytes(0, 6, "blksize", 0, "65465", 0), message: "OACK: blksize=65465 is not a whole number between 8 and 65464", opcode: 6 },
    { title: "blksize not a number", wire: bytes(0, 1, "a", 0, "octet", 0, "blksize", 0, "big", 0), message: "RRQ: blksize=big is not a whole number between 8 and 65464", opcode: 1 },
    { title: "timeout 0", wire: bytes(0, 6, "timeout", 0, "0", 0), message: "OACK: timeout=0 is not a whole number of seconds between 1 and 255", opcode: 6 },
    { title: "timeout 256", wire: bytes(0, 6, "timeout", 0, "256", 0), message: "OACK: timeout=256 is not a whole number of seconds between 1 and 255", opcode: 6 },
    { title: "tsize negative", wire: bytes(0, 6, "tsize", 0, "-1", 0), message: "OACK: tsize=-1 is not a whole number >= 0", opcode: 6 },
    { title: "tsize 1.5", wire: bytes(0, 6, "tsize", 0, "1.5", 0), message: "OACK: tsize=1.5 is not a whole number >= 0", opcode: 6 },
    { title: "OACK option without NUL", wire: bytes(0, 6, "tsize"), message: "OACK: an option is not terminated by NUL", opcode: 6 },
    { title: "DATA without block", wire: bytes(0, 3, 0), message: "DATA: truncated, 3 bytes, less than the 4-byte header", opcode: 3 },
    { title: "DATA larger than any blksize", wire: big, message: "DATA: 65465 bytes of data, more than 65464", opcode: 3 },
    { title: "ACK of 3 bytes", wire: bytes(0, 4, 0), message: "ACK: 3 bytes, an ACK has exactly 4", opcode: 4 },
    { title: "ACK of 5 bytes", wire: bytes(0, 4, 0, 1, 0), message: "ACK: 5 bytes, an ACK has exactly 4", opcode: 4 },
    { title: "ERROR without code", wire: bytes(0, 5, 0), message: "ERROR: truncated, 3 bytes, less than the 4-byte header", opcode: 5 },
    { title: "ERROR message without NUL", wire: bytes(0, 5, 0, 1, "File not found"), message: "ERROR: the message is not terminated by NUL", opcode: 5 },
    { title: "ERROR with bytes after the message", wire: bytes(0, 5, 0, 1, "x", 0, "y"), message: "ERROR: 1 byte(s) after the message", opcode: 5 },
  ];
  it.each(cases)("$title", ({ wire, message, opcode }) => {
    let thrown: unknown;
    try {
      decodePacket(wire);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(TftpPacketError);
    expect((thrown as TftpPacketError).message).toBe(message);
    expect((thrown as TftpPacketError).opcode).toBe(opcode);
  });
});

describe("encodePacket refuses what cannot be sent", () => {
  it.each([
    { title: "a NUL in the filename", packet: { type: "RRQ", filename: "a\0b", mode: "octet", options: {} }, message: "the filename must not contain NUL" },
    { title: "an empty filename", packet: { type: "WRQ", filename: "", mode: "octet", options: {} }, message: "the filename must not be empty" },
    { title: "a NUL in an option value", packet: { type: "OACK", options: { x: "1\0" } }, message: "option x's value must not contain NUL" },
    { title: "block 65536", packet: { type: "ACK", block: 65536 }, message: "block 65536 is not between 0 and 65535" },
    { title: "block -1", packet: { type: "DATA", block: -1, data: Buffer.alloc(0) }, message: "block -1 is not between 0 and 65535" },
    { title: "error code 70000", packet: { type: "ERROR", code: 70000, message: "" }, message: "error code 70000 is not between 0 and 65535" },
  ] as { title: string; packet: TftpPacket; message: string }[])("$title", ({ packet, message }) => {
    expect(() => encodePacket(packet)).toThrow(TftpPacketError);
    expect(() => encodePacket(packet)).toThrow(message);
  });
});

describe("ERROR codes", () => {
  it.each([
    { code: 0, symbol: "EUNDEF", name: "Not defined" },
    { code: 1, symbol: "ENOTFOUND", name: "File not found" },
    { code: 2, symbol: "EACCESS", name: "Access violation" },
    { code: 3, symbol: "ENOSPACE", name: "Disk full or allocation exceeded" },
    { code: 4, symbol: "EBADOP", name: "Illegal TFTP operation" },
    { code: 5, symbol: "EBADID", name: "Unknown transfer ID" },
    { code: 6, symbol: "EEXISTS", name: "File already exists" },
    { code: 7, symbol: "ENOUSER", name: "No such user" },
    { code: 8, symbol: "EOPTNEG", name: "Option negotiation refused" },
  ])("$code is $symbol, $name", ({ code, symbol, name }) => {
    expect(TFTP_ERRORS[code]).toEqual({ code, symbol, name });
    expect(tftpErrorName(code)).toBe(name);
  });

  it("codes beyond 8 have no textbook name", () => {
    expect(tftpErrorName(9)).toBe("Unknown error code 9");
    expect(TFTP_ERRORS).toHaveLength(9);
  });
});

describe("describePacket", () => {
  it.each([
    { packet: { type: "RRQ", filename: "pxelinux.0", mode: "octet", options: { blksize: "1468", tsize: "0" } }, text: 'RRQ "pxelinux.0" octet blksize=1468 tsize=0' },
    { packet: { type: "WRQ", filename: "a b", mode: "netascii", options: {} }, text: 'WRQ "a b" netascii' },
    { packet: { type: "OACK", options: { blksize: "1468", tsize: "43210" } }, text: "OACK blksize=1468 tsize=43210" },
    { packet: { type: "OACK", options: {} }, text: "OACK" },
    { packet: { type: "ACK", block: 0 }, text: "ACK 0" },
    { packet: { type: "DATA", block: 1, data: Buffer.alloc(1468) }, text: "DATA 1 (1468 bytes)" },
    { packet: { type: "DATA", block: 2, data: Buffer.alloc(1) }, text: "DATA 2 (1 byte)" },
    { packet: { type: "ERROR", code: 1, message: "File not found" }, text: "ERROR 1 File not found" },
    { packet: { type: "ERROR", code: 1, message: "" }, text: "ERROR 1 File not found" },
    { packet: { type: "ERROR", code: 2, message: "Permission denied" }, text: 'ERROR 2 Access violation "Permission denied"' },
    { packet: { type: "ERROR", code: 42, message: "odd" }, text: 'ERROR 42 Unknown error code 42 "odd"' },
  ] as { packet: TftpPacket; text: string }[])("$text", ({ packet, text }) => {
    expect(describePacket(packet)).toBe(text);
  });
});

describe("netascii", () => {
  it.each([
    { title: "plain text is unchanged", local: "abc", wire: "abc" },
    { title: "LF becomes CR LF", local: "a\nb\n", wire: "a\r\nb\r\n" },
    { title: "a bare CR becomes CR NUL", local: "a\rb", wire: "a\r\0b" },
    { title: "a local CR LF is a bare CR and a newline", local: "a\r\n", wire: "a\r\0\r\n" },
    { title: "empty", local: "", wire: "" },
  ])("$title", ({ local, wire }) => {
    expect(netasciiEncode(Buffer.from(local, "latin1")).toString("latin1")).toBe(wire);
    expect(netasciiDecode(Buffer.from(wire, "latin1")).toString("latin1")).toBe(local);
  });

  it.each([
    { title: "a CR followed by another byte is kept as it is", wire: "a\rb", local: "a\rb" },
    { title: "a CR at the very end is kept", wire: "a\r", local: "a\r" },
  ])("decoding is lenient: $title", ({ wire, local }) => {
    expect(netasciiDecode(Buffer.from(wire, "latin1")).toString("latin1")).toBe(local);
  });

  it.each([
    { title: "CR | LF", chunks: ["line\r", "\nnext"], local: "line\nnext" },
    { title: "CR | NUL", chunks: ["a\r", "\0b"], local: "a\rb" },
    { title: "CR | empty block | LF", chunks: ["a\r", "", "\n"], local: "a\n" },
    { title: "CR | other byte", chunks: ["a\r", "x"], local: "a\rx" },
    { title: "CR | CR LF", chunks: ["\r", "\r\n"], local: "\r\n" },
    { title: "CR at the end of the last block", chunks: ["abc\r"], local: "abc\r" },
  ])("the decoder joins a CR split across blocks: $title", ({ chunks, local }) => {
    const decoder = new NetasciiDecoder();
    const out = Buffer.concat([...chunks.map((c) => decoder.push(Buffer.from(c, "latin1"))), decoder.end()]);
    expect(out.toString("latin1")).toBe(local);
  });

  it("round-trips random bytes cut into blocks of every size from 1 to 9", () => {
    const local = randomBytes(2000);
    // Plenty of CRs and LFs, some next to each other.
    for (let i = 0; i < local.length; i += 3) local[i] = i % 2 === 0 ? 0x0d : 0x0a;
    const wire = netasciiEncode(local);
    for (let size = 1; size <= 9; size++) {
      const decoder = new NetasciiDecoder();
      const parts: Buffer[] = [];
      for (let at = 0; at < wire.length; at += size) parts.push(decoder.push(wire.subarray(at, at + size)));
      parts.push(decoder.end());
      expect(Buffer.concat(parts).equals(local)).toBe(true);
    }
  });
});
