/**
 * The shapes the RTSP probe returns: plain data only (JSON-serialisable), exported for the
 * scenario engine and the API.
 */

export const RTSP_PORT = 554;
export const DEFAULT_PATH = "/twister";
/** How long the probe waits for each reply (and for connecting). */
export const DEFAULT_TIMEOUT_MS = 5000;
/** Receive windows: after PLAY, after PAUSE, after TEARDOWN. */
export const DEFAULT_PLAY_MS = 2000;
export const DEFAULT_PAUSE_MS = 1000;
export const DEFAULT_TEARDOWN_MS = 500;
/** The longest single receive window, and the longest sum of all windows of one probe call. */
export const MAX_RECEIVE_MS = 120_000;
export const MAX_TOTAL_RECEIVE_MS = 600_000;
export const USER_AGENT = "l7lab";

export const RTSP_TRANSPORTS = ["udp", "tcp"] as const;
export type RtspTransportMode = (typeof RTSP_TRANSPORTS)[number];

/** The methods a raw `request` action may send. */
export const RAW_METHODS = ["OPTIONS", "DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER"] as const;
export type RawMethod = (typeof RAW_METHODS)[number];

export type RtspActionName = "options" | "describe" | "setup" | "play" | "pause" | "teardown" | "getParameter" | "request" | "wait";

/** A Transport header as the server answered it (RFC 2326 12.39). Ports are [RTP, RTCP]. */
export interface TransportInfo {
  /** The header as sent. */
  raw: string;
  /** "RTP/AVP" (the transport/profile without the lower transport). */
  protocol: string;
  lowerTransport: "UDP" | "TCP";
  cast: "unicast" | "multicast" | null;
  clientPort: [number, number] | null;
  serverPort: [number, number] | null;
  interleaved: [number, number] | null;
  /** The sender's SSRC (8 hex digits, upper case), when the server named it. */
  ssrc: string | null;
  mode: string | null;
  source: string | null;
  destination: string | null;
}

/** One entry of a PLAY reply's RTP-Info header (RFC 2326 12.33). */
export interface RtpInfoEntry {
  url: string;
  /** The track whose control URL this is, or null when none matches. */
  track: number | null;
  seq: number | null;
  rtptime: number | null;
}

export interface RtpMapInfo {
  encoding: string;
  clockRate: number;
  /** Audio channels; null for video and other media. */
  channels: number | null;
}

/** One m= section of an SDP, in the probe's terms. */
export interface SdpTrack {
  index: number;
  media: string;
  port: number;
  proto: string;
  payloadTypes: number[];
  /** The mapping of the first payload type: a=rtpmap, else the RFC 3551 static table; null when unknown. */
  rtpmap: RtpMapInfo | null;
  /** The mapping of every payload type that has one, by payload type. */
  rtpmaps: Record<string, RtpMapInfo>;
  /** a=fmtp of the first payload type. */
  fmtp: string | null;
  framerate: number | null;
  /** a=control as written; null when absent. */
  control: string | null;
  /** The control URL resolved against the base URL (RFC 2326 C.1.1); null when it cannot be. */
  controlUrl: string | null;
}

export interface SdpConnection {
  netType: string;
  addrType: string;
  address: string;
}

export interface SdpMediaDescription {
  media: string;
  port: number;
  numPorts: number | null;
  proto: string;
  formats: string[];
  connection: SdpConnection | null;
  bandwidths: string[];
  /** Every a= line of the section, in order: name and value (null for a flag such as a=recvonly). */
  attributes: { name: string; value: string | null }[];
}

/** An SDP session description (RFC 4566), as far as the probe reads it. */
export interface SessionDescription {
  version: number | null;
  origin: { username: string; sessionId: string; sessionVersion: string; netType: string; addrType: string; address: string } | null;
  sessionName: string | null;
  information: string | null;
  connection: SdpConnection | null;
  times: { start: string; stop: string }[];
  attributes: { name: string; value: string | null }[];
  /** Session-level a=control, a=range, a=tool, a=type. */
  control: string | null;
  range: string | null;
  tool: string | null;
  type: string | null;
  /** The aggregate control URL: the session-level a=control resolved (`*` next to a Content-Base of the described URL plus "/": the described URL), else the described URL. */
  aggregateUrl: string | null;
  media: SdpMediaDescription[];
  tracks: SdpTrack[];
  /** Lines the parser could not read, and other deviations; empty for a clean description. */
  problems: string[];
}

/** A gap in the sequence numbers: the missing numbers, as 16-bit sequence numbers. */
export interface SequenceGap {
  fromSeq: number;
  toSeq: number;
  missing: number;
  /** When the packet after the gap arrived, ms since the probe started. */
  atMs: number;
}

/** What arrived on one track's RTP channel (RFC 3550 section 6.4.1 and appendix A). */
export interface RtpStats {
  /** Valid RTP packets from the track's main source (the first SSRC heard). */
  packets: number;
  payloadBytes: number;
  /** Datagrams or frames that are not valid RTP (too short, version not 2, bad padding or extension, an RTCP type). */
  invalid: number;
  /** Valid packets from another SSRC than the main one (not in the sequence statistics). */
  otherSsrcPackets: number;
  ssrc: string | null;
  payloadTypes: number[];
  firstSeq: number | null;
  lastSeq: number | null;
  /** cycles + highest sequence number (RFC 3550 A.1), as an RR reports it. */
  extendedHighestSeq: number | null;
  /** How many times the sequence number wrapped past 65535. */
  wraps: number;
  /** Packets expected from the first to the highest sequence number (summed over restarts). */
  expected: number;
  /** Packets counted by the A.1 rules (duplicates included, so lost can be negative). */
  received: number;
  /** expected - received; negative when duplicates outnumber losses. */
  lost: number;
  /** max(lost, 0) / expected, 0..1 (4 decimals). */
  lossFraction: number;
  /** Runs of missing sequence numbers that were not filled by late packets. */
  gaps: number;
  /** The largest gaps (at most 5), largest first. */
  largestGaps: SequenceGap[];
  duplicates: number;
  /** Packets that came after a higher sequence number (late, out of order). */
  reordered: number;
  /** Packets the A.1 rules set aside: probation of a new source, an unconfirmed large jump. */
  discarded: number;
  /** Sequence restarts: a large jump confirmed by the next packet (A.1). */
  restarts: number;
  /** Interarrival jitter (A.8) in timestamp units, and in ms at the payload's clock rate. */
  jitter: number | null;
  jitterMs: number | null;
  /**
   * The mean of |D(i-1, i)| over the whole playback, in ms: the quantity J estimates, averaged
   * plainly (J is a running estimate with gain 1/16, so one reading of it varies by ~13% under
   * random jitter). For delays drawn independently, uniform on ±a, it is 2a/3.
   */
  meanTransitDeltaMs: number | null;
  clockRate: number | null;
  /** Arrival of the first and last packet, ms since the probe started. */
  firstPacketAtMs: number | null;
  lastPacketAtMs: number | null;
  /** ms from the first PLAY reply to the first packet (negative when a packet overtook the reply). */
  firstPacketAfterPlayMs: number | null;
  /** Packets per second between the first and the last packet. */
  packetsPerSecond: number | null;
}

export interface RtcpSenderReportInfo {
  ssrc: string;
  /** The NTP timestamp as sent, and as an ISO time (null for a zero timestamp). */
  ntpSeconds: number;
  ntpFraction: number;
  ntpTime: string | null;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  /** When it arrived, ms since the probe started. */
  atMs: number;
}

/** What arrived on, and was sent to, one track's RTCP channel. */
export interface RtcpStats {
  /** Compound RTCP packets received from the server. */
  packets: number;
  senderReports: number;
  receiverReports: number;
  sdes: number;
  byes: number;
  app: number;
  unknown: number;
  /** Datagrams or frames that are not a valid compound RTCP packet. */
  invalid: number;
  /** The server's CNAME (SDES). */
  cname: string | null;
  firstSrAtMs: number | null;
  lastSr: RtcpSenderReportInfo | null;
  /** Receiver reports (RR + SDES) this probe sent, and whether it sent a BYE. */
  rrSent: number;
  byeSent: boolean;
}

export interface TrackResult {
  index: number;
  media: string;
  control: string | null;
  controlUrl: string | null;
  payloadType: number | null;
  encoding: string | null;
  clockRate: number | null;
  channels: number | null;
  /** Whether a SETUP for the track succeeded. */
  setUp: boolean;
  /** The server's Transport reply to the last successful SETUP. */
  transport: TransportInfo | null;
  /** UDP: the probe's RTP and RTCP ports; TCP: the interleaved channels. */
  clientPorts: [number, number] | null;
  interleaved: [number, number] | null;
  rtp: RtpStats;
  rtcp: RtcpStats;
}

/** One track's packets in one receive window. */
export interface WindowTrackStats {
  index: number;
  packets: number;
  payloadBytes: number;
  expected: number;
  lost: number;
  lossFraction: number;
  duplicates: number;
  reordered: number;
  /** Gaps opened in the window and not filled by its end. */
  gaps: number;
  /** The jitter estimate at the end of the window. */
  jitter: number | null;
  jitterMs: number | null;
  /** ms from the reply to the first and last packet of the window. */
  firstPacketMs: number | null;
  lastPacketMs: number | null;
  /** packets / window length in seconds. */
  packetsPerSecond: number;
  rtcpPackets: number;
  senderReports: number;
}

/** Fields every action result has. */
export interface ActionBase {
  action: RtspActionName;
  /** The RTSP method sent, null when none was (wait, skipped). */
  method: string | null;
  status: number | null;
  reason: string | null;
  cseq: number | null;
  /** When the action started, ms since the probe started. */
  atMs: number;
  /** ms from sending the request to its reply. */
  replyMs: number | null;
  /** Why the action did nothing. */
  skipped?: string;
  /** What broke the action (a timeout, a closed connection); the probe stopped there. */
  error?: string;
}

export interface OptionsResult extends ActionBase {
  action: "options";
  /** The Public header's methods. */
  public: string[] | null;
}

export interface DescribeResult extends ActionBase {
  action: "describe";
  url: string;
  contentType: string | null;
  contentBase: string | null;
  /** The parsed description, when the reply was 200 with a body. */
  sdp: SessionDescription | null;
}

export interface SetupTrackResult {
  index: number;
  url: string | null;
  status: number | null;
  reason: string | null;
  cseq: number | null;
  replyMs: number | null;
  /** The Transport header sent. */
  requestedTransport: string | null;
  transport: TransportInfo | null;
  sessionId: string | null;
  sessionTimeout: number | null;
  skipped?: string;
}

/** SETUP of one or more tracks: status, reason and replyMs are those of the first refusal, else of the last SETUP; cseq the first. */
export interface SetupResult extends ActionBase {
  action: "setup";
  tracks: SetupTrackResult[];
  sessionId: string | null;
  sessionTimeout: number | null;
}

export interface PlayResult extends ActionBase {
  action: "play";
  url: string | null;
  range: string | null;
  /** The reply's Range header. */
  replyRange: string | null;
  rtpInfo: RtpInfoEntry[];
  receiveMs: number;
  /** ms from the reply to the first RTP packet of any track (negative: before the reply); null if none came. */
  firstRtpMs: number | null;
  /** RTP packets between sending PLAY and its reply. */
  rtpPacketsBeforeReply: number;
  /** Each track's packets from sending PLAY to the end of the window. */
  window: WindowTrackStats[];
  /** Each track's totals since the probe started, at the end of the window. */
  cumulative: CumulativeTrackStats[];
}

export type CumulativeTrackStats = Pick<RtpStats, "packets" | "expected" | "lost" | "lossFraction" | "duplicates" | "reordered" | "gaps" | "jitter" | "jitterMs"> & { index: number };

/** PAUSE and TEARDOWN: what kept arriving after the reply. */
export interface StopResult extends ActionBase {
  action: "pause" | "teardown";
  url: string | null;
  receiveMs: number;
  rtpPacketsBeforeReply: number;
  /** RTP packets (any track) in the window after the reply. */
  rtpPackets: number;
  /** When the last of them arrived, ms after the reply; null when none did. */
  lastRtpAfterReplyMs: number | null;
  /** The window's length minus lastRtpAfterReplyMs: the trailing quiet. */
  silenceMs: number;
}

export interface GetParameterResult extends ActionBase {
  action: "getParameter";
}

export interface RawRequestResult extends ActionBase {
  action: "request";
  url: string;
  /** The Session header sent, null when none was. */
  sessionSent: string | null;
  /** The reply's headers, names in lower case. */
  headers: Record<string, string>;
}

export interface WaitResult extends ActionBase {
  action: "wait";
  waitMs: number;
  rtpPackets: number;
  rtcpPackets: number;
}

export type RtspActionResult =
  | OptionsResult
  | DescribeResult
  | SetupResult
  | PlayResult
  | StopResult
  | GetParameterResult
  | RawRequestResult
  | WaitResult;

/** A request the server sent to the probe (RFC 2326 allows OPTIONS, ANNOUNCE, GET/SET_PARAMETER, REDIRECT). */
export interface ServerRequestRecord {
  method: string;
  url: string;
  cseq: number | null;
  atMs: number;
  /** The status the probe answered with. */
  answered: number;
}

export interface RtspTotals {
  rtpPackets: number;
  expected: number;
  lost: number;
  lossFraction: number;
  lossPercent: number;
}

/** What the `rtsp` probe returns. */
export interface RtspResult {
  url: string;
  transport: RtspTransportMode;
  /** "address:port" of the server. */
  server: string;
  /** The Server header of the first reply that had one. */
  serverSoftware: string | null;
  actions: RtspActionResult[];
  session: { id: string; timeout: number | null } | null;
  sdp: SessionDescription | null;
  tracks: TrackResult[];
  totals: RtspTotals;
  /** TCP connections opened (more than one when the server closed one, as after TEARDOWN). */
  connections: number;
  serverRequests: ServerRequestRecord[];
  /** UDP datagrams from another address than the server's. */
  strayPackets: number;
  /** Interleaved frames on channels no track uses. */
  unknownChannelFrames: number;
  /** Replies whose CSeq matched no request, ignored. */
  unmatchedReplies: number;
  durationMs: number;
}
