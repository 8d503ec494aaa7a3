import { describe, expect, it } from "vitest";
import {
  cseqOf,
  interleavedFrame,
  MAX_HEAD_BYTES,
  requestLines,
  RtspHeaders,
  RtspProtocolError,
  type RtspMessage,
  RtspStreamParser,
  serializeRequest,
  serializeResponse,
} from "./message.ts";

const SDP = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=x\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\n";
const DESCRIBE_REPLY =
  "RTSP/1.0 200 OK\r\nCSeq: 2\r\nContent-Type: application/sdp\r\nContent-Base: rtsp://h:554/twister/\r\n" + `Server: GStreamer RTSP server\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`;

describe("serializeRequest", () => {
  it("writes the request line, CSeq, User-Agent, Session, the other fields and a blank line", () => {
    const bytes = serializeRequest({ method: "SETUP", url: "rtsp://h:554/twister/stream=1", cseq: 4, session: "abc123", headers: [["Transport", "RTP/AVP;unicast;client_port=5000-5001"]] });
    expect(bytes.toString()).toBe(
      "SETUP rtsp://h:554/twister/stream=1 RTSP/1.0\r\nCSeq: 4\r\nUser-Agent: l7lab\r\nSession: abc123\r\nTransport: RTP/AVP;unicast;client_port=5000-5001\r\n\r\n",
    );
  });

  it("DESCRIBE with Accept and no Session", () => {
    expect(serializeRequest({ method: "DESCRIBE", url: "rtsp://h/t", cseq: 2, headers: [["Accept", "application/sdp"]] }).toString()).toBe(
      "DESCRIBE rtsp://h/t RTSP/1.0\r\nCSeq: 2\r\nUser-Agent: l7lab\r\nAccept: application/sdp\r\n\r\n",
    );
  });

  it("a body gets Content-Type and Content-Length (in bytes)", () => {
    const bytes = serializeRequest({ method: "GET_PARAMETER", url: "rtsp://h/t", cseq: 9, session: "s", body: "position\r\nnaïve\r\n", contentType: "text/parameters" });
    const text = bytes.toString("utf8");
    expect(text).toContain("Content-Type: text/parameters\r\nContent-Length: 18\r\n\r\nposition\r\nnaïve\r\n");
  });

  it.each([
    { title: "a line break in a header", spec: { method: "OPTIONS", url: "rtsp://h/t", cseq: 1, headers: [["Range", "npt=0-\r\nX: y"]] as [string, string][] }, error: "must be one line" },
    { title: "a space in the URL", spec: { method: "OPTIONS", url: "rtsp://h/a b", cseq: 1 }, error: "white space" },
    { title: "a lower-case method", spec: { method: "play", url: "rtsp://h/t", cseq: 1 }, error: "not an RTSP method name" },
    { title: "a header name with a colon", spec: { method: "PLAY", url: "rtsp://h/t", cseq: 1, headers: [["X:Y", "1"]] as [string, string][] }, error: "is not a token" },
  ])("refuses $title", ({ spec, error }) => {
    expect(() => serializeRequest(spec)).toThrow(error);
  });

  it("requestLines are the transcript's lines", () => {
    expect(requestLines({ method: "PLAY", url: "rtsp://h/t", cseq: 5, session: "s1", headers: [["Range", "npt=0-"]] })).toEqual([
      "PLAY rtsp://h/t RTSP/1.0",
      "CSeq: 5",
      "User-Agent: l7lab",
      "Session: s1",
      "Range: npt=0-",
    ]);
  });
});

describe("serializeResponse and interleavedFrame", () => {
  it("a response with its reason phrase", () => {
    expect(serializeResponse({ status: 454, cseq: 7 }).toString()).toBe("RTSP/1.0 454 Session Not Found\r\nCSeq: 7\r\n\r\n");
  });

  it("a frame is $, channel, 16-bit length, data", () => {
    expect([...interleavedFrame(3, Buffer.from([1, 2, 3]))]).toEqual([0x24, 3, 0, 3, 1, 2, 3]);
    expect(() => interleavedFrame(256, Buffer.alloc(1))).toThrow("0-255");
    expect(() => interleavedFrame(0, Buffer.alloc(65536))).toThrow("at most 65535");
  });
});

describe("RtspHeaders", () => {
  it("looks up names in any case and joins repeated fields", () => {
    const h = new RtspHeaders([
      ["CSeq", "3"],
      ["public", "OPTIONS"],
      ["PUBLIC", "PLAY"],
    ]);
    expect(h.get("cseq")).toBe("3");
    expect(h.get("Public")).toBe("OPTIONS, PLAY");
    expect(h.get("Session")).toBeUndefined();
    expect(h.toObject()).toEqual({ cseq: "3", public: "OPTIONS, PLAY" });
  });
});

/** Feeds `bytes` to a parser in pieces cut at `cuts`; nothing may be left over. */
function parseSplit(bytes: Buffer, cuts: number[]): RtspMessage[] {
  const parser = new RtspStreamParser();
  const out: RtspMessage[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...parser.push(bytes.subarray(from, cut)));
    from = cut;
  }
  if (parser.pending !== 0) throw new Error(`${parser.pending} bytes left over`);
  return out;
}

const summary = (m: RtspMessage) =>
  m.kind === "data" ? `data ${m.channel} ${m.payload.toString("hex")}` : m.kind === "response" ? `response ${m.status} ${m.body.length}` : `request ${m.method} ${m.url}`;

describe("RtspStreamParser", () => {
  it("reads a response: status line, headers in any case, body by Content-Length", () => {
    const [m] = parseSplit(Buffer.from(DESCRIBE_REPLY), []);
    expect(m).toMatchObject({ kind: "response", version: "1.0", status: 200, reason: "OK" });
    if (m?.kind !== "response") throw new Error("not a response");
    expect(m.headers.get("content-base")).toBe("rtsp://h:554/twister/");
    expect(m.body.toString()).toBe(SDP);
    expect(cseqOf(m)).toBe(2);
    expect(m.headLines[0]).toBe("RTSP/1.0 200 OK");
  });

  const stream = Buffer.concat([
    interleavedFrame(0, Buffer.from("80000001", "hex")),
    Buffer.from(DESCRIBE_REPLY),
    interleavedFrame(1, Buffer.alloc(0)),
    Buffer.from("GET_PARAMETER rtsp://h/t RTSP/1.0\r\nCSeq: 1\r\nSession: abc\r\n\r\n"),
    interleavedFrame(2, Buffer.from([0x24, 0x0d, 0x0a, 0x52])),
    Buffer.from("RTSP/1.0 454 Session Not Found\r\nCSeq: 3\r\n\r\n"),
  ]);
  const expected = ["data 0 80000001", `response 200 ${SDP.length}`, "data 1 ", "request GET_PARAMETER rtsp://h/t", "data 2 240d0a52", "response 454 0"];

  it("reads frames, responses and requests in one chunk", () => {
    expect(parseSplit(stream, []).map(summary)).toEqual(expected);
  });

  it("reads the same messages whatever two places the stream is cut at", () => {
    const wrong: string[] = [];
    for (let a = 1; a < stream.length; a += 2) {
      for (let b = a; b < stream.length; b += 9) {
        if (parseSplit(stream, [a, b]).map(summary).join("|") !== expected.join("|")) wrong.push(`${a},${b}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("reads the stream one byte at a time", () => {
    expect(parseSplit(stream, Array.from({ length: stream.length - 1 }, (_, i) => i + 1)).map(summary)).toEqual(expected);
  });

  it("holds an incomplete message until the rest comes", () => {
    const parser = new RtspStreamParser();
    expect(parser.push(Buffer.from(DESCRIBE_REPLY.slice(0, -5)))).toEqual([]);
    expect(parser.pending).toBeGreaterThan(0);
    expect(parser.push(Buffer.from(DESCRIBE_REPLY.slice(-5))).map(summary)).toEqual([`response 200 ${SDP.length}`]);
  });

  it("tolerates bare LF line ends, folded header lines and blank lines between messages", () => {
    const text = "\r\nRTSP/1.0 200 OK\nCSeq: 5\nPublic: OPTIONS,\n  DESCRIBE\n\n\r\nRTSP/1.0 200 OK\r\nCSeq: 6\r\n\r\n";
    const out = parseSplit(Buffer.from(text), []);
    expect(out.map(summary)).toEqual(["response 200 0", "response 200 0"]);
    if (out[0]?.kind !== "response") throw new Error("not a response");
    expect(out[0].headers.get("Public")).toBe("OPTIONS, DESCRIBE");
  });

  it.each([
    { title: "an SSH banner", input: "SSH-2.0-OpenSSH_9.2p1\r\n", error: "not an RTSP start line" },
    { title: "an HTTP response", input: "HTTP/1.1 400 Bad Request\r\n\r\n", error: "not an RTSP start line" },
    { title: "binary garbage", input: "\x16\x03\x01\x02\x00\x01", error: "not an RTSP message" },
    { title: "a bad Content-Length", input: "RTSP/1.0 200 OK\r\nCSeq: 1\r\nContent-Length: -5\r\n\r\n", error: "bad Content-Length" },
    { title: "a body over 1 MiB", input: "RTSP/1.0 200 OK\r\nContent-Length: 2000000\r\n\r\n", error: "more than the 1048576 accepted" },
  ])("refuses $title", ({ input, error }) => {
    const parser = new RtspStreamParser();
    expect(() => parser.push(Buffer.from(input, "latin1"))).toThrow(RtspProtocolError);
    expect(() => new RtspStreamParser().push(Buffer.from(input, "latin1"))).toThrow(error);
  });

  it("refuses a head that never ends", () => {
    const parser = new RtspStreamParser();
    parser.push(Buffer.from("RTSP/1.0 200 OK\r\n"));
    expect(() => parser.push(Buffer.from(`X-Filler: ${"a".repeat(MAX_HEAD_BYTES)}`))).toThrow("longer than");
  });

  it("a method name split before its space is not refused", () => {
    const parser = new RtspStreamParser();
    expect(parser.push(Buffer.from("GET_PARAM"))).toEqual([]);
    expect(parser.push(Buffer.from("ETER rtsp://h/t RTSP/1.0\r\nCSeq: 2\r\n\r\n")).map(summary)).toEqual(["request GET_PARAMETER rtsp://h/t"]);
  });

  it("cseqOf is null without a numeric CSeq", () => {
    const [m] = parseSplit(Buffer.from("RTSP/1.0 200 OK\r\nCSeq: x\r\n\r\n"), []);
    expect(cseqOf(m as never)).toBeNull();
  });
});
