import { once } from "node:events";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { eventually, PATIENT_TIMEOUT_MS } from "../../common/testing/timing.ts";
import { ActiveListener, connectPassive, remoteOf } from "./data-connection.ts";

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup.splice(0)) c();
});

function connectFrom(port: number, localAddress: string): Promise<net.Socket> {
  const s = net.connect({ host: "127.0.0.1", port, localAddress });
  cleanup.push(() => s.destroy());
  s.on("error", () => undefined);
  return once(s, "connect").then(() => s);
}

/** Whether a connection to `port` is refused: nothing listens there (any more). */
async function refused(port: number): Promise<boolean> {
  const s = net.connect({ host: "127.0.0.1", port });
  try {
    await once(s, "connect");
    return false;
  } catch {
    return true;
  } finally {
    s.destroy();
  }
}

describe("ActiveListener", () => {
  it("listens on the given address and takes the server's connection, which may come before accept", async () => {
    const listener = await ActiveListener.open("127.0.0.1", "127.0.0.1");
    cleanup.push(() => listener.close());
    expect(listener.address).toBe("127.0.0.1");
    expect(listener.port).toBeGreaterThan(0);
    const client = await connectFrom(listener.port, "127.0.0.1");
    client.write("early data");
    // The listener has taken the connection (it stops listening then) before accept is called.
    await eventually(async () => expect(await refused(listener.port)).toBe(true));
    const socket = await listener.accept(PATIENT_TIMEOUT_MS);
    expect(socket).toBeDefined();
    cleanup.push(() => socket!.destroy());
    const [data] = (await once(socket!, "data")) as [Buffer];
    expect(data.toString()).toBe("early data");
    expect(remoteOf(socket!)).toBe(`127.0.0.1:${client.localPort}`);
  });

  it("refuses a connection from another address, and keeps waiting for the server", async () => {
    const strangers: string[] = [];
    const listener = await ActiveListener.open("127.0.0.1", "127.0.0.1", (peer) => strangers.push(peer));
    cleanup.push(() => listener.close());
    const accepted = listener.accept(PATIENT_TIMEOUT_MS);
    const stranger = await connectFrom(listener.port, "127.0.0.2");
    const strangerPort = stranger.localPort;
    await once(stranger, "close");
    expect(strangers).toEqual([`127.0.0.2:${strangerPort}`]);
    const server = await connectFrom(listener.port, "127.0.0.1");
    const socket = await accepted;
    cleanup.push(() => socket?.destroy());
    expect(socket?.remotePort).toBe(server.localPort);
  });

  it("stops listening once it has its connection", async () => {
    const listener = await ActiveListener.open("127.0.0.1", "127.0.0.1");
    cleanup.push(() => listener.close());
    await connectFrom(listener.port, "127.0.0.1");
    const socket = await listener.accept(PATIENT_TIMEOUT_MS);
    cleanup.push(() => socket?.destroy());
    const late = net.connect({ host: "127.0.0.1", port: listener.port });
    const [err] = (await once(late, "error")) as [NodeJS.ErrnoException];
    expect(err.code).toBe("ECONNREFUSED");
  });

  it("accept gives undefined when nobody connects in time, and close ends the wait", async () => {
    const listener = await ActiveListener.open("127.0.0.1", "127.0.0.1");
    expect(await listener.accept(30)).toBeUndefined();
    const waiting = listener.accept(10_000);
    listener.close();
    expect(await waiting).toBeUndefined();
  });
});

describe("connectPassive", () => {
  it("connects to a listening port", async () => {
    const server = net.createServer((s) => s.end("hi"));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    cleanup.push(() => server.close());
    const socket = await connectPassive("127.0.0.1", (server.address() as net.AddressInfo).port, PATIENT_TIMEOUT_MS);
    cleanup.push(() => socket.destroy());
    const [data] = (await once(socket, "data")) as [Buffer];
    expect(data.toString()).toBe("hi");
  });

  it("rejects with the reason when nothing listens", async () => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const { port } = server.address() as net.AddressInfo;
    await new Promise((r) => server.close(r));
    await expect(connectPassive("127.0.0.1", port, 500)).rejects.toThrow(/ECONNREFUSED/);
  });
});
