import { once } from "node:events";
import { readFileSync } from "node:fs";
import net from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidInputError, ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import { FakeClock } from "../../common/testing/fake-clock.ts";
import { eventually } from "../../common/testing/timing.ts";
import { formatTranscript, Transcript } from "../transcript.ts";
import { type Pop3ConnectOptions, Pop3Client, peerOf } from "./client.ts";
import { type FakePop3Options, type FakePop3Server, startFakePop3Server, TEST_CA_FILE, testCertificate } from "./fake-pop3-server.ts";

const MESSAGE = "From: alice@crepes.fr\r\nSubject: hi\r\n\r\nHello\r\n.\r\n..foo\r\n";

/** The clients' timeouts run on it: it stands still unless a test moves it, so an answer is never too late. */
let clock: FakeClock;
beforeEach(() => {
  clock = new FakeClock();
});

const servers: FakePop3Server[] = [];
const clients: Pop3Client[] = [];
const others: net.Server[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(others.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function fake(options: FakePop3Options = {}): Promise<FakePop3Server> {
  const s = await startFakePop3Server({ messages: [{ uid: "u1", content: MESSAGE }], ...options });
  servers.push(s);
  return s;
}

async function connect(port: number, options: Partial<Pop3ConnectOptions> = {}): Promise<Pop3Client> {
  const client = await Pop3Client.connect({ host: "127.0.0.1", port, timeoutMs: 1000, clock, ...options });
  clients.push(client);
  return client;
}

/** A one-off TCP server on loopback that runs `onConnection`. */
async function rawServer(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on("error", () => undefined);
    onConnection(socket);
  });
  others.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return (server.address() as net.AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

describe("peerOf", () => {
  it.each([
    { input: ["10.0.0.25", 110] as const, expected: "10.0.0.25:110" },
    { input: ["2001:db8::1", 995] as const, expected: "[2001:db8::1]:995" },
  ])("$expected", ({ input, expected }) => {
    expect(peerOf(input[0], input[1])).toBe(expected);
  });
});

describe("Pop3Client", () => {
  it("reads the greeting, logs in, and writes the transcript with PASS masked", async () => {
    const s = await fake();
    const transcript = new Transcript();
    const client = await connect(s.port, { transcript });
    expect(client.greeting).toMatchObject({ ok: true, text: "fake POP3 server ready" });
    expect(await client.user("alice")).toMatchObject({ ok: true });
    expect(await client.pass("secret")).toMatchObject({ ok: true, text: "alice has 1 message(s)" });
    const retr = await client.retr(1);
    expect(retr.body?.map(String)).toEqual(["From: alice@crepes.fr", "Subject: hi", "", "Hello", ".", "..foo"]);
    await client.quit();
    const size = Buffer.byteLength(MESSAGE);
    expect(formatTranscript(transcript.lines)).toBe(
      [
        "S: +OK fake POP3 server ready",
        "C: USER alice",
        "S: +OK alice is known",
        "C: PASS ****",
        "S: +OK alice has 1 message(s)",
        "C: RETR 1",
        `S: +OK ${size} octets`,
        `S: (message of ${size} octets, 6 lines)`,
        "S: .",
        "C: QUIT",
        "S: +OK bye",
        "* connection closed",
      ].join("\n"),
    );
    expect(transcript.lines.every((l) => l.peer === `127.0.0.1:${s.port}`)).toBe(true);
    expect(client.responses.map((r) => r.command)).toEqual(["(greeting)", "USER alice", "PASS ****", "RETR 1", "QUIT"]);
    expect(s.commands).toEqual(["USER alice", "PASS secret", "RETR 1", "QUIT"]);
  });

  it("returns -ERR, with its response code, instead of throwing", async () => {
    const s = await fake();
    const client = await connect(s.port);
    await client.user("alice");
    const reply = await client.pass("wrong");
    expect(reply).toMatchObject({ ok: false, code: "AUTH", text: "invalid user name or password" });
    expect(client.responses.at(-1)).toEqual({ command: "PASS ****", ok: false, code: "AUTH", text: "invalid user name or password" });
  });

  it("shows LIST and CAPA bodies line by line", async () => {
    const s = await fake({ capabilities: ["TOP", "USER"] });
    const transcript = new Transcript();
    const client = await connect(s.port, { transcript });
    await client.capa();
    expect(formatTranscript(transcript.lines.slice(-5))).toBe(["C: CAPA", "S: +OK capability list follows", "S: TOP", "S: USER", "S: ."].join("\n"));
  });

  it("refuses a command with a line break", async () => {
    const s = await fake();
    const client = await connect(s.port);
    await expect(client.command("NOOP\r\nDELE 1")).rejects.toBeInstanceOf(InvalidInputError);
    expect(s.commands).toEqual([]);
  });

  it("a server that is not POP3 is a ProbeNetworkError", async () => {
    const port = await rawServer((socket) => socket.write("* OK IMAP4rev1 ready\r\n"));
    const error = await Pop3Client.connect({ host: "127.0.0.1", port, timeoutMs: 1000, clock }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProbeNetworkError);
    expect((error as Error).message).toBe(
      `POP3 probe could not talk to 127.0.0.1:${port}: protocol error in the answer to connecting and the greeting: expected +OK or -ERR, got "* OK IMAP4rev1 ready"`,
    );
  });

  it("a silent server times out with ProbeTimeoutError and a note", async () => {
    const s = await fake({ silent: true });
    const transcript = new Transcript();
    const connecting = Pop3Client.connect({ host: "127.0.0.1", port: s.port, timeoutMs: 60, transcript, clock }).catch((e: unknown) => e);
    await clock.sleeping(60);
    await clock.advance(60);
    const error = await connecting;
    expect(error).toBeInstanceOf(ProbeTimeoutError);
    expect((error as Error).message).toBe(`POP3 probe got no answer from 127.0.0.1:${s.port} to connecting and the greeting within 60 ms`);
    expect(formatTranscript(transcript.lines)).toBe("* no answer to connecting and the greeting within 60 ms; closing the connection");
  });

  it("a command that gets no answer times out", async () => {
    const s = await fake({ override: (line) => (line === "NOOP" ? "" : undefined) });
    const client = await connect(s.port, { timeoutMs: 60 });
    const noop = client.noop().catch((e: unknown) => e);
    await eventually(() => expect(s.commands).toEqual(["NOOP"]));
    await clock.advance(60);
    expect(await noop).toBeInstanceOf(ProbeTimeoutError);
    expect(((await noop) as Error).message).toBe(`POP3 probe got no answer from 127.0.0.1:${s.port} to NOOP within 60 ms`);
    await expect(client.stat()).rejects.toBeInstanceOf(ProbeTimeoutError);
  });

  it("a refused connection is a ProbeNetworkError naming the server", async () => {
    const port = await closedPort();
    const error = await Pop3Client.connect({ host: "127.0.0.1", port, timeoutMs: 1000, clock }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProbeNetworkError);
    expect((error as Error).message).toMatch(new RegExp(`^POP3 probe could not talk to 127\\.0\\.0\\.1:${port}: connect ECONNREFUSED`));
  });

  it("a connection closed in the middle of a body is a ProbeNetworkError", async () => {
    const port = await rawServer((socket) => {
      socket.write("+OK hi\r\n");
      socket.once("data", () => socket.end("+OK 100 octets\r\nSubject: cut\r\n"));
    });
    const transcript = new Transcript();
    const client = await connect(port, { transcript });
    await expect(client.retr(1)).rejects.toThrow(`POP3 probe could not talk to 127.0.0.1:${port}: the server closed the connection before the answer to RETR 1`);
    expect(transcript.lines.at(-1)?.text).toBe("the server closed the connection");
  });

  it("rejects bad connection options", async () => {
    await expect(Pop3Client.connect({ host: "pop.crepes.fr", port: 0 })).rejects.toThrow(
      'POP3 connection is invalid: host "pop.crepes.fr" is not an IP address; port 0 is not between 1 and 65535',
    );
  });

  it("stops when the signal aborts", async () => {
    const s = await fake({ silent: true });
    const controller = new AbortController();
    const connecting = Pop3Client.connect({ host: "127.0.0.1", port: s.port, timeoutMs: 5000, signal: controller.signal, clock });
    // The clock stands still: only the abort can end the wait for the greeting.
    await clock.sleeping(5000);
    controller.abort(new Error("step cancelled"));
    await expect(connecting).rejects.toThrow("step cancelled");
  });
});

describe("Pop3Client TLS", () => {
  const ca = readFileSync(TEST_CA_FILE, "utf8");

  it("STLS upgrades the connection and verifies the certificate", async () => {
    const s = await fake({ tls: testCertificate() });
    const transcript = new Transcript();
    const client = await connect(s.port, { transcript, tls: { ca, servername: "localhost" } });
    expect(client.tls).toBe(false);
    expect(await client.stls()).toMatchObject({ ok: true });
    expect(client.tls).toBe(true);
    expect(client.tlsInfo).toMatchObject({ authorized: true, subject: "localhost" });
    expect(transcript.lines.at(-1)?.text).toMatch(/^TLS established: TLSv1\.[23], \S+; certificate CN=localhost verified$/);
    await client.user("alice");
    expect((await client.pass("secret")).ok).toBe(true);
    expect(s.tlsStartedAt).toBe(1);
    expect(s.commands).toEqual(["STLS", "USER alice", "PASS secret"]);
  });

  it("drops plaintext the server sends after +OK to STLS", async () => {
    const s = await fake({ tls: testCertificate(), afterStls: "-ERR injected\r\n" });
    const transcript = new Transcript();
    const client = await connect(s.port, { transcript, tls: { ca, servername: "localhost" } });
    await client.stls();
    expect(transcript.lines.map((l) => l.text)).toContain("dropped 15 octets the server sent after +OK to STLS, before TLS");
    expect((await client.user("alice")).ok).toBe(true);
  });

  it("a certificate that does not verify fails the handshake", async () => {
    const s = await fake({ tls: testCertificate() });
    const client = await connect(s.port, { tls: { servername: "localhost" } });
    const error = await client.stls().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProbeNetworkError);
    expect((error as Error).message).toMatch(`POP3 probe could not talk to 127.0.0.1:${s.port}: TLS handshake failed: self-signed certificate`);
    expect((error as Error).message).toMatch(/\(DEPTH_ZERO_SELF_SIGNED_CERT\)$/);
  });

  it("a certificate for another name fails the handshake", async () => {
    const s = await fake({ tls: testCertificate() });
    const client = await connect(s.port, { tls: { ca, servername: "pop.crepes.fr" } });
    await expect(client.stls()).rejects.toThrow(/TLS handshake failed: Hostname\/IP does not match certificate's altnames/);
  });

  it("rejectUnauthorized: false accepts it and says so", async () => {
    const s = await fake({ tls: testCertificate() });
    const transcript = new Transcript();
    const client = await connect(s.port, { transcript, tls: { rejectUnauthorized: false } });
    await client.stls();
    expect(client.tlsInfo).toMatchObject({ authorized: false, authorizationError: "DEPTH_ZERO_SELF_SIGNED_CERT" });
    expect(transcript.lines.at(-1)?.text).toMatch(/NOT verified \(DEPTH_ZERO_SELF_SIGNED_CERT\), accepted because rejectUnauthorized is false$/);
  });

  it("without a server name the address is checked against the certificate", async () => {
    const s = await fake({ tls: testCertificate(), implicitTls: true });
    const client = await connect(s.port, { implicitTls: true, tls: { ca } });
    expect(client.tls).toBe(true);
    expect(client.greeting?.ok).toBe(true);
    expect((await client.noop()).ok).toBe(true);
  });
});
