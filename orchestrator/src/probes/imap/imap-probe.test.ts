import { createHash } from "node:crypto";
import net from "node:net";
import { once } from "node:events";
import { Value } from "typebox/value";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { InvalidInputError } from "../../common/errors.ts";
import { FakeClock } from "../../common/testing/fake-clock.ts";
import { eventually, OUTLASTS_STALLS_MS, PATIENT_TIMEOUT_MS } from "../../common/testing/timing.ts";
import type { DockerAdapter } from "../../docker/docker-adapter.ts";
import { Topology, type ServiceSpec } from "../../lab/topology.ts";
import { probeParams } from "../../scenarios/probe-params.ts";
import type { ProbeContext } from "../probe.ts";
import { formatTranscript } from "../transcript.ts";
import { type FakeImapOptions, type FakeImapServer, startFakeImapServer } from "./fake-imap-server.ts";
import { FAKE_TLS_CERT, FAKE_TLS_KEY } from "./fake-tls.ts";
import {
  connectionFailure,
  type ImapFetchResult,
  imapParamsSchema,
  imapProbe,
  type ImapProbeParams,
  type ImapSearchResult,
  tlsServername,
} from "./imap-probe.ts";

const service = (name: string, role: string, ipv4: string, hostnames: string[] = []): ServiceSpec => ({
  name, role, hostnames, description: "", networks: [{ network: "lab", ipv4 }],
});
// The mail server lives on 127.0.0.1 here, so that the probe only ever talks to the loopback fake.
const topology = new Topology("l7lab", [
  service("dovecot", "imap", "127.0.0.1", ["mail.hamburger.edu", "imap.hamburger.edu"]),
  service("web", "web", "10.0.0.80"),
  service("bare", "web", "10.0.0.81"),
  service("outside", "web", "198.51.100.80"),
], [{ name: "lab", subnet: "10.0.0.0/24", internal: true, private: false, description: "" }]);

/**
 * The clock of a search's waits: it stands still unless a test moves it. (The connection's timeouts
 * are imapflow's, on real time: patient where the fake answers.)
 */
let clock: FakeClock;
beforeEach(() => {
  clock = new FakeClock();
});
function context(signal = new AbortController().signal): ProbeContext {
  return { signal, clock, topology, docker: {} as DockerAdapter, stepStartedAt: () => undefined };
}

const servers: FakeImapServer[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function fake(options: FakeImapOptions = {}): Promise<FakeImapServer> {
  const s = await startFakeImapServer(options);
  servers.push(s);
  return s;
}

const MESSAGE_1 = [
  "Received: from mail.crepes.fr (mail.crepes.fr [10.0.0.25])",
  "\tby mail.hamburger.edu with ESMTP id 1; Wed, 01 May 2024 12:00:01 +0000",
  "Received: from alice.crepes.fr by mail.crepes.fr; Wed, 01 May 2024 12:00:00 +0000",
  "From: Alice <alice@crepes.fr>",
  "To: Bob <bob@hamburger.edu>",
  "Subject: Hello Bob",
  "Message-ID: <m1@crepes.fr>",
  "Date: Wed, 01 May 2024 12:00:00 +0000",
  "",
  "Hi Bob, a first message.",
  "",
].join("\r\n");

const MESSAGE_2 = [
  "From: Carol <carol@someschool.edu>",
  "To: bob@hamburger.edu",
  "Subject: With an attachment",
  "Message-ID: <m2@someschool.edu>",
  "Date: Thu, 02 May 2024 08:30:00 +0000",
  "MIME-Version: 1.0",
  'Content-Type: multipart/mixed; boundary="b1"',
  "",
  "--b1",
  "Content-Type: text/plain; charset=utf-8",
  "",
  "See the file.",
  "--b1",
  'Content-Type: text/plain; name="notes.txt"',
  'Content-Disposition: attachment; filename="notes.txt"',
  "Content-Transfer-Encoding: base64",
  "",
  Buffer.from("lab notes\n").toString("base64"),
  "--b1--",
  "",
].join("\r\n");

const base = (port: number): ImapProbeParams => ({ server: "dovecot", port, tls: "none", user: "bob", pass: "secret", timeoutMs: PATIENT_TIMEOUT_MS });
/** The SEARCH commands the fake has had. */
const searches = (s: FakeImapServer) => s.commands.filter((c) => / UID SEARCH /.test(c)).length;
const run = (params: ImapProbeParams, ctx = context()) => imapProbe.run(params, ctx);

describe("imapParamsSchema", () => {
  it.each([
    { title: "a minimal login", input: { server: "dovecot", user: "bob", pass: "secret" }, expected: true },
    {
      title: "every option and action",
      input: {
        server: "mail.hamburger.edu", port: 993, tls: "implicit", servername: "mail.hamburger.edu", rejectUnauthorized: false,
        user: "bob", pass: "secret", timeoutMs: 5000,
        actions: [
          { select: "INBOX" },
          { search: { subject: "x", from: "a", to: "b", header: ["Message-ID", "<1@x>"], seen: false, since: "2024-05-01", all: true }, mailbox: "INBOX", waitMs: 1000 },
          { fetch: "last", includeRaw: true }, { fetch: "all", mailbox: "Archive" }, { fetch: 3 },
          { store: { uid: "last", add: ["\\Seen"], remove: ["\\Flagged"] } }, { store: { uid: 2, add: ["\\Seen"] }, mailbox: "INBOX" },
          { append: { mailbox: "Drafts", message: "Subject: x\r\n\r\nx", flags: ["\\Draft"] } },
          { create: "A" }, { rename: ["A", "B"] }, { delete: "B" }, { list: true },
          { expunge: { uid: 3 } }, { expunge: { uid: "all-deleted" }, mailbox: "INBOX" }, { status: "INBOX" },
        ],
      },
      expected: true,
    },
    { title: "no user", input: { server: "dovecot", pass: "secret" }, expected: false },
    { title: "an unknown tls mode", input: { server: "dovecot", user: "bob", pass: "x", tls: "ssl" }, expected: false },
    { title: "an unknown option", input: { server: "dovecot", user: "bob", pass: "x", password: "x" }, expected: false },
    { title: "an unknown action", input: { server: "dovecot", user: "bob", pass: "x", actions: [{ move: "INBOX" }] }, expected: false },
    { title: "two actions in one", input: { server: "dovecot", user: "bob", pass: "x", actions: [{ select: "INBOX", list: true }] }, expected: false },
    { title: "fetch of UID 0", input: { server: "dovecot", user: "bob", pass: "x", actions: [{ fetch: 0 }] }, expected: false },
    { title: "fetch of 'first'", input: { server: "dovecot", user: "bob", pass: "x", actions: [{ fetch: "first" }] }, expected: false },
    { title: "list: false", input: { server: "dovecot", user: "bob", pass: "x", actions: [{ list: false }] }, expected: false },
    { title: "rename with one name", input: { server: "dovecot", user: "bob", pass: "x", actions: [{ rename: ["A"] }] }, expected: false },
    { title: "a search key IMAP has but the probe does not", input: { server: "dovecot", user: "bob", pass: "x", actions: [{ search: { body: "x" } }] }, expected: false },
    { title: "an empty mailbox name", input: { server: "dovecot", user: "bob", pass: "x", actions: [{ select: "" }] }, expected: false },
  ])("$title", ({ input, expected }) => {
    expect(Value.Check(imapParamsSchema, input)).toBe(expected);
  });
});

describe("imapProbe parameters", () => {
  it("refuse caFile: the probe reads no file a request names, only the lab CA from L7LAB_CA_FILE", () => {
    const where = { what: 'the parameters of probe "imap"', label: "body", fieldPrefix: [] };
    const params = { server: "dovecot", tls: "implicit", caFile: "/dev/zero", user: "bob", pass: "secret" };
    expect(() => probeParams(imapProbe, params, where)).toThrow(InvalidInputError);
    expect(() => probeParams(imapProbe, params, where)).toThrow(/unknown field "caFile"/);
  });
});

describe("imapProbe.check", () => {
  const check = (params: ImapProbeParams) => imapProbe.check!(params, { topology, earlierStepIds: [] });

  it.each([
    { title: "a lab service", input: { server: "dovecot" }, expected: [] },
    { title: "a lab host name", input: { server: "mail.hamburger.edu" }, expected: [] },
    { title: "an unknown name", input: { server: "nowhere.example" }, expected: ['server "nowhere.example" is not a lab service, a lab host name or an IP address'] },
    { title: "a server outside the lab", input: { server: "outside" }, expected: ["server \"outside\" (198.51.100.80) is not in the lab's networks (10.0.0.0/24); the probe asks only lab servers"] },
    { title: "servername without TLS", input: { server: "dovecot", tls: "none" as const, servername: "x" }, expected: ['servername has no use with tls "none"; remove it or choose "starttls" or "implicit"'] },
    { title: "a store without flags", input: { server: "dovecot", actions: [{ select: "INBOX" }, { store: { uid: 1 } }] }, expected: ['action 2 (store): store needs flags to "add" or to "remove"'] },
    { title: "a search without criteria", input: { server: "dovecot", actions: [{ search: {} }] }, expected: ['action 1 (search): search has no criteria; give at least one, or "all: true"'] },
  ])("$title", ({ input, expected }) => {
    expect(check({ user: "bob", pass: "x", ...input })).toEqual(expected);
  });
});

describe("tlsServername", () => {
  it.each([
    { title: "the parameter wins", input: ["dovecot", "imap.example"] as const, expected: "imap.example" },
    { title: "a host name of the lab as given", input: ["imap.hamburger.edu."] as const, expected: "imap.hamburger.edu" },
    { title: "a service's first host name", input: ["dovecot"] as const, expected: "mail.hamburger.edu" },
    { title: "a service's address gives its first host name", input: ["127.0.0.1"] as const, expected: "mail.hamburger.edu" },
    { title: "a service without host names: none", input: ["bare"] as const, expected: undefined },
    { title: "an address of no service: none", input: ["10.0.0.99"] as const, expected: undefined },
  ])("$title", ({ input: [server, servername], expected }) => {
    expect(tlsServername(server, topology, servername)).toBe(expected);
  });
});

describe("connectionFailure", () => {
  const timeout = Object.assign(new Error("Socket timeout"), { code: "ETIMEOUT" });
  it.each([
    { title: "a refused connection", input: [Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:143"), { code: "ECONNREFUSED" }), undefined, undefined] as const, expected: ["PROBE_NETWORK", "IMAP probe could not talk to 127.0.0.1:143: connect ECONNREFUSED 127.0.0.1:143"] },
    { title: "a silent server", input: [timeout, undefined, undefined] as const, expected: ["PROBE_TIMEOUT", "IMAP probe got no answer from 127.0.0.1:143 to its greeting within 500 ms"] },
    { title: "a command that got no answer", input: [Object.assign(new Error("Connection not available"), { code: "NoConnection" }), timeout, "7 SELECT INBOX"] as const, expected: ["PROBE_TIMEOUT", "IMAP probe got no answer from 127.0.0.1:143 to SELECT INBOX within 500 ms"] },
    { title: "a dropped connection", input: [Object.assign(new Error("Connection not available"), { code: "NoConnection" }), undefined, "7 SELECT INBOX"] as const, expected: ["PROBE_NETWORK", "IMAP probe could not talk to 127.0.0.1:143: the connection closed during SELECT INBOX"] },
    { title: "STARTTLS not offered", input: [Object.assign(new Error("Server does not support STARTTLS"), { tlsFailed: true }), undefined, undefined] as const, expected: ["PROBE_NETWORK", "IMAP probe could not talk to 127.0.0.1:143: TLS failed: Server does not support STARTTLS"] },
    { title: "a certificate that does not verify", input: [Object.assign(new Error("self-signed certificate"), { code: "DEPTH_ZERO_SELF_SIGNED_CERT" }), undefined, undefined] as const, expected: ["PROBE_NETWORK", "IMAP probe could not talk to 127.0.0.1:143: TLS failed: DEPTH_ZERO_SELF_SIGNED_CERT: self-signed certificate"] },
  ])("$title", ({ input: [err, connectionError, lastCommand], expected }) => {
    const e = connectionFailure(err, connectionError, "127.0.0.1:143", 500, lastCommand);
    expect([e.code, e.message]).toEqual(expected);
  });
});

describe("imapProbe.run", () => {
  it("is named imap", () => {
    expect(imapProbe.name).toBe("imap");
  });

  it("logs in, runs every kind of action, and logs out", async () => {
    const s = await fake({ mailboxes: { INBOX: [MESSAGE_1, MESSAGE_2] } });
    const out = await run({
      ...base(s.port),
      actions: [
        { select: "INBOX" },
        { search: { from: "alice" } },
        { fetch: "last" },
        { fetch: 1, includeRaw: true },
        { store: { uid: 1, add: ["\\Seen", "\\Flagged"] } },
        { store: { uid: "last", add: ["\\Answered"], remove: ["\\Seen"] } },
        { append: { mailbox: "INBOX", message: "From: bob@hamburger.edu\nSubject: Note\n\nA note to self.\n", flags: ["\\Seen"] } },
        { search: { seen: true } },
        { create: "Archive" },
        { rename: ["Archive", "Old"] },
        { list: true },
        { delete: "Old" },
        { status: "INBOX" },
        { expunge: { uid: 2 } },
        { store: { uid: 1, add: ["\\Deleted"] } },
        { expunge: { uid: "all-deleted" } },
        { fetch: "all" },
      ],
    });
    expect(out.error).toBeUndefined();
    expect(out.ok).toBe(true);
    const { data } = out;
    expect(data).toMatchObject({ server: "127.0.0.1", port: s.port, tls: false, loggedIn: true });
    expect(data.capabilities).toContain("UIDPLUS");
    expect(data.actions.map((a) => [a.action, a.ok])).toEqual([
      ["select", true], ["search", true], ["fetch", true], ["fetch", true], ["store", true], ["store", true], ["append", true], ["search", true],
      ["create", true], ["rename", true], ["list", true], ["delete", true], ["status", true], ["expunge", true], ["store", true], ["expunge", true], ["fetch", true],
    ]);
    const [select, searchFrom, fetchLast, fetchOne, store1, storeLast, append, searchSeen, create, rename, list, del, status, expungeOne, , expungeDeleted, fetchAll] = data.actions;
    expect(select).toEqual({ action: "select", ok: true, mailbox: "INBOX", exists: 2, uidNext: 3, uidValidity: s.mailboxes.get("INBOX")!.uidValidity, flags: ["\\Answered", "\\Flagged", "\\Deleted", "\\Seen", "\\Draft"] });
    expect(searchFrom).toMatchObject({ mailbox: "INBOX", uids: [1], count: 1, attempts: 1 });
    const last = (fetchLast as ImapFetchResult).messages![0]!;
    expect(last).toMatchObject({
      uid: 2,
      flags: [],
      size: Buffer.byteLength(MESSAGE_2),
      envelope: { subject: "With an attachment", from: ["carol@someschool.edu"], to: ["bob@hamburger.edu"], messageId: "<m2@someschool.edu>", date: "2024-05-02T08:30:00.000Z" },
      headers: { received: [], "message-id": "<m2@someschool.edu>" },
      text: "See the file.",
      attachments: [{ filename: "notes.txt", contentType: "text/plain", size: 10, sha256: createHash("sha256").update("lab notes\n").digest("hex") }],
    });
    expect(last.sha256).toBe(createHash("sha256").update(MESSAGE_2).digest("hex"));
    expect(last.raw).toBeUndefined();
    const first = (fetchOne as ImapFetchResult).messages![0]!;
    expect(first.headers.received).toEqual([
      "from mail.crepes.fr (mail.crepes.fr [10.0.0.25]) by mail.hamburger.edu with ESMTP id 1; Wed, 01 May 2024 12:00:01 +0000",
      "from alice.crepes.fr by mail.crepes.fr; Wed, 01 May 2024 12:00:00 +0000",
    ]);
    expect(first.raw).toBe(MESSAGE_1);
    expect(first.text).toBe("Hi Bob, a first message.\n");
    expect(store1).toEqual({ action: "store", ok: true, mailbox: "INBOX", uid: 1, flags: ["\\Seen", "\\Flagged"] });
    expect(storeLast).toEqual({ action: "store", ok: true, mailbox: "INBOX", uid: 2, flags: ["\\Answered"] });
    expect(append).toEqual({ action: "append", ok: true, mailbox: "INBOX", uid: 3, uidValidity: s.mailboxes.get("INBOX")!.uidValidity });
    expect(searchSeen).toMatchObject({ uids: [1, 3] });
    expect(create).toEqual({ action: "create", ok: true, mailbox: "Archive", created: true });
    expect(rename).toEqual({ action: "rename", ok: true, from: "Archive", to: "Old" });
    expect(list).toEqual({ action: "list", ok: true, mailboxes: ["INBOX", "Old"] });
    expect(del).toEqual({ action: "delete", ok: true, mailbox: "Old" });
    expect(status).toEqual({ action: "status", ok: true, mailbox: "INBOX", messages: 3, unseen: 1, uidNext: 4 });
    expect(expungeOne).toEqual({ action: "expunge", ok: true, mailbox: "INBOX", expunged: [2] });
    expect(expungeDeleted).toEqual({ action: "expunge", ok: true, mailbox: "INBOX", expunged: [1] });
    expect((fetchAll as ImapFetchResult).messages!.map((m) => [m.uid, m.envelope.subject])).toEqual([[3, "Note"]]);
    expect(data.mailboxes).toEqual(["INBOX", "Old"]);
    expect(data.last?.uid).toBe(3);
    // The appended message went over the wire with CRLF line ends.
    expect(s.mailboxes.get("INBOX")!.messages[0]!.raw.toString()).toBe("From: bob@hamburger.edu\r\nSubject: Note\r\n\r\nA note to self.\r\n");
    expect(JSON.parse(JSON.stringify(data))).toEqual(data);

    const text = formatTranscript(out.transcript);
    expect(text).not.toContain("secret");
    expect(text).toMatch(/^\* connected to 127\.0\.0\.1:\d+$/m);
    expect(text).toMatch(/^S: \* OK \[CAPABILITY IMAP4rev1 .*\] ready$/m);
    expect(text).toMatch(/^C: \w+ LOGIN bob \*\*\*\*$/m);
    expect(text).toContain("* action 1: select INBOX");
    expect(text).toMatch(/^C: \w+ UID SEARCH FROM alice$/m);
    expect(text).toMatch(/BODY\[\] \(literal of \d+ octets\)\)$/m);
    expect(text).toMatch(/^C: \w+ APPEND INBOX \(\\Seen\) \(literal of 59 octets\)$/m);
    expect(text).not.toContain("A note to self");
    expect(text).not.toContain("Hi Bob");
    expect(text).toMatch(/^C: \w+ LOGOUT\nS: \* BYE Logging out\nS: \w+ OK LOGOUT completed$/m);
    expect(out.transcript.every((l) => l.peer === `127.0.0.1:${s.port}`)).toBe(true);
    expect(s.commands.at(-1)).toMatch(/ LOGOUT$/);
  });

  it("a refused login is a result: ok, not logged in, and no action is run", async () => {
    const s = await fake();
    const out = await run({ ...base(s.port), pass: "wrong-password", actions: [{ select: "INBOX" }, { list: true }] });
    expect(out.ok).toBe(true);
    expect(out.error).toBeUndefined();
    expect(out.data).toMatchObject({ loggedIn: false, loginError: "Authentication failed.", tls: false });
    expect(out.data.capabilities).toContain("AUTH=PLAIN");
    expect(out.data.actions).toEqual([
      { action: "select", ok: false, mailbox: "INBOX", error: "not run: the login failed" },
      { action: "list", ok: false, error: "not run: the login failed" },
    ]);
    const text = formatTranscript(out.transcript);
    expect(text).toMatch(/^C: \w+ LOGIN bob \*\*\*\*$/m);
    expect(text).toMatch(/^S: \w+ NO \[AUTHENTICATIONFAILED\] Authentication failed\.$/m);
    expect(JSON.stringify(out)).not.toContain("wrong-password");
    expect(s.commands.some((c) => c.includes("SELECT"))).toBe(false);
  });

  it("a NO to an action is that action's result; the later actions still run", async () => {
    const s = await fake({ mailboxes: { INBOX: [MESSAGE_1], Sent: [] } });
    const out = await run({
      ...base(s.port),
      actions: [{ delete: "Nope" }, { create: "Sent" }, { select: "Missing" }, { fetch: 42 }, { fetch: "last", mailbox: "Sent" }, { store: { uid: 9, add: ["\\Seen"] }, mailbox: "INBOX" }, { status: "Nope" }, { list: true }],
    });
    expect(out.ok).toBe(true);
    expect(out.data.actions).toEqual([
      { action: "delete", ok: false, mailbox: "Nope", error: "Mailbox doesn't exist: Nope", response: "NO", responseCode: "NONEXISTENT" },
      { action: "create", ok: false, mailbox: "Sent", error: "Mailbox already exists", response: "NO", responseCode: "ALREADYEXISTS" },
      { action: "select", ok: false, mailbox: "Missing", error: "Mailbox doesn't exist: Missing", response: "NO", responseCode: "NONEXISTENT" },
      { action: "fetch", ok: false, mailbox: "INBOX", error: "INBOX has no message with UID 42" },
      { action: "fetch", ok: false, mailbox: "Sent", error: "Sent has no messages" },
      { action: "store", ok: false, mailbox: "INBOX", error: "INBOX has no message with UID 9" },
      { action: "status", ok: false, mailbox: "Nope", error: "Mailbox doesn't exist: Nope", response: "NO", responseCode: "NONEXISTENT" },
      { action: "list", ok: true, mailboxes: ["INBOX", "Sent"] },
    ]);
  });

  it("a search with waitMs asks again until the message arrives", async () => {
    const s = await fake();
    const running = run({ ...base(s.port), actions: [{ search: { subject: "Hello Bob" }, waitMs: 1500 }, { fetch: "last" }] });
    // Two searches find nothing; the message comes while the probe waits to ask a third time.
    for (const n of [1, 2]) {
      await eventually(() => expect(searches(s)).toBe(n));
      await clock.sleeping(250);
      if (n === 2) s.deliver("INBOX", MESSAGE_1);
      await clock.advance(250);
    }
    const out = await running;
    expect(out.ok).toBe(true);
    const search = out.data.actions[0] as ImapSearchResult;
    expect(search).toMatchObject({ ok: true, uids: [1], count: 1, attempts: 3, waitedMs: 500 });
    expect(searches(s)).toBe(3);
    expect(out.data.last?.envelope.subject).toBe("Hello Bob");
    const text = formatTranscript(out.transcript);
    // The first attempt and the last stay; the ones between are summed up in a note.
    expect(text.match(/UID SEARCH SUBJECT "Hello Bob"/g)).toHaveLength(2);
    expect(text).toMatch(/^\* \(\d+ more NOOP and SEARCH attempts, every 250 ms, left out\)$/m);
  });

  it("a search with waitMs that finds nothing is an empty result after the wait", async () => {
    const s = await fake({ mailboxes: { INBOX: [MESSAGE_1] } });
    const running = run({ ...base(s.port), actions: [{ search: { subject: "never" }, waitMs: 300 }] });
    // Asks at 0 and 250 ms, then waits out the last 50 ms and asks a last time.
    for (const wait of [250, 50]) {
      await clock.sleeping(wait);
      await clock.advance(wait);
    }
    const out = await running;
    expect(out.ok).toBe(true);
    const search = out.data.actions[0] as ImapSearchResult;
    expect(search).toMatchObject({ ok: true, uids: [], count: 0, attempts: 3, waitedMs: 300 });
    expect(searches(s)).toBe(3);
  });

  it("a refused connection is ok: false with a network error", async () => {
    const closed = net.createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const out = await run({ ...base(port), actions: [{ list: true }] });
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_NETWORK");
    expect(out.error?.message).toContain("ECONNREFUSED");
    expect(out.data).toMatchObject({ loggedIn: false, actions: [] });
    expect(out.transcript.at(-1)?.text).toBe(out.error?.message);
  });

  it("a silent server is ok: false with a timeout", async () => {
    const s = await fake({ silent: true });
    // imapflow's timeout (no clock) covers the connection the fake accepts too: it outlasts a stall.
    const out = await run({ ...base(s.port), timeoutMs: OUTLASTS_STALLS_MS });
    expect(out.ok).toBe(false);
    expect(out.error).toEqual({ code: "PROBE_TIMEOUT", message: `IMAP probe got no answer from 127.0.0.1:${s.port} to its greeting within ${OUTLASTS_STALLS_MS} ms` });
  });

  it("a server that stops answering mid-session is ok: false, with what was done so far", async () => {
    const s = await fake({ hangOn: "SELECT" });
    // The same timeout covers the exchanges the fake answers before: it outlasts a stall.
    const out = await run({ ...base(s.port), timeoutMs: OUTLASTS_STALLS_MS, actions: [{ list: true }, { select: "INBOX" }, { list: true }] });
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_TIMEOUT");
    expect(out.error?.message).toBe(`IMAP probe got no answer from 127.0.0.1:${s.port} to SELECT INBOX within ${OUTLASTS_STALLS_MS} ms`);
    expect(out.data.loggedIn).toBe(true);
    expect(out.data.actions.map((a) => [a.action, a.ok])).toEqual([["list", true], ["select", false], ["list", false]]);
    expect(out.data.actions[1]?.error).toBe(out.error?.message);
    expect(out.data.actions[2]?.error).toBe("not run: the connection was lost");
    expect(formatTranscript(out.transcript)).toMatch(/^C: \w+ SELECT INBOX$/m);
  });

  it("a connection the server drops mid-session is ok: false with a network error", async () => {
    const s = await fake({ dropOn: "SELECT" });
    const out = await run({ ...base(s.port), actions: [{ select: "INBOX" }] });
    expect(out.ok).toBe(false);
    expect(out.error).toEqual({ code: "PROBE_NETWORK", message: `IMAP probe could not talk to 127.0.0.1:${s.port}: the connection closed during SELECT INBOX` });
  });

  it("STARTTLS (the default) is required: a server without it is ok: false", async () => {
    const s = await fake();
    const out = await run({ server: "dovecot", port: s.port, user: "bob", pass: "secret", timeoutMs: PATIENT_TIMEOUT_MS });
    expect(out.ok).toBe(false);
    expect(out.error?.message).toBe(`IMAP probe could not talk to 127.0.0.1:${s.port}: TLS failed: Server does not support STARTTLS`);
    expect(s.commands.some((c) => c.includes("LOGIN"))).toBe(false);
  });

  it("implicit TLS to a cleartext server is ok: false with a TLS error", async () => {
    const s = await fake();
    const out = await run({ server: "dovecot", port: s.port, tls: "implicit", user: "bob", pass: "secret", timeoutMs: PATIENT_TIMEOUT_MS });
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_NETWORK");
    expect(out.error?.message).toContain("TLS failed");
  });

  it("closes the connection and rejects when the signal aborts", async () => {
    const s = await fake({ hangOn: "SELECT" });
    const controller = new AbortController();
    const running = run({ ...base(s.port), actions: [{ select: "INBOX" }] }, context(controller.signal));
    // The SELECT is never answered (and the timeout is long): only the abort can end it.
    await eventually(() => expect(s.commands.some((c) => / SELECT INBOX$/.test(c))).toBe(true));
    controller.abort(new Error("step cancelled"));
    await expect(running).rejects.toThrow("step cancelled");
  });

  it("an abort during a search's wait ends it at once", async () => {
    const s = await fake();
    const controller = new AbortController();
    const running = run({ ...base(s.port), actions: [{ search: { all: true }, waitMs: 10_000 }] }, context(controller.signal));
    // The clock stands still: only the abort can end the wait.
    await clock.sleeping(250);
    controller.abort(new Error("run stopped"));
    await expect(running).rejects.toThrow("run stopped");
    expect(clock.pending()).toEqual([]);
    expect(searches(s)).toBe(1);
  });

  it("refuses a server outside the lab, and an unreadable lab CA file, before connecting", async () => {
    vi.stubEnv("L7LAB_CA_FILE", "/nonexistent/ca.pem");
    await expect(run({ ...base(143), server: "outside" })).rejects.toBeInstanceOf(InvalidInputError);
    await expect(run({ ...base(143), tls: "starttls" })).rejects.toThrow('the lab CA "/nonexistent/ca.pem" (L7LAB_CA_FILE) cannot be read');
    await expect(run({ ...base(143), actions: [{ store: { uid: 1 } }] })).rejects.toThrow('store needs flags to "add" or to "remove"');
  });
});

describe("imapProbe.run over TLS", () => {
  const dir = mkdtempSync(join(tmpdir(), "l7lab-imap-"));
  const labCaFile = join(dir, "ca.pem");
  writeFileSync(labCaFile, FAKE_TLS_CERT);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const tlsServer = (mode: "starttls" | "implicit") => fake({ tls: { mode, key: FAKE_TLS_KEY, cert: FAKE_TLS_CERT }, mailboxes: { INBOX: [MESSAGE_1] } });
  const params = (port: number, extra: Partial<ImapProbeParams>): ImapProbeParams => ({ server: "dovecot", port, user: "bob", pass: "secret", timeoutMs: PATIENT_TIMEOUT_MS, actions: [{ fetch: "last" }], ...extra });

  it("STARTTLS (the default): upgrades before the login, checking the certificate against the service's host name", async () => {
    vi.stubEnv("L7LAB_CA_FILE", labCaFile);
    const s = await tlsServer("starttls");
    const out = await run(params(s.port, {}));
    expect(out.error).toBeUndefined();
    expect(out.data).toMatchObject({ tls: true, loggedIn: true, last: { uid: 1 } });
    const text = formatTranscript(out.transcript);
    expect(text).toMatch(/^S: \* OK \[CAPABILITY .* STARTTLS\] ready\nC: \w+ STARTTLS\nS: \w+ OK Begin TLS negotiation now\.\n\* TLS established: TLSv1\.3 \S+, certificate verified$/m);
    expect(text.search(/^C: \w+ STARTTLS$/m)).toBeLessThan(text.search(/^C: \w+ LOGIN bob \*\*\*\*$/m));
    expect(s.commands.findIndex((c) => c.includes("STARTTLS"))).toBeLessThan(s.commands.findIndex((c) => c.includes("LOGIN")));
  });

  it("implicit TLS, trusting the CA named in L7LAB_CA_FILE", async () => {
    vi.stubEnv("L7LAB_CA_FILE", labCaFile);
    const s = await tlsServer("implicit");
    const out = await run(params(s.port, { tls: "implicit", server: "imap.hamburger.edu" }));
    expect(out.error).toBeUndefined();
    expect(out.data).toMatchObject({ port: s.port, tls: true, loggedIn: true, last: { uid: 1 } });
    expect(out.transcript[0]?.text).toMatch(/^connected to 127\.0\.0\.1:\d+, TLS TLSv1\.3 \S+, certificate verified$/);
  });

  it("a certificate no trusted CA signed is ok: false", async () => {
    const s = await tlsServer("implicit");
    const out = await run(params(s.port, { tls: "implicit" }));
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_NETWORK");
    expect(out.error?.message).toMatch(/: TLS failed: DEPTH_ZERO_SELF_SIGNED_CERT: self[- ]signed certificate/);
    expect(s.commands).toEqual([]);
  });

  it("a certificate for another name is ok: false", async () => {
    vi.stubEnv("L7LAB_CA_FILE", labCaFile);
    const s = await tlsServer("starttls");
    const out = await run(params(s.port, { servername: "www.hamburger.edu" }));
    expect(out.ok).toBe(false);
    expect(out.error?.message).toContain("TLS failed: ERR_TLS_CERT_ALTNAME_INVALID");
    expect(s.commands.some((c) => c.includes("LOGIN"))).toBe(false);
  });

  it("rejectUnauthorized: false accepts it, and the transcript says it was not verified", async () => {
    const s = await tlsServer("implicit");
    const out = await run(params(s.port, { tls: "implicit", rejectUnauthorized: false }));
    expect(out.ok).toBe(true);
    expect(out.data.tls).toBe(true);
    expect(out.transcript[0]?.text).toMatch(/certificate not verified$/);
  });
});
