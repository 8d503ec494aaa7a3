import { describe, expect, it } from "vitest";
import { clockRateOf, parseSdp, STATIC_PAYLOAD_TYPES } from "./sdp.ts";

/** What gst-rtsp-server 1.22 answers for the twister (audio PCMU, video JPEG). */
const GST_SDP =
  "v=0\r\no=- 1188340656180883 1 IN IP4 127.0.0.1\r\ns=Session streamed with GStreamer\r\ni=rtsp-server\r\nt=0 0\r\na=tool:GStreamer\r\na=type:broadcast\r\na=range:npt=now-\r\n" +
  "a=control:rtsp://127.0.0.1:8554/twister\r\nm=audio 0 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=control:rtsp://127.0.0.1:8554/twister/stream=0\r\nm=video 0 RTP/AVP 26\r\n" +
  "c=IN IP4 0.0.0.0\r\na=rtpmap:26 JPEG/90000\r\na=control:rtsp://127.0.0.1:8554/twister/stream=1\r\n";

describe("parseSdp: gst-rtsp-server's description", () => {
  const sdp = parseSdp(GST_SDP, "rtsp://127.0.0.1:8554/twister/", "rtsp://127.0.0.1:8554/twister");

  it("reads the session level", () => {
    expect(sdp).toMatchObject({
      version: 0,
      origin: { username: "-", sessionId: "1188340656180883", sessionVersion: "1", netType: "IN", addrType: "IP4", address: "127.0.0.1" },
      sessionName: "Session streamed with GStreamer",
      information: "rtsp-server",
      connection: null,
      times: [{ start: "0", stop: "0" }],
      control: "rtsp://127.0.0.1:8554/twister",
      range: "npt=now-",
      tool: "GStreamer",
      type: "broadcast",
      aggregateUrl: "rtsp://127.0.0.1:8554/twister",
      problems: [],
    });
  });

  it("reads two tracks: PCMU from the static table, JPEG from its rtpmap", () => {
    expect(sdp.tracks).toEqual([
      {
        index: 0,
        media: "audio",
        port: 0,
        proto: "RTP/AVP",
        payloadTypes: [0],
        rtpmap: { encoding: "PCMU", clockRate: 8000, channels: 1 },
        rtpmaps: { "0": { encoding: "PCMU", clockRate: 8000, channels: 1 } },
        fmtp: null,
        framerate: null,
        control: "rtsp://127.0.0.1:8554/twister/stream=0",
        controlUrl: "rtsp://127.0.0.1:8554/twister/stream=0",
      },
      {
        index: 1,
        media: "video",
        port: 0,
        proto: "RTP/AVP",
        payloadTypes: [26],
        rtpmap: { encoding: "JPEG", clockRate: 90000, channels: null },
        rtpmaps: { "26": { encoding: "JPEG", clockRate: 90000, channels: null } },
        fmtp: null,
        framerate: null,
        control: "rtsp://127.0.0.1:8554/twister/stream=1",
        controlUrl: "rtsp://127.0.0.1:8554/twister/stream=1",
      },
    ]);
    expect(sdp.media[0]?.connection).toEqual({ netType: "IN", addrType: "IP4", address: "0.0.0.0" });
  });

  it("without a base URL the control URLs are not resolved", () => {
    const bare = parseSdp(GST_SDP);
    expect(bare.aggregateUrl).toBeNull();
    expect(bare.tracks.map((t) => [t.control, t.controlUrl])).toEqual([
      ["rtsp://127.0.0.1:8554/twister/stream=0", null],
      ["rtsp://127.0.0.1:8554/twister/stream=1", null],
    ]);
  });

  it("reads bare LF line ends the same", () => {
    expect(parseSdp(GST_SDP.replace(/\r\n/g, "\n"), "rtsp://127.0.0.1:8554/twister/").tracks.map((t) => t.controlUrl)).toEqual(sdp.tracks.map((t) => t.controlUrl));
  });
});

describe("parseSdp: control variants (RFC 2326 C.1.1)", () => {
  const relative = GST_SDP.replace("a=control:rtsp://127.0.0.1:8554/twister\r\n", "a=control:*\r\n").replace(/a=control:rtsp:\/\/127\.0\.0\.1:8554\/twister\/(stream=\d)/g, "a=control:$1");

  it("relative controls resolve against Content-Base; * is the described URL when the base is that URL with a slash", () => {
    const sdp = parseSdp(relative, "rtsp://media.someschool.edu:554/twister/", "rtsp://media.someschool.edu:554/twister");
    expect(sdp.control).toBe("*");
    expect(sdp.aggregateUrl).toBe("rtsp://media.someschool.edu:554/twister");
    expect(sdp.tracks.map((t) => [t.control, t.controlUrl])).toEqual([
      ["stream=0", "rtsp://media.someschool.edu:554/twister/stream=0"],
      ["stream=1", "rtsp://media.someschool.edu:554/twister/stream=1"],
    ]);
  });

  it("* is the base URL itself when the base is elsewhere", () => {
    expect(parseSdp(relative, "rtsp://media:554/base/", "rtsp://media:554/twister").aggregateUrl).toBe("rtsp://media:554/base/");
    expect(parseSdp(relative, "rtsp://media:554/twister/").aggregateUrl).toBe("rtsp://media:554/twister/");
  });

  it("without Content-Base the request URL is the base, and its last segment is replaced", () => {
    const sdp = parseSdp(relative, "rtsp://media.someschool.edu:554/twister");
    expect(sdp.tracks[0]?.controlUrl).toBe("rtsp://media.someschool.edu:554/stream=0");
  });

  it("without a session-level control the aggregate URL is the described URL", () => {
    const none = relative.replace("a=control:*\r\n", "");
    const sdp = parseSdp(none, "rtsp://media:554/twister/", "rtsp://media:554/twister");
    expect(sdp.control).toBeNull();
    expect(sdp.aggregateUrl).toBe("rtsp://media:554/twister");
  });

  it("a track without a=control has none", () => {
    const sdp = parseSdp("v=0\r\no=- 1 1 IN IP4 h\r\ns=-\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n", "rtsp://h/t/");
    expect(sdp.tracks[0]).toMatchObject({ control: null, controlUrl: null });
  });
});

describe("parseSdp: media attributes", () => {
  const text = [
    "v=0",
    "o=alice 2890844526 2890842807 IN IP4 10.0.0.5",
    "s=Seminar",
    "c=IN IP4 224.2.17.12/127",
    "t=2873397496 2873404696",
    "a=recvonly",
    "m=audio 49170 RTP/AVP 97 8 14",
    "a=rtpmap:97 L16/44100/2",
    "a=fmtp:97 emphasis=50-15",
    "m=video 51372/2 RTP/AVP 96 32",
    "b=AS:2000",
    "a=rtpmap:96 H264/90000",
    "a=fmtp:96 packetization-mode=1;profile-level-id=42e01f",
    "a=framerate:29.97",
    "a=control:trackID=2",
    "m=application 9 TCP/BFCP *",
    "",
  ].join("\r\n");
  const sdp = parseSdp(text, "rtsp://h/s/");

  it("rtpmap with channels, fmtp, framerate, static types beside dynamic ones", () => {
    expect(sdp.connection).toEqual({ netType: "IN", addrType: "IP4", address: "224.2.17.12/127" });
    expect(sdp.attributes).toEqual([{ name: "recvonly", value: null }]);
    expect(sdp.tracks[0]).toMatchObject({
      payloadTypes: [97, 8, 14],
      rtpmap: { encoding: "L16", clockRate: 44100, channels: 2 },
      rtpmaps: { "97": { encoding: "L16", clockRate: 44100, channels: 2 }, "8": { encoding: "PCMA", clockRate: 8000, channels: 1 }, "14": { encoding: "MPA", clockRate: 90000, channels: null } },
      fmtp: "emphasis=50-15",
      port: 49170,
    });
    expect(sdp.tracks[1]).toMatchObject({
      payloadTypes: [96, 32],
      rtpmap: { encoding: "H264", clockRate: 90000, channels: null },
      fmtp: "packetization-mode=1;profile-level-id=42e01f",
      framerate: 29.97,
      controlUrl: "rtsp://h/s/trackID=2",
    });
    expect(sdp.media[1]).toMatchObject({ port: 51372, numPorts: 2, bandwidths: ["AS:2000"] });
    expect(sdp.tracks[2]).toMatchObject({ media: "application", proto: "TCP/BFCP", payloadTypes: [], rtpmap: null });
    expect(sdp.problems).toEqual([]);
  });

  it("an audio rtpmap without channels has one", () => {
    expect(parseSdp("v=0\r\nm=audio 0 RTP/AVP 96\r\na=rtpmap:96 opus/48000\r\n").tracks[0]?.rtpmap).toEqual({ encoding: "opus", clockRate: 48000, channels: 1 });
  });
});

describe("parseSdp: leniency", () => {
  it("lists the lines it cannot read and goes on", () => {
    const sdp = parseSdp("v=1\r\nthis is not sdp\r\no=bad\r\nm=audio x RTP/AVP 0\r\nm=video 0 RTP/AVP 26\r\na=rtpmap:26 JPEG\r\n");
    expect(sdp.problems).toEqual([
      'version "1", not 0',
      'line 2 is not <type>=<value>: "this is not sdp"',
      "unreadable o=bad",
      "unreadable m=audio x RTP/AVP 0",
      "media 0: unreadable a=rtpmap:26 JPEG",
    ]);
    expect(sdp.tracks).toHaveLength(1);
    expect(sdp.tracks[0]?.rtpmap).toEqual({ encoding: "JPEG", clockRate: 90000, channels: null });
  });

  it("a description without v= says so", () => {
    expect(parseSdp("s=x\r\n").problems).toEqual(['the first line is "s=", not "v="', "no v= line"]);
  });
});

describe("static payload types (RFC 3551)", () => {
  it.each([
    { pt: 0, encoding: "PCMU", clockRate: 8000, channels: 1 },
    { pt: 8, encoding: "PCMA", clockRate: 8000, channels: 1 },
    { pt: 14, encoding: "MPA", clockRate: 90000, channels: null },
    { pt: 26, encoding: "JPEG", clockRate: 90000, channels: null },
    { pt: 32, encoding: "MPV", clockRate: 90000, channels: null },
    { pt: 33, encoding: "MP2T", clockRate: 90000, channels: null },
  ])("$pt is $encoding/$clockRate", ({ pt, ...map }) => {
    expect(STATIC_PAYLOAD_TYPES[pt]).toEqual(map);
  });

  it("clockRateOf: the track's rtpmap, else the static table, else null", () => {
    const track = parseSdp(GST_SDP).tracks[1]!;
    expect(clockRateOf(track, 26)).toBe(90000);
    expect(clockRateOf(track, 0)).toBe(8000);
    expect(clockRateOf(track, 96)).toBeNull();
    expect(clockRateOf(null, 8)).toBe(8000);
  });
});
