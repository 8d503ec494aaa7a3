import { readFileSync } from "node:fs";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InvalidInputError } from "../../common/errors.ts";
import { FakeClock } from "../../common/testing/fake-clock.ts";
import { eventually } from "../../common/testing/timing.ts";
import type { DockerAdapter } from "../../docker/docker-adapter.ts";
import { type ServiceSpec, Topology } from "../../lab/topology.ts";
import { probeParams } from "../../scenarios/probe-params.ts";
import type { ProbeContext } from "../probe.ts";
import { formatTranscript } from "../transcript.ts";
import { type FakeSmtpOptions, type FakeSmtpServer, startFakeSmtpServer, unusedPort } from "./fake-smtp-server.ts";
import { buildMessage, smtpProbe, type SmtpProbeParams, type SmtpProbeResult, tlsServerName } from "./smtp-probe.ts";

/** The test server's self-signed certificate, which is its own CA: the tests trust it as the lab CA, through L7LAB_CA_FILE. */
const TEST_CA_FILE = fileURLToPath(new URL("./fixtures/localhost.crt", import.meta.url));
const keyFile = fileURLToPath(new URL("./fixtures/localhost.key", import.meta.url));
const pems = { key: readFileSync(keyFile, "utf8"), cert: readFileSync(TEST_CA_FILE, "utf8") };

const service = (name: string, ipv4: string, hostnames: string[] = []): ServiceSpec => ({
  name, role: "mail", hostnames, description: "", networks: [{ network: "lab", ipv4 }],
});
// The mail server lives on 127.0.0.1 here, so that the probe only ever talks to the loopback fakes;
// its host name is "localhost", the name in the test certificate.
const topology = new Topology("l7lab", [service("mail", "127.0.0.1", ["localhost"]), service("outside", "198.51.100.25", ["mail.example.com"])], [
  { name: "lab", subnet: "10.0.0.0/24", internal: true, private: false, description: "" },
]);

/**
 * The probe's timeouts (and its wait for the server to close after QUIT) run on it: it stands
 * still unless a test moves it, so an exchange the fake answers never times out, however slow the
 * machine; timeoutMs only shows in the messages.
 */
let clock: FakeClock;
beforeEach(() => {
  clock = new FakeClock();
});
function context(signal = new AbortController().signal): ProbeContext {
  return { signal, clock, topology, docker: {} as DockerAdapter, stepStartedAt: () => undefined };
}

const servers: FakeSmtpServer[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function fake(options: FakeSmtpOptions = {}): Promise<FakeSmtpServer> {
  const s = await startFakeSmtpServer(options);
  servers.push(s);
  return s;
}

async function probe(params: SmtpProbeParams, ctx = context()) {
  const out = await smtpProbe.run(params, ctx);
  return { ...out, data: out.data, text: formatTranscript(out.transcript) };
}

const alice = { from: "Alice <alice@crepes.fr>", to: ["bob@hamburger.edu", "nobody@hamburger.edu"], subject: "Hi", text: "Do you like ketchup?\nHow about pickles?\n" };

describe("smtpProbe: send", () => {
  it("sends to the accepted recipient although the other gets 550, and reports every code", async () => {
    const s = await fake({ rejectRecipients: ["nobody@hamburger.edu"], queueId: "ABC123" });
    const out = await probe({ server: "mail", port: s.port, send: { ...alice, messageId: "<m1@crepes.fr>" }, timeoutMs: 500 });
    expect(out.ok).toBe(true);
    expect(out.error).toBeUndefined();
    const data: SmtpProbeResult = out.data;
    expect(data).toMatchObject({
      mode: "send",
      server: "127.0.0.1",
      port: s.port,
      greeting: { code: 220, text: "mail.test ESMTP Postfix" },
      tls: false,
      accepted: true,
      queueId: "ABC123",
      messageId: "<m1@crepes.fr>",
      codes: [220, 250, 250, 250, 550, 354, 250, 221],
    });
    expect(data.ehlo?.keywords).toContain("PIPELINING");
    expect(data.ehlo?.extensions["AUTH"]).toEqual(["PLAIN", "LOGIN"]);
    expect(data.authenticated).toBeUndefined();
    expect(data.recipients).toEqual([
      { address: "bob@hamburger.edu", code: 250, enhanced: "2.1.5", accepted: true, text: "Ok" },
      { address: "nobody@hamburger.edu", code: 550, enhanced: "5.1.1", accepted: false, text: "<nobody@hamburger.edu>: Recipient address rejected: User unknown in local recipient table" },
    ]);
    expect(data.exchanges.map((e) => [e.command, e.code])).toEqual([
      ["EHLO orchestrator.someschool.edu", 250],
      ["MAIL FROM:<alice@crepes.fr>", 250],
      ["RCPT TO:<bob@hamburger.edu>", 250],
      ["RCPT TO:<nobody@hamburger.edu>", 550],
      ["DATA", 354],
      [".", 250],
      ["QUIT", 221],
    ]);
    expect(data.exchanges[5]).toEqual({ command: ".", code: 250, enhanced: "2.0.0", text: "Ok: queued as ABC123" });
    const [session] = s.sessions;
    expect(session?.messages).toHaveLength(1);
    expect(session?.messages[0]).toMatchObject({ from: "alice@crepes.fr", to: ["bob@hamburger.edu"] });
    expect(session?.messages[0]?.text).toContain("Subject: Hi\r\n");
    expect(session?.messages[0]?.text).toContain("Do you like ketchup?\r\nHow about pickles?\r\n");
    expect(out.text).toMatch(/^S: 220 mail\.test ESMTP Postfix\nC: EHLO orchestrator\.someschool\.edu\nS: 250-mail\.test\nS: 250-PIPELINING\n/);
    expect(out.text).toContain("C: DATA\nS: 354 End data with <CR><LF>.<CR><LF>\nC: ");
    expect(out.text).toContain("C: How about pickles?\nC: .\nS: 250 2.0.0 Ok: queued as ABC123\nC: QUIT\nS: 221 2.0.0 Bye\n* connection closed by the server");
    expect(out.transcript.every((l) => l.peer === `127.0.0.1:${s.port}`)).toBe(true);
  });

  it("RSETs instead of DATA when no recipient is accepted", async () => {
    const s = await fake({ rejectRecipients: ["bob@hamburger.edu", "nobody@hamburger.edu"] });
    const out = await probe({ server: "mail", port: s.port, send: alice, timeoutMs: 500 });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ accepted: false, codes: [220, 250, 250, 550, 550, 250, 221] });
    expect(out.data.exchanges.map((e) => e.command)).toEqual([
      "EHLO orchestrator.someschool.edu",
      "MAIL FROM:<alice@crepes.fr>",
      "RCPT TO:<bob@hamburger.edu>",
      "RCPT TO:<nobody@hamburger.edu>",
      "RSET",
      "QUIT",
    ]);
    expect(out.text).toContain("* no recipient was accepted: RSET instead of DATA");
    expect(s.sessions[0]?.messages).toEqual([]);
  });

  it("sends a line starting with \".\" dot-stuffed, and ends the data with CRLF.CRLF", async () => {
    const s = await fake();
    const send = { from: "alice@crepes.fr", to: ["bob@hamburger.edu"], messageId: "<dots@crepes.fr>", text: "first\n.hidden line\n.\n..two\nlast" };
    const out = await probe({ server: "127.0.0.1", port: s.port, send, timeoutMs: 500 });
    expect(out.data.accepted).toBe(true);
    const received = s.sessions[0]!.messages[0]!;
    expect(received.wire).toContain("\r\nfirst\r\n..hidden line\r\n..\r\n...two\r\nlast\r\n.\r\n");
    expect(received.wire.endsWith("last\r\n.\r\n")).toBe(true);
    expect(received.wire.match(/\r\n\.\r\n/g)).toHaveLength(1);
    expect(received.text).toContain("\r\nfirst\r\n.hidden line\r\n.\r\n..two\r\nlast\r\n");
    // The transcript shows the data as sent, stuffed.
    expect(out.text).toContain("C: ..hidden line\nC: ..\nC: ...two\nC: last\nC: .\nS: 250");
  });

  it("sends exactly the message buildMessage builds, and a raw message as it is", async () => {
    const s = await fake();
    const raw = "From: alice@crepes.fr\r\nTo: bob@hamburger.edu\r\nSubject: raw\r\nMessage-ID: <raw@crepes.fr>\r\n\r\nraw body\r\n";
    const out = await probe({ server: "mail", port: s.port, send: { from: "alice@crepes.fr", to: ["bob@hamburger.edu"], raw }, timeoutMs: 500 });
    expect(out.data).toMatchObject({ accepted: true, messageId: "<raw@crepes.fr>" });
    expect(s.sessions[0]?.messages[0]?.text).toBe(raw);
    expect(await buildMessage({ from: "a@b", to: ["c@d"], raw })).toBe(raw);
  });

  it("says BODY=8BITMIME for an 8-bit raw message when the server offers it", async () => {
    const s = await fake();
    const raw = "Subject: crêpes\r\n\r\nà bientôt\r\n";
    await probe({ server: "mail", port: s.port, send: { from: "alice@crepes.fr", to: ["bob@hamburger.edu"], raw }, timeoutMs: 500 });
    expect(s.sessions[0]?.commands).toContain("MAIL FROM:<alice@crepes.fr> BODY=8BITMIME");
    expect(s.sessions[0]?.messages[0]?.text).toBe(raw);
  });

  it("AUTH PLAIN: the credentials are correct on the wire and masked in the transcript", async () => {
    const s = await fake({ users: { alice: "wonderland" } });
    const out = await probe({ server: "mail", port: s.port, auth: { user: "alice", pass: "wonderland" }, send: alice, timeoutMs: 500 });
    expect(out.data.authenticated).toBe(true);
    expect(out.data.exchanges[1]).toEqual({ command: "AUTH PLAIN ****", code: 235, enhanced: "2.7.0", text: "Authentication successful" });
    const token = Buffer.from("\0alice\0wonderland").toString("base64");
    expect(s.sessions[0]?.commands[1]).toBe(`AUTH PLAIN ${token}`);
    expect(s.sessions[0]?.user).toBe("alice");
    expect(out.text).toContain("C: AUTH PLAIN ****\nS: 235 2.7.0 Authentication successful");
    expect(JSON.stringify(out)).not.toContain(token);
    expect(JSON.stringify(out)).not.toContain("wonderland");
  });

  it("AUTH LOGIN: user name and password masked; a wrong password stops before MAIL", async () => {
    const s = await fake({ users: { alice: "wonderland" } });
    const out = await probe({ server: "mail", port: s.port, auth: { user: "alice", pass: "wrong", method: "LOGIN" }, send: alice, timeoutMs: 500 });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ authenticated: false, accepted: false, codes: [220, 250, 334, 334, 535, 221] });
    expect(out.data.exchanges.map((e) => e.command)).toEqual(["EHLO orchestrator.someschool.edu", "AUTH LOGIN", "****", "****", "QUIT"]);
    expect(s.sessions[0]?.commands.slice(2, 4)).toEqual([Buffer.from("alice").toString("base64"), Buffer.from("wrong").toString("base64")]);
    expect(out.text).toContain("S: 334 VXNlcm5hbWU6\nC: ****\nS: 334 UGFzc3dvcmQ6\nC: ****\nS: 535 5.7.8");
    expect(out.text).toContain("* authentication failed: the message is not sent");
    expect(s.sessions[0]?.commands.some((c) => c.startsWith("MAIL"))).toBe(false);
  });

  it("falls back to HELO when EHLO is not known", async () => {
    const s = await fake({ handle: (c) => (c.startsWith("EHLO") ? "502 5.5.2 Error: command not recognized" : undefined) });
    const out = await probe({ server: "mail", port: s.port, helo: "client.crepes.fr", send: alice, timeoutMs: 500 });
    expect(out.data.ehlo).toEqual({ code: 502, domain: "", keywords: [], extensions: {} });
    expect(out.data.exchanges.slice(0, 2).map((e) => [e.command, e.code])).toEqual([["EHLO client.crepes.fr", 502], ["HELO client.crepes.fr", 250]]);
    expect(out.data.accepted).toBe(true);
  });

  it("a greeting that refuses service: QUIT and nothing else", async () => {
    const s = await fake({ greeting: "554 5.3.2 mail.test No SMTP service here" });
    const out = await probe({ server: "mail", port: s.port, send: alice, timeoutMs: 500 });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ greeting: { code: 554, enhanced: "5.3.2", text: "mail.test No SMTP service here" }, codes: [554, 221], accepted: false });
    expect(s.sessions[0]?.commands).toEqual(["QUIT"]);
  });
});

describe("smtpProbe: TLS", () => {
  it("STARTTLS with the lab CA and the server's name, then EHLO again", async () => {
    vi.stubEnv("L7LAB_CA_FILE", TEST_CA_FILE);
    const s = await fake({ tls: pems });
    const out = await probe({ server: "mail", port: s.port, tls: "starttls", send: alice, timeoutMs: 800 });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ tls: true, accepted: true, tlsInfo: { authorized: true, subject: "localhost" } });
    expect(out.data.tlsInfo?.protocol).toMatch(/^TLSv1\.[23]$/);
    expect(out.data.exchanges.slice(0, 3).map((e) => [e.command, e.code])).toEqual([
      ["EHLO orchestrator.someschool.edu", 250],
      ["STARTTLS", 220],
      ["EHLO orchestrator.someschool.edu", 250],
    ]);
    expect(out.data.ehlo?.keywords).not.toContain("STARTTLS");
    expect(out.text).toMatch(/C: STARTTLS\nS: 220 2\.0\.0 Ready to start TLS\n\* TLS started: TLSv1\.\d, \S+; certificate CN=localhost verified\nC: EHLO/);
    expect(s.sessions[0]).toMatchObject({ tls: true, messages: [{ to: ["bob@hamburger.edu", "nobody@hamburger.edu"] }] });
  });

  it("takes the CA from L7LAB_CA_FILE with a host name as the server too", async () => {
    vi.stubEnv("L7LAB_CA_FILE", TEST_CA_FILE);
    const s = await fake({ tls: pems });
    const out = await probe({ server: "localhost", port: s.port, tls: "starttls", commands: ["NOOP"], timeoutMs: 800 });
    expect(out.ok).toBe(true);
    expect(out.data.tls).toBe(true);
  });

  it("a certificate that does not verify is ok: false, with the transcript so far", async () => {
    vi.stubEnv("L7LAB_CA_FILE", "");
    const s = await fake({ tls: pems });
    const out = await probe({ server: "mail", port: s.port, tls: "starttls", send: alice, timeoutMs: 800 });
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_NETWORK");
    expect(out.error?.message).toMatch(/^SMTP probe could not talk to 127\.0\.0\.1:\d+: TLS handshake failed: self[- ]signed certificate/);
    expect(out.data).toMatchObject({ tls: false, accepted: false, codes: [220, 250, 220] });
    expect(out.text).toMatch(/C: STARTTLS\nS: 220 2\.0\.0 Ready to start TLS\n\* TLS handshake failed: self[- ]signed certificate/);
  });

  it("a certificate for another name is refused", async () => {
    vi.stubEnv("L7LAB_CA_FILE", TEST_CA_FILE);
    const s = await fake({ tls: pems });
    const out = await probe({ server: "mail", port: s.port, tls: "starttls", servername: "mail.hamburger.edu", commands: ["NOOP"], timeoutMs: 800 });
    expect(out.ok).toBe(false);
    expect(out.error?.message).toContain("TLS handshake failed: Hostname/IP does not match certificate's altnames");
  });

  it("rejectUnauthorized: false accepts it, and says it did not verify", async () => {
    vi.stubEnv("L7LAB_CA_FILE", "");
    const s = await fake({ tls: pems });
    const out = await probe({ server: "mail", port: s.port, tls: "starttls", rejectUnauthorized: false, send: alice, timeoutMs: 800 });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ tls: true, accepted: true, tlsInfo: { authorized: false, authorizationError: "DEPTH_ZERO_SELF_SIGNED_CERT" } });
    expect(out.text).toContain("NOT verified (DEPTH_ZERO_SELF_SIGNED_CERT), accepted as rejectUnauthorized is false");
  });

  it("a server without STARTTLS: its refusal is the result, and nothing more goes in plaintext", async () => {
    const s = await fake();
    const out = await probe({ server: "mail", port: s.port, tls: "starttls", auth: { user: "alice", pass: "secret" }, send: alice, timeoutMs: 500 });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ tls: false, accepted: false, codes: [220, 250, 502, 221] });
    expect(out.text).toContain("* STARTTLS got 502, not 220: TLS was asked for, so nothing more is sent in plaintext");
    expect(s.sessions[0]?.commands).toEqual(["EHLO orchestrator.someschool.edu", "STARTTLS", "QUIT"]);
  });

  it("implicit TLS (SMTPS)", async () => {
    vi.stubEnv("L7LAB_CA_FILE", TEST_CA_FILE);
    const s = await fake({ tls: pems, implicitTls: true });
    const out = await probe({ server: "mail", port: s.port, tls: "implicit", send: alice, timeoutMs: 800 });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ tls: true, accepted: true, codes: [220, 250, 250, 250, 250, 354, 250, 221] });
    expect(out.text).toMatch(/^\* TLS started: .*verified\nS: 220 mail\.test ESMTP Postfix/);
    expect(s.sessions[0]?.tls).toBe(true);
  });
});

describe("smtpProbe: raw commands", () => {
  it("sends every command whatever the reply: 503, 252, 502", async () => {
    const s = await fake();
    const commands = ["MAIL FROM:<a@b>", "HELO x", "DATA", "VRFY bob", "EXPN staff", "NOOP", "FOO", "QUIT", "NOOP"];
    const out = await probe({ server: "mail", port: s.port, commands, timeoutMs: 500 });
    expect(out.ok).toBe(true);
    expect(out.data.mode).toBe("commands");
    expect(out.data.codes).toEqual([220, 503, 250, 503, 252, 502, 250, 502, 221]);
    expect(out.data.exchanges).toEqual([
      { command: "MAIL FROM:<a@b>", code: 503, enhanced: "5.5.1", text: "Error: send HELO/EHLO first" },
      { command: "HELO x", code: 250, text: "mail.test" },
      { command: "DATA", code: 503, enhanced: "5.5.1", text: "Error: need RCPT command" },
      { command: "VRFY bob", code: 252, enhanced: "2.0.0", text: "bob" },
      { command: "EXPN staff", code: 502, enhanced: "5.5.2", text: "Error: command not recognized" },
      { command: "NOOP", code: 250, enhanced: "2.0.0", text: "Ok" },
      { command: "FOO", code: 502, enhanced: "5.5.2", text: "Error: command not recognized" },
      { command: "QUIT", code: 221, enhanced: "2.0.0", text: "Bye" },
    ]);
    expect(out.text).toMatch(/\* connection closed by the server\n\* the connection is closed: 1 more item\(s\) not sent$/);
  });

  it("a { data } item after a DATA that got 354 is the message; one after a refused DATA is not sent", async () => {
    const s = await fake();
    const commands = [
      "DATA",
      { data: "never sent" },
      "EHLO x",
      "MAIL FROM:<alice@crepes.fr>",
      "RCPT TO:<bob@hamburger.edu>",
      "DATA",
      { data: "Message-ID: <c1@crepes.fr>\nSubject: t\n\n.dot\nend" },
      "QUIT",
    ];
    const out = await probe({ server: "mail", port: s.port, commands, timeoutMs: 500 });
    expect(out.data).toMatchObject({ accepted: true, queueId: "4F1D81234", messageId: "<c1@crepes.fr>", codes: [220, 503, 250, 250, 250, 354, 250, 221] });
    expect(out.data.ehlo?.domain).toBe("mail.test");
    expect(out.text).toContain("* message data ({ data }) not sent: the DATA before it did not get 354");
    expect(s.sessions[0]?.messages.map((m) => m.wire)).toEqual(["Message-ID: <c1@crepes.fr>\r\nSubject: t\r\n\r\n..dot\r\nend\r\n.\r\n"]);
  });

  it("STARTTLS among the commands upgrades the connection; AUTH among them is masked", async () => {
    vi.stubEnv("L7LAB_CA_FILE", TEST_CA_FILE);
    const s = await fake({ tls: pems, users: { alice: "wonderland" } });
    const token = Buffer.from("\0alice\0wonderland").toString("base64");
    const out = await probe({ server: "mail", port: s.port, commands: ["EHLO x", "STARTTLS", "EHLO x", `AUTH PLAIN ${token}`, "QUIT"], timeoutMs: 800 });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ tls: true, authenticated: true, codes: [220, 250, 220, 250, 235, 221] });
    expect(out.data.exchanges[3]?.command).toBe("AUTH PLAIN ****");
    expect(JSON.stringify(out)).not.toContain(token);
  });

  it("with tls: starttls, the commands start in a fresh session over TLS", async () => {
    vi.stubEnv("L7LAB_CA_FILE", TEST_CA_FILE);
    const s = await fake({ tls: pems });
    const out = await probe({ server: "mail", port: s.port, tls: "starttls", commands: ["MAIL FROM:<a@b>", "QUIT"], timeoutMs: 800 });
    expect(out.data).toMatchObject({ tls: true, codes: [220, 250, 220, 503, 221] });
  });
});

describe("smtpProbe: failures", () => {
  it("a silent server is a timeout: ok false, with the note", async () => {
    const s = await fake({ greeting: null });
    const running = probe({ server: "mail", port: s.port, send: alice, timeoutMs: 100 });
    // The second wait: the connection is made, the greeting is awaited.
    await eventually(() => expect(clock.begun).toBe(2));
    expect(clock.pending()).toEqual([100]);
    await clock.advance(100);
    const out = await running;
    expect(out.ok).toBe(false);
    expect(out.error).toEqual({ code: "PROBE_TIMEOUT", message: `SMTP probe got no answer from 127.0.0.1:${s.port} to the connection (no greeting) within 100 ms` });
    expect(out.data).toMatchObject({ server: "127.0.0.1", port: s.port, codes: [], exchanges: [] });
    expect(out.data.greeting).toBeUndefined();
    expect(out.text).toBe("* waited 100 ms for the greeting; giving up");
  });

  it("a server that stops answering halfway: ok false, the exchanges so far kept", async () => {
    const s = await fake({ handle: (c) => (c.startsWith("RCPT") ? null : undefined) });
    const running = probe({ server: "mail", port: s.port, send: alice, timeoutMs: 100 });
    await eventually(() => expect(s.sessions[0]?.commands).toContain("RCPT TO:<bob@hamburger.edu>"));
    await clock.advance(100);
    const out = await running;
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_TIMEOUT");
    expect(out.error?.message).toBe(`SMTP probe got no answer from 127.0.0.1:${s.port} to "RCPT TO:<bob@hamburger.edu>" within 100 ms`);
    expect(out.text).toMatch(/C: RCPT TO:<bob@hamburger\.edu>\n\* waited 100 ms for the reply to "RCPT TO:<bob@hamburger\.edu>"; giving up$/);
    expect(out.data.codes).toEqual([220, 250, 250]);
    expect(out.data.recipients).toEqual([]);
  });

  it("connection refused: ok false, naming the server", async () => {
    const port = await unusedPort();
    const out = await probe({ server: "mail", port, send: alice, timeoutMs: 500 });
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_NETWORK");
    expect(out.error?.message).toBe(`SMTP probe could not talk to 127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`);
    expect(out.text).toBe(`* connection error: connect ECONNREFUSED 127.0.0.1:${port}`);
  });

  it("a server that closes the connection before replying: ok false", async () => {
    const server = net.createServer((socket) => socket.once("data", () => socket.end("250-first line only\r\n")).write("220 hi\r\n"));
    server.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const out = await probe({ server: "mail", port, commands: ["NOOP"], timeoutMs: 500 });
      expect(out.ok).toBe(false);
      expect(out.error?.message).toBe(`SMTP probe could not talk to 127.0.0.1:${port}: the connection closed before the reply to "NOOP"`);
      expect(out.text).toBe("S: 220 hi\nC: NOOP\nS: 250-first line only\n* connection closed by the server");
    } finally {
      server.close();
    }
  });

  it("a server that does not speak SMTP: ok false", async () => {
    const server = net.createServer((socket) => socket.end("HTTP/1.1 400 Bad Request\r\n\r\n"));
    server.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    try {
      const out = await probe({ server: "mail", port: (server.address() as net.AddressInfo).port, send: alice, timeoutMs: 500 });
      expect(out.ok).toBe(false);
      expect(out.error?.message).toContain('the server sent a line that is not an SMTP reply: "HTTP/1.1 400 Bad Request"');
      expect(out.text).toMatch(/^S: HTTP\/1\.1 400 Bad Request/);
    } finally {
      server.close();
    }
  });

  it("a reply split across packets is put together", async () => {
    const server = net.createServer((socket) => {
      socket.write("22");
      setTimeout(() => socket.write("0-mail.test\r"), 5);
      setTimeout(() => socket.write("\n220 ESMTP\r\n"), 10);
      socket.on("data", () => socket.end("221 2.0.0 Bye\r\n"));
    });
    server.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    try {
      const out = await probe({ server: "mail", port: (server.address() as net.AddressInfo).port, commands: ["QUIT"], timeoutMs: 500 });
      expect(out.ok).toBe(true);
      expect(out.data.greeting).toEqual({ code: 220, text: "mail.test\nESMTP" });
      expect(out.data.codes).toEqual([220, 221]);
    } finally {
      server.close();
    }
  });

  it("stops when the signal aborts", async () => {
    const s = await fake({ greeting: null });
    const controller = new AbortController();
    const running = probe({ server: "mail", port: s.port, send: alice, timeoutMs: 5000 }, context(controller.signal));
    await eventually(() => expect(s.sessions).toHaveLength(1));
    // The clock stands still: only the abort can end the wait for the greeting.
    controller.abort(new Error("step cancelled"));
    await expect(running).rejects.toThrow("step cancelled");
  });

  it.each([
    { title: "a server outside the lab", input: { server: "outside", send: alice }, expected: "(198.51.100.25) is not in the lab's networks" },
    { title: "an unknown server", input: { server: "nowhere", send: alice }, expected: 'server "nowhere" is not a lab service' },
    { title: "both modes", input: { server: "mail", send: alice, commands: ["NOOP"] }, expected: "give either send or commands, not both" },
  ])("throws InvalidInputError for $title", async ({ input, expected }) => {
    const run = probe(input);
    await expect(run).rejects.toBeInstanceOf(InvalidInputError);
    await expect(probe(input)).rejects.toThrow(expected);
  });

  it("throws InvalidInputError for an unreadable lab CA, naming L7LAB_CA_FILE", async () => {
    vi.stubEnv("L7LAB_CA_FILE", "/nonexistent/ca.pem");
    const input: SmtpProbeParams = { server: "mail", tls: "starttls", commands: ["NOOP"] };
    await expect(probe(input)).rejects.toBeInstanceOf(InvalidInputError);
    await expect(probe(input)).rejects.toThrow('the lab CA "/nonexistent/ca.pem" (L7LAB_CA_FILE) cannot be read');
  });
});

describe("smtpProbe.check", () => {
  const check = (params: SmtpProbeParams) => smtpProbe.check!(params, { topology, earlierStepIds: [] });
  it.each([
    { title: "a good send", input: { server: "mail", send: alice }, expected: [] },
    { title: "a good command list to a host name", input: { server: "localhost", commands: ["NOOP"] }, expected: [] },
    {
      title: "a server outside the lab and no mode",
      input: { server: "outside" },
      expected: [
        'server "outside" (198.51.100.25) is not in the lab\'s networks (10.0.0.0/24); the probe asks only lab servers',
        "give send (a message to send) or commands (raw commands to send)",
      ],
    },
  ])("$title", ({ input, expected }) => {
    expect(check(input)).toEqual(expected);
  });
});

describe("smtpProbe parameters", () => {
  it("refuse caFile: the probe reads no file a request names, only the lab CA from L7LAB_CA_FILE", () => {
    const where = { what: 'the parameters of probe "smtp"', label: "body", fieldPrefix: [] };
    const params = { server: "mail", tls: "starttls", caFile: "/dev/zero", commands: ["NOOP"] };
    expect(() => probeParams(smtpProbe, params, where)).toThrow(InvalidInputError);
    expect(() => probeParams(smtpProbe, params, where)).toThrow(/unknown field "caFile"/);
  });
});

describe("tlsServerName", () => {
  it.each([
    { title: "a service: its primary host name", input: "mail", expected: "localhost" },
    { title: "a host name as given", input: "Mail.Hamburger.EDU.", expected: "mail.hamburger.edu" },
    { title: "an address: none (the address is checked)", input: "127.0.0.1", expected: undefined },
  ])("$title", ({ input, expected }) => {
    expect(tlsServerName(input, topology)).toBe(expected);
  });
});
