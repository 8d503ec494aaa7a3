import { createHash } from "node:crypto";
import { once } from "node:events";
import net from "node:net";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InvalidInputError } from "../../common/errors.ts";
import { FakeClock } from "../../common/testing/fake-clock.ts";
import { eventually } from "../../common/testing/timing.ts";
import type { DockerAdapter } from "../../docker/docker-adapter.ts";
import { Topology, type ServiceSpec } from "../../lab/topology.ts";
import { probeParams } from "../../scenarios/probe-params.ts";
import type { ProbeContext } from "../probe.ts";
import { formatTranscript } from "../transcript.ts";
import { type FakeMessage, type FakePop3Options, type FakePop3Server, startFakePop3Server, TEST_CA_FILE, testCertificate } from "./fake-pop3-server.ts";
import { type Pop3ProbeParams, pop3Probe, type Pop3Result, readCa, tlsServerName } from "./pop3-probe.ts";

const service = (name: string, ipv4: string, hostnames: string[] = []): ServiceSpec => ({
  name, role: "mailbox", hostnames, description: "", networks: [{ network: "lab", ipv4 }],
});
// The mailbox lives on 127.0.0.1 here, under the name its test certificate has.
const topology = new Topology("l7lab", [
  service("mailbox", "127.0.0.1", ["localhost", "pop.localhost"]),
  service("mailbox-lab", "10.0.0.25", ["mailbox.crepes.fr", "pop.crepes.fr"]),
  service("outside", "198.51.100.25"),
], [{ name: "lab", subnet: "10.0.0.0/24", internal: true, private: false, description: "" }]);

/** The probe's timeouts run on it: it stands still unless a test moves it, so an answer is never too late. */
let clock: FakeClock;
beforeEach(() => {
  clock = new FakeClock();
});
function context(signal = new AbortController().signal): ProbeContext {
  return { signal, clock, topology, docker: {} as DockerAdapter, stepStartedAt: () => undefined };
}

// A message with a line that is exactly "." and lines that start with dots: on the wire they are
// "..", "...foo" and "..bar"; after unstuffing they must be exactly these octets again.
const DOTS = [
  "From: Alice <alice@crepes.fr>",
  "To: bob@hamburger.edu",
  "Subject: =?UTF-8?Q?Cr=C3=AApes?= and dots",
  "Message-ID: <dots@crepes.fr>",
  "",
  "A line of its own follows:",
  ".",
  "..foo",
  ".bar",
  "end.",
  "",
].join("\r\n");
const SECOND = "From: carol@crepes.fr\r\nSubject: second\r\n\r\none\r\ntwo\r\nthree\r\n";
const MAILBOX: FakeMessage[] = [
  { uid: "uid-dots", content: DOTS },
  { uid: "uid-second", content: SECOND },
];
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const octets = (s: string) => Buffer.byteLength(s);

const servers: FakePop3Server[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function fake(options: FakePop3Options = {}): Promise<FakePop3Server> {
  const s = await startFakePop3Server({ messages: MAILBOX, ...options });
  servers.push(s);
  return s;
}

async function run(params: Omit<Pop3ProbeParams, "user" | "pass" | "server"> & Partial<Pop3ProbeParams>, ctx = context()) {
  const out = await pop3Probe.run({ server: "mailbox", user: "alice", pass: "secret", timeoutMs: 1000, ...params }, ctx);
  expect(() => JSON.stringify(out)).not.toThrow();
  return { ...out, data: out.data };
}

const commandsOf = (data: Pop3Result) => data.responses.map((r) => r.command);

describe("pop3Probe", () => {
  it("is named pop3", () => {
    expect(pop3Probe.name).toBe("pop3");
  });

  it("logs in, reads CAPA and QUITs", async () => {
    const s = await fake();
    const out = await run({ port: s.port });
    expect(out.ok).toBe(true);
    expect(out.error).toBeUndefined();
    expect(out.data).toEqual({
      server: "127.0.0.1",
      port: s.port,
      tls: false,
      greeting: "fake POP3 server ready",
      capabilities: ["TOP", "UIDL", "USER", "RESP-CODES"],
      loggedIn: true,
      login: { ok: true, text: "alice has 2 message(s)" },
      messages: [],
      deleted: [],
      responses: [
        { command: "(greeting)", ok: true, text: "fake POP3 server ready" },
        { command: "CAPA", ok: true, text: "capability list follows" },
        { command: "USER alice", ok: true, text: "alice is known" },
        { command: "PASS ****", ok: true, text: "alice has 2 message(s)" },
        { command: "QUIT", ok: true, text: "bye" },
      ],
      quit: { ok: true, text: "bye" },
    });
    expect(s.commands).toEqual(["CAPA", "USER alice", "PASS secret", "QUIT"]);
    expect(formatTranscript(out.transcript)).not.toContain("secret");
    expect(formatTranscript(out.transcript)).toContain("C: PASS ****");
  });

  it("a wrong password is a result: ok, not logged in, no actions, still QUIT", async () => {
    const s = await fake();
    const out = await run({ port: s.port, pass: "wrong", actions: [{ stat: true }] });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ loggedIn: false, login: { ok: false, text: "invalid user name or password" }, quit: { ok: true } });
    expect(out.data.responses.find((r) => r.command === "PASS ****")).toEqual({ command: "PASS ****", ok: false, code: "AUTH", text: "invalid user name or password" });
    expect(s.commands).toEqual(["CAPA", "USER alice", "PASS wrong", "QUIT"]);
  });

  it("an unknown user is refused at USER, and PASS is not sent", async () => {
    const s = await fake();
    const out = await run({ port: s.port, user: "mallory" });
    expect(out.data).toMatchObject({ loggedIn: false, login: { ok: false, text: "no such user" } });
    expect(s.commands).toEqual(["CAPA", "USER mallory", "QUIT"]);
  });

  it("STAT, LIST and UIDL", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ stat: true }, { list: true }, { uidl: true }] });
    expect(out.data).toMatchObject({
      stat: { count: 2, size: octets(DOTS) + octets(SECOND) },
      list: [{ n: 1, size: octets(DOTS) }, { n: 2, size: octets(SECOND) }],
      uidl: [{ n: 1, uid: "uid-dots" }, { n: 2, uid: "uid-second" }],
    });
    expect(formatTranscript(out.transcript)).toContain(["C: UIDL", "S: +OK unique-id listing follows", "S: 1 uid-dots", "S: 2 uid-second", "S: ."].join("\n"));
  });

  it("LIST n and UIDL n", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ list: 2 }, { uidl: 2 }, { list: 9 }] });
    expect(out.data).toMatchObject({ list: [{ n: 2, size: octets(SECOND) }], uidl: [{ n: 2, uid: "uid-second" }] });
    expect(out.data.responses.at(-2)).toEqual({ command: "LIST 9", ok: false, text: "no such message" });
  });

  it("RETR of a message with '.' and '..foo' lines: dot-unstuffed exactly", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ retr: 1 }], includeRaw: true });
    expect(out.data.messages).toEqual([
      {
        n: 1,
        size: octets(DOTS),
        sha256: sha256(DOTS),
        lines: 10,
        headers: { from: "Alice <alice@crepes.fr>", to: "bob@hamburger.edu", subject: "=?UTF-8?Q?Cr=C3=AApes?= and dots", "message-id": "<dots@crepes.fr>" },
        subject: "Crêpes and dots",
        from: '"Alice" <alice@crepes.fr>',
        to: "bob@hamburger.edu",
        messageId: "<dots@crepes.fr>",
        raw: DOTS,
      },
    ]);
    expect(formatTranscript(out.transcript)).toContain(["C: RETR 1", `S: +OK ${octets(DOTS)} octets`, `S: (message of ${octets(DOTS)} octets, 10 lines)`, "S: ."].join("\n"));
  });

  it("RETR with every answer written one byte at a time", async () => {
    const s = await fake({ chunkSize: 1, messages: [{ uid: "u", content: "Subject: x\r\n\r\n.\r\n..foo\r\n" }] });
    const out = await run({ port: s.port, actions: [{ retr: 1 }] });
    expect(out.ok).toBe(true);
    expect(out.data.messages[0]).toMatchObject({ sha256: sha256("Subject: x\r\n\r\n.\r\n..foo\r\n"), lines: 4, subject: "x" });
  });

  it('retr "all" LISTs first; a UIDL of the session names the uids', async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ uidl: true }, { retr: "all" }] });
    expect(out.data.messages.map((m) => [m.n, m.uid, m.sha256])).toEqual([
      [1, "uid-dots", sha256(DOTS)],
      [2, "uid-second", sha256(SECOND)],
    ]);
    expect(out.data.messages[0]?.raw).toBeUndefined();
    expect(s.commands.slice(3)).toEqual(["UIDL", "LIST", "RETR 1", "RETR 2", "QUIT"]);
  });

  it("retrByUid and deleByUid ask UIDL once; an unknown uid sends nothing", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ retrByUid: "uid-second" }, { deleByUid: "uid-dots" }, { retrByUid: "uid-gone" }] });
    expect(s.commands.slice(3)).toEqual(["UIDL", "RETR 2", "DELE 1", "QUIT"]);
    expect(out.data).toMatchObject({ messages: [{ n: 2, uid: "uid-second", subject: "second" }], deleted: [1], unknownUids: ["uid-gone"] });
    expect(out.transcript.map((l) => l.text)).toContain("no message with UID uid-gone in UIDL; nothing retrieved");
    expect(s.committed).toEqual(["uid-dots"]);
  });

  it("RETR of a message that does not exist is a -ERR in the responses", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ retr: 7 }] });
    expect(out.ok).toBe(true);
    expect(out.data.messages).toEqual([]);
    expect(out.data.responses).toContainEqual({ command: "RETR 7", ok: false, text: "no such message" });
  });

  it("TOP returns the headers and counts the body lines", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ top: 2, lines: 2 }, { top: 1, lines: 0 }] });
    expect(out.data.top).toEqual([
      { n: 2, headers: { from: "carol@crepes.fr", subject: "second" }, subject: "second", from: "carol@crepes.fr", bodyLines: 2 },
      {
        n: 1,
        headers: { from: "Alice <alice@crepes.fr>", to: "bob@hamburger.edu", subject: "=?UTF-8?Q?Cr=C3=AApes?= and dots", "message-id": "<dots@crepes.fr>" },
        subject: "Crêpes and dots",
        from: '"Alice" <alice@crepes.fr>',
        to: "bob@hamburger.edu",
        messageId: "<dots@crepes.fr>",
        bodyLines: 0,
      },
    ]);
  });

  it("DELE then QUIT: the server saw both and removed the message", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ dele: 1 }] });
    expect(out.data).toMatchObject({ deleted: [1], quit: { ok: true, text: "bye" } });
    expect(s.commands.slice(3)).toEqual(["DELE 1", "QUIT"]);
    expect(s.committed).toEqual(["uid-dots"]);
    expect(s.mailbox.map((m) => m.uid)).toEqual(["uid-second"]);
  });

  it('dele "all" deletes every listed message', async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ dele: "all" }, { stat: true }] });
    expect(out.data).toMatchObject({ deleted: [1, 2], stat: { count: 0, size: 0 } });
    expect(s.committed).toEqual(["uid-dots", "uid-second"]);
  });

  it("quit: false closes without QUIT, so nothing is deleted", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ dele: 1 }], quit: false });
    expect(out.ok).toBe(true);
    expect(out.data.quit).toBeUndefined();
    expect(out.data.deleted).toEqual([1]);
    expect(out.transcript.at(-1)?.text).toBe("closing the connection without QUIT: the server does not commit deletions");
    // Once the fake has seen the connection end, nothing more can come on it.
    await eventually(() => expect(s.closed).toBe(1));
    expect(s.commands).not.toContain("QUIT");
    expect(s.committed).toEqual([]);
  });

  it("RSET unmarks deletions", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ dele: 1 }, { rset: true }, { noop: true }] });
    expect(out.data.deleted).toEqual([]);
    expect(commandsOf(out.data).slice(4)).toEqual(["DELE 1", "RSET", "NOOP", "QUIT"]);
    expect(s.committed).toEqual([]);
  });

  it("a raw unknown command: its -ERR is recorded and the session goes on", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ raw: "XYZZY magic" }, { stat: true }] });
    expect(out.ok).toBe(true);
    expect(out.data.responses).toContainEqual({ command: "XYZZY magic", ok: false, text: "unknown command" });
    expect(out.data.stat).toEqual({ count: 2, size: octets(DOTS) + octets(SECOND) });
  });

  it("a server without CAPA leaves capabilities out", async () => {
    const s = await fake({ capabilities: null });
    const out = await run({ port: s.port });
    expect(out.ok).toBe(true);
    expect(out.data.capabilities).toBeUndefined();
    expect(out.data.loggedIn).toBe(true);
  });

  it("a -ERR greeting is a result; nothing else is sent", async () => {
    const s = await fake({ greeting: "-ERR [SYS/TEMP] too many connections" });
    const out = await run({ port: s.port });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ greeting: "too many connections", loggedIn: false, login: { ok: false, text: "not attempted: the greeting was -ERR" } });
    expect(out.data.responses).toEqual([{ command: "(greeting)", ok: false, code: "SYS/TEMP", text: "too many connections" }]);
    expect(s.commands).toEqual([]);
  });

  it("STLS with the lab's CA: TLS, CAPA again, then login", async () => {
    vi.stubEnv("L7LAB_CA_FILE", TEST_CA_FILE);
    const s = await fake({ tls: testCertificate() });
    const out = await run({ port: s.port, tls: "stls", actions: [{ stat: true }] });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ tls: true, tlsInfo: { authorized: true, subject: "localhost" }, loggedIn: true, stat: { count: 2 } });
    expect(s.commands).toEqual(["CAPA", "STLS", "CAPA", "USER alice", "PASS secret", "STAT", "QUIT"]);
    expect(s.tlsStartedAt).toBe(2);
    expect(out.transcript.some((l) => l.dir === "*" && /^TLS established: .*certificate CN=localhost verified$/.test(l.text))).toBe(true);
  });

  it("STLS refused is a result: not logged in, QUIT", async () => {
    vi.stubEnv("L7LAB_CA_FILE", TEST_CA_FILE);
    const s = await fake();
    const out = await run({ port: s.port, tls: "stls" });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ tls: false, loggedIn: false, login: { ok: false, text: "not attempted: STLS was refused (STLS not available)" } });
    expect(s.commands).toEqual(["CAPA", "STLS", "QUIT"]);
  });

  it("a certificate that does not verify: ok false, and no password sent", async () => {
    const s = await fake({ tls: testCertificate() });
    const out = await run({ port: s.port, tls: "stls" });
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_NETWORK");
    expect(out.error?.message).toMatch(/TLS handshake failed: self-signed certificate/);
    expect(commandsOf(out.data)).toEqual(["(greeting)", "CAPA", "STLS"]);
    expect(s.commands).toEqual(["CAPA", "STLS"]);
  });

  it("implicit TLS (POP3S)", async () => {
    vi.stubEnv("L7LAB_CA_FILE", TEST_CA_FILE);
    const s = await fake({ tls: testCertificate(), implicitTls: true });
    const out = await run({ port: s.port, tls: "implicit", actions: [{ retr: 2 }] });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ tls: true, loggedIn: true, messages: [{ n: 2, sha256: sha256(SECOND) }] });
  });

  it("a silent server: ok false with a timeout", async () => {
    const s = await fake({ silent: true });
    const running = run({ port: s.port, timeoutMs: 50 });
    await clock.sleeping(50);
    await clock.advance(50);
    const out = await running;
    expect(out.ok).toBe(false);
    expect(out.error).toEqual({ code: "PROBE_TIMEOUT", message: `POP3 probe got no answer from 127.0.0.1:${s.port} to connecting and the greeting within 50 ms` });
    expect(out.data).toMatchObject({ server: "127.0.0.1", port: s.port, greeting: "", loggedIn: false, responses: [] });
    expect(formatTranscript(out.transcript)).toBe("* no answer to connecting and the greeting within 50 ms; closing the connection");
  });

  it("a command that gets no answer: ok false, with what came before", async () => {
    const s = await fake({ override: (line) => (line === "STAT" ? "" : undefined) });
    const running = run({ port: s.port, timeoutMs: 50, actions: [{ noop: true }, { stat: true }] });
    await eventually(() => expect(s.commands).toContain("STAT"));
    await clock.advance(50);
    const out = await running;
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_TIMEOUT");
    expect(out.data.loggedIn).toBe(true);
    expect(commandsOf(out.data)).toEqual(["(greeting)", "CAPA", "USER alice", "PASS ****", "NOOP"]);
    expect(out.transcript.at(-1)?.text).toBe("no answer to STAT within 50 ms; closing the connection");
  });

  it("connection refused: ok false", async () => {
    const probe = net.createServer();
    probe.listen(0, "127.0.0.1");
    await once(probe, "listening");
    const { port } = probe.address() as net.AddressInfo;
    await new Promise((r) => probe.close(r));
    const out = await run({ port });
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_NETWORK");
    expect(out.error?.message).toMatch(`POP3 probe could not talk to 127.0.0.1:${port}: connect ECONNREFUSED`);
  });

  it("a server outside the lab throws InvalidInputError", async () => {
    await expect(run({ server: "outside" })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("inconsistent parameters throw InvalidInputError", async () => {
    await expect(run({ rejectUnauthorized: false })).rejects.toThrow('"rejectUnauthorized" applies only with tls "stls" or "implicit"');
  });

  it("stops when the signal aborts", async () => {
    const s = await fake({ silent: true });
    const controller = new AbortController();
    const running = run({ port: s.port, timeoutMs: 5000 }, context(controller.signal));
    // The clock stands still: only the abort can end the wait for the greeting.
    await clock.sleeping(5000);
    controller.abort(new Error("step cancelled"));
    await expect(running).rejects.toThrow("step cancelled");
  });
});

describe("pop3Probe parameters", () => {
  it("refuse caFile: the probe reads no file a request names, only the lab CA from L7LAB_CA_FILE", () => {
    const where = { what: 'the parameters of probe "pop3"', label: "body", fieldPrefix: [] };
    const params = { server: "mailbox", tls: "stls", caFile: "/dev/zero", user: "alice", pass: "secret" };
    expect(() => probeParams(pop3Probe, params, where)).toThrow(InvalidInputError);
    expect(() => probeParams(pop3Probe, params, where)).toThrow(/unknown field "caFile"/);
  });
});

describe("pop3Probe.check", () => {
  const check = (params: Partial<Pop3ProbeParams>) =>
    pop3Probe.check!({ server: "mailbox-lab", user: "alice", pass: "x", ...params }, { topology, earlierStepIds: [] });
  it.each([
    { title: "a lab service", input: {}, expected: [] },
    { title: "a lab host name", input: { server: "pop.crepes.fr" }, expected: [] },
    { title: "a lab address", input: { server: "10.0.0.25" }, expected: [] },
    { title: "an unknown name", input: { server: "pop.example.com" }, expected: ['server "pop.example.com" is not a lab service, a lab host name or an IP address'] },
    { title: "a service outside the lab", input: { server: "outside" }, expected: ['server "outside" (198.51.100.25) is not in the lab\'s networks (10.0.0.0/24); the probe asks only lab servers'] },
    { title: "TOP with negative lines", input: { actions: [{ top: 1, lines: -1 }] }, expected: ['actions[0]: TOP needs "lines" to be a whole number >= 0'] },
    { title: "servername without TLS", input: { servername: "x" }, expected: ['"servername" applies only with tls "stls" or "implicit", and tls is "none"'] },
  ])("$title", ({ input, expected }) => {
    expect(check(input)).toEqual(expected);
  });
});

describe("tlsServerName", () => {
  it.each([
    { title: "a service: its primary host name", input: "mailbox-lab", expected: "mailbox.crepes.fr" },
    { title: "a host name as given", input: "POP.crepes.fr.", expected: "pop.crepes.fr" },
    { title: "an address: none", input: "10.0.0.25", expected: undefined },
    { title: "a service without host names: none", input: "outside", expected: undefined },
  ])("$title", ({ input, expected }) => {
    expect(tlsServerName(input, topology)).toBe(expected);
  });
});

describe("readCa", () => {
  it("reads $L7LAB_CA_FILE, else nothing", async () => {
    expect(await readCa({ L7LAB_CA_FILE: TEST_CA_FILE })).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(await readCa({ L7LAB_CA_FILE: "" })).toBeUndefined();
    expect(await readCa({})).toBeUndefined();
  });

  it("reads process.env by default", async () => {
    vi.stubEnv("L7LAB_CA_FILE", TEST_CA_FILE);
    expect(await readCa()).toMatch(/^-----BEGIN CERTIFICATE-----/);
  });

  it("a file that cannot be read is an InvalidInputError", async () => {
    await expect(readCa({ L7LAB_CA_FILE: "/nonexistent/ca.crt" })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(readCa({ L7LAB_CA_FILE: "/nonexistent/ca.crt" })).rejects.toThrow(
      /^POP3 probe parameters is invalid: the lab CA "\/nonexistent\/ca\.crt" \(L7LAB_CA_FILE\) cannot be read: ENOENT/,
    );
  });
});
