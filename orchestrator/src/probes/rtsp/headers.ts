import type { RtpInfoEntry, TransportInfo } from "./types.ts";

/**
 * The RTSP header fields that carry session state (RFC 2326 section 12): Session, Transport,
 * RTP-Info, Public, and the base URL against which an SDP's control URLs resolve (appendix C.1.1).
 */

export interface SessionHeader {
  id: string;
  /** The timeout parameter in seconds; null when absent (RFC 2326 12.37: then 60 s). */
  timeout: number | null;
}

/** `Session: 12345678;timeout=60` → { id, timeout }; null when there is no id. */
export function parseSessionHeader(value: string | undefined): SessionHeader | null {
  if (value === undefined) return null;
  const [idPart, ...params] = value.split(";");
  const id = (idPart ?? "").trim();
  if (id === "") return null;
  let timeout: number | null = null;
  for (const param of params) {
    const m = /^\s*timeout\s*=\s*(\d{1,9})\s*$/i.exec(param);
    if (m) timeout = Number(m[1]);
  }
  return { id, timeout };
}

export type TransportRequest = { lower: "UDP"; clientPort: [number, number] } | { lower: "TCP"; interleaved: [number, number] };

/** The Transport header of a SETUP: `RTP/AVP;unicast;client_port=a-b` or `RTP/AVP/TCP;unicast;interleaved=a-b`. */
export function buildTransport(request: TransportRequest): string {
  return request.lower === "UDP"
    ? `RTP/AVP;unicast;client_port=${request.clientPort[0]}-${request.clientPort[1]}`
    : `RTP/AVP/TCP;unicast;interleaved=${request.interleaved[0]}-${request.interleaved[1]}`;
}

/** "a-b" → [a, b]; "a" → [a, a + 1] (the RTCP port or channel follows the RTP one). */
function parseRange(value: string, max: number): [number, number] | null {
  const m = /^\s*(\d{1,5})(?:\s*-\s*(\d{1,5}))?\s*$/.exec(value);
  if (!m) return null;
  const a = Number(m[1]);
  const b = m[2] === undefined ? a + 1 : Number(m[2]);
  return a <= max && b <= max ? [a, b] : null;
}

/** One transport specification (the reply has one; a request may list several, comma separated). */
export function parseTransportSpec(raw: string): TransportInfo | null {
  const parts = raw.split(";").map((p) => p.trim());
  const spec = /^([A-Za-z]+)\/([A-Za-z]+)(?:\/([A-Za-z]+))?$/.exec(parts[0] ?? "");
  if (!spec) return null;
  const lower = (spec[3] ?? "UDP").toUpperCase();
  if (lower !== "UDP" && lower !== "TCP") return null;
  const info: TransportInfo = {
    raw,
    protocol: `${spec[1]!.toUpperCase()}/${spec[2]!.toUpperCase()}`,
    lowerTransport: lower,
    cast: null,
    clientPort: null,
    serverPort: null,
    interleaved: null,
    ssrc: null,
    mode: null,
    source: null,
    destination: null,
  };
  for (const part of parts.slice(1)) {
    const eq = part.indexOf("=");
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? "" : part.slice(eq + 1).trim();
    switch (name) {
      case "unicast":
      case "multicast":
        info.cast = name;
        break;
      case "client_port":
        info.clientPort = parseRange(value, 65535);
        break;
      case "server_port":
        info.serverPort = parseRange(value, 65535);
        break;
      case "interleaved":
        info.interleaved = parseRange(value, 255);
        break;
      case "ssrc":
        // Eight hex digits (RFC 2326 12.39); some servers write fewer.
        info.ssrc = /^[0-9A-Fa-f]{1,8}$/.test(value) ? value.toUpperCase().padStart(8, "0") : null;
        break;
      case "mode":
        info.mode = value.replace(/^"(.*)"$/, "$1");
        break;
      case "source":
        info.source = value;
        break;
      case "destination":
        info.destination = value || null;
        break;
      default:
        break;
    }
  }
  return info;
}

/** A Transport header: every specification that parses, in order. */
export function parseTransport(value: string | undefined): TransportInfo[] {
  if (value === undefined) return [];
  return value
    .split(",")
    .map((s) => parseTransportSpec(s.trim()))
    .filter((t): t is TransportInfo => t !== null);
}

/**
 * `RTP-Info: url=rtsp://h/t/stream=0;seq=123;rtptime=456, url=...` (RFC 2326 12.33). Entries are
 * split at commas followed by `url=`, so a URL with a comma survives. `track` is left null here.
 */
export function parseRtpInfo(value: string | undefined): RtpInfoEntry[] {
  if (value === undefined || value.trim() === "") return [];
  return value
    .split(/,\s*(?=url\s*=)/i)
    .map((entry) => {
      const out: RtpInfoEntry = { url: "", track: null, seq: null, rtptime: null };
      for (const part of entry.split(";")) {
        const eq = part.indexOf("=");
        if (eq < 0) continue;
        const name = part.slice(0, eq).trim().toLowerCase();
        const v = part.slice(eq + 1).trim();
        if (name === "url") out.url = v.replace(/^"(.*)"$/, "$1");
        else if (name === "seq" && /^\d{1,5}$/.test(v) && Number(v) <= 65535) out.seq = Number(v);
        else if (name === "rtptime" && /^\d{1,10}$/.test(v) && Number(v) <= 0xffffffff) out.rtptime = Number(v);
      }
      return out;
    })
    .filter((e) => e.url !== "" || e.seq !== null || e.rtptime !== null);
}

/** `Public: OPTIONS, DESCRIBE, SETUP` → ["OPTIONS", "DESCRIBE", "SETUP"]. */
export function parsePublic(value: string | undefined): string[] | null {
  if (value === undefined) return null;
  return value
    .split(",")
    .map((m) => m.trim())
    .filter((m) => m !== "");
}

/**
 * Resolves a URL reference against a base (RFC 1808 / 3986 rules, as RFC 2326 C.1.1 asks): an
 * absolute `rtsp://` reference stands alone, `stream=0` replaces the last path segment of the base
 * (so `rtsp://h/twister/` gives `rtsp://h/twister/stream=0`, `rtsp://h/twister` gives
 * `rtsp://h/stream=0`), and `*` (or an empty reference) is the base itself. Null when it cannot be.
 */
export function resolveUrl(reference: string, base: string): string | null {
  const ref = reference.trim();
  if (ref === "*" || ref === "") return base;
  try {
    return new URL(ref, base).href;
  } catch {
    return null;
  }
}

/** The base URL of a DESCRIBE reply (RFC 2326 C.1.1): Content-Base, else Content-Location, else the request URL. */
export function baseUrlOf(contentBase: string | undefined, contentLocation: string | undefined, requestUrl: string): string {
  for (const candidate of [contentBase, contentLocation]) {
    if (candidate === undefined || candidate.trim() === "") continue;
    const resolved = resolveUrl(candidate, requestUrl);
    if (resolved !== null) return resolved;
  }
  return requestUrl;
}

/** Whether two RTSP URLs name the same resource (scheme and host case and a trailing slash aside). */
export function sameUrl(a: string, b: string): boolean {
  const norm = (u: string) => {
    try {
      const url = new URL(u);
      return `${url.protocol}//${url.host.toLowerCase()}${url.pathname.replace(/\/+$/, "")}${url.search}`;
    } catch {
      return u.replace(/\/+$/, "");
    }
  };
  return norm(a) === norm(b);
}
