import { describe, expect, it } from "vitest";
import { baseUrlOf, buildTransport, parsePublic, parseRtpInfo, parseSessionHeader, parseTransport, parseTransportSpec, resolveUrl, sameUrl } from "./headers.ts";

describe("parseSessionHeader", () => {
  it.each([
    { input: "dUVLHxXi0WzBD2ne", expected: { id: "dUVLHxXi0WzBD2ne", timeout: null } },
    { input: "12345678;timeout=60", expected: { id: "12345678", timeout: 60 } },
    { input: " abc ; Timeout = 30 ", expected: { id: "abc", timeout: 30 } },
    { input: "abc;timeout=soon", expected: { id: "abc", timeout: null } },
    { input: "a$b-c_d.e+f", expected: { id: "a$b-c_d.e+f", timeout: null } },
    { input: ";timeout=60", expected: null },
    { input: undefined, expected: null },
  ])("$input", ({ input, expected }) => {
    expect(parseSessionHeader(input)).toEqual(expected);
  });
});

describe("buildTransport", () => {
  it("UDP: a client_port pair; TCP: interleaved channels", () => {
    expect(buildTransport({ lower: "UDP", clientPort: [50000, 50001] })).toBe("RTP/AVP;unicast;client_port=50000-50001");
    expect(buildTransport({ lower: "TCP", interleaved: [2, 3] })).toBe("RTP/AVP/TCP;unicast;interleaved=2-3");
  });
});

describe("parseTransport", () => {
  it("gst-rtsp-server's UDP reply", () => {
    expect(parseTransport('RTP/AVP;unicast;client_port=50000-50001;server_port=40000-40001;ssrc=1C3C2D7B;mode="PLAY"')).toEqual([
      {
        raw: 'RTP/AVP;unicast;client_port=50000-50001;server_port=40000-40001;ssrc=1C3C2D7B;mode="PLAY"',
        protocol: "RTP/AVP",
        lowerTransport: "UDP",
        cast: "unicast",
        clientPort: [50000, 50001],
        serverPort: [40000, 40001],
        interleaved: null,
        ssrc: "1C3C2D7B",
        mode: "PLAY",
        source: null,
        destination: null,
      },
    ]);
  });

  it("gst-rtsp-server's interleaved reply", () => {
    expect(parseTransportSpec('RTP/AVP/TCP;unicast;interleaved=0-1;ssrc=0badcafe;mode="PLAY"')).toMatchObject({
      lowerTransport: "TCP",
      interleaved: [0, 1],
      ssrc: "0BADCAFE",
      clientPort: null,
      serverPort: null,
    });
  });

  it("a single port means RTP there and RTCP on the next; a short SSRC is padded; source and destination are kept", () => {
    expect(parseTransportSpec("RTP/AVP/UDP;unicast;destination=10.0.0.9;source=10.0.0.5;client_port=6970;server_port=6972;ssrc=beef")).toMatchObject({
      lowerTransport: "UDP",
      clientPort: [6970, 6971],
      serverPort: [6972, 6973],
      ssrc: "0000BEEF",
      source: "10.0.0.5",
      destination: "10.0.0.9",
    });
  });

  it("several specifications, skipping ones it cannot read", () => {
    const specs = parseTransport("RTP/AVP/TCP;interleaved=0-1, x-real-rdt/udp, RTP/AVP;multicast;port=5000-5001");
    expect(specs.map((s) => [s.lowerTransport, s.cast])).toEqual([
      ["TCP", null],
      ["UDP", "multicast"],
    ]);
  });

  it.each(["", "garbage", "RTP/AVP/SCTP;unicast", "RTP/AVP;client_port=70000-70001"])("%j yields nothing usable", (value) => {
    const parsed = parseTransport(value);
    expect(parsed.every((t) => t.clientPort === null)).toBe(true);
    expect(parseTransport(undefined)).toEqual([]);
  });
});

describe("parseRtpInfo", () => {
  it("gst-rtsp-server's two tracks", () => {
    expect(parseRtpInfo("url=rtsp://h:554/twister/stream=0;seq=12345;rtptime=3735928559, url=rtsp://h:554/twister/stream=1;seq=1;rtptime=0")).toEqual([
      { url: "rtsp://h:554/twister/stream=0", track: null, seq: 12345, rtptime: 3735928559 },
      { url: "rtsp://h:554/twister/stream=1", track: null, seq: 1, rtptime: 0 },
    ]);
  });

  it("a comma inside a URL does not split an entry; missing parameters are null", () => {
    expect(parseRtpInfo("url=rtsp://h/a,b/track1;seq=5,url=rtsp://h/a,b/track2")).toEqual([
      { url: "rtsp://h/a,b/track1", track: null, seq: 5, rtptime: null },
      { url: "rtsp://h/a,b/track2", track: null, seq: null, rtptime: null },
    ]);
  });

  it("out-of-range numbers are null; an empty header is no entries", () => {
    expect(parseRtpInfo("url=x;seq=70000;rtptime=99999999999")).toEqual([{ url: "x", track: null, seq: null, rtptime: null }]);
    expect(parseRtpInfo("")).toEqual([]);
    expect(parseRtpInfo(undefined)).toEqual([]);
  });
});

describe("parsePublic", () => {
  it("splits the methods", () => {
    expect(parsePublic("OPTIONS, DESCRIBE,ANNOUNCE ,  GET_PARAMETER")).toEqual(["OPTIONS", "DESCRIBE", "ANNOUNCE", "GET_PARAMETER"]);
    expect(parsePublic(undefined)).toBeNull();
  });
});

describe("resolveUrl (RFC 2326 C.1.1 with RFC 1808/3986 rules)", () => {
  it.each([
    { ref: "rtsp://127.0.0.1:8554/twister/stream=0", base: "rtsp://media:554/twister/", expected: "rtsp://127.0.0.1:8554/twister/stream=0" },
    { ref: "stream=0", base: "rtsp://media.someschool.edu:554/twister/", expected: "rtsp://media.someschool.edu:554/twister/stream=0" },
    { ref: "stream=0", base: "rtsp://media.someschool.edu:554/twister", expected: "rtsp://media.someschool.edu:554/stream=0" },
    { ref: "trackID=1", base: "rtsp://h/dir/movie.mov/", expected: "rtsp://h/dir/movie.mov/trackID=1" },
    { ref: "/other/stream=1", base: "rtsp://h:554/twister/", expected: "rtsp://h:554/other/stream=1" },
    { ref: "*", base: "rtsp://h:554/twister/", expected: "rtsp://h:554/twister/" },
    { ref: "", base: "rtsp://h:554/twister", expected: "rtsp://h:554/twister" },
    { ref: "stream=0", base: "not a url", expected: null },
  ])("$ref against $base", ({ ref, base, expected }) => {
    expect(resolveUrl(ref, base)).toBe(expected);
  });
});

describe("baseUrlOf", () => {
  const request = "rtsp://media:554/twister";
  it("Content-Base first, then Content-Location, then the request URL", () => {
    expect(baseUrlOf("rtsp://media:554/twister/", "rtsp://media:554/loc/", request)).toBe("rtsp://media:554/twister/");
    expect(baseUrlOf(undefined, "rtsp://media:554/loc/", request)).toBe("rtsp://media:554/loc/");
    expect(baseUrlOf(undefined, undefined, request)).toBe(request);
    expect(baseUrlOf("  ", undefined, request)).toBe(request);
  });

  it("a relative Content-Base resolves against the request URL", () => {
    expect(baseUrlOf("twister/", undefined, "rtsp://media:554/movies/x")).toBe("rtsp://media:554/movies/twister/");
  });
});

describe("sameUrl", () => {
  it("ignores host case and a trailing slash, nothing else", () => {
    expect(sameUrl("rtsp://Media:554/twister/stream=0", "rtsp://media:554/twister/stream=0/")).toBe(true);
    expect(sameUrl("rtsp://media:554/twister/stream=0", "rtsp://media:554/twister/stream=1")).toBe(false);
    expect(sameUrl("rtsp://media:8554/twister", "rtsp://media:554/twister")).toBe(false);
  });
});
