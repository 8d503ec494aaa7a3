import net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidInputError } from "../../common/errors.ts";
import { FakeClock } from "../../common/testing/fake-clock.ts";
import { eventually } from "../../common/testing/timing.ts";
import type { DockerAdapter } from "../../docker/docker-adapter.ts";
import { Topology, type ServiceSpec } from "../../lab/topology.ts";
import type { ProbeContext } from "../probe.ts";
import { formatTranscript } from "../transcript.ts";
import { DEFAULT_FAKE_TRACKS, type FakeRtspOptions, type FakeRtspServer, startFakeRtspServer } from "./fake-rtsp-server.ts";
import { parseRtcpCompound } from "./rtcp.ts";
import { type PlayResult, type RtspProbeParams, rtspProbe, type SetupResult, type StopResult, urlHostOf } from "./rtsp-probe.ts";

const service = (name: string, ipv4: string, hostnames: string[] = []): ServiceSpec => ({ name, role: "rtsp", hostnames, description: "", networks: [{ network: "lab", ipv4 }] });
// The media server lives on 127.0.0.1 here.
const topology = new Topology(
  "l7lab",
  [service("media", "127.0.0.1", ["media.localhost"]), service("media-lab", "10.0.0.80", ["media.someschool.edu"]), service("outside", "198.51.100.80")],
  [{ name: "lab", subnet: "10.0.0.0/24", internal: true, private: false, description: "" }],
);

/**
 * The clock of the probe (its receive windows, receiver reports, timeouts and the ms it reports)
 * and of the fake's pacing (RTP every 20 or 40 ms, SRs every 150 ms): time moves only when a test
 * moves it, so a loaded machine changes no count and no ms. The receive windows below are not
 * multiples of the packet intervals, so that no packet is due at the very end of a window.
 */
let clock: FakeClock;
beforeEach(() => {
  clock = new FakeClock();
});
function context(signal = new AbortController().signal): ProbeContext {
  return { signal, clock, topology, docker: {} as DockerAdapter, stepStartedAt: () => undefined };
}

const handles = (kind: string) => process.getActiveResourcesInfo().filter((r) => r === kind).length;
const udpHandles = () => handles("UDPWrap");
/** Waits until `count()` is `expected`; a closed socket's handle goes a little after its close callback. */
async function settled(count: () => number, expected: number): Promise<number> {
  await eventually(() => expect(count()).toBe(expected));
  return count();
}

const servers: FakeRtspServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  // Every socket of the test, the probe's and the fake's, is gone before the next test counts them.
  expect(await settled(udpHandles, 0)).toBe(0);
  expect(await settled(() => handles("TCPSocketWrap"), 0)).toBe(0);
});
async function fake(options: FakeRtspOptions = {}): Promise<FakeRtspServer> {
  const s = await startFakeRtspServer({ clock, ...options });
  servers.push(s);
  return s;
}

const PLAY_SEQUENCE = (playMs: number, teardownMs = 50): RtspProbeParams["actions"] => [{ options: true }, { describe: true }, { setup: "all" }, { play: true, receiveMs: playMs }, { teardown: true, receiveMs: teardownMs }];

/**
 * Runs the probe, and whenever it waits out a receive window (a sleep that its signal ends; its
 * timeouts are timers), moves the clock to the window's end. Time moves for nothing else.
 */
async function run(params: Partial<RtspProbeParams> & { port: number }, ctx = context()) {
  const running = rtspProbe.run({ server: "media", ...params } as RtspProbeParams, ctx);
  const ended = running.then(
    () => undefined,
    () => undefined,
  );
  for (;;) {
    const left = await Promise.race([clock.waitingOn(ctx.signal), ended]);
    if (left === undefined) break;
    await clock.advance(left);
  }
  const out = await running;
  expect(() => JSON.stringify(out)).not.toThrow();
  return out;
}


describe("rtspProbe over UDP", () => {
  it("plays the twister: OPTIONS, DESCRIBE, SETUP of both tracks, PLAY, TEARDOWN, with RTP and RTCP", async () => {
    const s = await fake();
    const before = udpHandles();
    const out = await run({ port: s.port, actions: PLAY_SEQUENCE(710) });
    expect(out.ok).toBe(true);
    const d = out.data;
    expect(d).toMatchObject({
      url: `rtsp://media.localhost:${s.port}/twister`,
      transport: "udp",
      server: `127.0.0.1:${s.port}`,
      serverSoftware: "GStreamer RTSP server",
      session: { id: "FAKESESSION1234", timeout: null },
      connections: 1,
      strayPackets: 0,
      unmatchedReplies: 0,
    });
    expect(d.actions.map((a) => [a.action, a.method, a.status, a.cseq])).toEqual([
      ["options", "OPTIONS", 200, 1],
      ["describe", "DESCRIBE", 200, 2],
      ["setup", "SETUP", 200, 3],
      ["play", "PLAY", 200, 5],
      ["teardown", "TEARDOWN", 200, 6],
    ]);
    expect(d.actions[0]).toMatchObject({ public: expect.arrayContaining(["DESCRIBE", "SETUP", "PLAY", "PAUSE", "TEARDOWN", "GET_PARAMETER"]) });
    expect(d.actions[1]).toMatchObject({ contentType: "application/sdp", contentBase: `rtsp://media.localhost:${s.port}/twister/` });
    expect(d.sdp?.tracks.map((t) => [t.media, t.rtpmap?.encoding, t.controlUrl])).toEqual([
      ["audio", "PCMU", `rtsp://media.localhost:${s.port}/twister/stream=0`],
      ["video", "JPEG", `rtsp://media.localhost:${s.port}/twister/stream=1`],
    ]);

    const setup = d.actions[2] as SetupResult;
    expect(setup.sessionId).toBe("FAKESESSION1234");
    expect(setup.tracks.map((t) => [t.index, t.status, t.cseq, t.transport?.lowerTransport, t.transport?.ssrc])).toEqual([
      [0, 200, 3, "UDP", "1C3C2D7B"],
      [1, 200, 4, "UDP", "0BADCAFE"],
    ]);
    for (const t of d.tracks) {
      expect(t.setUp).toBe(true);
      expect(t.clientPorts![0] % 2).toBe(0);
      expect(t.clientPorts![1]).toBe(t.clientPorts![0] + 1);
      expect(t.transport?.clientPort).toEqual(t.clientPorts);
      expect(t.transport?.serverPort).toHaveLength(2);
    }

    const play = d.actions[3] as PlayResult;
    expect(play.url).toBe(`rtsp://media.localhost:${s.port}/twister`);
    expect(play.rtpInfo).toEqual([
      { url: `rtsp://media.localhost:${s.port}/twister/stream=0`, track: 0, seq: 1000, rtptime: 50_000 },
      { url: `rtsp://media.localhost:${s.port}/twister/stream=1`, track: 1, seq: 20_000, rtptime: 7_000_000 },
    ]);
    // The fake's first audio packet goes 20 ms after the PLAY, the last in the window at 700 ms.
    expect(play.firstRtpMs).toBe(20);
    expect(play.window.map((w) => w.index)).toEqual([0, 1]);
    expect(play.window[0]!.packets).toBe(35);
    expect(play.window[0]).toMatchObject({ lost: 0, duplicates: 0, reordered: 0, gaps: 0 });

    const [audio, video] = d.tracks;
    expect(audio).toMatchObject({ index: 0, media: "audio", payloadType: 0, encoding: "PCMU", clockRate: 8000, channels: 1 });
    expect(video).toMatchObject({ index: 1, media: "video", payloadType: 26, encoding: "JPEG", clockRate: 90000, channels: null });
    expect(audio!.rtp).toMatchObject({ ssrc: "1C3C2D7B", payloadTypes: [0], firstSeq: 1000, lost: 0, invalid: 0, duplicates: 0, gaps: 0, clockRate: 8000 });
    expect(audio!.rtp.packets).toBe(s.sent[0]!.length);
    expect(video!.rtp.packets).toBe(s.sent[1]!.length);
    expect(audio!.rtp.expected).toBe(audio!.rtp.packets);
    expect(audio!.rtp.packetsPerSecond).toBeGreaterThan(30);
    expect(audio!.rtp.jitterMs).toBeGreaterThanOrEqual(0);
    expect(audio!.rtcp).toMatchObject({ cname: "fake@127.0.0.1", invalid: 0, byeSent: true });
    expect(audio!.rtcp.senderReports).toBeGreaterThanOrEqual(3);
    expect(audio!.rtcp.lastSr).toMatchObject({ ssrc: "1C3C2D7B", ntpTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    expect(d.totals).toEqual({ rtpPackets: audio!.rtp.packets + video!.rtp.packets, expected: audio!.rtp.expected + video!.rtp.expected, lost: 0, lossFraction: 0, lossPercent: 0 });

    const text = formatTranscript(out.transcript);
    expect(text).toContain(["C: SETUP rtsp://media.localhost:" + s.port + "/twister/stream=1 RTSP/1.0", "C: CSeq: 4", "C: User-Agent: l7lab", "C: Session: FAKESESSION1234"].join("\n"));
    expect(text).toContain("S: a=rtpmap:26 JPEG/90000");
    expect(text).toMatch(/\* track 0: first RTP packet: PT 0, seq 1000, timestamp 50000, SSRC 1C3C2D7B, 160 payload bytes, [\d.]+ ms after the PLAY reply/);
    expect(text).toMatch(/\* track 0 \(audio PCMU\/8000\): \d+ RTP packets, \d+ expected, 0 lost/);
    // Bounded: no line per RTP packet.
    expect(out.transcript.length).toBeLessThan(120);
    expect(await settled(udpHandles, before)).toBe(before);
  });

  it("sends RTCP receiver reports (RR + SDES CNAME) about the right sources to the server's RTCP ports, and a BYE just before TEARDOWN", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: PLAY_SEQUENCE(710) });
    expect(out.ok).toBe(true);
    for (const track of [0, 1]) {
      const packets = s.rtcpFromClient.filter((r) => r.track === track && r.via === "udp").map((r) => parseRtcpCompound(r.packet));
      expect(packets.length).toBe(2);
      expect(packets.every((p) => p.valid && p.problems.length === 0)).toBe(true);
      const [rr, sdes] = packets[0]!.packets;
      expect(rr).toMatchObject({ type: "RR", reports: [{ ssrc: DEFAULT_FAKE_TRACKS[track]!.ssrc, fractionLost: 0, cumulativeLost: 0 }] });
      expect(sdes).toMatchObject({ type: "SDES", chunks: [{ cname: "l7lab@127.0.0.1" }] });
      const block = (rr as { reports: { lsr: number; dlsr: number; extendedHighestSeq: number }[] }).reports[0]!;
      expect(block.lsr).not.toBe(0);
      expect(block.dlsr).toBeLessThan(65536 / 2);
      expect(block.extendedHighestSeq).toBeGreaterThan(DEFAULT_FAKE_TRACKS[track]!.startSeq);
      expect(packets[1]!.packets.map((p) => p.type)).toEqual(["RR", "SDES", "BYE"]);
    }
    expect(out.data.tracks.map((t) => t.rtcp.rrSent)).toEqual([2, 2]);
    // The BYE goes while the server's session still exists: before the TEARDOWN request.
    expect(out.data.tracks.map((t) => t.rtcp.byeSent)).toEqual([true, true]);
    const lines = out.transcript.map((l) => `${l.dir} ${l.text}`);
    const teardownAt = lines.findIndex((l) => l.startsWith("C TEARDOWN "));
    const byes = lines.flatMap((l, i) => (/sent RTCP RR\+SDES\+BYE/.test(l) ? [i] : []));
    expect(byes).toHaveLength(2);
    expect(byes.every((i) => i < teardownAt), lines.join("\n")).toBe(true);
    expect(s.events.filter((e) => e.endsWith(" BYE")).sort()).toEqual(["RTCP 0 RR SDES BYE", "RTCP 1 RR SDES BYE"]);
  });

  it("counts drops, a duplicate, a swap and the sequence wrap past 65535", async () => {
    const tracks = [{ ...DEFAULT_FAKE_TRACKS[0]!, startSeq: 65530 }, DEFAULT_FAKE_TRACKS[1]!];
    const s = await fake({ tracks, fate: (t, n) => (t !== 0 ? undefined : n === 3 || n === 4 ? "drop" : n === 9 ? "duplicate" : n === 12 ? "swap" : undefined) });
    const out = await run({ port: s.port, actions: PLAY_SEQUENCE(510) });
    const audio = out.data.tracks[0]!.rtp;
    expect(audio).toMatchObject({ firstSeq: 65530, wraps: 1, gaps: 1, duplicates: 1, reordered: 1, discarded: 0 });
    expect(audio.largestGaps).toEqual([{ fromSeq: 65533, toSeq: 65534, missing: 2, atMs: expect.any(Number) }]);
    expect(audio.packets).toBe(s.sent[0]!.length);
    expect(audio.expected).toBe(new Set(s.sent[0]).size + 2);
    // Two lost, one duplicate: lost = expected - received = 1.
    expect(audio.lost).toBe(1);
    expect(audio.extendedHighestSeq).toBe(65536 + s.sent[0]!.at(-1)!);
    expect(out.data.tracks[1]!.rtp).toMatchObject({ lost: 0, duplicates: 0, wraps: 0 });
    const play = out.data.actions[3] as PlayResult;
    expect(play.window[0]).toMatchObject({ duplicates: 1, reordered: 1, gaps: 1, lost: 1 });
    expect(out.data.totals.lost).toBe(1);
  });

  it("jitter follows the timestamps: an alternating 50 ms offset on audio, none on video", async () => {
    const s = await fake({ tsJitter: (t, n) => (t === 0 && n % 2 === 1 ? 400 : 0) });
    const out = await run({ port: s.port, actions: PLAY_SEQUENCE(610) });
    const [audio, video] = out.data.tracks;
    // J approaches 400 units (50 ms) from below: 400 * (1 - (15/16)^n) after n packets.
    expect(audio!.rtp.jitter).toBeGreaterThan(250);
    expect(audio!.rtp.jitterMs).toBeGreaterThan(30);
    expect(video!.rtp.jitterMs).toBeLessThan(15);
  });

  it("PAUSE: packets stop after the reply; silenceMs is the quiet at the end", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ describe: true }, { setup: "all" }, { play: true, receiveMs: 310 }, { pause: true, receiveMs: 300 }, { teardown: true, receiveMs: 0 }] });
    const pause = out.data.actions[3] as StopResult;
    expect(pause).toMatchObject({ action: "pause", method: "PAUSE", status: 200, receiveMs: 300 });
    expect(pause.rtpPackets).toBe(0);
    expect(pause.lastRtpAfterReplyMs).toBeNull();
    expect(pause.silenceMs).toBe(300);
  });

  it("PAUSE that the server ignores: packets keep coming", async () => {
    const s = await fake({ keepSendingAfterPause: true });
    const out = await run({ port: s.port, actions: [{ describe: true }, { setup: "all" }, { play: true, receiveMs: 210 }, { pause: true, receiveMs: 300 }] });
    const pause = out.data.actions[3] as StopResult;
    // Audio every 20 ms and video every 40 ms go on: the last audio packet 290 ms after the reply.
    expect(pause.rtpPackets).toBe(15 + 7);
    expect(pause.lastRtpAfterReplyMs).toBe(290);
    expect(pause.silenceMs).toBe(10);
  });

  it("TEARDOWN: nothing after the reply, then a new connection for a raw request with the old session: 454", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [...PLAY_SEQUENCE(210, 150)!, { request: "PLAY", session: "FAKESESSION1234" }, { play: true }] });
    expect(out.ok).toBe(true);
    const teardown = out.data.actions[4] as StopResult;
    expect(teardown).toMatchObject({ status: 200, rtpPackets: 0, lastRtpAfterReplyMs: null, silenceMs: 150 });
    expect(out.data.actions[5]).toMatchObject({ action: "request", method: "PLAY", status: 454, reason: "Session Not Found", sessionSent: "FAKESESSION1234" });
    expect(out.data.actions[6]).toMatchObject({ action: "play", status: null, skipped: "the session FAKESESSION1234 was torn down" });
    expect(out.data.connections).toBe(2);
    expect(s.connections).toBe(2);
    expect(formatTranscript(out.transcript)).toContain("S: Connection: close\n");
  });

  it("a wrong Session: 454, and the probe's own session goes on", async () => {
    const s = await fake({ sessionTimeout: 30 });
    const out = await run({
      port: s.port,
      actions: [{ describe: true }, { setup: "all" }, { request: "PLAY", session: "nosuchsession" }, { request: "TEARDOWN" }, { play: true, receiveMs: 110 }, { getParameter: true }, { pause: true, receiveMs: 0 }],
    });
    expect(out.data.session).toEqual({ id: "FAKESESSION1234", timeout: 30 });
    expect(out.data.actions.slice(2).map((a) => [a.method, a.status])).toEqual([
      ["PLAY", 454],
      ["TEARDOWN", 454],
      ["PLAY", 200],
      ["GET_PARAMETER", 200],
      ["PAUSE", 200],
    ]);
    expect(s.requests.map((r) => [r.method, r.headers["session"] ?? null])).toEqual([
      ["DESCRIBE", null],
      ["SETUP", null],
      ["SETUP", "FAKESESSION1234"],
      ["PLAY", "nosuchsession"],
      ["TEARDOWN", null],
      ["PLAY", "FAKESESSION1234"],
      ["GET_PARAMETER", "FAKESESSION1234"],
      ["PAUSE", "FAKESESSION1234"],
    ]);
    expect(out.data.actions[2]).toMatchObject({ cseq: 4, headers: { cseq: "4", server: "GStreamer RTSP server" } });
  });

  it("an unknown path: 404 is a result; what needs a description or a session is skipped", async () => {
    const s = await fake();
    const out = await run({ port: s.port, path: "/nosuch", actions: [{ describe: true }, { setup: "all" }, { play: true }, { pause: true }, { teardown: true }, { getParameter: true }, { wait: 10 }] });
    expect(out.ok).toBe(true);
    expect(out.data.actions.map((a) => [a.action, a.status, a.skipped ?? null])).toEqual([
      ["describe", 404, null],
      ["setup", null, "no session description: no DESCRIBE has returned one"],
      ["play", null, "no session: no SETUP has succeeded"],
      ["pause", null, "no session: no SETUP has succeeded"],
      ["teardown", null, "no session: no SETUP has succeeded"],
      ["getParameter", 200, null],
      ["wait", null, null],
    ]);
    expect(out.data).toMatchObject({ sdp: null, session: null, tracks: [], totals: { rtpPackets: 0, expected: 0, lost: 0 } });
    expect(out.data.actions[0]).toMatchObject({ sdp: null, url: `rtsp://media.localhost:${s.port}/nosuch` });
  });

  it("describe of another path, and SETUP of listed tracks only (an unknown index is skipped)", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ describe: "/other" }, { describe: true }, { setup: [1, 5] }, { play: true, receiveMs: 210 }] });
    expect(out.data.actions[0]).toMatchObject({ status: 404, url: `rtsp://media.localhost:${s.port}/other` });
    const setup = out.data.actions[2] as SetupResult;
    expect(setup.status).toBe(200);
    expect(setup.tracks.map((t) => [t.index, t.status, t.skipped ?? null])).toEqual([
      [1, 200, null],
      [5, null, "track 5 does not exist; the description has 2 tracks (0-1)"],
    ]);
    expect(out.data.tracks.map((t) => [t.setUp, t.rtp.packets > 0, t.clientPorts === null])).toEqual([
      [false, false, true],
      [true, true, false],
    ]);
    expect((out.data.actions[3] as PlayResult).window.map((w) => w.index)).toEqual([1]);
  });

  it("PLAY again after PAUSE: each window apart, and the totals so far", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ describe: true }, { setup: [0] }, { play: true, receiveMs: 210 }, { pause: true, receiveMs: 100 }, { play: true, receiveMs: 210 }] });
    const first = out.data.actions[2] as PlayResult;
    const second = out.data.actions[4] as PlayResult;
    expect(second.status).toBe(200);
    expect(second.rtpInfo[0]).toMatchObject({ track: 0, seq: (1000 + s.sent[0]!.length - second.window[0]!.packets) & 0xffff });
    expect(first.cumulative[0]!.packets).toBe(first.window[0]!.packets);
    expect(second.cumulative[0]!.packets).toBe(out.data.tracks[0]!.rtp.packets);
    expect(second.cumulative[0]!.packets).toBeGreaterThan(second.window[0]!.packets);
    expect(second.cumulative[0]).toMatchObject({ index: 0, lost: 0, gaps: 0 });
  });

  it("a DESCRIBE after TEARDOWN does not replace the tracks that were played", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ describe: true }, { setup: [0] }, { play: true, receiveMs: 150 }, { teardown: true, receiveMs: 0 }, { describe: true }] });
    expect(out.data.actions[4]).toMatchObject({ status: 200, sdp: { tracks: [{ index: 0 }, { index: 1 }] } });
    expect(out.data.tracks[0]!.rtp.packets).toBe(s.sent[0]!.length);
    expect(formatTranscript(out.transcript)).toContain("* tracks were set up from an earlier description: they stay the probe's tracks");
  });

  it("records a request from the server and answers it", async () => {
    const s = await fake({ serverRequestAfterPlay: "GET_PARAMETER" });
    const out = await run({ port: s.port, actions: [{ describe: true }, { setup: [0] }, { play: true, receiveMs: 110 }] });
    expect(out.data.serverRequests).toEqual([{ method: "GET_PARAMETER", url: `rtsp://media.localhost:${s.port}/twister`, cseq: 1, atMs: expect.any(Number), answered: 200 }]);
    expect(s.clientAnswers).toEqual(["RTSP/1.0 200 OK\nCSeq: 1\nSession: FAKESESSION1234"]);
  });

  it("an ANNOUNCE from the server is answered 501", async () => {
    const s = await fake({ serverRequestAfterPlay: "ANNOUNCE" });
    const out = await run({ port: s.port, actions: [{ describe: true }, { setup: [0] }, { play: true, receiveMs: 110 }] });
    expect(out.data.serverRequests).toMatchObject([{ method: "ANNOUNCE", answered: 501 }]);
    expect(s.clientAnswers[0]).toMatch(/^RTSP\/1.0 501 Not Implemented/);
  });

  it("counts invalid packets and datagrams from other addresses without stopping", async () => {
    const s = await fake({ junkPackets: 2, strayFrom: "127.0.0.2" });
    const out = await run({ port: s.port, actions: PLAY_SEQUENCE(310) });
    expect(out.ok).toBe(true);
    expect(out.data.tracks.map((t) => t.rtp.invalid)).toEqual([2, 2]);
    expect(out.data.strayPackets).toBe(2);
    expect(out.data.tracks[0]!.rtp.lost).toBe(0);
    const text = formatTranscript(out.transcript);
    expect(text).toContain("* track 0: not a valid RTP packet (3 bytes, shorter than the 12-byte RTP header)");
    expect(text).toMatch(/a UDP datagram from 127\.0\.0\.2:\d+, not the server: ignored/);
  });

  it("notes an SSRC in the Transport reply that the packets do not carry", async () => {
    const s = await fake({ announcedSsrc: 0x12345678 });
    const out = await run({ port: s.port, actions: [{ describe: true }, { setup: [0] }, { play: true, receiveMs: 110 }] });
    expect(out.data.tracks[0]!.rtp.ssrc).toBe("1C3C2D7B");
    expect(formatTranscript(out.transcript)).toContain("SSRC 1C3C2D7B (the Transport reply named SSRC 12345678)");
  });
});

describe("rtspProbe over TCP (interleaved)", () => {
  it("plays both tracks on channels 0-1 and 2-3, with RTCP both ways", async () => {
    const s = await fake({ fate: (t, n) => (t === 1 && n === 2 ? "drop" : undefined) });
    const before = udpHandles();
    const out = await run({ port: s.port, transport: "tcp", actions: PLAY_SEQUENCE(710) });
    expect(out.ok).toBe(true);
    const d = out.data;
    expect(d.transport).toBe("tcp");
    expect((d.actions[2] as SetupResult).tracks.map((t) => t.requestedTransport)).toEqual(["RTP/AVP/TCP;unicast;interleaved=0-1", "RTP/AVP/TCP;unicast;interleaved=2-3"]);
    expect(d.tracks.map((t) => [t.interleaved, t.clientPorts, t.transport?.lowerTransport])).toEqual([
      [[0, 1], null, "TCP"],
      [[2, 3], null, "TCP"],
    ]);
    expect(d.tracks[0]!.rtp).toMatchObject({ lost: 0, ssrc: "1C3C2D7B" });
    expect(d.tracks[1]!.rtp).toMatchObject({ lost: 1, gaps: 1 });
    expect(d.tracks[0]!.rtp.packets).toBe(s.sent[0]!.length);
    expect(d.tracks.every((t) => t.rtcp.senderReports >= 3)).toBe(true);
    expect(d.unknownChannelFrames).toBe(0);
    const rr = s.rtcpFromClient.filter((r) => r.via === "tcp").map((r) => [r.track, parseRtcpCompound(r.packet).packets.map((p) => p.type).join("+")]);
    // A periodic report each, then the BYE on each RTCP channel before TEARDOWN (after it, gst
    // closes the connection).
    expect(rr).toEqual([
      [0, "RR+SDES"],
      [1, "RR+SDES"],
      [0, "RR+SDES+BYE"],
      [1, "RR+SDES+BYE"],
    ]);
    expect(d.tracks.map((t) => t.rtcp.byeSent)).toEqual([true, true]);
    expect(await settled(udpHandles, before)).toBe(before);
  });

  it("resolves relative controls (a=control:* and stream=N) against Content-Base", async () => {
    const s = await fake({ control: "relative" });
    const out = await run({ port: s.port, transport: "tcp", actions: PLAY_SEQUENCE(210) });
    expect(out.data.sdp?.aggregateUrl).toBe(`rtsp://media.localhost:${s.port}/twister`);
    expect((out.data.actions[2] as SetupResult).tracks.map((t) => t.url)).toEqual([`rtsp://media.localhost:${s.port}/twister/stream=0`, `rtsp://media.localhost:${s.port}/twister/stream=1`]);
    expect(out.data.actions.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(out.data.tracks[1]!.rtp.packets).toBeGreaterThan(0);
  });

  it("PLAY on the aggregate URL with a slash added is refused 460, as gst does", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ describe: true }, { setup: [0] }, { request: "PLAY", url: "/twister/", session: "FAKESESSION1234" }, { request: "PLAY", url: "/twister/stream=0", session: "FAKESESSION1234" }] });
    expect(out.data.actions.slice(2).map((a) => [a.status, a.reason])).toEqual([
      [460, "Only aggregate operation allowed"],
      [460, "Only aggregate operation allowed"],
    ]);
  });

  it("a description without session-level control plays on the described URL", async () => {
    const s = await fake({ control: "none" });
    const out = await run({ port: s.port, transport: "tcp", actions: PLAY_SEQUENCE(110) });
    expect((out.data.actions[3] as PlayResult).url).toBe(`rtsp://media.localhost:${s.port}/twister`);
    expect((out.data.actions[3] as PlayResult).status).toBe(200);
  });
});

describe("rtspProbe failures", () => {
  it("a silent server: ok false with a timeout, and the actions so far", async () => {
    const s = await fake({ silent: true });
    const running = rtspProbe.run({ server: "media", port: s.port, timeoutMs: 100 }, context());
    // Connected (the first timer, the connection's, is gone) and waiting for the OPTIONS reply.
    await eventually(() => expect(clock.begun).toBe(2));
    expect(clock.pending()).toEqual([100]);
    await clock.advance(100);
    const out = await running;
    expect(out.ok).toBe(false);
    expect(out.error).toEqual({ code: "PROBE_TIMEOUT", message: `RTSP probe got no answer from 127.0.0.1:${s.port} to OPTIONS rtsp://media.localhost:${s.port}/twister within 100 ms` });
    expect(out.data.actions).toEqual([expect.objectContaining({ action: "options", status: null, error: out.error!.message })]);
    expect(out.transcript.at(-1)?.text).toBe(`no reply to OPTIONS rtsp://media.localhost:${s.port}/twister within 100 ms`);
  });

  it("a timeout in the middle: the set-up tracks and their sockets are reported, then closed", async () => {
    const s = await fake({ ignore: ["PLAY"] });
    const before = udpHandles();
    const running = rtspProbe.run({ server: "media", port: s.port, timeoutMs: 150, actions: PLAY_SEQUENCE(110) }, context());
    // The PLAY's reply timer is all that is left to end.
    await eventually(() => expect(s.requests.map((r) => r.method)).toContain("PLAY"));
    expect(clock.pending()).toEqual([150]);
    await clock.advance(150);
    const out = await running;
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_TIMEOUT");
    expect(out.data.actions.map((a) => [a.action, a.status])).toEqual([
      ["options", 200],
      ["describe", 200],
      ["setup", 200],
      ["play", null],
    ]);
    expect(out.data.session?.id).toBe("FAKESESSION1234");
    expect(out.data.tracks.every((t) => t.setUp && t.clientPorts !== null)).toBe(true);
    expect(await settled(udpHandles, before)).toBe(before);
  });

  it("a refused connection: ok false, PROBE_NETWORK", async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", () => r()));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const out = await run({ port });
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_NETWORK");
    expect(out.error?.message).toMatch(/^RTSP probe could not talk to 127\.0\.0\.1:\d+: cannot connect: connect ECONNREFUSED/);
    expect(out.data.actions).toEqual([]);
    expect(out.data.connections).toBe(0);
  });

  it("a server that does not speak RTSP: ok false, PROBE_NETWORK", async () => {
    const ssh = net.createServer((c) => c.resume().end("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"));
    await new Promise<void>((r) => ssh.listen(0, "127.0.0.1", () => r()));
    try {
      const out = await run({ port: (ssh.address() as net.AddressInfo).port });
      expect(out.ok).toBe(false);
      expect(out.error?.code).toBe("PROBE_NETWORK");
      expect(out.error?.message).toContain('the server does not speak RTSP: not an RTSP start line: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"');
    } finally {
      await new Promise<void>((r) => ssh.close(() => r()));
    }
  });

  it("an abort stops the probe with the signal's reason and closes every socket", async () => {
    const s = await fake();
    const udpBefore = udpHandles();
    const controller = new AbortController();
    const running = rtspProbe.run({ server: "media", port: s.port, actions: PLAY_SEQUENCE(5000) }, context(controller.signal));
    // In the PLAY window, with packets coming; the clock stands still from here: only the abort can end it.
    expect(await clock.waitingOn(controller.signal)).toBe(5000);
    await clock.advance(100);
    controller.abort(new Error("step cancelled"));
    await expect(running).rejects.toThrow("step cancelled");
    // What is left is the fake's pacing (the next packets at 120 ms, the SRs at 150 ms): the probe's
    // window and its receiver reports' timer are gone.
    expect(clock.pending()).toEqual([20, 20, 50, 50]);
    expect(await settled(udpHandles, udpBefore)).toBe(udpBefore);
    // The connection is closed at both ends, with the fake still running.
    expect(await settled(() => handles("TCPSocketWrap"), 0)).toBe(0);
  });

  it("an already aborted signal: nothing is sent", async () => {
    const s = await fake();
    const controller = new AbortController();
    controller.abort(new Error("too late"));
    await expect(run({ port: s.port }, context(controller.signal))).rejects.toThrow("too late");
    expect(s.connections).toBe(0);
  });

  it("a server outside the lab and bad parameters throw InvalidInputError before anything is sent", async () => {
    const s = await fake();
    await expect(run({ port: s.port, server: "outside" })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(run({ port: s.port, path: "twister" })).rejects.toThrow('RTSP probe parameters is invalid: path "twister" must start with "/"');
    expect(s.connections).toBe(0);
  });
});

describe("rtspProbe.check and names", () => {
  const check = (params: Partial<RtspProbeParams>) => rtspProbe.check!({ server: "media-lab", ...params } as RtspProbeParams, { topology, earlierStepIds: [] });
  it.each([
    { title: "a lab service", input: {}, expected: [] },
    { title: "a lab host name", input: { server: "media.someschool.edu" }, expected: [] },
    { title: "a lab address", input: { server: "10.0.0.80" }, expected: [] },
    { title: "an unknown name", input: { server: "media.example.com" }, expected: ['server "media.example.com" is not a lab service, a lab host name or an IP address'] },
    { title: "a service outside the lab", input: { server: "outside" }, expected: ['server "outside" (198.51.100.80) is not in the lab\'s networks (10.0.0.0/24); the probe asks only lab servers'] },
    { title: "a bad describe path", input: { actions: [{ describe: "x" }] }, expected: ['actions[0]: describe "x" must be a path starting with "/" without white space, or true'] },
  ])("$title", ({ input, expected }) => {
    expect(check(input as Partial<RtspProbeParams>)).toEqual(expected);
  });

  it("is named rtsp", () => {
    expect(rtspProbe.name).toBe("rtsp");
  });

  it("URLs carry the lab host name: as given, else the service's first", () => {
    expect(urlHostOf("media-lab", "10.0.0.80", topology)).toBe("media.someschool.edu");
    expect(urlHostOf("MEDIA.someschool.edu.", "10.0.0.80", topology)).toBe("media.someschool.edu");
    expect(urlHostOf("10.0.0.80", "10.0.0.80", topology)).toBe("10.0.0.80");
    expect(urlHostOf("outside", "198.51.100.80", topology)).toBe("198.51.100.80");
  });
});
