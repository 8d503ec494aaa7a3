import { describe, expect, it } from "vitest";
import { TrackReceiver } from "./receiver.ts";
import { buildBye, buildSdesCname, buildSr, parseRtcpCompound } from "./rtcp.ts";
import { buildRtpPacket } from "./rtp.ts";

const SSRC = 0x1c3c2d7b;
const pcmu = (seq: number, timestamp: number, ssrc = SSRC) => buildRtpPacket({ payloadType: 0, sequence: seq, timestamp, ssrc, payload: Buffer.alloc(160) });
const receiver = () => new TrackReceiver(0, (pt) => (pt === 0 ? 8000 : null));

describe("TrackReceiver: RTP", () => {
  it("counts packets of the main source; other SSRCs and invalid datagrams apart", () => {
    const r = receiver();
    expect(r.onRtp(pcmu(10, 0), 0)).toMatchObject({ kind: "rtp", first: true });
    expect(r.onRtp(pcmu(11, 160), 20)).toMatchObject({ kind: "rtp", first: false });
    expect(r.onRtp(pcmu(500, 0, 0x1234), 25)).toMatchObject({ kind: "other-ssrc" });
    expect(r.onRtp(Buffer.from("hello"), 30)).toEqual({ kind: "invalid", reason: "5 bytes, shorter than the 12-byte RTP header" });
    expect(r.rtpStats(null)).toMatchObject({ packets: 2, payloadBytes: 320, invalid: 1, otherSsrcPackets: 1, ssrc: "1C3C2D7B", payloadTypes: [0], expected: 2, received: 2, lost: 0 });
  });

  it("reports A.8 jitter in timestamp units and ms, and the timing of the packets", () => {
    const r = receiver();
    [0, 20, 45, 60, 80].forEach((at, i) => r.onRtp(pcmu(100 + i, 160 * i), 1000 + at));
    const stats = r.rtpStats(990);
    expect(stats).toMatchObject({
      jitter: 4.54,
      jitterMs: 0.568,
      // |D| = 0, 5, 5, 0 ms: a plain mean of 2.5 ms, where J, started at 0, has only reached 0.568.
      meanTransitDeltaMs: 2.5,
      clockRate: 8000,
      firstPacketAtMs: 1000,
      lastPacketAtMs: 1080,
      firstPacketAfterPlayMs: 10,
      packetsPerSecond: 50,
      firstSeq: 100,
      lastSeq: 104,
      extendedHighestSeq: 104,
    });
  });

  it("without a clock rate there is no jitter", () => {
    const r = new TrackReceiver(1, () => null);
    r.onRtp(buildRtpPacket({ payloadType: 96, sequence: 1, timestamp: 1, ssrc: 1 }), 0);
    r.onRtp(buildRtpPacket({ payloadType: 96, sequence: 2, timestamp: 2, ssrc: 1 }), 10);
    expect(r.rtpStats(null)).toMatchObject({ jitter: null, jitterMs: null, meanTransitDeltaMs: null, clockRate: null, packets: 2 });
  });

  it("counts the packets of a failed probation as discarded", () => {
    const r = receiver();
    for (const [i, seq] of [10, 12, 11, 13, 14].entries()) r.onRtp(pcmu(seq, seq * 160), i * 20);
    expect(r.rtpStats(null)).toMatchObject({ packets: 5, received: 2, expected: 2, discarded: 3 });
  });

  it("a window is the difference of two snapshots", () => {
    const r = receiver();
    r.onRtp(pcmu(1, 0), 0);
    r.onRtp(pcmu(2, 160), 20);
    const start = r.snapshot();
    r.onRtp(pcmu(3, 320), 40);
    r.onRtp(pcmu(6, 800), 100);
    r.onRtp(pcmu(6, 800), 101);
    const w = r.windowStats(start, r.snapshot(), 1000, { firstMs: 10, lastMs: 71 });
    expect(w).toMatchObject({ index: 0, packets: 3, payloadBytes: 480, expected: 4, lost: 1, lossFraction: 0.25, duplicates: 1, gaps: 1, firstPacketMs: 10, lastPacketMs: 71, packetsPerSecond: 3 });
  });
});

describe("TrackReceiver: RTCP", () => {
  it("counts SR, SDES and BYE, keeps the last SR and the CNAME", () => {
    const r = receiver();
    const sr = buildSr({ ssrc: SSRC, ntpSeconds: 0xe9f0a1b2, ntpFraction: 0, rtpTimestamp: 99, packetCount: 7, octetCount: 1120, reports: [] });
    expect(r.onRtcp(Buffer.concat([sr, buildSdesCname(SSRC, "gst@media")]), 500)).toMatchObject({ kind: "rtcp" });
    r.onRtcp(Buffer.concat([sr, buildBye(SSRC)]), 900);
    expect(r.onRtcp(Buffer.from([1, 2, 3]), 950)).toMatchObject({ kind: "invalid" });
    expect(r.rtcpStats()).toEqual({
      packets: 2,
      senderReports: 2,
      receiverReports: 0,
      sdes: 1,
      byes: 1,
      app: 0,
      unknown: 0,
      invalid: 1,
      cname: "gst@media",
      firstSrAtMs: 500,
      lastSr: { ssrc: "1C3C2D7B", ntpSeconds: 0xe9f0a1b2, ntpFraction: 0, ntpTime: "2024-05-16T15:16:02.000Z", rtpTimestamp: 99, packetCount: 7, octetCount: 1120, atMs: 900 },
      rrSent: 0,
      byeSent: false,
    });
  });

  it("the RR's block: A.3 numbers, jitter, LSR from the last SR, DLSR in 1/65536 s", () => {
    const r = receiver();
    [0, 20, 45, 60, 80].forEach((at, i) => r.onRtp(pcmu(100 + i + (i >= 3 ? 1 : 0), 160 * i), at));
    r.onRtcp(buildSr({ ssrc: SSRC, ntpSeconds: 0x12345678, ntpFraction: 0x9abcdef0, rtpTimestamp: 0, packetCount: 0, octetCount: 0, reports: [] }), 1000);
    const { packet, block } = r.receiverReport(0xaabbccdd, "l7lab@127.0.0.1", 1500);
    expect(block).toEqual({ ssrc: SSRC, fractionLost: 42, cumulativeLost: 1, extendedHighestSeq: 105, jitter: 4, lsr: 0x56789abc, dlsr: 32768 });
    const parsed = parseRtcpCompound(packet);
    expect(parsed.packets[0]).toEqual({ type: "RR", ssrc: 0xaabbccdd, reports: [block] });
    expect(parsed.packets[1]).toMatchObject({ type: "SDES", chunks: [{ cname: "l7lab@127.0.0.1" }] });
    expect(r.rtcpStats().rrSent).toBe(1);
  });

  it("before any SR: LSR and DLSR 0; before any packet: no block", () => {
    const r = receiver();
    expect(r.receiverReport(1, "x", 0).block).toBeNull();
    r.onRtp(pcmu(1, 0), 0);
    r.onRtp(pcmu(2, 160), 20);
    const { block, packet } = r.receiverReport(1, "x", 100, true);
    expect(block).toMatchObject({ lsr: 0, dlsr: 0, cumulativeLost: 0 });
    expect(parseRtcpCompound(packet).packets.map((p) => p.type)).toEqual(["RR", "SDES", "BYE"]);
    expect(r.rtcpStats()).toMatchObject({ rrSent: 2, byeSent: true });
  });
});
