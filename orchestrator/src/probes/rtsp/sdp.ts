import { resolveUrl } from "./headers.ts";
import type { RtpMapInfo, SdpConnection, SdpMediaDescription, SdpTrack, SessionDescription } from "./types.ts";

/**
 * An SDP parser (RFC 4566) for what an RTSP client needs: the session and media lines, a=control
 * (resolved against the RTSP base URL, RFC 2326 C.1.1), a=range, a=rtpmap, a=fmtp, a=framerate,
 * and the static payload types of RFC 3551 for formats without an rtpmap. It is lenient: a line it
 * cannot read is listed in `problems` and skipped.
 */

/** RFC 3551 table 4 and 5: the static payload types (audio channels 1 where defined). */
export const STATIC_PAYLOAD_TYPES: Readonly<Record<number, RtpMapInfo>> = {
  0: { encoding: "PCMU", clockRate: 8000, channels: 1 },
  3: { encoding: "GSM", clockRate: 8000, channels: 1 },
  4: { encoding: "G723", clockRate: 8000, channels: 1 },
  5: { encoding: "DVI4", clockRate: 8000, channels: 1 },
  6: { encoding: "DVI4", clockRate: 16000, channels: 1 },
  7: { encoding: "LPC", clockRate: 8000, channels: 1 },
  8: { encoding: "PCMA", clockRate: 8000, channels: 1 },
  9: { encoding: "G722", clockRate: 8000, channels: 1 },
  10: { encoding: "L16", clockRate: 44100, channels: 2 },
  11: { encoding: "L16", clockRate: 44100, channels: 1 },
  12: { encoding: "QCELP", clockRate: 8000, channels: 1 },
  13: { encoding: "CN", clockRate: 8000, channels: 1 },
  14: { encoding: "MPA", clockRate: 90000, channels: null },
  15: { encoding: "G728", clockRate: 8000, channels: 1 },
  16: { encoding: "DVI4", clockRate: 11025, channels: 1 },
  17: { encoding: "DVI4", clockRate: 22050, channels: 1 },
  18: { encoding: "G729", clockRate: 8000, channels: 1 },
  25: { encoding: "CelB", clockRate: 90000, channels: null },
  26: { encoding: "JPEG", clockRate: 90000, channels: null },
  28: { encoding: "nv", clockRate: 90000, channels: null },
  31: { encoding: "H261", clockRate: 90000, channels: null },
  32: { encoding: "MPV", clockRate: 90000, channels: null },
  33: { encoding: "MP2T", clockRate: 90000, channels: null },
  34: { encoding: "H263", clockRate: 90000, channels: null },
};

function parseConnection(value: string): SdpConnection | null {
  const m = /^(\S+) (\S+) (\S+)$/.exec(value.trim());
  return m ? { netType: m[1]!, addrType: m[2]!, address: m[3]! } : null;
}

function attributeOf(value: string): { name: string; value: string | null } {
  const colon = value.indexOf(":");
  return colon < 0 ? { name: value.trim(), value: null } : { name: value.slice(0, colon).trim(), value: value.slice(colon + 1).trim() };
}

const firstValue = (attributes: { name: string; value: string | null }[], name: string): string | null =>
  attributes.find((a) => a.name.toLowerCase() === name && a.value !== null)?.value ?? null;

/** `a=rtpmap:96 H264/90000` → pt and mapping; `a=rtpmap:97 L16/44100/2` gives channels 2. */
function parseRtpmap(value: string, media: string): { pt: number; map: RtpMapInfo } | null {
  const m = /^(\d{1,3})\s+([^/\s]+)\/(\d+)(?:\/(\d+))?/.exec(value);
  if (!m || Number(m[1]) > 127) return null;
  const channels = m[4] !== undefined ? Number(m[4]) : media === "audio" ? 1 : null;
  return { pt: Number(m[1]), map: { encoding: m[2]!, clockRate: Number(m[3]), channels } };
}

function trackOf(index: number, m: SdpMediaDescription, base: string | null, problems: string[]): SdpTrack {
  const payloadTypes = m.formats.filter((f) => /^\d{1,3}$/.test(f) && Number(f) <= 127).map(Number);
  const rtpmaps: Record<string, RtpMapInfo> = {};
  const fmtps: Record<string, string> = {};
  for (const pt of payloadTypes) {
    const known = STATIC_PAYLOAD_TYPES[pt];
    if (known) rtpmaps[String(pt)] = { ...known };
  }
  for (const a of m.attributes) {
    const name = a.name.toLowerCase();
    if (name === "rtpmap" && a.value !== null) {
      const parsed = parseRtpmap(a.value, m.media);
      if (parsed) rtpmaps[String(parsed.pt)] = parsed.map;
      else problems.push(`media ${index}: unreadable a=rtpmap:${a.value}`);
    } else if (name === "fmtp" && a.value !== null) {
      const fm = /^(\d{1,3})\s+(.*)$/.exec(a.value);
      if (fm) fmtps[fm[1]!] = fm[2]!;
    }
  }
  const first = payloadTypes[0];
  const framerateText = firstValue(m.attributes, "framerate");
  const framerate = framerateText !== null && /^\d+(\.\d+)?$/.test(framerateText) ? Number(framerateText) : null;
  const control = firstValue(m.attributes, "control");
  return {
    index,
    media: m.media,
    port: m.port,
    proto: m.proto,
    payloadTypes,
    rtpmap: first !== undefined ? (rtpmaps[String(first)] ?? null) : null,
    rtpmaps,
    fmtp: first !== undefined ? (fmtps[String(first)] ?? null) : null,
    framerate,
    control,
    controlUrl: control !== null && base !== null ? resolveUrl(control, base) : null,
  };
}

/**
 * Parses a session description. With `baseUrl` (the RTSP base URL of the DESCRIBE reply), each
 * track's control URL and the aggregate URL are resolved; without it they are null.
 *
 * The aggregate URL is the session-level a=control resolved against the base. Without one, it is
 * `requestUrl` (what was described), as most clients do. For `*`, C.1.1 gives the base URL itself;
 * but when that is the request URL with a slash added (the Content-Base gst-rtsp-server and
 * live555 send), the request URL is used: gst-rtsp-server answers an aggregate PLAY, PAUSE or
 * TEARDOWN on the URL with the slash 460 (its session media path must match exactly).
 */
export function parseSdp(text: string, baseUrl?: string, requestUrl?: string): SessionDescription {
  const problems: string[] = [];
  const sdp: SessionDescription = {
    version: null,
    origin: null,
    sessionName: null,
    information: null,
    connection: null,
    times: [],
    attributes: [],
    control: null,
    range: null,
    tool: null,
    type: null,
    aggregateUrl: null,
    media: [],
    tracks: [],
    problems,
  };
  let current: SdpMediaDescription | null = null;
  const lines = text.split(/\r?\n/);
  lines.forEach((line, i) => {
    if (line === "") return;
    const m = /^([a-z])=(.*)$/.exec(line);
    if (!m) {
      problems.push(`line ${i + 1} is not <type>=<value>: ${JSON.stringify(line.slice(0, 80))}`);
      return;
    }
    const type = m[1]!;
    const value = m[2]!;
    if (i === 0 && type !== "v") problems.push(`the first line is "${type}=", not "v="`);
    switch (type) {
      case "v":
        sdp.version = /^\d+$/.test(value.trim()) ? Number(value.trim()) : null;
        if (sdp.version !== 0) problems.push(`version ${JSON.stringify(value)}, not 0`);
        break;
      case "o": {
        const o = /^(\S+) (\S+) (\S+) (\S+) (\S+) (\S+)$/.exec(value.trim());
        if (o) sdp.origin = { username: o[1]!, sessionId: o[2]!, sessionVersion: o[3]!, netType: o[4]!, addrType: o[5]!, address: o[6]! };
        else problems.push(`unreadable o=${value}`);
        break;
      }
      case "s":
        sdp.sessionName = value;
        break;
      case "i":
        if (current === null) sdp.information = value;
        break;
      case "c": {
        const c = parseConnection(value);
        if (!c) problems.push(`unreadable c=${value}`);
        else if (current) current.connection = c;
        else sdp.connection = c;
        break;
      }
      case "t": {
        const t = /^(\d+) (\d+)$/.exec(value.trim());
        if (t) sdp.times.push({ start: t[1]!, stop: t[2]! });
        else problems.push(`unreadable t=${value}`);
        break;
      }
      case "b":
        if (current) current.bandwidths.push(value);
        break;
      case "m": {
        const mm = /^(\S+) (\d+)(?:\/(\d+))? (\S+)((?: \S+)*)$/.exec(value.trim());
        if (!mm) {
          problems.push(`unreadable m=${value}`);
          current = null;
          break;
        }
        current = {
          media: mm[1]!,
          port: Number(mm[2]),
          numPorts: mm[3] !== undefined ? Number(mm[3]) : null,
          proto: mm[4]!,
          formats: mm[5]!.trim() === "" ? [] : mm[5]!.trim().split(" "),
          connection: null,
          bandwidths: [],
          attributes: [],
        };
        sdp.media.push(current);
        break;
      }
      case "a":
        (current ? current.attributes : sdp.attributes).push(attributeOf(value));
        break;
      default:
        // k=, e=, p=, u=, z=, r= and unknown types: nothing the probe uses.
        break;
    }
  });
  if (sdp.version === null && !problems.some((p) => p.includes("version"))) problems.push("no v= line");
  sdp.control = firstValue(sdp.attributes, "control");
  sdp.range = firstValue(sdp.attributes, "range");
  sdp.tool = firstValue(sdp.attributes, "tool");
  sdp.type = firstValue(sdp.attributes, "type");
  const base = baseUrl ?? null;
  sdp.aggregateUrl = base === null ? null : aggregateOf(sdp.control, base, requestUrl);
  sdp.tracks = sdp.media.map((m, i) => trackOf(i, m, base, problems));
  return sdp;
}

function aggregateOf(control: string | null, base: string, requestUrl: string | undefined): string | null {
  if (control === null) return requestUrl ?? base;
  const star = control.trim() === "*" || control.trim() === "";
  if (star && requestUrl !== undefined && base === `${requestUrl.replace(/\/+$/, "")}/`) return requestUrl.replace(/\/+$/, "");
  return resolveUrl(control, base);
}

/**
 * The clock rate for a payload type on a track: its rtpmap, else the static table; null when unknown
 * (then no jitter can be computed).
 */
export function clockRateOf(track: Pick<SdpTrack, "rtpmaps"> | null, payloadType: number): number | null {
  return track?.rtpmaps[String(payloadType)]?.clockRate ?? STATIC_PAYLOAD_TYPES[payloadType]?.clockRate ?? null;
}
