import dgram from "node:dgram";
import net from "node:net";

/**
 * The UDP side of RTP/AVP (RFC 3550 11, RFC 2326 12.39): an even port for RTP and the next one for
 * RTCP, bound on the address the RTSP connection uses; datagrams from other addresses than the
 * server's are strays.
 */

/** How many times binding a pair is tried before giving up. */
export const BIND_ATTEMPTS = 20;

export const plainAddress = (address: string | undefined): string => (address ?? "").replace(/^::ffff:/, "");

function bind(socket: dgram.Socket, port: number, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => {
      socket.off("listening", onListening);
      reject(err);
    };
    const onListening = () => {
      socket.off("error", onError);
      resolve(socket.address().port);
    };
    socket.once("error", onError);
    socket.once("listening", onListening);
    socket.bind({ port, address, exclusive: true });
  });
}

/** Closes a socket and waits for it; closing a closed socket is fine. */
export function closeSocket(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

export interface UdpPair {
  rtp: dgram.Socket;
  rtcp: dgram.Socket;
  rtpPort: number;
  rtcpPort: number;
  address: string;
}

/**
 * Binds an RTP port (even) and the RTCP port above it on `address`. The system picks a port; when
 * it is odd, the pair below it is tried (RTP on port - 1); a pair that is not free is released and
 * another tried, up to `attempts` times.
 */
export async function bindUdpPair(address: string, attempts = BIND_ATTEMPTS): Promise<UdpPair> {
  const type = net.isIPv6(address) ? "udp6" : "udp4";
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const probe = dgram.createSocket(type);
    let port: number;
    try {
      port = await bind(probe, 0, address);
    } catch (err) {
      await closeSocket(probe);
      throw err;
    }
    const other = dgram.createSocket(type);
    try {
      if (port % 2 === 0) {
        await bind(other, port + 1, address);
        return { rtp: probe, rtcp: other, rtpPort: port, rtcpPort: port + 1, address };
      }
      await bind(other, port - 1, address);
      return { rtp: other, rtcp: probe, rtpPort: port - 1, rtcpPort: port, address };
    } catch (err) {
      lastError = err;
      await Promise.all([closeSocket(probe), closeSocket(other)]);
    }
  }
  throw new Error(`no free even/odd UDP port pair on ${address} after ${attempts} attempts: ${(lastError as Error | undefined)?.message ?? "unknown"}`);
}
