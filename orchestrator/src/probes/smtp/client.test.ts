import { once } from "node:events";
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { afterEach, describe, expect, it } from "vitest";
import { FakeClock } from "../../common/testing/fake-clock.ts";
import { formatTranscript, Transcript } from "../transcript.ts";
import { SmtpClient } from "./client.ts";

const pem = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
const key = pem("localhost.key");
const cert = pem("localhost.crt");

/** The clients' timeouts run on a clock that stands still: the scripted servers answer, so nothing times out. */
const clock = new FakeClock();

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** A scripted server: `answer` gets each line and the socket, and writes what it likes. */
async function scripted(greeting: string, answer: (line: string, socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on("error", () => undefined);
    let buffered = "";
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      for (let nl = buffered.indexOf("\r\n"); nl >= 0; nl = buffered.indexOf("\r\n")) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 2);
        answer(line, socket);
      }
    };
    socket.on("data", onData);
    socket.write(greeting);
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as net.AddressInfo).port;
}

describe("SmtpClient", () => {
  it("ignores replies injected before the TLS handshake (RFC 3207), and checks the address when there is no name", async () => {
    const port = await scripted("220 mail.test\r\n", (line, socket) => {
      if (line !== "STARTTLS") return;
      // The 220 and a forged reply in one write: the forged one must not answer the next command.
      socket.removeAllListeners("data");
      socket.write("220 2.0.0 Ready\r\n250 2.0.0 forged\r\n");
      const secure = new tls.TLSSocket(socket, { isServer: true, key, cert });
      secure.on("error", () => undefined);
      secure.on("data", (chunk: Buffer) => {
        if (chunk.toString() === "NOOP\r\n") secure.write("250 2.0.0 real\r\n");
      });
    });
    const transcript = new Transcript();
    const client = new SmtpClient({ host: "127.0.0.1", port, timeoutMs: 800, transcript, clock });
    try {
      expect((await client.connect()).code).toBe(220);
      expect((await client.command("STARTTLS")).code).toBe(220);
      await client.startTls({ ca: cert, rejectUnauthorized: true });
      expect(client.tlsInfo).toMatchObject({ authorized: true, subject: "localhost" });
      expect((await client.command("NOOP")).text).toBe("real");
      expect(formatTranscript(transcript.lines)).toContain(
        "S: 220 2.0.0 Ready\nS: 250 2.0.0 forged\n* ignored what the server sent after its 220 before TLS started (RFC 3207)\n* TLS started",
      );
      expect(client.codes).toEqual([220, 220, 250]);
    } finally {
      client.close();
    }
  });

  it("a reply the server sends unasked is the reply to the next command", async () => {
    const port = await scripted("220 mail.test\r\n421 4.3.2 Service shutting down\r\n", () => undefined);
    const client = new SmtpClient({ host: "127.0.0.1", port, timeoutMs: 500, transcript: new Transcript(), clock });
    try {
      await client.connect();
      expect(await client.command("NOOP")).toEqual({ code: 421, enhanced: "4.3.2", lines: ["Service shutting down"], text: "Service shutting down" });
    } finally {
      client.close();
    }
  });

  it("after closing, a command throws ProbeNetworkError", async () => {
    const port = await scripted("220 mail.test\r\n", (line, socket) => {
      if (line === "QUIT") socket.end("221 2.0.0 Bye\r\n");
    });
    const transcript = new Transcript();
    const client = new SmtpClient({ host: "127.0.0.1", port, timeoutMs: 500, transcript, clock });
    await client.connect();
    expect((await client.command("QUIT")).code).toBe(221);
    await client.waitClosed(500);
    expect(client.closed).toBe(true);
    await expect(client.command("NOOP")).rejects.toMatchObject({ code: "PROBE_NETWORK", message: expect.stringContaining('the connection is closed; cannot send "NOOP"') });
    client.close();
    expect(formatTranscript(transcript.lines)).toBe("S: 220 mail.test\nC: QUIT\nS: 221 2.0.0 Bye\n* connection closed by the server");
  });

  it("shows at most maxBodyLines lines of message data", async () => {
    const port = await scripted("220 mail.test\r\n", (line, socket) => {
      if (line === ".") socket.write("250 2.0.0 Ok\r\n");
    });
    const transcript = new Transcript();
    const client = new SmtpClient({ host: "127.0.0.1", port, timeoutMs: 500, transcript, maxBodyLines: 2, clock });
    try {
      await client.connect();
      expect((await client.data("1\n2\n3\n4\n")).code).toBe(250);
      expect(formatTranscript(transcript.lines)).toBe("S: 220 mail.test\nC: 1\nC: 2\n* ... 2 more line(s) of message data, not shown (15 bytes in all)\nC: .\nS: 250 2.0.0 Ok");
      expect(client.exchanges).toEqual([{ command: ".", code: 250, enhanced: "2.0.0", text: "Ok" }]);
    } finally {
      client.close();
    }
  });
});
