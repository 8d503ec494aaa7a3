import { describe, expect, it } from "vitest";
import { buildRtpPacket, JitterEstimator, parseRtpPacket, SequenceTracker, ssrcHex } from "./rtp.ts";

describe("parseRtpPacket", () => {
  it("reads every header field", () => {
    const buf = buildRtpPacket({
      payloadType: 26,
      sequence: 65535,
      timestamp: 0xfffffff0,
      ssrc: 0x1c3c2d7b,
      marker: true,
      csrcs: [1, 0xdeadbeef],
      extension: { profile: 0xbede, data: Buffer.from([1, 2, 3, 4, 5]) },
      payload: Buffer.from("jpeg!"),
      padding: 3,
    });
    const parsed = parseRtpPacket(buf);
    expect(parsed).toEqual({
      ok: true,
      packet: {
        version: 2,
        padding: true,
        extension: true,
        csrcCount: 2,
        marker: true,
        payloadType: 26,
        sequence: 65535,
        timestamp: 0xfffffff0,
        ssrc: 0x1c3c2d7b,
        csrcs: [1, 0xdeadbeef],
        extensionProfile: 0xbede,
        payloadOffset: 12 + 8 + 4 + 8,
        payloadLength: 5,
        paddingLength: 3,
      },
    });
  });

  it("a plain PCMU packet: the payload after 12 bytes", () => {
    const buf = Buffer.concat([Buffer.from("80001234000000a0cafebabe", "hex"), Buffer.alloc(160, 0xff)]);
    expect(parseRtpPacket(buf)).toMatchObject({ ok: true, packet: { payloadType: 0, marker: false, sequence: 0x1234, timestamp: 160, ssrc: 0xcafebabe, payloadOffset: 12, payloadLength: 160 } });
  });

  it.each([
    { title: "too short", hex: "80000001", reason: "4 bytes, shorter than the 12-byte RTP header" },
    { title: "version 1", hex: "40000001000000000000000000", reason: "version 1, not 2" },
    { title: "an RTCP SR", hex: "80c8000600000001000000000000000000000000000000000000000000", reason: "payload type 72: an RTCP packet (type 200), not RTP" },
    { title: "an RTCP RR", hex: "81c90007", reason: "4 bytes, shorter than the 12-byte RTP header" },
    { title: "CSRCs beyond the end", hex: "8f0000010000000000000000", reason: "15 CSRCs do not fit in 12 bytes" },
    { title: "an extension beyond the end", hex: "900000010000000000000000bede0004", reason: "a header extension of 4 words does not fit" },
    { title: "a zero padding count", hex: "a000000100000000000000000000", reason: "a padding count of 0 does not fit" },
    { title: "a padding count beyond the payload", hex: "a00000010000000000000000ff09", reason: "a padding count of 9 does not fit" },
  ])("refuses $title", ({ hex, reason }) => {
    expect(parseRtpPacket(Buffer.from(hex, "hex"))).toEqual({ ok: false, reason });
  });

  it("ssrcHex is 8 upper-case digits", () => {
    expect(ssrcHex(0xbadcafe)).toBe("0BADCAFE");
  });
});

/** Feeds sequence numbers to a tracker; returns it and the verdicts. */
function track(seqs: number[]) {
  const t = new SequenceTracker();
  const verdicts = seqs.map((s, i) => t.update(s, i * 20));
  return { t, verdicts };
}

describe("SequenceTracker (RFC 3550 A.1)", () => {
  it("a clean stream: every packet expected and received", () => {
    const { t, verdicts } = track([100, 101, 102, 103, 104]);
    expect(verdicts).toEqual(["probation", "new", "new", "new", "new"]);
    expect({ expected: t.totalExpected, received: t.totalReceived, ext: t.extendedMax, gaps: t.gaps, dup: t.duplicates, re: t.reordered }).toEqual({
      expected: 5,
      received: 5,
      ext: 104,
      gaps: 0,
      dup: 0,
      re: 0,
    });
  });

  it("losses: a gap of the missing numbers", () => {
    const { t } = track([100, 101, 102, 105, 106, 110]);
    expect([t.totalExpected, t.totalReceived, t.gaps]).toEqual([11, 6, 2]);
    expect(t.largestGaps()).toEqual([
      { fromSeq: 107, toSeq: 109, missing: 3, atMs: 100 },
      { fromSeq: 103, toSeq: 104, missing: 2, atMs: 60 },
    ]);
  });

  it("a duplicate is received twice, so lost goes negative", () => {
    const { t, verdicts } = track([100, 101, 102, 102, 103, 101]);
    expect(verdicts.slice(3)).toEqual(["duplicate", "new", "duplicate"]);
    expect([t.totalExpected, t.totalReceived, t.totalExpected - t.totalReceived, t.duplicates]).toEqual([4, 6, -2, 2]);
  });

  it("a late packet fills its gap and counts as reordered", () => {
    const { t, verdicts } = track([100, 101, 103, 102, 104]);
    expect(verdicts).toEqual(["probation", "new", "new", "reordered", "new"]);
    expect([t.totalExpected, t.totalReceived, t.gaps, t.reordered, t.gapsOpened, t.gapsFilled]).toEqual([5, 5, 0, 1, 1, 1]);
  });

  it("a late packet in the middle of a gap splits it", () => {
    const { t } = track([1, 2, 10, 5]);
    expect(t.gaps).toBe(2);
    expect(t.largestGaps().map((g) => [g.fromSeq, g.toSeq])).toEqual([
      [6, 9],
      [3, 4],
    ]);
  });

  it("wraps past 65535: cycles count, nothing is lost", () => {
    const { t } = track([65533, 65534, 65535, 0, 1, 2]);
    expect([t.totalExpected, t.totalReceived, t.cycles, t.wraps, t.extendedMax, t.maxSeq]).toEqual([6, 6, 65536, 1, 65538, 2]);
  });

  it("a loss across the wrap is one gap of 16-bit numbers", () => {
    const { t } = track([65533, 65534, 65535, 1, 2]);
    expect([t.totalExpected, t.totalReceived, t.gaps]).toEqual([6, 5, 1]);
    expect(t.largestGaps()).toEqual([{ fromSeq: 0, toSeq: 0, missing: 1, atMs: 60 }]);
  });

  it("a late packet from before the wrap is placed before it", () => {
    const { t, verdicts } = track([65533, 65534, 0, 65535, 1]);
    expect(verdicts).toEqual(["probation", "new", "new", "reordered", "new"]);
    expect([t.totalExpected, t.totalReceived, t.gaps]).toEqual([5, 5, 0]);
  });

  it("probation may end across the wrap (the base is then -1)", () => {
    const { t } = track([65535, 0, 1]);
    expect([t.baseSeq, t.totalExpected, t.totalReceived]).toEqual([-1, 3, 3]);
  });

  it("probation restarts until two packets are in order; the packets before do not count", () => {
    const { t, verdicts } = track([10, 12, 11, 13, 14, 15]);
    expect(verdicts).toEqual(["probation", "probation", "probation", "probation", "new", "new"]);
    expect([t.baseSeq, t.totalExpected, t.totalReceived]).toEqual([13, 3, 3]);
  });

  it("a single large jump is discarded; the stream goes on", () => {
    const { t, verdicts } = track([100, 101, 102, 30000, 103]);
    expect(verdicts.slice(3)).toEqual(["discarded", "new"]);
    expect([t.totalExpected, t.totalReceived, t.restarts]).toEqual([4, 4, 0]);
  });

  it("a large jump confirmed by the next packet restarts the count (both counted)", () => {
    const { t, verdicts } = track([100, 101, 102, 30000, 30001, 30002]);
    expect(verdicts.slice(3)).toEqual(["discarded", "restart", "new"]);
    expect([t.restarts, t.baseSeq, t.extendedMax, t.expected, t.totalExpected, t.totalReceived]).toEqual([1, 30000, 30002, 3, 6, 6]);
  });

  it("a packet more than MAX_MISORDER behind is a jump, not a late packet", () => {
    const seqs = [...Array.from({ length: 10 }, (_, i) => i), ...Array.from({ length: 110 }, (_, i) => i + 11)];
    const { t } = track(seqs);
    expect(t.gaps).toBe(1);
    expect(t.update(10, 5000)).toBe("discarded");
    expect(t.largestGaps()).toEqual([{ fromSeq: 10, toSeq: 10, missing: 1, atMs: 200 }]);
  });

  it("a packet from just before the first counted one is late (received, not expected)", () => {
    const { t, verdicts } = track([100, 101, 99]);
    expect(verdicts[2]).toBe("reordered");
    expect([t.totalExpected, t.totalReceived]).toEqual([2, 3]);
  });

  it("lists at most 5 gaps, largest first", () => {
    const seqs = [0, 1, 3, 7, 9, 14, 16, 18, 25];
    const { t } = track(seqs);
    expect(t.gaps).toBe(7);
    // Gaps: 2, 4-6, 8, 10-13, 15, 17, 19-24.
    expect(t.largestGaps().map((g) => g.missing)).toEqual([6, 4, 3, 1, 1]);
  });
});

describe("SequenceTracker.reportNumbers (RFC 3550 A.3)", () => {
  it("fraction lost of each interval, cumulative lost, extended highest", () => {
    const t = new SequenceTracker();
    for (let s = 0; s < 10; s++) t.update(s);
    expect(t.reportNumbers()).toEqual({ fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 9 });
    for (let s = 10; s < 20; s++) if (s !== 15 && s !== 16) t.update(s);
    // expected 10, received 8 in the interval: (2 << 8) / 10 = 51.
    expect(t.reportNumbers()).toEqual({ fractionLost: 51, cumulativeLost: 2, extendedHighestSeq: 19 });
    expect(t.reportNumbers()).toEqual({ fractionLost: 0, cumulativeLost: 2, extendedHighestSeq: 19 });
    t.update(19);
    t.update(18);
    // Duplicates only: lost in the interval is negative, the fraction 0; cumulative lost drops.
    expect(t.reportNumbers()).toEqual({ fractionLost: 0, cumulativeLost: 0, extendedHighestSeq: 19 });
  });

  it("the extended highest number carries the wraps", () => {
    const t = new SequenceTracker();
    for (const s of [65534, 65535, 0, 1]) t.update(s);
    expect(t.reportNumbers().extendedHighestSeq).toBe(65537);
  });
});

describe("JitterEstimator (RFC 3550 A.8)", () => {
  it("matches a hand computation: J += (|D| - J) / 16", () => {
    // PCMU, 8000 Hz, 160 timestamp units (20 ms) per packet; arrivals at 0, 20, 45, 60, 80 ms.
    // D in timestamp units: 0, +40, -40, 0. J: 0, 2.5, 2.5 + 37.5/16 = 4.84375, 4.84375 - 4.84375/16.
    const j = new JitterEstimator();
    const arrivals = [0, 20, 45, 60, 80];
    const values = arrivals.map((a, i) => j.update(a, 1000 + 160 * i, 8000));
    expect(values).toEqual([0, 0, 2.5, 4.84375, 4.541015625]);
    expect((j.jitter / 8000) * 1000).toBeCloseTo(0.5676, 4);
  });

  it("a timestamp wrap is no jump", () => {
    const j = new JitterEstimator();
    j.update(0, 0xffffffa0, 90000);
    expect(j.update(40, (0xffffffa0 + 3600) >>> 0, 90000)).toBe(0);
  });

  it("the same timestamp over several packets (a video frame) counts their spread", () => {
    const j = new JitterEstimator();
    j.update(0, 5000, 90000);
    // 1 ms later with the same timestamp: D = 90 units.
    expect(j.update(1, 5000, 90000)).toBe(90 / 16);
  });

  it("a change of clock rate restarts the differences", () => {
    const j = new JitterEstimator();
    j.update(0, 0, 8000);
    j.update(25, 160, 8000);
    const before = j.jitter;
    expect(j.update(30, 999999, 90000)).toBe(before);
    expect(j.clockRate).toBe(90000);
  });
});
