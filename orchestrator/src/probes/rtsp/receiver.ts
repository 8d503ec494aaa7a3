import { buildReceiverReport, ntpMiddle, ntpToIso, parseRtcpCompound, type ReportBlock, type RtcpPacket } from "./rtcp.ts";
import { JitterEstimator, parseRtpPacket, type RtpPacket, SequenceTracker, ssrcHex } from "./rtp.ts";
import type { RtcpSenderReportInfo, RtcpStats, RtpStats, WindowTrackStats } from "./types.ts";

/**
 * What one track receives: its RTP packets (from the first SSRC heard: the sender's) through the
 * A.1 sequence rules and the A.8 jitter estimate, its RTCP packets counted, and the reception
 * report the probe sends back (A.3 numbers, LSR/DLSR from the last SR of that sender).
 */

const ms1 = (x: number) => Math.round(x * 10) / 10;
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

export type RtpVerdict =
  | { kind: "invalid"; reason: string }
  | { kind: "other-ssrc"; packet: RtpPacket }
  | { kind: "rtp"; packet: RtpPacket; first: boolean };

export type RtcpVerdict = { kind: "invalid"; reason: string } | { kind: "rtcp"; packets: RtcpPacket[]; problems: string[] };

/** The counters a receive window compares at its start and end. */
export interface ReceiverSnapshot {
  packets: number;
  payloadBytes: number;
  expected: number;
  received: number;
  duplicates: number;
  reordered: number;
  gapsOpened: number;
  gapsFilled: number;
  rtcpPackets: number;
  senderReports: number;
}

export class TrackReceiver {
  readonly index: number;
  readonly #clockRateFor: (payloadType: number) => number | null;
  readonly seq = new SequenceTracker();
  readonly #jitter = new JitterEstimator();
  packets = 0;
  payloadBytes = 0;
  invalid = 0;
  otherSsrcPackets = 0;
  ssrc: number | null = null;
  readonly #payloadTypes = new Set<number>();
  firstAtMs: number | null = null;
  lastAtMs: number | null = null;
  /** The clock rate of the last packet with a known one. */
  #clockRate: number | null = null;

  readonly rtcp: Omit<RtcpStats, "lastSr" | "firstSrAtMs"> = {
    packets: 0,
    senderReports: 0,
    receiverReports: 0,
    sdes: 0,
    byes: 0,
    app: 0,
    unknown: 0,
    invalid: 0,
    cname: null,
    rrSent: 0,
    byeSent: false,
  };
  lastSr: RtcpSenderReportInfo | null = null;
  firstSrAtMs: number | null = null;
  /** The last SR of the main source, for LSR and DLSR. */
  #srForReport: { middle: number; atMs: number } | null = null;

  constructor(index: number, clockRateFor: (payloadType: number) => number | null) {
    this.index = index;
    this.#clockRateFor = clockRateFor;
  }

  /** One datagram or interleaved frame from the track's RTP channel, received at `atMs`. */
  onRtp(buf: Buffer, atMs: number): RtpVerdict {
    const parsed = parseRtpPacket(buf);
    if (!parsed.ok) {
      this.invalid += 1;
      return { kind: "invalid", reason: parsed.reason };
    }
    const p = parsed.packet;
    if (this.ssrc === null) this.ssrc = p.ssrc;
    else if (p.ssrc !== this.ssrc) {
      this.otherSsrcPackets += 1;
      return { kind: "other-ssrc", packet: p };
    }
    const first = this.packets === 0;
    this.packets += 1;
    this.payloadBytes += p.payloadLength;
    this.#payloadTypes.add(p.payloadType);
    this.firstAtMs ??= atMs;
    this.lastAtMs = atMs;
    this.seq.update(p.sequence, atMs);
    const rate = this.#clockRateFor(p.payloadType);
    if (rate !== null && rate > 0) {
      this.#clockRate = rate;
      this.#jitter.update(atMs, p.timestamp, rate);
    }
    return { kind: "rtp", packet: p, first };
  }

  /** One datagram or frame from the track's RTCP channel. */
  onRtcp(buf: Buffer, atMs: number): RtcpVerdict {
    const parsed = parseRtcpCompound(buf);
    if (!parsed.valid) {
      this.rtcp.invalid += 1;
      return { kind: "invalid", reason: parsed.problems.at(-1) ?? "not RTCP" };
    }
    this.rtcp.packets += 1;
    for (const packet of parsed.packets) {
      switch (packet.type) {
        case "SR":
          this.rtcp.senderReports += 1;
          this.firstSrAtMs ??= atMs;
          this.lastSr = {
            ssrc: ssrcHex(packet.ssrc),
            ntpSeconds: packet.ntpSeconds,
            ntpFraction: packet.ntpFraction,
            ntpTime: ntpToIso(packet.ntpSeconds, packet.ntpFraction),
            rtpTimestamp: packet.rtpTimestamp,
            packetCount: packet.packetCount,
            octetCount: packet.octetCount,
            atMs: ms1(atMs),
          };
          if (this.ssrc === null || packet.ssrc === this.ssrc) this.#srForReport = { middle: ntpMiddle(packet.ntpSeconds, packet.ntpFraction), atMs };
          break;
        case "RR":
          this.rtcp.receiverReports += 1;
          break;
        case "SDES":
          this.rtcp.sdes += 1;
          for (const chunk of packet.chunks) {
            if (chunk.cname !== null && (this.ssrc === null || chunk.ssrc === this.ssrc || this.rtcp.cname === null)) this.rtcp.cname = chunk.cname;
          }
          break;
        case "BYE":
          this.rtcp.byes += 1;
          break;
        case "APP":
          this.rtcp.app += 1;
          break;
        default:
          this.rtcp.unknown += 1;
          break;
      }
    }
    return { kind: "rtcp", packets: parsed.packets, problems: parsed.problems };
  }

  /** The reception report block about the main source at `atMs` (A.3), or null before one is validated. */
  reportBlock(atMs: number): ReportBlock | null {
    if (this.ssrc === null || !this.seq.validated) return null;
    const numbers = this.seq.reportNumbers();
    const sr = this.#srForReport;
    return {
      ssrc: this.ssrc,
      ...numbers,
      jitter: Math.floor(this.#jitter.jitter) >>> 0,
      lsr: sr?.middle ?? 0,
      dlsr: sr ? Math.round(((atMs - sr.atMs) / 1000) * 65536) : 0,
    };
  }

  /** The compound RR (+ SDES CNAME, + BYE) to send now; counted as sent. */
  receiverReport(ourSsrc: number, cname: string, atMs: number, bye = false): { packet: Buffer; block: ReportBlock | null } {
    const block = this.reportBlock(atMs);
    const packet = buildReceiverReport({ ssrc: ourSsrc, reports: block ? [block] : [], cname, bye });
    this.rtcp.rrSent += 1;
    if (bye) this.rtcp.byeSent = true;
    return { packet, block };
  }

  get jitter(): number | null {
    return this.#clockRate === null || this.packets < 2 ? null : this.#jitter.jitter;
  }

  get jitterMs(): number | null {
    const j = this.jitter;
    return j === null || this.#clockRate === null ? null : (j / this.#clockRate) * 1000;
  }

  get meanTransitDeltaMs(): number | null {
    const e = this.#jitter;
    return e.deltas === 0 ? null : e.sumAbsDeltaMs / e.deltas;
  }

  snapshot(): ReceiverSnapshot {
    return {
      packets: this.packets,
      payloadBytes: this.payloadBytes,
      expected: this.seq.totalExpected,
      received: this.seq.totalReceived,
      duplicates: this.seq.duplicates,
      reordered: this.seq.reordered,
      gapsOpened: this.seq.gapsOpened,
      gapsFilled: this.seq.gapsFilled,
      rtcpPackets: this.rtcp.packets,
      senderReports: this.rtcp.senderReports,
    };
  }

  /** The difference of two snapshots as one window's statistics. */
  windowStats(start: ReceiverSnapshot, end: ReceiverSnapshot, windowMs: number, times: { firstMs: number | null; lastMs: number | null }): WindowTrackStats {
    const expected = end.expected - start.expected;
    const lost = expected - (end.received - start.received);
    return {
      index: this.index,
      packets: end.packets - start.packets,
      payloadBytes: end.payloadBytes - start.payloadBytes,
      expected,
      lost,
      lossFraction: expected > 0 ? round(Math.max(0, lost) / expected, 4) : 0,
      duplicates: end.duplicates - start.duplicates,
      reordered: end.reordered - start.reordered,
      gaps: end.gapsOpened - start.gapsOpened - (end.gapsFilled - start.gapsFilled),
      jitter: this.jitter === null ? null : round(this.jitter, 2),
      jitterMs: this.jitterMs === null ? null : round(this.jitterMs, 3),
      firstPacketMs: times.firstMs === null ? null : ms1(times.firstMs),
      lastPacketMs: times.lastMs === null ? null : ms1(times.lastMs),
      packetsPerSecond: windowMs > 0 ? round(((end.packets - start.packets) * 1000) / windowMs, 1) : 0,
      rtcpPackets: end.rtcpPackets - start.rtcpPackets,
      senderReports: end.senderReports - start.senderReports,
    };
  }

  /** The cumulative RTP statistics; `playReplyAtMs` is when the first PLAY reply came. */
  rtpStats(playReplyAtMs: number | null): RtpStats {
    const s = this.seq;
    const expected = s.totalExpected;
    const received = s.totalReceived;
    const lost = expected - received;
    const span = this.firstAtMs !== null && this.lastAtMs !== null ? this.lastAtMs - this.firstAtMs : 0;
    return {
      packets: this.packets,
      payloadBytes: this.payloadBytes,
      invalid: this.invalid,
      otherSsrcPackets: this.otherSsrcPackets,
      ssrc: this.ssrc === null ? null : ssrcHex(this.ssrc),
      payloadTypes: [...this.#payloadTypes].sort((a, b) => a - b),
      firstSeq: s.firstSeq,
      lastSeq: s.lastSeq,
      extendedHighestSeq: s.validated ? s.extendedMax : null,
      wraps: s.wraps,
      expected,
      received,
      lost,
      lossFraction: expected > 0 ? round(Math.max(0, lost) / expected, 4) : 0,
      gaps: s.gaps,
      largestGaps: s.largestGaps().map((g) => ({ ...g, atMs: ms1(g.atMs) })),
      duplicates: s.duplicates,
      reordered: s.reordered,
      discarded: this.packets - received,
      restarts: s.restarts,
      jitter: this.jitter === null ? null : round(this.jitter, 2),
      jitterMs: this.jitterMs === null ? null : round(this.jitterMs, 3),
      meanTransitDeltaMs: this.meanTransitDeltaMs === null ? null : round(this.meanTransitDeltaMs, 3),
      clockRate: this.#clockRate,
      firstPacketAtMs: this.firstAtMs === null ? null : ms1(this.firstAtMs),
      lastPacketAtMs: this.lastAtMs === null ? null : ms1(this.lastAtMs),
      firstPacketAfterPlayMs: this.firstAtMs === null || playReplyAtMs === null ? null : ms1(this.firstAtMs - playReplyAtMs),
      packetsPerSecond: this.packets >= 2 && span > 0 ? round(((this.packets - 1) * 1000) / span, 1) : null,
    };
  }

  rtcpStats(): RtcpStats {
    return { ...this.rtcp, firstSrAtMs: this.firstSrAtMs === null ? null : ms1(this.firstSrAtMs), lastSr: this.lastSr };
  }
}
