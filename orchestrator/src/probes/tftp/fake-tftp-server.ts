import dgram from "node:dgram";
import { once } from "node:events";
import { type Clock, startTimer, systemClock } from "../../common/clock.ts";
import {
  decodePacket,
  encodePacket,
  netasciiDecode,
  netasciiEncode,
  type TftpOptions,
  type TftpPacket,
  type TftpRequestPacket,
} from "./packet.ts";
import { DEFAULT_BLKSIZE, MAX_BLKSIZE } from "./types.ts";

/**
 * Test support (not used by the probe): a scripted TFTP server on 127.0.0.1 that answers each
 * request from a new port (a new TID) like a real one, negotiates options, wraps block numbers,
 * and can drop, duplicate or garble packets, recording everything it heard and sent.
 */

export interface FakeTftpOptions {
  /** The files a RRQ can read, by name; a WRQ adds or replaces one. */
  files?: Record<string, Buffer | string>;
  /** Answer as an RFC 1350 server: no OACK, options ignored. */
  ignoreOptions?: boolean;
  /** The largest blksize granted (default 65464). */
  maxBlksize?: number;
  /** Changes the OACK's options (the negotiated ones are passed in); an empty result sends no OACK. */
  oack?: (negotiated: TftpOptions, request: TftpRequestPacket) => TftpOptions;
  /** Answer a request with this ERROR instead of serving it. */
  refuse?: (request: TftpRequestPacket) => { code: number; message: string } | undefined;
  /** Send these bytes as the first answer instead of the OACK/DATA/ACK, then only record what comes. */
  rawFirstAnswer?: Buffer;
  /** Do not send this packet (it is still recorded in `sent`, flagged `dropped`). */
  dropOutgoing?: (packet: TftpPacket, transfer: FakeTftpTransfer) => boolean;
  /** Record but otherwise ignore this packet from the client. */
  dropIncoming?: (packet: TftpPacket, transfer: FakeTftpTransfer) => boolean;
  /** Send this packet twice. */
  duplicateOutgoing?: (packet: TftpPacket, transfer: FakeTftpTransfer) => boolean;
  /** What block 65535 is followed by: 0 (tftpd-hpa, default) or 1. */
  rolloverTo?: 0 | 1;
  /** Answer from the request port instead of a new one. */
  sameTid?: boolean;
  /** Record requests and never answer. */
  silent?: boolean;
  /** Re-send the current DATA when the previous block is ACKed again (what tftpd-hpa does). */
  resendOnDuplicateAck?: boolean;
  /** Re-send the last packet when nothing comes within this many ms (up to 5 times); default never. */
  retransmitMs?: number;
  /** The clock of `retransmitMs` (a test's FakeClock: the fake re-sends when the test moves time); default the system clock. */
  clock?: Clock;
  /** Send this ERROR instead of DATA `block` (RRQ) or ACK `block` (WRQ), ending the transfer. */
  errorAt?: { block: number; code: number; message: string };
  /** When DATA n (RRQ) or ACK n (WRQ) is sent, a foreign socket sends the client a copy of it too. */
  stray?: { block: number };
}

export interface FakeTftpTransfer {
  request: TftpRequestPacket;
  client: { address: string; port: number };
  /** The port this transfer answers from. */
  tid: number;
  /** What the client sent after its request, in order (dropped ones included). */
  received: TftpPacket[];
  /** What the server sent (or dropped), in order. */
  sent: { packet: TftpPacket; dropped: boolean }[];
  /** What the client answered to the foreign socket of `stray`. */
  strayReplies: TftpPacket[];
  done: boolean;
}

export interface FakeTftpServer {
  port: number;
  /** The files, including the ones written by WRQ (netascii ones decoded to local text). */
  files: Map<string, Buffer>;
  /** Every request that arrived at the request port (retransmissions included). */
  requests: TftpRequestPacket[];
  transfers: FakeTftpTransfer[];
  close(): Promise<void>;
}

const MAX_SERVER_RETRIES = 5;
/** How long a transfer socket stays after the transfer, to re-ACK a re-sent last DATA. */
const LINGER_MS = 300;

async function bindLoopback(): Promise<dgram.Socket> {
  const socket = dgram.createSocket("udp4");
  socket.bind(0, "127.0.0.1");
  await once(socket, "listening");
  return socket;
}

function blockNumber(abs: number, rolloverTo: 0 | 1): number {
  if (abs === 0) return 0;
  return rolloverTo === 0 ? abs & 0xffff : ((abs - 1) % 0xffff) + 1;
}

export async function startFakeTftpServer(options: FakeTftpOptions = {}): Promise<FakeTftpServer> {
  const files = new Map(Object.entries(options.files ?? {}).map(([name, content]) => [name, Buffer.isBuffer(content) ? content : Buffer.from(content)]));
  const requests: TftpRequestPacket[] = [];
  const transfers: FakeTftpTransfer[] = [];
  const sockets = new Set<dgram.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const rolloverTo = options.rolloverTo ?? 0;
  const clock = options.clock ?? systemClock;
  const retransmitTimers = new Set<() => void>();
  const main = await bindLoopback();
  sockets.add(main);
  /** With `stray`: the foreign socket, and the transfer whose client it last wrote to. */
  const foreign = options.stray ? await bindLoopback() : undefined;
  let strayTarget: FakeTftpTransfer | undefined;
  if (foreign) {
    sockets.add(foreign);
    foreign.on("message", (msg) => {
      try {
        strayTarget?.strayReplies.push(decodePacket(msg));
      } catch {
        // not recorded
      }
    });
  }
  /** With sameTid: the transfer handler of each client address:port. */
  const routes = new Map<string, (packet: TftpPacket) => void>();

  const later = (ms: number, fn: () => void) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, ms);
    timers.add(timer);
    return timer;
  };
  const closeSocket = (socket: dgram.Socket) => {
    if (socket === main || !sockets.delete(socket)) return;
    socket.close();
  };

  async function serve(request: TftpRequestPacket, rinfo: dgram.RemoteInfo): Promise<void> {
    const socket = options.sameTid ? main : await bindLoopback();
    sockets.add(socket);
    const t: FakeTftpTransfer = { request, client: { address: rinfo.address, port: rinfo.port }, tid: socket.address().port, received: [], sent: [], strayReplies: [], done: false };
    transfers.push(t);
    let last: Buffer | undefined;
    let lastPacket: TftpPacket | undefined;
    let cancelRetransmit: (() => void) | undefined;
    let strayDone = false;

    const finish = () => {
      t.done = true;
      cancelRetransmit?.();
      later(LINGER_MS, () => {
        routes.delete(`${rinfo.address}:${rinfo.port}`);
        closeSocket(socket);
      });
    };
    const armRetransmit = (tries = 0) => {
      cancelRetransmit?.();
      if (options.retransmitMs === undefined || t.done) return;
      const cancel = startTimer(clock, options.retransmitMs, () => {
        retransmitTimers.delete(cancel);
        if (t.done || tries >= MAX_SERVER_RETRIES) return;
        resend();
        armRetransmit(tries + 1);
      });
      retransmitTimers.add(cancel);
      cancelRetransmit = () => {
        retransmitTimers.delete(cancel);
        cancel();
      };
    };
    const sendStray = (buf: Buffer) => {
      strayDone = true;
      strayTarget = t;
      foreign!.send(buf, rinfo.port, rinfo.address);
    };
    /** Sends the last packet again (unless dropOutgoing drops it this time). */
    const resend = () => {
      if (last === undefined || (lastPacket && options.dropOutgoing?.(lastPacket, t))) return;
      socket.send(last, rinfo.port, rinfo.address);
    };
    const send = (packet: TftpPacket, final = false): void => {
      const at = options.errorAt;
      if (at && (packet.type === "DATA" || packet.type === "ACK") && packet.block === at.block) return error(at.code, at.message);
      const dropped = options.dropOutgoing?.(packet, t) ?? false;
      t.sent.push({ packet, dropped });
      const buf = encodePacket(packet);
      last = buf;
      lastPacket = packet;
      if (!dropped) {
        socket.send(buf, rinfo.port, rinfo.address);
        if (options.duplicateOutgoing?.(packet, t)) socket.send(buf, rinfo.port, rinfo.address);
      }
      const strayType = request.type === "RRQ" ? "DATA" : "ACK";
      if (options.stray && !strayDone && packet.type === strayType && packet.block === options.stray.block) sendStray(buf);
      if (final) finish();
      else armRetransmit();
    };
    function error(code: number, message: string): void {
      send({ type: "ERROR", code, message }, true);
    }

    let handle: (packet: TftpPacket) => void = () => undefined;
    const onPacket = (packet: TftpPacket) => {
      t.received.push(packet);
      if (options.dropIncoming?.(packet, t)) return;
      if (packet.type === "ERROR") return finish();
      if (!t.done || packet.type === "DATA") handle(packet);
    };
    if (options.sameTid) routes.set(`${rinfo.address}:${rinfo.port}`, onPacket);
    else socket.on("message", (msg, from) => {
      if (from.port !== rinfo.port) return;
      try {
        onPacket(decodePacket(msg));
      } catch {
        // a malformed packet from the client: ignored
      }
    });

    const refusal = options.refuse?.(request);
    if (refusal) return error(refusal.code, refusal.message);
    if (request.mode !== "octet" && request.mode !== "netascii") return error(4, `unsupported mode ${request.mode}`);
    const stored = files.get(request.filename);
    if (request.type === "RRQ" && stored === undefined) return error(1, "File not found");
    const content = request.type === "RRQ" ? (request.mode === "netascii" ? netasciiEncode(stored!) : stored!) : Buffer.alloc(0);

    let negotiated: TftpOptions = {};
    if (!options.ignoreOptions) {
      const entries: [string, string][] = [];
      for (const [name, value] of Object.entries(request.options)) {
        if (name === "blksize") entries.push([name, String(Math.min(Number(value), options.maxBlksize ?? MAX_BLKSIZE))]);
        else if (name === "tsize") entries.push([name, request.type === "RRQ" ? String(content.length) : value]);
        else if (name === "timeout") entries.push([name, value]);
      }
      negotiated = Object.fromEntries(entries);
      if (options.oack) negotiated = options.oack(negotiated, request);
    }
    const blksize = negotiated["blksize"] !== undefined ? Number(negotiated["blksize"]) : DEFAULT_BLKSIZE;
    const hasOack = Object.keys(negotiated).length > 0;

    if (options.rawFirstAnswer) {
      socket.send(options.rawFirstAnswer, rinfo.port, rinfo.address);
      return;
    }

    if (request.type === "RRQ") {
      const total = Math.floor(content.length / blksize) + 1;
      let current = 0;
      const sendData = (abs: number) => {
        current = abs;
        const data = content.subarray((abs - 1) * blksize, Math.min(abs * blksize, content.length));
        send({ type: "DATA", block: blockNumber(abs, rolloverTo), data });
      };
      handle = (packet) => {
        if (packet.type !== "ACK") return error(4, `unexpected ${packet.type}`);
        if (packet.block === blockNumber(current, rolloverTo)) {
          if (current === total) return finish();
          return sendData(current + 1);
        }
        if (options.resendOnDuplicateAck && current > 0 && packet.block === blockNumber(current - 1, rolloverTo)) resend();
      };
      if (hasOack) send({ type: "OACK", options: negotiated });
      else sendData(1);
      return;
    }

    const chunks: Buffer[] = [];
    let got = 0;
    handle = (packet) => {
      if (packet.type !== "DATA") return error(4, `unexpected ${packet.type}`);
      if (packet.block === blockNumber(got + 1, rolloverTo) && !t.done) {
        got += 1;
        chunks.push(Buffer.from(packet.data));
        const final = packet.data.length < blksize;
        if (final) {
          const file = Buffer.concat(chunks);
          files.set(request.filename, request.mode === "netascii" ? netasciiDecode(file) : file);
        }
        return send({ type: "ACK", block: packet.block }, final);
      }
      if (packet.block === blockNumber(got, rolloverTo)) resend();
    };
    if (hasOack) send({ type: "OACK", options: negotiated });
    else send({ type: "ACK", block: 0 });
  }

  main.on("message", (msg, rinfo) => {
    const route = routes.get(`${rinfo.address}:${rinfo.port}`);
    let packet: TftpPacket;
    try {
      packet = decodePacket(msg);
    } catch {
      return;
    }
    if (route) return route(packet);
    if (packet.type !== "RRQ" && packet.type !== "WRQ") return;
    requests.push(packet);
    if (options.silent) return;
    void serve(packet, rinfo);
  });

  return {
    port: main.address().port,
    files,
    requests,
    transfers,
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const cancel of retransmitTimers) cancel();
      retransmitTimers.clear();
      for (const socket of sockets) socket.close();
      sockets.clear();
    },
  };
}
