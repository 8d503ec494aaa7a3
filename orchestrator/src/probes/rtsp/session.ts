import { randomBytes } from "node:crypto";
import type dgram from "node:dgram";
import net from "node:net";
import { type Clock, startTimer, stopwatch, systemClock } from "../../common/clock.ts";
import { ProbeNetworkError } from "../../common/errors.ts";
import type { Transcript } from "../transcript.ts";
import { RtspConnection } from "./connection.ts";
import { baseUrlOf, buildTransport, parsePublic, parseRtpInfo, parseSessionHeader, parseTransport, sameUrl } from "./headers.ts";
import type { InterleavedFrame, RtspRequest, RtspResponse } from "./message.ts";
import { receiveMsOf, type RtspAction } from "./params.ts";
import { type ReceiverSnapshot, TrackReceiver } from "./receiver.ts";
import { ssrcHex } from "./rtp.ts";
import { clockRateOf, parseSdp } from "./sdp.ts";
import { bindUdpPair, closeSocket, plainAddress, type UdpPair } from "./transport.ts";
import type {
  ActionBase,
  DescribeResult,
  GetParameterResult,
  OptionsResult,
  PlayResult,
  RawRequestResult,
  RtspActionName,
  RtspActionResult,
  RtspResult,
  RtspTransportMode,
  SessionDescription,
  SetupResult,
  SetupTrackResult,
  StopResult,
  TrackResult,
  WaitResult,
} from "./types.ts";

/**
 * The client side of one RTSP presentation: runs the actions in order over one control
 * connection (opening another only when the server closed it, as gst-rtsp-server does after
 * TEARDOWN), keeps the session (its id goes on every request after SETUP), receives RTP and RTCP
 * per track over UDP port pairs or interleaved channels, sends RTCP receiver reports about once a
 * second while a session plays, and collects the result. Refusals are results; a timeout or a
 * broken connection throws (ProbeTimeoutError, ProbeNetworkError) with `result()` still usable.
 */

/** Receiver reports: the first this long after PLAY, then one per interval (RFC 3550 6.2 asks >= 5 s in general; a short probe wants some). */
export const FIRST_RR_MS = 500;
export const RR_INTERVAL_MS = 1000;
/** Transcript notes: SRs shown per track, invalid packets shown per track. */
const SR_NOTES = 3;
const INVALID_NOTES = 3;

const ms1 = (x: number) => Math.round(x * 10) / 10;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
const is2xx = (status: number) => status >= 200 && status < 300;

/** A request and its reply. */
interface Exchange {
  response: RtspResponse;
  cseq: number;
  sentAt: number;
  replyAt: number;
}
const hostForUrl = (host: string) => (net.isIPv6(host) ? `[${host}]` : host);

export interface RtspSessionOptions {
  /** The address to connect to. */
  host: string;
  port: number;
  /** The host as URLs name it (a lab host name, or the address). */
  urlHost: string;
  path: string;
  transport: RtspTransportMode;
  timeoutMs: number;
  actions: readonly RtspAction[];
  signal: AbortSignal;
  transcript: Transcript;
  /** What times the receive windows, the receiver reports, the timeouts and the results' ms; default the system clock. */
  clock?: Clock;
}

/** A track as the result shows it (the SDP's fields, SETUP's outcome), plus what receiving needs. */
interface TrackState extends Pick<TrackResult, "index" | "media" | "control" | "controlUrl" | "payloadType" | "encoding" | "clockRate" | "channels" | "setUp" | "transport" | "interleaved"> {
  receiver: TrackReceiver;
  udp: UdpPair | null;
  srNotes: number;
  invalidNotes: number;
  otherSsrcNoted: boolean;
  rrNoted: boolean;
  noTargetNoted: boolean;
}

/** What arrived while one action ran (from its request to the end of its receive window). */
class ReceiveWindow {
  readonly startedAt: number;
  replyAt: number | null = null;
  readonly start = new Map<number, ReceiverSnapshot>();
  readonly times = new Map<number, { first: number | null; last: number | null }>();
  firstAny: number | null = null;
  rtp = 0;
  rtcp = 0;
  beforeReply = 0;
  afterReply = 0;
  lastAfterReply: number | null = null;

  constructor(startedAt: number, tracks: readonly TrackState[]) {
    this.startedAt = startedAt;
    for (const t of tracks) this.start.set(t.index, t.receiver.snapshot());
  }

  onRtp(index: number, at: number): void {
    this.rtp += 1;
    this.firstAny ??= at;
    const t = this.times.get(index) ?? { first: null, last: null };
    t.first ??= at;
    t.last = at;
    this.times.set(index, t);
    if (this.replyAt === null) this.beforeReply += 1;
    else {
      this.afterReply += 1;
      this.lastAfterReply = at;
    }
  }
}

export class RtspSession {
  readonly #o: RtspSessionOptions;
  readonly #clock: Clock;
  /** ms since the session started. */
  readonly #elapsed: () => number;
  readonly #url: string;
  readonly #peer: string;
  readonly #ssrc = randomBytes(4).readUInt32BE(0);
  readonly data: RtspResult;
  #conn: RtspConnection | null = null;
  #cseq = 0;
  #tracks: TrackState[] = [];
  #sdp: SessionDescription | null = null;
  #session: { id: string; timeout: number | null } | null = null;
  #sessionActive = false;
  readonly #windows = new Set<ReceiveWindow>();
  readonly #channels = new Map<number, { track: TrackState; rtcp: boolean }>();
  /** Cancels the receiver reports' timer, while one is armed. */
  #rrTimer: (() => void) | null = null;
  #firstPlayReplyAt: number | null = null;
  #cname = "l7lab@localhost";
  #closed = false;
  #closing: Promise<void> | null = null;
  #finished = false;
  #strayNoted = false;
  #unmatchedEarlier = 0;
  #unknownChannelNoted = false;

  constructor(options: RtspSessionOptions) {
    this.#o = options;
    this.#clock = options.clock ?? systemClock;
    this.#elapsed = stopwatch(this.#clock);
    this.#url = `rtsp://${hostForUrl(options.urlHost)}:${options.port}${options.path}`;
    this.#peer = `${hostForUrl(options.host)}:${options.port}`;
    this.data = {
      url: this.#url,
      transport: options.transport,
      server: this.#peer,
      serverSoftware: null,
      actions: [],
      session: null,
      sdp: null,
      tracks: [],
      totals: { rtpPackets: 0, expected: 0, lost: 0, lossFraction: 0, lossPercent: 0 },
      connections: 0,
      serverRequests: [],
      strayPackets: 0,
      unknownChannelFrames: 0,
      unmatchedReplies: 0,
      durationMs: 0,
    };
  }

  /** ms since the session started. */
  #now(): number {
    return this.#elapsed();
  }

  /** Connects, then runs every action in order. */
  async run(): Promise<void> {
    await this.#connection();
    for (const action of this.#o.actions) {
      this.#checkAborted();
      await this.#perform(action);
    }
  }

  /** Stops the receiver reports and closes the connection and every UDP socket; waits for them. Safe to call twice. */
  close(): Promise<void> {
    this.#closing ??= this.#closeAll();
    return this.#closing;
  }

  async #closeAll(): Promise<void> {
    this.#closed = true;
    this.#stopReports();
    const waits: Promise<void>[] = [];
    if (this.#conn) waits.push(this.#conn.close());
    for (const t of this.#tracks) {
      if (t.udp) waits.push(closeSocket(t.udp.rtp), closeSocket(t.udp.rtcp));
    }
    await Promise.all(waits);
  }

  /** The result so far; the first call also writes the summary notes. */
  result(): RtspResult {
    const d = this.data;
    d.durationMs = ms1(this.#now());
    d.session = this.#session ? { ...this.#session } : null;
    d.sdp = this.#sdp;
    d.unmatchedReplies = this.#unmatchedEarlier + (this.#conn?.unmatchedReplies ?? 0);
    d.tracks = this.#tracks.map((t) => this.#trackResult(t));
    const totals = d.tracks.reduce((acc, t) => ({ packets: acc.packets + t.rtp.packets, expected: acc.expected + t.rtp.expected, lost: acc.lost + t.rtp.lost }), { packets: 0, expected: 0, lost: 0 });
    const fraction = totals.expected > 0 ? Math.max(0, totals.lost) / totals.expected : 0;
    d.totals = {
      rtpPackets: totals.packets,
      expected: totals.expected,
      lost: totals.lost,
      lossFraction: Math.round(fraction * 10_000) / 10_000,
      lossPercent: Math.round(fraction * 10_000) / 100,
    };
    if (!this.#finished) {
      this.#finished = true;
      this.#summarise();
    }
    return structuredClone(d);
  }

  #trackResult(t: TrackState): TrackResult {
    return {
      index: t.index,
      media: t.media,
      control: t.control,
      controlUrl: t.controlUrl,
      payloadType: t.payloadType,
      encoding: t.encoding,
      clockRate: t.clockRate,
      channels: t.channels,
      setUp: t.setUp,
      transport: t.transport,
      clientPorts: t.udp ? [t.udp.rtpPort, t.udp.rtcpPort] : null,
      interleaved: t.interleaved,
      rtp: t.receiver.rtpStats(this.#firstPlayReplyAt),
      rtcp: t.receiver.rtcpStats(),
    };
  }

  #summarise(): void {
    const tr = this.#o.transcript;
    if (this.data.strayPackets > 0) tr.note(this.#peer, `${plural(this.data.strayPackets, "UDP datagram")} from other addresses than the server's, ignored`);
    if (this.data.unknownChannelFrames > 0) tr.note(this.#peer, `${plural(this.data.unknownChannelFrames, "interleaved frame")} on channels no track uses, ignored`);
    for (const t of this.data.tracks) {
      if (!t.setUp && t.rtp.packets === 0) continue;
      const codec = t.encoding !== null ? ` ${t.encoding}/${t.clockRate}` : "";
      const jitter = t.rtp.jitterMs !== null ? `, jitter ${t.rtp.jitterMs} ms` : "";
      tr.note(
        this.#peer,
        `track ${t.index} (${t.media}${codec}): ${plural(t.rtp.packets, "RTP packet")}, ${t.rtp.expected} expected, ${t.rtp.lost} lost, ${plural(t.rtp.duplicates, "duplicate")}, ${t.rtp.reordered} reordered${jitter}; ` +
          `RTCP: ${plural(t.rtcp.senderReports, "SR")} received, ${plural(t.rtcp.rrSent, "RR")} sent${t.rtcp.byeSent ? ", BYE sent" : ""}`,
      );
    }
  }

  #checkAborted(): void {
    if (this.#o.signal.aborted) throw this.#o.signal.reason;
  }

  // ---- the control connection --------------------------------------------------------------

  async #connection(): Promise<RtspConnection> {
    const current = this.#conn;
    if (current && !current.closed && !current.serverWillClose) return current;
    if (this.#closed) throw new ProbeNetworkError("RTSP", this.#peer, "the probe was stopped");
    if (current) {
      // The server said Connection: close, or closed the connection: RTSP goes on over a new one.
      const announced = !current.closedByServer;
      await current.close();
      this.#unmatchedEarlier += current.unmatchedReplies;
      this.#o.transcript.note(this.#peer, announced ? "the server announced Connection: close; closing this connection and opening a new one" : "opening a new connection");
      if (this.#o.transport === "tcp" && this.#tracks.some((t) => t.interleaved)) this.#channels.clear();
    }
    const conn = await RtspConnection.connect(
      {
        host: this.#o.host,
        port: this.#o.port,
        timeoutMs: this.#o.timeoutMs,
        transcript: this.#o.transcript,
        peer: this.#peer,
        now: () => this.#now(),
        clock: this.#clock,
        onFrame: (frame) => this.#onFrame(frame),
        onServerRequest: (request, answered) => this.#onServerRequest(request, answered),
      },
      this.#o.signal,
    );
    if (this.#closed) {
      await conn.close();
      throw new ProbeNetworkError("RTSP", this.#peer, "the probe was stopped");
    }
    this.#conn = conn;
    this.data.connections += 1;
    this.#cname = `l7lab@${conn.localAddress || "localhost"}`;
    this.#o.transcript.note(this.#peer, `connected to ${this.#peer} from ${hostForUrl(conn.localAddress)}:${conn.localPort}`);
    return conn;
  }

  async #request(method: string, url: string, options: { session?: string | null; headers?: [string, string][] } = {}): Promise<Exchange> {
    const conn = await this.#connection();
    this.#cseq += 1;
    const cseq = this.#cseq;
    const sentAt = this.#now();
    const response = await conn.request({ method, url, cseq, session: options.session ?? null, headers: options.headers ?? [] });
    const replyAt = this.#now();
    this.data.serverSoftware ??= response.headers.get("Server") ?? null;
    return { response, cseq, sentAt, replyAt };
  }

  #sessionHeader(): string | null {
    return this.#sessionActive && this.#session ? this.#session.id : null;
  }

  #aggregateUrl(): string {
    return this.#sdp?.aggregateUrl ?? this.#url;
  }

  #urlOfPath(path: string): string {
    return `rtsp://${hostForUrl(this.#o.urlHost)}:${this.#o.port}${path}`;
  }

  // ---- actions -----------------------------------------------------------------------------

  async #perform(action: RtspAction): Promise<void> {
    const base = <N extends RtspActionName>(name: N, method: string | null): Omit<ActionBase, "action"> & { action: N } => ({
      action: name,
      method,
      status: null,
      reason: null,
      cseq: null,
      atMs: ms1(this.#now()),
      replyMs: null,
    });
    let result: RtspActionResult;
    if ("options" in action) result = { ...base("options", "OPTIONS"), public: null } satisfies OptionsResult;
    else if ("describe" in action) {
      const url = action.describe === true ? this.#url : this.#urlOfPath(action.describe);
      result = { ...base("describe", "DESCRIBE"), url, contentType: null, contentBase: null, sdp: null } satisfies DescribeResult;
    } else if ("setup" in action) result = { ...base("setup", "SETUP"), tracks: [], sessionId: null, sessionTimeout: null } satisfies SetupResult;
    else if ("play" in action) {
      result = {
        ...base("play", "PLAY"),
        url: null,
        range: action.range ?? null,
        replyRange: null,
        rtpInfo: [],
        receiveMs: receiveMsOf(action),
        firstRtpMs: null,
        rtpPacketsBeforeReply: 0,
        window: [],
        cumulative: [],
      } satisfies PlayResult;
    } else if ("pause" in action || "teardown" in action) {
      const name: "pause" | "teardown" = "pause" in action ? "pause" : "teardown";
      result = { ...base(name, name.toUpperCase()), url: null, receiveMs: receiveMsOf(action), rtpPacketsBeforeReply: 0, rtpPackets: 0, lastRtpAfterReplyMs: null, silenceMs: 0 } satisfies StopResult;
    } else if ("getParameter" in action) result = base("getParameter", "GET_PARAMETER") as GetParameterResult;
    else if ("request" in action) {
      const url = action.url === undefined ? this.#aggregateUrl() : action.url.startsWith("/") ? this.#urlOfPath(action.url) : action.url;
      result = { ...base("request", action.request), url, sessionSent: action.session ?? null, headers: {} } satisfies RawRequestResult;
    } else result = { ...base("wait", null), waitMs: action.wait, rtpPackets: 0, rtcpPackets: 0 } satisfies WaitResult;
    this.data.actions.push(result);
    try {
      await this.#run(action, result);
    } catch (err) {
      result.error = err instanceof Error ? err.message : String(err);
      throw err;
    }
  }

  async #run(action: RtspAction, result: RtspActionResult): Promise<void> {
    const record = (r: Exchange) => {
      result.status = r.response.status;
      result.reason = r.response.reason;
      result.cseq = r.cseq;
      result.replyMs = ms1(r.replyAt - r.sentAt);
    };
    switch (result.action) {
      case "options": {
        const r = await this.#request("OPTIONS", this.#url, { session: this.#sessionHeader() });
        record(r);
        result.public = parsePublic(r.response.headers.get("Public"));
        return;
      }
      case "describe":
        return this.#describe(result, record);
      case "setup":
        return this.#setup((action as { setup: "all" | number[] }).setup, result);
      case "play":
        return this.#play(result, record);
      case "pause":
      case "teardown":
        return this.#stop(result, record);
      case "getParameter": {
        const r = await this.#request("GET_PARAMETER", this.#aggregateUrl(), { session: this.#sessionHeader() });
        record(r);
        return;
      }
      case "request": {
        const r = await this.#request(result.method!, result.url, { session: result.sessionSent });
        record(r);
        result.headers = r.response.headers.toObject();
        return;
      }
      case "wait": {
        const window = this.#openWindow();
        try {
          await this.#receive(result.waitMs);
        } finally {
          this.#windows.delete(window);
        }
        result.rtpPackets = window.rtp;
        result.rtcpPackets = window.rtcp;
        return;
      }
    }
  }

  async #describe(result: DescribeResult, record: (r: Exchange) => void): Promise<void> {
    const r = await this.#request("DESCRIBE", result.url, { session: this.#sessionHeader(), headers: [["Accept", "application/sdp"]] });
    record(r);
    const headers = r.response.headers;
    result.contentType = headers.get("Content-Type") ?? null;
    result.contentBase = headers.get("Content-Base") ?? null;
    if (r.response.status !== 200 || r.response.body.length === 0) return;
    if (result.contentType !== null && !/^application\/sdp\b/i.test(result.contentType)) {
      this.#o.transcript.note(this.#peer, `the description is ${result.contentType}, not application/sdp; not parsed`);
      return;
    }
    const base = baseUrlOf(headers.get("Content-Base"), headers.get("Content-Location"), result.url);
    const sdp = parseSdp(r.response.body.toString("utf8"), base, result.url);
    result.sdp = sdp;
    if (this.#tracks.some((t) => t.setUp)) {
      // Their statistics are the result; a later description is recorded here only.
      this.#o.transcript.note(this.#peer, "tracks were set up from an earlier description: they stay the probe's tracks");
      return;
    }
    await this.#adopt(sdp);
  }

  /** Makes the description's tracks the probe's tracks (closing the UDP sockets of earlier ones). */
  async #adopt(sdp: SessionDescription): Promise<void> {
    await Promise.all(this.#tracks.flatMap((t) => (t.udp ? [closeSocket(t.udp.rtp), closeSocket(t.udp.rtcp)] : [])));
    this.#channels.clear();
    this.#sdp = sdp;
    this.#tracks = sdp.tracks.map((s) => ({
      receiver: new TrackReceiver(s.index, (pt) => clockRateOf(s, pt)),
      index: s.index,
      media: s.media,
      control: s.control,
      controlUrl: s.controlUrl,
      payloadType: s.payloadTypes[0] ?? null,
      encoding: s.rtpmap?.encoding ?? null,
      clockRate: s.rtpmap?.clockRate ?? null,
      channels: s.rtpmap?.channels ?? null,
      setUp: false,
      transport: null,
      udp: null,
      interleaved: null,
      srNotes: 0,
      invalidNotes: 0,
      otherSsrcNoted: false,
      rrNoted: false,
      noTargetNoted: false,
    }));
  }

  async #setup(which: "all" | number[], result: SetupResult): Promise<void> {
    if (this.#sdp === null) {
      result.skipped = "no session description: no DESCRIBE has returned one";
      return;
    }
    const indexes = which === "all" ? this.#tracks.map((t) => t.index) : which;
    if (indexes.length === 0) {
      result.skipped = "the description has no media";
      return;
    }
    for (const index of indexes) {
      const track = this.#tracks[index];
      const entry: SetupTrackResult = { index, url: null, status: null, reason: null, cseq: null, replyMs: null, requestedTransport: null, transport: null, sessionId: null, sessionTimeout: null };
      result.tracks.push(entry);
      if (!track) {
        const n = this.#tracks.length;
        entry.skipped = `track ${index} does not exist; the description has ${plural(n, "track")}${n > 0 ? ` (0-${n - 1})` : ""}`;
        continue;
      }
      const url = track.controlUrl ?? (this.#tracks.length === 1 ? this.#aggregateUrl() : null);
      if (url === null) {
        entry.skipped = `track ${index} has no usable a=control, and the description has several tracks`;
        continue;
      }
      entry.url = url;
      await this.#setupTrack(track, entry);
    }
    const statuses = result.tracks.filter((t) => t.status !== null);
    const failed = statuses.find((t) => !is2xx(t.status!));
    const shown = failed ?? statuses.at(-1);
    if (shown) {
      result.status = shown.status;
      result.reason = shown.reason;
      result.replyMs = shown.replyMs;
      result.cseq = statuses[0]!.cseq;
    } else result.skipped = result.tracks.map((t) => t.skipped).join("; ");
    result.sessionId = this.#session?.id ?? null;
    result.sessionTimeout = this.#session?.timeout ?? null;
  }

  async #setupTrack(track: TrackState, entry: SetupTrackResult): Promise<void> {
    const conn = await this.#connection();
    let boundNow = false;
    let requested: string;
    if (this.#o.transport === "udp") {
      if (!track.udp) {
        let pair: UdpPair;
        try {
          pair = await bindUdpPair(conn.localAddress || "0.0.0.0");
        } catch (err) {
          throw new ProbeNetworkError("RTSP", this.#peer, `could not bind a UDP port pair for track ${track.index}: ${(err as Error).message}`, { cause: err });
        }
        if (this.#closed) {
          // Stopped (aborted) while binding: close() has already gone through the tracks.
          await Promise.all([closeSocket(pair.rtp), closeSocket(pair.rtcp)]);
          throw new ProbeNetworkError("RTSP", this.#peer, "the probe was stopped");
        }
        track.udp = pair;
        boundNow = true;
        this.#listenUdp(track, track.udp);
        this.#o.transcript.note(this.#peer, `track ${track.index}: RTP on ${hostForUrl(track.udp.address)}:${track.udp.rtpPort}, RTCP on port ${track.udp.rtcpPort}`);
      }
      requested = buildTransport({ lower: "UDP", clientPort: [track.udp.rtpPort, track.udp.rtcpPort] });
    } else {
      requested = buildTransport({ lower: "TCP", interleaved: track.interleaved ?? [2 * track.index, 2 * track.index + 1] });
    }
    entry.requestedTransport = requested;
    const startedWith = this.#sessionHeader();
    let r;
    try {
      r = await this.#request("SETUP", entry.url!, { session: startedWith, headers: [["Transport", requested]] });
    } catch (err) {
      if (boundNow && track.udp) await this.#releaseUdp(track);
      throw err;
    }
    entry.status = r.response.status;
    entry.reason = r.response.reason;
    entry.cseq = r.cseq;
    entry.replyMs = ms1(r.replyAt - r.sentAt);
    if (!is2xx(r.response.status)) {
      if (boundNow && !track.setUp) await this.#releaseUdp(track);
      return;
    }
    const session = parseSessionHeader(r.response.headers.get("Session"));
    if (session) {
      if (this.#session && this.#sessionActive && session.id !== this.#session.id) {
        this.#o.transcript.note(this.#peer, `the SETUP reply names session ${session.id}, not ${this.#session.id}; the probe keeps ${this.#session.id}`);
      } else {
        this.#session = session;
        this.#sessionActive = true;
      }
    } else if (!this.#sessionActive) {
      this.#o.transcript.note(this.#peer, "the SETUP reply has no Session header: later requests go without one");
    }
    entry.sessionId = session?.id ?? null;
    entry.sessionTimeout = session?.timeout ?? null;
    const transport = parseTransport(r.response.headers.get("Transport"))[0] ?? null;
    entry.transport = transport;
    track.transport = transport;
    track.setUp = true;
    if (transport === null) this.#o.transcript.note(this.#peer, `track ${track.index}: the SETUP reply has no Transport the probe can read`);
    else if ((transport.lowerTransport === "TCP") !== (this.#o.transport === "tcp")) {
      this.#o.transcript.note(this.#peer, `track ${track.index}: asked for ${requested}, the server answered ${transport.raw}`);
    }
    if (this.#o.transport === "tcp") {
      for (const [channel, m] of this.#channels) if (m.track === track) this.#channels.delete(channel);
      const channels = transport?.interleaved ?? track.interleaved ?? [2 * track.index, 2 * track.index + 1];
      track.interleaved = channels;
      this.#channels.set(channels[0], { track, rtcp: false });
      this.#channels.set(channels[1], { track, rtcp: true });
    }
  }

  async #releaseUdp(track: TrackState): Promise<void> {
    const pair = track.udp;
    track.udp = null;
    if (pair) await Promise.all([closeSocket(pair.rtp), closeSocket(pair.rtcp)]);
  }

  #noSession(): string | null {
    if (this.#sessionActive && this.#session) return null;
    return this.#session ? `the session ${this.#session.id} was torn down` : "no session: no SETUP has succeeded";
  }

  async #play(result: PlayResult, record: (r: Exchange) => void): Promise<void> {
    const skip = this.#noSession();
    if (skip) {
      result.skipped = skip;
      return;
    }
    result.url = this.#aggregateUrl();
    const headers: [string, string][] = result.range !== null ? [["Range", result.range]] : [];
    const window = this.#openWindow();
    try {
      const r = await this.#request("PLAY", result.url, { session: this.#sessionHeader(), headers });
      window.replyAt = r.replyAt;
      record(r);
      result.replyRange = r.response.headers.get("Range") ?? null;
      result.rtpInfo = parseRtpInfo(r.response.headers.get("RTP-Info")).map((e) => ({ ...e, track: this.#tracks.find((t) => t.controlUrl !== null && sameUrl(t.controlUrl, e.url))?.index ?? null }));
      if (is2xx(r.response.status)) {
        this.#firstPlayReplyAt ??= r.replyAt;
        this.#startReports();
      }
      await this.#receive(result.receiveMs);
    } finally {
      this.#windows.delete(window);
    }
    const end = this.#now();
    const replyAt = window.replyAt!;
    result.rtpPacketsBeforeReply = window.beforeReply;
    result.firstRtpMs = window.firstAny === null ? null : ms1(window.firstAny - replyAt);
    const shown = this.#tracks.filter((t) => t.setUp || window.times.has(t.index));
    result.cumulative = shown.map((t) => {
      const r = t.receiver.rtpStats(this.#firstPlayReplyAt);
      return { index: t.index, packets: r.packets, expected: r.expected, lost: r.lost, lossFraction: r.lossFraction, duplicates: r.duplicates, reordered: r.reordered, gaps: r.gaps, jitter: r.jitter, jitterMs: r.jitterMs };
    });
    result.window = shown.map((t) => {
        const times = window.times.get(t.index);
        return t.receiver.windowStats(window.start.get(t.index) ?? t.receiver.snapshot(), t.receiver.snapshot(), end - window.startedAt, {
          firstMs: times?.first != null ? times.first - replyAt : null,
          lastMs: times?.last != null ? times.last - replyAt : null,
        });
      });
  }

  async #stop(result: StopResult, record: (r: Exchange) => void): Promise<void> {
    const skip = this.#noSession();
    if (skip) {
      result.skipped = skip;
      return;
    }
    result.url = this.#aggregateUrl();
    if (result.action === "teardown" && this.#sessionActive) {
      // Leaving the RTP session (RFC 3550 6.3.7): a last RR with BYE, then no more reports. It goes
      // before the TEARDOWN, while the server's RTP session still exists to read it (gst ends the
      // session and, with "Connection: close", the interleaved channel in its reply).
      this.#sendReports(true);
      this.#stopReports();
    }
    const window = this.#openWindow();
    let replyAt: number;
    try {
      const r = await this.#request(result.method!, result.url, { session: this.#sessionHeader() });
      replyAt = r.replyAt;
      window.replyAt = replyAt;
      record(r);
      if (is2xx(r.response.status) && result.action === "teardown") this.#sessionActive = false;
      await this.#receive(result.receiveMs);
    } finally {
      this.#windows.delete(window);
    }
    result.rtpPacketsBeforeReply = window.beforeReply;
    result.rtpPackets = window.afterReply;
    result.lastRtpAfterReplyMs = window.lastAfterReply === null ? null : ms1(window.lastAfterReply - replyAt);
    result.silenceMs = ms1(Math.max(0, result.receiveMs - (result.lastRtpAfterReplyMs ?? 0)));
  }

  #openWindow(): ReceiveWindow {
    const window = new ReceiveWindow(this.#now(), this.#tracks);
    this.#windows.add(window);
    return window;
  }

  /** Receives for `ms` (packets come through the socket handlers); an abort ends it with the signal's reason. */
  #receive(ms: number): Promise<void> {
    return this.#clock.sleep(ms, this.#o.signal);
  }

  // ---- RTCP receiver reports -----------------------------------------------------------------

  #startReports(): void {
    if (this.#rrTimer || this.#closed) return;
    const tick = () => {
      this.#sendReports(false);
      this.#rrTimer = startTimer(this.#clock, RR_INTERVAL_MS, tick);
    };
    this.#rrTimer = startTimer(this.#clock, FIRST_RR_MS, tick);
  }

  #stopReports(): void {
    this.#rrTimer?.();
    this.#rrTimer = null;
  }

  /** Sends each set-up track's RR + SDES (+ BYE) on its RTCP port or channel. */
  #sendReports(bye: boolean): void {
    for (const t of this.#tracks) {
      if (!t.setUp) continue;
      const send = this.#rtcpSender(t);
      if (!send) continue;
      const at = this.#now();
      const { packet, block } = t.receiver.receiverReport(this.#ssrc, this.#cname, at, bye);
      send(packet);
      if (!t.rrNoted || bye) {
        t.rrNoted = true;
        const what = block
          ? `fraction lost ${block.fractionLost}/256, cumulative lost ${block.cumulativeLost}, highest seq ${block.extendedHighestSeq}, jitter ${block.jitter}, LSR 0x${block.lsr.toString(16).padStart(8, "0")}, DLSR ${block.dlsr}`
          : "no report block (no packets yet)";
        this.#o.transcript.note(this.#peer, `track ${t.index}: sent RTCP RR${bye ? "+SDES+BYE" : "+SDES"} from SSRC ${ssrcHex(this.#ssrc)} (${what})`);
      }
    }
  }

  #rtcpSender(t: TrackState): ((packet: Buffer) => void) | null {
    if (this.#o.transport === "tcp") {
      const channel = t.interleaved?.[1];
      const conn = this.#conn;
      // After Connection: close (gst's TEARDOWN reply) the server reads nothing more.
      if (channel === undefined || !conn || conn.closed || conn.serverWillClose) return null;
      return (packet) => conn.sendFrame(channel, packet);
    }
    const port = t.transport?.serverPort?.[1];
    const pair = t.udp;
    if (port === undefined || !pair) {
      if (!t.noTargetNoted) {
        t.noTargetNoted = true;
        this.#o.transcript.note(this.#peer, `track ${t.index}: the Transport reply has no server_port; no RTCP receiver reports sent`);
      }
      return null;
    }
    return (packet) => {
      try {
        pair.rtcp.send(packet, port, this.#o.host, () => {
          /* a send error (ICMP unreachable) changes nothing */
        });
      } catch {
        /* the socket is closing */
      }
    };
  }

  // ---- incoming packets -----------------------------------------------------------------------

  #listenUdp(track: TrackState, pair: UdpPair): void {
    const from = (rinfo: dgram.RemoteInfo) => plainAddress(rinfo.address) === this.#o.host;
    const stray = (rinfo: dgram.RemoteInfo) => {
      this.data.strayPackets += 1;
      if (!this.#strayNoted) {
        this.#strayNoted = true;
        this.#o.transcript.note(this.#peer, `a UDP datagram from ${hostForUrl(plainAddress(rinfo.address))}:${rinfo.port}, not the server: ignored (further ones are only counted)`);
      }
    };
    pair.rtp.on("message", (msg, rinfo) => (from(rinfo) ? this.#onRtp(track, msg) : stray(rinfo)));
    pair.rtcp.on("message", (msg, rinfo) => (from(rinfo) ? this.#onRtcp(track, msg) : stray(rinfo)));
    pair.rtp.on("error", () => undefined);
    pair.rtcp.on("error", () => undefined);
  }

  #onFrame(frame: InterleavedFrame): void {
    const m = this.#channels.get(frame.channel);
    if (!m) {
      this.data.unknownChannelFrames += 1;
      if (!this.#unknownChannelNoted) {
        this.#unknownChannelNoted = true;
        this.#o.transcript.note(this.#peer, `an interleaved frame on channel ${frame.channel}, which no track uses: ignored`);
      }
      return;
    }
    if (m.rtcp) this.#onRtcp(m.track, frame.payload);
    else this.#onRtp(m.track, frame.payload);
  }

  #onRtp(track: TrackState, buf: Buffer): void {
    if (this.#closed) return;
    const at = this.#now();
    const v = track.receiver.onRtp(buf, at);
    if (v.kind === "invalid") {
      if (track.invalidNotes++ < INVALID_NOTES) this.#o.transcript.note(this.#peer, `track ${track.index}: not a valid RTP packet (${v.reason})`);
      return;
    }
    if (v.kind === "other-ssrc") {
      if (!track.otherSsrcNoted) {
        track.otherSsrcNoted = true;
        this.#o.transcript.note(this.#peer, `track ${track.index}: RTP from SSRC ${ssrcHex(v.packet.ssrc)} besides ${ssrcHex(track.receiver.ssrc!)}: counted apart`);
      }
      return;
    }
    for (const w of this.#windows) w.onRtp(track.index, at);
    if (v.first) {
      const p = v.packet;
      const after = this.#firstPlayReplyAt !== null ? `, ${ms1(at - this.#firstPlayReplyAt)} ms after the PLAY reply` : "";
      const named = track.transport?.ssrc;
      const mismatch = named && named !== ssrcHex(p.ssrc) ? ` (the Transport reply named SSRC ${named})` : "";
      this.#o.transcript.note(
        this.#peer,
        `track ${track.index}: first RTP packet: PT ${p.payloadType}, seq ${p.sequence}, timestamp ${p.timestamp}, SSRC ${ssrcHex(p.ssrc)}${mismatch}, ${plural(p.payloadLength, "payload byte")}${p.marker ? ", marker" : ""}${after}`,
      );
    }
  }

  #onRtcp(track: TrackState, buf: Buffer): void {
    if (this.#closed) return;
    const at = this.#now();
    const v = track.receiver.onRtcp(buf, at);
    if (v.kind === "invalid") {
      if (track.invalidNotes++ < INVALID_NOTES) this.#o.transcript.note(this.#peer, `track ${track.index}: not a valid RTCP packet (${v.reason})`);
      return;
    }
    for (const w of this.#windows) w.rtcp += 1;
    for (const p of v.packets) {
      if (p.type === "SR" && track.srNotes < SR_NOTES) {
        track.srNotes += 1;
        const sr = track.receiver.lastSr!;
        this.#o.transcript.note(
          this.#peer,
          `track ${track.index}: RTCP SR from SSRC ${sr.ssrc}: NTP ${sr.ntpTime ?? `${sr.ntpSeconds}.${sr.ntpFraction}`}, RTP timestamp ${sr.rtpTimestamp}, ${plural(sr.packetCount, "packet")}, ${plural(sr.octetCount, "octet")} sent`,
        );
      } else if (p.type === "BYE") {
        this.#o.transcript.note(this.#peer, `track ${track.index}: RTCP BYE from SSRC ${p.ssrcs.map(ssrcHex).join(", ")}${p.reason ? ` (${p.reason})` : ""}`);
      }
    }
  }

  #onServerRequest(request: RtspRequest, answered: number): void {
    const cseq = request.headers.get("CSeq");
    this.data.serverRequests.push({ method: request.method, url: request.url, cseq: cseq !== undefined && /^\d+$/.test(cseq.trim()) ? Number(cseq) : null, atMs: ms1(this.#now()), answered });
  }
}
