import dgram from "node:dgram";
import net from "node:net";
import { randomInt } from "node:crypto";
import dnsPacket, { type Packet } from "dns-packet";
import { type Clock, startTimer, systemClock } from "../../common/clock.ts";
import { InvalidInputError, ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import { Transcript } from "../transcript.ts";
import { describeQuery, describeResponse } from "./format.ts";
import { absoluteName } from "./names.ts";
import { summarize } from "./records.ts";
import type { DnsResponse, DnsTransport } from "./types.ts";
import { buildQuery, mismatch, type QuerySpec } from "./wire.ts";

export const DNS_PORT = 53;
export const DEFAULT_TIMEOUT_MS = 2000;
export const DEFAULT_RETRIES = 2;

export interface QueryServerOptions {
  /** The server's IP address (no name lookups happen here). */
  server: string;
  /** Default 53. */
  port?: number;
  name: string;
  /** A record type mnemonic: "A", "MX", "ANY", ... */
  type: string;
  /** Recursion desired; default true. */
  rd?: boolean;
  /** The query id; default random. Retransmissions and the TCP fallback reuse it. */
  id?: number;
  /** Per-attempt timeout (UDP) or timeout of the whole exchange (TCP); default 2000 ms. */
  timeoutMs?: number;
  /** UDP retransmissions after the first attempt; default 2. */
  retries?: number;
  /** Ask over TCP from the start. */
  tcp?: boolean;
  signal?: AbortSignal;
  transcript?: Transcript;
  /** What times the timeouts; default the system clock (tests drive a fake one). */
  clock?: Clock;
}

interface Exchange {
  server: string;
  port: number;
  peer: string;
  spec: QuerySpec;
  query: Packet;
  timeoutMs: number;
  retries: number;
  signal: AbortSignal | undefined;
  transcript: Transcript;
  clock: Clock;
}

interface Received {
  packet: Packet;
  rttMs: number;
}

/** "192.0.2.1:53", "[2001:db8::1]:53". */
export function peerOf(server: string, port: number): string {
  return net.isIPv6(server) ? `[${server}]:${port}` : `${server}:${port}`;
}

const roundMs = (ms: number) => Math.round(ms * 10) / 10;

/**
 * Settles a promise once, running `cleanup` first; the helper both socket exchanges use so that
 * a late timer, datagram or socket event cannot settle it a second time.
 */
function settler<T>(resolve: (v: T) => void, reject: (e: unknown) => void, cleanup: () => void) {
  let done = false;
  return {
    get done() {
      return done;
    },
    resolve(v: T) {
      if (done) return;
      done = true;
      cleanup();
      resolve(v);
    },
    reject(e: unknown) {
      if (done) return;
      done = true;
      cleanup();
      reject(e);
    },
  };
}

function what(spec: QuerySpec): string {
  return `${absoluteName(spec.name)} ${spec.type}?`;
}

/** One query over UDP, retransmitted (same id) after each per-attempt timeout. */
function exchangeUdp(x: Exchange): Promise<Received> {
  return new Promise<Received>((resolve, reject) => {
    const socket = dgram.createSocket(net.isIPv6(x.server) ? "udp6" : "udp4");
    const wire = dnsPacket.encode(x.query);
    let cancelTimer: (() => void) | undefined;
    let attempt = 0;
    let sentAt = 0;
    const onAbort = () => s.reject(x.signal?.reason);
    const s = settler<Received>(resolve, reject, () => {
      cancelTimer?.();
      x.signal?.removeEventListener("abort", onAbort);
      socket.close();
    });
    const send = () => {
      x.transcript.client(x.peer, describeQuery({ ...x.spec, transport: "udp" }));
      sentAt = performance.now();
      socket.send(wire, (err) => {
        if (err) s.reject(new ProbeNetworkError("DNS", x.peer, err.message, { cause: err }));
      });
      cancelTimer = startTimer(x.clock, x.timeoutMs, onTimeout);
    };
    const onTimeout = () => {
      if (attempt < x.retries) {
        attempt += 1;
        x.transcript.note(x.peer, `no answer within ${x.timeoutMs} ms; retransmitting (attempt ${attempt + 1} of ${x.retries + 1})`);
        send();
        return;
      }
      x.transcript.note(x.peer, `no answer within ${x.timeoutMs} ms after ${x.retries + 1} attempt(s); giving up`);
      s.reject(new ProbeTimeoutError("DNS", x.peer, x.timeoutMs, what(x.spec)));
    };
    socket.on("message", (msg) => {
      let packet: Packet;
      try {
        packet = dnsPacket.decode(msg);
      } catch (err) {
        x.transcript.note(x.peer, `ignored an undecodable datagram of ${msg.length} bytes (${(err as Error).message})`);
        return;
      }
      const why = mismatch(x.spec, packet);
      if (why) {
        x.transcript.note(x.peer, `ignored a datagram that does not answer the query: ${why}`);
        return;
      }
      s.resolve({ packet, rttMs: roundMs(performance.now() - sentAt) });
    });
    socket.on("error", (err) => s.reject(new ProbeNetworkError("DNS", x.peer, err.message, { cause: err })));
    if (x.signal) {
      if (x.signal.aborted) return s.reject(x.signal.reason);
      x.signal.addEventListener("abort", onAbort, { once: true });
    }
    // A connected socket only accepts datagrams from the server, and reports ICMP "port unreachable".
    socket.connect(x.port, x.server, () => {
      if (!s.done) send();
    });
  });
}

/** One query over TCP, with the 2-byte length prefix; `timeoutMs` covers connecting and the answer. */
function exchangeTcp(x: Exchange): Promise<Received> {
  return new Promise<Received>((resolve, reject) => {
    const startedAt = performance.now();
    const socket = net.connect({ host: x.server, port: x.port });
    let buffered = Buffer.alloc(0);
    const onAbort = () => s.reject(x.signal?.reason);
    const cancelTimer = startTimer(x.clock, x.timeoutMs, () => {
      x.transcript.note(x.peer, `no answer over TCP within ${x.timeoutMs} ms; giving up`);
      s.reject(new ProbeTimeoutError("DNS", x.peer, x.timeoutMs, `${what(x.spec)} over TCP`));
    });
    const s = settler<Received>(resolve, reject, () => {
      cancelTimer();
      x.signal?.removeEventListener("abort", onAbort);
      socket.destroy();
    });
    const fail = (message: string, cause?: unknown) =>
      s.reject(new ProbeNetworkError("DNS", x.peer, message, cause === undefined ? undefined : { cause }));
    x.transcript.client(x.peer, describeQuery({ ...x.spec, transport: "tcp" }));
    socket.on("connect", () => socket.write(dnsPacket.streamEncode(x.query)));
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
        let packet: Packet;
        try {
          packet = dnsPacket.streamDecode(buffered);
        } catch (err) {
          return fail(`undecodable response over TCP (${(err as Error).message})`, err);
        }
        buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
        const why = mismatch(x.spec, packet);
        if (!why) return s.resolve({ packet, rttMs: roundMs(performance.now() - startedAt) });
        x.transcript.note(x.peer, `ignored a TCP message that does not answer the query: ${why}`);
      }
    });
    socket.on("error", (err) => fail(err.message, err));
    socket.on("close", () => fail("the connection closed before a complete response"));
    if (x.signal) {
      if (x.signal.aborted) return s.reject(x.signal.reason);
      x.signal.addEventListener("abort", onAbort, { once: true });
    }
  });
}

function validate(opts: QueryServerOptions, port: number, timeoutMs: number, retries: number): void {
  const problems: string[] = [];
  if (net.isIP(opts.server) === 0) problems.push(`server "${opts.server}" is not an IP address`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) problems.push(`port ${port} is not between 1 and 65535`);
  if (!(timeoutMs > 0)) problems.push(`timeoutMs ${timeoutMs} is not positive`);
  if (!Number.isInteger(retries) || retries < 0) problems.push(`retries ${retries} is not a whole number >= 0`);
  if (opts.name.trim() === "") problems.push("name is empty");
  if (problems.length > 0) throw new InvalidInputError("DNS query", problems);
}

/**
 * Sends one DNS query to `server:port` and returns the summarised response: over UDP with
 * retransmission, repeated over TCP when the UDP answer is truncated (or over TCP only with
 * `tcp: true`). Any response, whatever its rcode, is a result; no response at all throws
 * ProbeTimeoutError, a socket failure ProbeNetworkError, an abort the signal's reason.
 */
export async function queryServer(opts: QueryServerOptions): Promise<DnsResponse> {
  const port = opts.port ?? DNS_PORT;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const retries = opts.retries ?? DEFAULT_RETRIES;
  validate(opts, port, timeoutMs, retries);
  opts.signal?.throwIfAborted();
  const spec: QuerySpec = { id: opts.id ?? randomInt(0, 65536), name: absoluteName(opts.name), type: opts.type.toUpperCase(), rd: opts.rd ?? true };
  const x: Exchange = {
    server: opts.server,
    port,
    peer: peerOf(opts.server, port),
    spec,
    query: buildQuery(spec),
    timeoutMs,
    retries,
    signal: opts.signal,
    transcript: opts.transcript ?? new Transcript(),
    clock: opts.clock ?? systemClock,
  };
  const report = (received: Received, transport: DnsTransport): DnsResponse => {
    const response = summarize(received.packet, { server: x.server, port, transport, rttMs: received.rttMs, question: spec });
    for (const line of describeResponse(response)) x.transcript.server(x.peer, line);
    return response;
  };
  if (!opts.tcp) {
    const udp = report(await exchangeUdp(x), "udp");
    if (!udp.flags.tc) return udp;
    x.transcript.note(x.peer, "the UDP answer is truncated (TC=1); asking again over TCP");
  }
  return report(await exchangeTcp(x), "tcp");
}
