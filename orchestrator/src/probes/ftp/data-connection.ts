import { once } from "node:events";
import net from "node:net";
import { hostPort, plainAddress } from "./reply.ts";

/**
 * The two ways a data connection comes about. Passive (EPSV/PASV): the probe connects to the port
 * the server named. Active (PORT/EPRT): the probe listens on the control connection's local
 * address and the server connects to it, after the transfer command (vsftpd connects before it
 * sends 150, other servers after).
 */

/** The "address:port" of a socket's other end. */
export const remoteOf = (socket: net.Socket): string => hostPort(plainAddress(socket.remoteAddress ?? "?"), socket.remotePort ?? 0);

/** Connects to a passive data port; rejects with an Error saying what went wrong. */
export function connectPassive(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once("connect", () => {
      clearTimeout(timer);
      socket.removeAllListeners("error");
      resolve(socket);
    });
    socket.once("error", (err) => {
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    });
  });
}

/**
 * A listening socket for one active-mode data connection. Only a connection from the server's
 * address is taken; any other is closed and reported. The listener stops listening as soon as it
 * has its connection, and `close` ends it (and a connection nobody took).
 */
export class ActiveListener {
  readonly address: string;
  readonly port: number;
  readonly #server: net.Server;
  readonly #expectedPeer: string;
  readonly #onStranger: (peer: string) => void;
  #socket: net.Socket | undefined;
  #taken = false;
  #waiter: ((socket: net.Socket | undefined) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;

  private constructor(server: net.Server, expectedPeer: string, onStranger: (peer: string) => void) {
    this.#server = server;
    this.#expectedPeer = plainAddress(expectedPeer);
    this.#onStranger = onStranger;
    const info = server.address() as net.AddressInfo;
    this.address = plainAddress(info.address);
    this.port = info.port;
    server.on("connection", (socket) => this.#connection(socket));
    server.on("error", () => undefined);
  }

  /** Listens on `localAddress` (the control connection's own address), on a port the system picks. */
  static async open(localAddress: string, expectedPeer: string, onStranger: (peer: string) => void = () => undefined): Promise<ActiveListener> {
    const server = net.createServer();
    server.listen({ host: plainAddress(localAddress), port: 0, exclusive: true });
    await once(server, "listening");
    return new ActiveListener(server, expectedPeer, onStranger);
  }

  #connection(socket: net.Socket): void {
    const from = plainAddress(socket.remoteAddress ?? "");
    if (this.#socket !== undefined || from !== this.#expectedPeer) {
      if (this.#socket === undefined) this.#onStranger(remoteOf(socket));
      socket.destroy();
      return;
    }
    socket.on("error", () => undefined);
    this.#socket = socket;
    this.#server.close();
    this.#settle(socket);
  }

  #settle(socket: net.Socket | undefined): void {
    clearTimeout(this.#timer);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    if (socket) this.#taken = true;
    waiter?.(socket);
  }

  /** The server's connection, once it comes; undefined if none came within `timeoutMs` of this call. */
  accept(timeoutMs: number): Promise<net.Socket | undefined> {
    if (this.#socket) {
      this.#taken = true;
      return Promise.resolve(this.#socket);
    }
    return new Promise((resolve) => {
      this.#waiter = resolve;
      this.#timer = setTimeout(() => this.#settle(undefined), timeoutMs);
    });
  }

  /** Stops listening; a connection that came and was not taken is closed. */
  close(): void {
    clearTimeout(this.#timer);
    this.#server.close();
    if (this.#socket && !this.#taken) this.#socket.destroy();
    this.#settle(undefined);
  }
}
