import dgram from "node:dgram";
import { once } from "node:events";
import net from "node:net";
import { type Clock, startTimer, systemClock } from "../../common/clock.ts";
import { cseqOf, interleavedFrame, type RtspRequest, RtspStreamParser, serializeResponse } from "./message.ts";
import { parseTransport } from "./headers.ts";
import { buildSdesCname, buildSr, parseRtcpCompound, unixMsToNtp } from "./rtcp.ts";
import { buildRtpPacket, ssrcHex } from "./rtp.ts";

/** "RTCP <track> RR SDES BYE": an RTCP compound packet from the client, by its packet types. */
const rtcpEvent = (track: number, packet: Buffer) => ["RTCP", track, ...parseRtcpCompound(packet).packets.map((p) => p.type)].join(" ");

/**
 * Test support (not used by the probe): an RTSP server on 127.0.0.1 that answers as
 * gst-rtsp-server 1.22 does (its SDP, Content-Base, Session without timeout=60, Transport with
 * server_port and ssrc, RTP-Info, Connection: close after TEARDOWN, 454 for an unknown session, 404
 * for an unknown path, 460 for PLAY, PAUSE or TEARDOWN on a stream URL or on the aggregate URL with
 * a slash added) and sends RTP and RTCP SRs over UDP or
 * interleaved, with drops, duplicates, swaps, a sequence number near 65535 and timestamp jitter
 * chosen by the test. It records every request and what the client sent on RTCP.
 */

export interface FakeTrack {
  media: "audio" | "video";
  payloadType: number;
  clockRate: number;
  /** The a=rtpmap value ("JPEG/90000"); none for a static payload type such as PCMU. */
  rtpmap?: string;
  packetIntervalMs: number;
  tsPerPacket: number;
  payloadBytes: number;
  startSeq: number;
  startTs: number;
  ssrc: number;
}

/** gst's twister: PCMU audio (20 ms packets) and JPEG video. */
export const DEFAULT_FAKE_TRACKS: readonly FakeTrack[] = [
  { media: "audio", payloadType: 0, clockRate: 8000, packetIntervalMs: 20, tsPerPacket: 160, payloadBytes: 160, startSeq: 1000, startTs: 50_000, ssrc: 0x1c3c2d7b },
  { media: "video", payloadType: 26, clockRate: 90000, rtpmap: "JPEG/90000", packetIntervalMs: 40, tsPerPacket: 3600, payloadBytes: 1000, startSeq: 20_000, startTs: 7_000_000, ssrc: 0x0badcafe },
];

export type PacketFate = "drop" | "duplicate" | "swap" | undefined;

export interface FakeRtspOptions {
  path?: string;
  tracks?: readonly FakeTrack[];
  /** SDP control style: absolute URLs as gst 1.22 writes (default), `*` and relative `stream=N`, or no session-level control. */
  control?: "absolute" | "relative" | "none";
  /** Send Content-Base (default true). */
  contentBase?: boolean;
  sessionId?: string;
  /** The Session timeout parameter; null (default) leaves it out, as gst does for 60 s. */
  sessionTimeout?: number | null;
  /** What happens to packet n (from 0) of a track. */
  fate?: (track: number, n: number) => PacketFate;
  /** Added to the RTP timestamp of packet n. */
  tsJitter?: (track: number, n: number) => number;
  /** RTCP SR (+ SDES) period while playing; 0: none. Default 150 ms. */
  srIntervalMs?: number;
  /** Accept connections and never answer. */
  silent?: boolean;
  /** Methods never answered. */
  ignore?: string[];
  /** Close the connection after the TEARDOWN reply (with Connection: close), as gst does. Default true. */
  closeAfterTeardown?: boolean;
  keepSendingAfterPause?: boolean;
  /** After the PLAY reply, send the client this request. */
  serverRequestAfterPlay?: "GET_PARAMETER" | "OPTIONS" | "ANNOUNCE";
  /** At PLAY, also send this many junk datagrams (or frames) on each track's RTP channel. */
  junkPackets?: number;
  /** At PLAY, send one RTP datagram from this address (e.g. 127.0.0.2) to each track. */
  strayFrom?: string;
  /** Answer SETUP with this SSRC in Transport instead of the one used. */
  announcedSsrc?: number;
  /** The clock of the packets' and SRs' pacing (a test's FakeClock: packets go as the test moves time); default the system clock. */
  clock?: Clock;
}

export interface FakeRtspServer {
  port: number;
  url(host?: string): string;
  requests: { method: string; url: string; headers: Record<string, string> }[];
  /** RTCP packets the client sent, by track. */
  rtcpFromClient: { track: number; via: "udp" | "tcp"; packet: Buffer }[];
  /** Requests ("PLAY") and RTCP packets from the client ("RTCP 0 RR SDES BYE" for track 0), in arrival order. */
  events: string[];
  /** The sequence numbers sent (after drops, with duplicates), by track. */
  sent: number[][];
  /** The sequence numbers dropped, by track. */
  dropped: number[][];
  /** Replies the client sent to the server's own requests. */
  clientAnswers: string[];
  connections: number;
  close(): Promise<void>;
}

interface TrackOut {
  kind: "udp" | "tcp";
  clientHost: string;
  clientPorts: [number, number];
  channels: [number, number];
  socket: net.Socket;
}

interface FakeSession {
  id: string;
  outputs: Map<number, TrackOut>;
  counters: { n: number; held: Buffer | null; packets: number; octets: number }[];
  /** Cancels each pacing timer (RTP, SR) while playing. */
  timers: (() => void)[];
  playing: boolean;
}

const plain = (a: string | undefined) => (a ?? "").replace(/^::ffff:/, "");

export async function startFakeRtspServer(options: FakeRtspOptions = {}): Promise<FakeRtspServer> {
  const path = options.path ?? "/twister";
  const tracks = options.tracks ?? DEFAULT_FAKE_TRACKS;
  const control = options.control ?? "absolute";
  const srIntervalMs = options.srIntervalMs ?? 150;
  const clock = options.clock ?? systemClock;
  const ignore = new Set(options.ignore ?? []);
  const sockets = new Set<net.Socket>();
  const sessions = new Map<string, FakeSession>();
  let sessionCount = 0;

  // One RTP/RTCP socket pair per track, bound up front and shared by the sessions.
  const udp = await Promise.all(
    tracks.map(async () => {
      const rtp = dgram.createSocket("udp4");
      const rtcp = dgram.createSocket("udp4");
      rtp.bind(0, "127.0.0.1");
      rtcp.bind(0, "127.0.0.1");
      await Promise.all([once(rtp, "listening"), once(rtcp, "listening")]);
      return { rtp, rtcp };
    }),
  );

  const state: FakeRtspServer = {
    port: 0,
    url: (host = "127.0.0.1") => `rtsp://${host}:${state.port}${path}`,
    requests: [],
    rtcpFromClient: [],
    events: [],
    sent: tracks.map(() => []),
    dropped: tracks.map(() => []),
    clientAnswers: [],
    connections: 0,
    close: async () => {
      for (const s of sessions.values()) stop(s);
      for (const s of sockets) s.destroy();
      await Promise.all(udp.flatMap((u) => [new Promise<void>((r) => u.rtp.close(() => r())), new Promise<void>((r) => u.rtcp.close(() => r()))]));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  udp.forEach((u, track) =>
    u.rtcp.on("message", (packet) => {
      state.rtcpFromClient.push({ track, via: "udp", packet });
      state.events.push(rtcpEvent(track, packet));
    }),
  );

  const stop = (s: FakeSession) => {
    for (const cancel of s.timers) cancel();
    s.timers = [];
    s.playing = false;
  };

  const deliver = (s: FakeSession, track: number, rtcp: boolean, packet: Buffer) => {
    const out = s.outputs.get(track);
    if (!out) return;
    if (out.kind === "tcp") {
      if (!out.socket.destroyed) out.socket.write(interleavedFrame(out.channels[rtcp ? 1 : 0], packet));
      return;
    }
    const sock = rtcp ? udp[track]!.rtcp : udp[track]!.rtp;
    sock.send(packet, out.clientPorts[rtcp ? 1 : 0], out.clientHost, () => undefined);
  };

  const sendNext = (s: FakeSession, track: number) => {
    const t = tracks[track]!;
    const c = s.counters[track]!;
    const n = c.n++;
    const seq = (t.startSeq + n) & 0xffff;
    const timestamp = (t.startTs + n * t.tsPerPacket + (options.tsJitter?.(track, n) ?? 0)) >>> 0;
    const packet = buildRtpPacket({ payloadType: t.payloadType, sequence: seq, timestamp, ssrc: t.ssrc, marker: t.media === "video", payload: Buffer.alloc(t.payloadBytes, 0xab) });
    const fate = options.fate?.(track, n);
    const send = (p: Buffer) => {
      deliver(s, track, false, p);
      state.sent[track]!.push(p.readUInt16BE(2));
      c.packets += 1;
      c.octets += t.payloadBytes;
    };
    if (fate === "drop") {
      state.dropped[track]!.push(seq);
      return;
    }
    if (fate === "swap") {
      c.held = packet;
      return;
    }
    send(packet);
    if (fate === "duplicate") send(packet);
    if (c.held) {
      send(c.held);
      c.held = null;
    }
  };

  const sendSr = (s: FakeSession, track: number) => {
    const t = tracks[track]!;
    const c = s.counters[track]!;
    const ntp = unixMsToNtp(Date.now());
    const sr = buildSr({ ssrc: t.ssrc, ntpSeconds: ntp.seconds, ntpFraction: ntp.fraction, rtpTimestamp: (t.startTs + c.n * t.tsPerPacket) >>> 0, packetCount: c.packets, octetCount: c.octets, reports: [] });
    deliver(s, track, true, Buffer.concat([sr, buildSdesCname(t.ssrc, "fake@127.0.0.1")]));
  };

  /** As setInterval, on the clock: `fn` every `ms` until the session stops playing. */
  const every = (s: FakeSession, ms: number, fn: () => void) => {
    const slot = s.timers.length;
    const arm = () => {
      s.timers[slot] = startTimer(clock, ms, () => {
        if (!s.playing) return;
        arm();
        fn();
      });
    };
    arm();
  };

  const play = (s: FakeSession) => {
    if (s.playing) return;
    s.playing = true;
    for (const track of s.outputs.keys()) {
      every(s, tracks[track]!.packetIntervalMs, () => sendNext(s, track));
      if (srIntervalMs > 0) every(s, srIntervalMs, () => sendSr(s, track));
      for (let i = 0; i < (options.junkPackets ?? 0); i++) deliver(s, track, false, Buffer.from([0x12, 0x34, 0x56]));
      if (options.strayFrom !== undefined) {
        const out = s.outputs.get(track)!;
        if (out.kind === "udp") {
          const stray = dgram.createSocket("udp4");
          stray.bind(0, options.strayFrom, () => {
            const p = buildRtpPacket({ payloadType: tracks[track]!.payloadType, sequence: 1, timestamp: 1, ssrc: 0x57a4, payload: Buffer.alloc(10) });
            stray.send(p, out.clientPorts[0], out.clientHost, () => stray.close());
          });
        }
      }
    }
  };

  const sessionOf = (request: RtspRequest): FakeSession | null | undefined => {
    const header = request.headers.get("Session");
    if (header === undefined) return null;
    return sessions.get(header.split(";")[0]!.trim());
  };

  const controlOf = (base: string, i: number) => (control === "absolute" ? `${base}/stream=${i}` : `stream=${i}`);

  const sdpFor = (base: string) => {
    const lines = [
      "v=0",
      "o=- 1188340656180883 1 IN IP4 127.0.0.1",
      "s=Session streamed with GStreamer",
      "i=rtsp-server",
      "t=0 0",
      "a=tool:GStreamer",
      "a=type:broadcast",
      "a=range:npt=now-",
    ];
    if (control === "absolute") lines.push(`a=control:${base}`);
    else if (control === "relative") lines.push("a=control:*");
    tracks.forEach((t, i) => {
      lines.push(`m=${t.media} 0 RTP/AVP ${t.payloadType}`, "c=IN IP4 0.0.0.0");
      if (t.rtpmap !== undefined) lines.push(`a=rtpmap:${t.payloadType} ${t.rtpmap}`);
      lines.push(`a=control:${controlOf(base, i)}`);
    });
    return lines.join("\r\n") + "\r\n";
  };

  const handle = (socket: net.Socket, request: RtspRequest) => {
    state.requests.push({ method: request.method, url: request.url, headers: request.headers.toObject() });
    state.events.push(request.method);
    if (ignore.has(request.method)) return;
    const cseq = cseqOf(request);
    const reply = (status: number, headers: [string, string][] = [], body?: string, close = false) => {
      const all: [string, string][] = [...headers, ["Server", "GStreamer RTSP server"]];
      if (close) all.push(["Connection", "close"]);
      socket.write(serializeResponse({ status, cseq, headers: all, ...(body !== undefined ? { body } : {}) }));
      if (close) socket.end();
    };
    if (cseq === null) return reply(400);
    let url: URL;
    try {
      url = new URL(request.url === "*" ? `rtsp://127.0.0.1${path}` : request.url);
    } catch {
      return reply(400);
    }
    const base = `rtsp://${url.host}${path}`;
    // As gst: DESCRIBE takes the path with or without a slash; an aggregate request must match it exactly.
    const pathname = url.pathname.replace(/\/$/, "");
    const aggregate = url.pathname === path;
    const withSlash = url.pathname === `${path}/`;
    const stream = pathname.startsWith(`${path}/stream=`) ? Number(pathname.slice(path.length + 8)) : undefined;
    const session = sessionOf(request);
    const sessionHeader = (s: FakeSession) => (options.sessionTimeout == null ? s.id : `${s.id};timeout=${options.sessionTimeout}`);
    switch (request.method) {
      case "OPTIONS":
        return reply(200, [["Public", "OPTIONS, DESCRIBE, ANNOUNCE, GET_PARAMETER, PAUSE, PLAY, RECORD, SETUP, SET_PARAMETER, TEARDOWN"]]);
      case "DESCRIBE": {
        if (!aggregate && !withSlash) return reply(404);
        const headers: [string, string][] = [["Content-Type", "application/sdp"]];
        if (options.contentBase ?? true) headers.push(["Content-Base", `${base}/`]);
        return reply(200, headers, sdpFor(base));
      }
      case "SETUP": {
        if (session === undefined) return reply(454);
        const index = stream ?? ((aggregate || withSlash) && tracks.length === 1 ? 0 : undefined);
        if (index === undefined || !tracks[index]) return reply(404);
        const transport = parseTransport(request.headers.get("Transport"))[0];
        if (!transport) return reply(461);
        let s = session;
        if (s === null) {
          sessionCount += 1;
          s = { id: sessionCount === 1 ? (options.sessionId ?? "FAKESESSION1234") : `FAKESESSION${sessionCount}`, outputs: new Map(), counters: tracks.map(() => ({ n: 0, held: null, packets: 0, octets: 0 })), timers: [], playing: false };
          sessions.set(s.id, s);
        }
        const t = tracks[index]!;
        const ssrc = ssrcHex(options.announcedSsrc ?? t.ssrc);
        let answer: string;
        if (transport.lowerTransport === "TCP") {
          const channels = transport.interleaved ?? [2 * index, 2 * index + 1];
          s.outputs.set(index, { kind: "tcp", clientHost: "", clientPorts: [0, 0], channels, socket });
          answer = `RTP/AVP/TCP;unicast;interleaved=${channels[0]}-${channels[1]};ssrc=${ssrc};mode="PLAY"`;
        } else {
          if (!transport.clientPort) return reply(461);
          s.outputs.set(index, { kind: "udp", clientHost: plain(socket.remoteAddress), clientPorts: transport.clientPort, channels: [0, 0], socket });
          const u = udp[index]!;
          answer = `RTP/AVP;unicast;client_port=${transport.clientPort[0]}-${transport.clientPort[1]};server_port=${u.rtp.address().port}-${u.rtcp.address().port};ssrc=${ssrc};mode="PLAY"`;
        }
        return reply(200, [["Transport", answer], ["Session", sessionHeader(s)]]);
      }
      case "PLAY": {
        if (!session) return reply(454);
        if (stream !== undefined || withSlash) return reply(460);
        if (!aggregate) return reply(404);
        const info = [...session.outputs.keys()].map((i) => {
          const t = tracks[i]!;
          const c = session.counters[i]!;
          const ctl = `${base}/stream=${i}`;
          return `url=${ctl};seq=${(t.startSeq + c.n) & 0xffff};rtptime=${(t.startTs + c.n * t.tsPerPacket) >>> 0}`;
        });
        reply(200, [["RTP-Info", info.join(", ")], ["Range", "npt=now-"], ["Session", sessionHeader(session)]]);
        play(session);
        if (options.serverRequestAfterPlay) {
          socket.write(`${options.serverRequestAfterPlay} ${base} RTSP/1.0\r\nCSeq: 1\r\nSession: ${session.id}\r\n\r\n`);
        }
        return;
      }
      case "PAUSE":
        if (!session) return reply(454);
        if (!aggregate) return reply(stream !== undefined || withSlash ? 460 : 404);
        if (!options.keepSendingAfterPause) stop(session);
        return reply(200, [["Session", sessionHeader(session)]]);
      case "TEARDOWN":
        if (!session) return reply(454);
        if (!aggregate) return reply(stream !== undefined || withSlash ? 460 : 404);
        stop(session);
        sessions.delete(session.id);
        return reply(200, [], undefined, options.closeAfterTeardown ?? true);
      case "GET_PARAMETER":
        if (session === undefined) return reply(454);
        return reply(200, session ? [["Session", sessionHeader(session)]] : []);
      default:
        return reply(501);
    }
  };

  const server = net.createServer((socket) => {
    state.connections += 1;
    sockets.add(socket);
    // Each write goes at once (no Nagle wait for an ACK that loopback may delay 40 ms): what the
    // fake sends in a test's step of the clock reaches the probe within that step.
    socket.setNoDelay(true);
    socket.on("error", () => undefined);
    socket.on("close", () => {
      sockets.delete(socket);
      // gst keeps UDP sessions; interleaved ones die with their connection.
      for (const s of sessions.values()) {
        for (const [i, out] of s.outputs) if (out.kind === "tcp" && out.socket === socket) s.outputs.delete(i);
      }
    });
    if (options.silent) return;
    const parser = new RtspStreamParser();
    socket.on("data", (chunk: Buffer) => {
      let messages;
      try {
        messages = parser.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const m of messages) {
        if (m.kind === "request") handle(socket, m);
        else if (m.kind === "response") state.clientAnswers.push(m.headLines.join("\n"));
        else {
          for (const s of sessions.values()) {
            for (const [track, out] of s.outputs) {
              if (out.kind === "tcp" && out.socket === socket && out.channels[1] === m.channel) {
                state.rtcpFromClient.push({ track, via: "tcp", packet: m.payload });
                state.events.push(rtcpEvent(track, m.payload));
              }
            }
          }
        }
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  state.port = (server.address() as net.AddressInfo).port;
  return state;
}
