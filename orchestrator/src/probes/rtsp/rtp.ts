import type { SequenceGap } from "./types.ts";

/**
 * RTP data packets (RFC 3550 section 5.1) and the receiver's statistics of appendix A: sequence
 * number validation and extension (A.1), the numbers an RR reports (A.3), interarrival jitter (A.8).
 */

export interface RtpPacket {
  version: number;
  padding: boolean;
  extension: boolean;
  csrcCount: number;
  marker: boolean;
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  csrcs: number[];
  /** The header extension's profile-defined 16 bits, when there is one. */
  extensionProfile: number | null;
  payloadOffset: number;
  payloadLength: number;
  /** Padding octets at the end (0 without the P bit). */
  paddingLength: number;
}

export type RtpParseResult = { ok: true; packet: RtpPacket } | { ok: false; reason: string };

/** Parses and checks an RTP packet (the A.1 validity checks that need no state). */
export function parseRtpPacket(buf: Buffer): RtpParseResult {
  if (buf.length < 12) return { ok: false, reason: `${buf.length} bytes, shorter than the 12-byte RTP header` };
  const b0 = buf[0]!;
  const b1 = buf[1]!;
  const version = b0 >> 6;
  if (version !== 2) return { ok: false, reason: `version ${version}, not 2` };
  const padding = (b0 & 0x20) !== 0;
  const extension = (b0 & 0x10) !== 0;
  const csrcCount = b0 & 0x0f;
  const marker = (b1 & 0x80) !== 0;
  const payloadType = b1 & 0x7f;
  // 72-76 with the marker bit are RTCP SR, RR, SDES, BYE and APP (RFC 3550 A.1, RFC 5761 4).
  if (payloadType >= 72 && payloadType <= 76) return { ok: false, reason: `payload type ${payloadType}: an RTCP packet (type ${payloadType + 128}), not RTP` };
  let offset = 12 + 4 * csrcCount;
  if (buf.length < offset) return { ok: false, reason: `${csrcCount} CSRCs do not fit in ${buf.length} bytes` };
  const csrcs: number[] = [];
  for (let i = 0; i < csrcCount; i++) csrcs.push(buf.readUInt32BE(12 + 4 * i));
  let extensionProfile: number | null = null;
  if (extension) {
    if (buf.length < offset + 4) return { ok: false, reason: "the header extension does not fit" };
    extensionProfile = buf.readUInt16BE(offset);
    const words = buf.readUInt16BE(offset + 2);
    offset += 4 + 4 * words;
    if (buf.length < offset) return { ok: false, reason: `a header extension of ${words} words does not fit` };
  }
  let paddingLength = 0;
  if (padding) {
    paddingLength = buf[buf.length - 1]!;
    if (paddingLength === 0 || offset + paddingLength > buf.length) return { ok: false, reason: `a padding count of ${paddingLength} does not fit` };
  }
  return {
    ok: true,
    packet: {
      version,
      padding,
      extension,
      csrcCount,
      marker,
      payloadType,
      sequence: buf.readUInt16BE(2),
      timestamp: buf.readUInt32BE(4),
      ssrc: buf.readUInt32BE(8),
      csrcs,
      extensionProfile,
      payloadOffset: offset,
      payloadLength: buf.length - offset - paddingLength,
      paddingLength,
    },
  };
}

export interface RtpPacketSpec {
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
  payload?: Buffer;
  csrcs?: number[];
  /** Padding octets to add (sets the P bit). */
  padding?: number;
  extension?: { profile: number; data: Buffer };
}

/** Builds an RTP packet (for tests and the test server). */
export function buildRtpPacket(spec: RtpPacketSpec): Buffer {
  const csrcs = spec.csrcs ?? [];
  const head = Buffer.alloc(12 + 4 * csrcs.length);
  head[0] = 0x80 | (spec.padding ? 0x20 : 0) | (spec.extension ? 0x10 : 0) | csrcs.length;
  head[1] = (spec.marker ? 0x80 : 0) | (spec.payloadType & 0x7f);
  head.writeUInt16BE(spec.sequence & 0xffff, 2);
  head.writeUInt32BE(spec.timestamp >>> 0, 4);
  head.writeUInt32BE(spec.ssrc >>> 0, 8);
  csrcs.forEach((c, i) => head.writeUInt32BE(c >>> 0, 12 + 4 * i));
  const parts: Buffer[] = [head];
  if (spec.extension) {
    const data = spec.extension.data;
    const words = Math.ceil(data.length / 4);
    const ext = Buffer.alloc(4 + 4 * words);
    ext.writeUInt16BE(spec.extension.profile, 0);
    ext.writeUInt16BE(words, 2);
    data.copy(ext, 4);
    parts.push(ext);
  }
  parts.push(spec.payload ?? Buffer.alloc(0));
  if (spec.padding) {
    const pad = Buffer.alloc(spec.padding);
    pad[pad.length - 1] = spec.padding;
    parts.push(pad);
  }
  return Buffer.concat(parts);
}

/** "1C3C2D7B". */
export const ssrcHex = (ssrc: number): string => (ssrc >>> 0).toString(16).toUpperCase().padStart(8, "0");

export const RTP_SEQ_MOD = 1 << 16;
/** The constants of RFC 3550 A.1. */
export const MAX_DROPOUT = 3000;
export const MAX_MISORDER = 100;
export const MIN_SEQUENTIAL = 2;
/** How many gaps `largestGaps` lists. */
export const LARGEST_GAPS = 5;

export type SequenceVerdict = "probation" | "new" | "duplicate" | "reordered" | "discarded" | "restart";

interface Hole {
  /** Extended sequence numbers of the first and last missing packet. */
  start: number;
  end: number;
  atMs: number;
}

const seq16 = (extended: number) => ((extended % RTP_SEQ_MOD) + RTP_SEQ_MOD) % RTP_SEQ_MOD;

/**
 * RFC 3550 A.1 for one source: probation of a new source (MIN_SEQUENTIAL in-order packets), the
 * extended highest sequence number with wraparound (cycles), the restart after a confirmed large
 * jump (bad_seq), and the priors of A.3. One change: the packets that end a probation or confirm
 * a restart are counted (the base is the first of them), where the RFC's code counts from the
 * last; so a clean stream has expected = received = packets.
 *
 * It also finds duplicates, late (reordered) packets and gaps, which A.1 does not: a forward jump
 * opens a gap of the numbers skipped; a late packet that falls in a gap fills it (and counts as
 * reordered), one that does not is a duplicate. A gap more than MAX_MISORDER behind the highest
 * number can no longer be filled (A.1 would take such a packet for a jump) and becomes final.
 */
export class SequenceTracker {
  #started = false;
  #probation = 0;
  /** The extended number of the first counted packet of this epoch (can be -1 after a start at 65535). */
  baseSeq = 0;
  maxSeq = 0;
  /** Wraps, in units of 65536 (as the RFC's `cycles`). */
  cycles = 0;
  badSeq = RTP_SEQ_MOD + 1;
  /** Packets counted in this epoch (A.1 counts duplicates and late packets too). */
  received = 0;
  expectedPrior = 0;
  receivedPrior = 0;
  /** Whether an epoch has begun (probation is over). */
  validated = false;
  #earlierExpected = 0;
  #earlierReceived = 0;
  duplicates = 0;
  reordered = 0;
  restarts = 0;
  /** Gaps opened (a split of a gap by a late packet opens one more) and gaps filled entirely. */
  gapsOpened = 0;
  gapsFilled = 0;
  #holes: Hole[] = [];
  #finalGaps = 0;
  #largest: SequenceGap[] = [];
  firstSeq: number | null = null;
  lastSeq: number | null = null;

  /** Takes the sequence number of a valid packet of this source; says how A.1 classed it. */
  update(seq: number, atMs = 0): SequenceVerdict {
    this.firstSeq ??= seq;
    this.lastSeq = seq;
    if (!this.#started) {
      // init_seq(seq); max_seq = seq - 1; probation = MIN_SEQUENTIAL; then update_seq(seq) takes one.
      this.#started = true;
      this.maxSeq = seq;
      this.#probation = MIN_SEQUENTIAL - 1;
      if (this.#probation === 0) {
        this.#startEpoch(seq, 1);
        return "new";
      }
      return "probation";
    }
    const udelta = (seq - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    if (this.#probation > 0) {
      if (seq === (this.maxSeq + 1) % RTP_SEQ_MOD) {
        this.#probation -= 1;
        this.maxSeq = seq;
        if (this.#probation === 0) {
          this.#startEpoch(seq, MIN_SEQUENTIAL);
          return "new";
        }
        return "probation";
      }
      this.#probation = MIN_SEQUENTIAL - 1;
      this.maxSeq = seq;
      return "probation";
    }
    if (udelta < MAX_DROPOUT) {
      this.received += 1;
      if (udelta === 0) {
        this.duplicates += 1;
        return "duplicate";
      }
      const before = this.extendedMax;
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
      const now = this.extendedMax;
      if (now > before + 1) {
        this.#holes.push({ start: before + 1, end: now - 1, atMs });
        this.gapsOpened += 1;
      }
      this.#settleHoles(now - MAX_MISORDER);
      return "new";
    }
    if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      if (seq === this.badSeq) {
        // Two sequential packets after a large jump: the source restarted; re-sync.
        this.#settleHoles(Infinity);
        this.#earlierExpected += this.expected;
        this.#earlierReceived += this.received;
        this.restarts += 1;
        this.#startEpoch(seq, 2);
        return "restart";
      }
      this.badSeq = (seq + 1) % RTP_SEQ_MOD;
      return "discarded";
    }
    // A duplicate or a late packet, at most MAX_MISORDER behind the highest number.
    this.received += 1;
    const extended = this.extendedMax - (RTP_SEQ_MOD - udelta);
    if (this.#fill(extended) || extended < this.baseSeq) {
      this.reordered += 1;
      return "reordered";
    }
    this.duplicates += 1;
    return "duplicate";
  }

  /** cycles + max_seq: the extended highest sequence number an RR reports. */
  get extendedMax(): number {
    return this.cycles + this.maxSeq;
  }

  /** Expected in this epoch: extended_max - base_seq + 1 (0 before probation ends). */
  get expected(): number {
    return this.validated ? this.extendedMax - this.baseSeq + 1 : 0;
  }

  /** Expected and received over every epoch. */
  get totalExpected(): number {
    return this.#earlierExpected + this.expected;
  }

  get totalReceived(): number {
    return this.#earlierReceived + this.received;
  }

  /** Gaps not filled: final ones and those that a late packet could still fill. */
  get gaps(): number {
    return this.#finalGaps + this.#holes.length;
  }

  get wraps(): number {
    return this.cycles / RTP_SEQ_MOD;
  }

  largestGaps(): SequenceGap[] {
    return [...this.#largest, ...this.#holes.map((h) => this.#gapOf(h))].sort((a, b) => b.missing - a.missing || a.atMs - b.atMs).slice(0, LARGEST_GAPS);
  }

  /** A.3: the numbers of one reception report block, updating the priors. */
  reportNumbers(): { fractionLost: number; cumulativeLost: number; extendedHighestSeq: number } {
    const expected = this.expected;
    const lost = Math.max(-0x800000, Math.min(0x7fffff, expected - this.received));
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.received - this.receivedPrior;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.min(255, Math.floor((lostInterval * 256) / expectedInterval));
    return { fractionLost, cumulativeLost: lost, extendedHighestSeq: this.extendedMax >>> 0 };
  }

  #startEpoch(seq: number, counted: number): void {
    this.validated = true;
    this.baseSeq = seq - (counted - 1);
    this.maxSeq = seq;
    this.cycles = 0;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.received = counted;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
    this.#holes = [];
  }

  /** A late packet: removes its number from the gap that holds it. */
  #fill(extended: number): boolean {
    for (let i = this.#holes.length - 1; i >= 0; i--) {
      const h = this.#holes[i]!;
      if (extended > h.end) return false;
      if (extended < h.start) continue;
      if (h.start === h.end) {
        this.#holes.splice(i, 1);
        this.gapsFilled += 1;
      } else if (extended === h.start) h.start += 1;
      else if (extended === h.end) h.end -= 1;
      else {
        this.#holes.splice(i + 1, 0, { start: extended + 1, end: h.end, atMs: h.atMs });
        h.end = extended - 1;
        this.gapsOpened += 1;
      }
      return true;
    }
    return false;
  }

  /** Makes final the gaps that end before `limit` (every gap, for Infinity). */
  #settleHoles(limit: number): void {
    while (this.#holes.length > 0 && this.#holes[0]!.end < limit) {
      const gap = this.#gapOf(this.#holes.shift()!);
      this.#finalGaps += 1;
      this.#largest.push(gap);
      this.#largest.sort((a, b) => b.missing - a.missing || a.atMs - b.atMs);
      this.#largest.length = Math.min(this.#largest.length, LARGEST_GAPS);
    }
  }

  #gapOf(h: Hole): SequenceGap {
    return { fromSeq: seq16(h.start), toSeq: seq16(h.end), missing: h.end - h.start + 1, atMs: h.atMs };
  }
}

/**
 * Interarrival jitter, RFC 3550 A.8: D(i-1, i) = (R_i - R_{i-1}) - (S_i - S_{i-1}) in timestamp
 * units, J += (|D| - J) / 16. Arrival times are ms, converted with the payload's clock rate; the
 * timestamp difference is taken modulo 2^32 (signed), so a timestamp wrap is no jump. A change of
 * clock rate restarts the differences (the estimate itself is kept).
 */
export class JitterEstimator {
  /** The estimate in timestamp units. */
  jitter = 0;
  /** The sum (in ms, each at its own clock rate) and count of |D|: their mean is what J estimates, without the 1/16 gain's noise. */
  sumAbsDeltaMs = 0;
  deltas = 0;
  #prev: { arrivalMs: number; timestamp: number; clockRate: number } | null = null;

  update(arrivalMs: number, timestamp: number, clockRate: number): number {
    const prev = this.#prev;
    if (prev !== null && prev.clockRate === clockRate) {
      const transitDelta = ((arrivalMs - prev.arrivalMs) * clockRate) / 1000 - ((timestamp - prev.timestamp) | 0);
      this.jitter += (Math.abs(transitDelta) - this.jitter) / 16;
      this.sumAbsDeltaMs += (Math.abs(transitDelta) / clockRate) * 1000;
      this.deltas += 1;
    }
    this.#prev = { arrivalMs, timestamp: timestamp >>> 0, clockRate };
    return this.jitter;
  }

  get clockRate(): number | null {
    return this.#prev?.clockRate ?? null;
  }
}
