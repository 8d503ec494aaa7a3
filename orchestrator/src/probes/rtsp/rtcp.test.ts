import { describe, expect, it } from "vitest";
import { buildBye, buildReceiverReport, buildSdesCname, buildSr, ntpMiddle, ntpToIso, parseRtcpCompound, unixMsToNtp } from "./rtcp.ts";

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ""), "hex");

describe("buildReceiverReport", () => {
  it("writes RR + SDES CNAME byte for byte (RFC 3550 6.4.2, 6.5)", () => {
    const bytes = buildReceiverReport({
      ssrc: 0x11223344,
      cname: "l7lab@10.0.0.7",
      reports: [{ ssrc: 0x1c3c2d7b, fractionLost: 51, cumulativeLost: -2, extendedHighestSeq: 65537, jitter: 37, lsr: 0xa1b2c3d4, dlsr: 98304 }],
    });
    expect(bytes.toString("hex")).toBe(
      hex(`
        81 c9 00 07  11 22 33 44
        1c 3c 2d 7b  33 ff ff fe  00 01 00 01  00 00 00 25  a1 b2 c3 d4  00 01 80 00
        81 ca 00 06  11 22 33 44  01 0e 6c 37 6c 61 62 40 31 30 2e 30 2e 30 2e 37  00 00 00 00
      `).toString("hex"),
    );
  });

  it("with no report block: RC 0; with BYE: a third packet", () => {
    const bytes = buildReceiverReport({ ssrc: 0xaabbccdd, cname: "ab", reports: [], bye: true });
    expect(bytes.toString("hex")).toBe(hex("80 c9 00 01 aabbccdd   81 ca 00 03 aabbccdd 01 02 61 62 00 00 00 00   81 cb 00 01 aabbccdd").toString("hex"));
  });

  it("clamps the cumulative loss to 24 bits and the fraction to 255", () => {
    const bytes = buildReceiverReport({
      ssrc: 1,
      cname: "x",
      reports: [{ ssrc: 2, fractionLost: 300, cumulativeLost: 10_000_000, extendedHighestSeq: 0, jitter: 0, lsr: 0, dlsr: 0 }],
    });
    const rr = parseRtcpCompound(bytes).packets[0];
    expect(rr).toMatchObject({ type: "RR", reports: [{ fractionLost: 255, cumulativeLost: 0x7fffff }] });
  });

  it("an SDES CNAME is padded with at least one null octet to 32 bits", () => {
    for (const name of ["", "a", "ab", "abc", "abcd", "abcde"]) {
      const sdes = buildSdesCname(7, name);
      expect(sdes.length % 4).toBe(0);
      expect(sdes[sdes.length - 1]).toBe(0);
      expect(parseRtcpCompound(Buffer.concat([buildReceiverReport({ ssrc: 7, cname: name, reports: [] })])).packets[1]).toEqual({
        type: "SDES",
        chunks: [{ ssrc: 7, items: [{ type: 1, value: name }], cname: name }],
      });
    }
  });
});

describe("parseRtcpCompound", () => {
  const sr = buildSr({ ssrc: 0x1c3c2d7b, ntpSeconds: 0xe9f0a1b2, ntpFraction: 0x80000000, rtpTimestamp: 123456, packetCount: 50, octetCount: 8000, reports: [] });

  it("reads gst's SR + SDES", () => {
    const parsed = parseRtcpCompound(Buffer.concat([sr, buildSdesCname(0x1c3c2d7b, "user@media")]));
    expect(parsed).toEqual({
      valid: true,
      problems: [],
      packets: [
        { type: "SR", ssrc: 0x1c3c2d7b, ntpSeconds: 0xe9f0a1b2, ntpFraction: 0x80000000, rtpTimestamp: 123456, packetCount: 50, octetCount: 8000, reports: [] },
        { type: "SDES", chunks: [{ ssrc: 0x1c3c2d7b, items: [{ type: 1, value: "user@media" }], cname: "user@media" }] },
      ],
    });
  });

  it("reads an SR with a report block, a BYE with a reason, an APP and an unknown type", () => {
    const block = { ssrc: 9, fractionLost: 1, cumulativeLost: -5, extendedHighestSeq: 70000, jitter: 12, lsr: 3, dlsr: 4 };
    const withBlock = buildSr({ ssrc: 1, ntpSeconds: 2, ntpFraction: 3, rtpTimestamp: 4, packetCount: 5, octetCount: 6, reports: [block] });
    const byeWithReason = hex("81 cb 00 03 00000001 04 62 79 65 21 000000");
    const app = hex("82 cc 00 02 00000001 6c 37 6c 62");
    const xr = hex("80 cf 00 00");
    const parsed = parseRtcpCompound(Buffer.concat([withBlock, byeWithReason, app, xr]));
    expect(parsed.valid).toBe(true);
    expect(parsed.packets).toEqual([
      { type: "SR", ssrc: 1, ntpSeconds: 2, ntpFraction: 3, rtpTimestamp: 4, packetCount: 5, octetCount: 6, reports: [block] },
      { type: "BYE", ssrcs: [1], reason: "bye!" },
      { type: "APP", ssrc: 1, subtype: 2, name: "l7lb" },
      { type: "unknown", packetType: 207 },
    ]);
  });

  it("notes A.2 deviations but keeps the packets", () => {
    const parsed = parseRtcpCompound(Buffer.concat([buildBye(5), sr]));
    expect(parsed.valid).toBe(true);
    expect(parsed.problems).toEqual(["the compound packet begins with type 203, not SR or RR (A.2)"]);
    expect(parsed.packets.map((p) => p.type)).toEqual(["BYE", "SR"]);
  });

  it("takes padding off the last packet", () => {
    const padded = hex("a1 cb 00 02 00000001 00000004");
    expect(parseRtcpCompound(padded)).toMatchObject({ valid: true, packets: [{ type: "BYE", ssrcs: [1], reason: null }] });
  });

  it.each([
    { title: "too short", bytes: hex("80c9"), problem: "2 bytes, shorter than an RTCP header" },
    { title: "version 1", bytes: hex("40c9000100000001"), problem: "packet 1: version 1, not 2" },
    { title: "a length beyond the datagram", bytes: hex("80c9000500000001"), problem: "packet 1 (type 201) says 24 bytes; 8 are left" },
    { title: "stray bytes after the last packet", bytes: hex("80c9000100000001ff"), problem: "1 stray bytes after the last packet" },
    { title: "an RR whose blocks do not fit", bytes: hex("81c9000100000001"), problem: "an RR with 1 report blocks needs 32 bytes" },
    { title: "an SDES item beyond its packet", bytes: hex("81ca00020000000101ff0000"), problem: "SDES item of type 1 does not fit" },
    { title: "a padding count beyond the packet", bytes: hex("a1cb00010000000f"), problem: "packet 1: a padding count of 15 does not fit" },
  ])("refuses $title", ({ bytes, problem }) => {
    const parsed = parseRtcpCompound(bytes);
    expect(parsed.valid).toBe(false);
    expect(parsed.problems.at(-1)).toBe(problem);
  });
});

describe("NTP timestamps", () => {
  it("ntpMiddle is the middle 32 bits (the LSR field)", () => {
    expect(ntpMiddle(0x12345678, 0x9abcdef0)).toBe(0x56789abc);
  });

  it("ntpToIso: era 0 and era 1, and null for zero", () => {
    expect(ntpToIso(NTP_2024, 0x80000000)).toBe("2024-01-01T00:00:00.500Z");
    expect(ntpToIso(0, 0)).toBeNull();
    expect(ntpToIso(1, 0)).toBe("2036-02-07T06:28:17.000Z");
  });

  it("unixMsToNtp and back", () => {
    const { seconds, fraction } = unixMsToNtp(Date.UTC(2024, 0, 1, 0, 0, 0, 250));
    expect(seconds).toBe(NTP_2024);
    expect(fraction).toBe(2 ** 30);
    expect(ntpToIso(seconds, fraction)).toBe("2024-01-01T00:00:00.250Z");
  });
});

/** 2024-01-01T00:00:00Z in NTP seconds. */
const NTP_2024 = Date.UTC(2024, 0, 1) / 1000 + 2_208_988_800;
