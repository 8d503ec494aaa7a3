import { describe, expect, it } from "vitest";
import {
  actionProblems,
  connectionSettings,
  describeAction,
  type ImapActionParams,
  type ImapProbeParams,
  normaliseAction,
  paramProblems,
  toCrlf,
} from "./params.ts";
import type { ImapAction } from "./types.ts";

describe("normaliseAction", () => {
  it.each<{ title: string; input: ImapActionParams; expected: ImapAction }>([
    { title: "select", input: { select: "INBOX" }, expected: { kind: "select", mailbox: "INBOX" } },
    { title: "search: no wait by default, the mailbox left to the session", input: { search: { subject: "Hi" } }, expected: { kind: "search", criteria: { subject: "Hi" }, waitMs: 0 } },
    {
      title: "search with a mailbox and a wait",
      input: { search: { from: "alice", seen: false }, mailbox: "Archive", waitMs: 5000 },
      expected: { kind: "search", criteria: { from: "alice", seen: false }, waitMs: 5000, mailbox: "Archive" },
    },
    { title: "fetch last", input: { fetch: "last" }, expected: { kind: "fetch", which: "last", includeRaw: false } },
    { title: "fetch a UID with the raw source", input: { fetch: 7, includeRaw: true, mailbox: "INBOX" }, expected: { kind: "fetch", which: 7, includeRaw: true, mailbox: "INBOX" } },
    { title: "store: add only", input: { store: { uid: 3, add: ["\\Seen"] } }, expected: { kind: "store", uid: 3, add: ["\\Seen"], remove: [] } },
    {
      title: "store: the last message, add and remove",
      input: { store: { uid: "last", add: ["\\Flagged"], remove: ["\\Seen"] }, mailbox: "INBOX" },
      expected: { kind: "store", uid: "last", add: ["\\Flagged"], remove: ["\\Seen"], mailbox: "INBOX" },
    },
    {
      title: "append: flags default to none, line ends become CRLF",
      input: { append: { mailbox: "Drafts", message: "Subject: x\n\nbody\n" } },
      expected: { kind: "append", mailbox: "Drafts", message: "Subject: x\r\n\r\nbody\r\n", flags: [] },
    },
    { title: "create", input: { create: "Archive" }, expected: { kind: "create", mailbox: "Archive" } },
    { title: "rename", input: { rename: ["Archive", "Old"] }, expected: { kind: "rename", from: "Archive", to: "Old" } },
    { title: "delete", input: { delete: "Old" }, expected: { kind: "delete", mailbox: "Old" } },
    { title: "list", input: { list: true }, expected: { kind: "list" } },
    { title: "expunge one UID", input: { expunge: { uid: 4 } }, expected: { kind: "expunge", uid: 4 } },
    { title: "expunge every deleted message", input: { expunge: { uid: "all-deleted" }, mailbox: "INBOX" }, expected: { kind: "expunge", uid: "all-deleted", mailbox: "INBOX" } },
    { title: "status", input: { status: "INBOX" }, expected: { kind: "status", mailbox: "INBOX" } },
  ])("$title", ({ input, expected }) => {
    expect(normaliseAction(input)).toEqual(expected);
  });
});

describe("toCrlf", () => {
  it.each([
    { title: "bare LF", input: "a\nb\n", expected: "a\r\nb\r\n" },
    { title: "CRLF stays", input: "a\r\nb\r\n", expected: "a\r\nb\r\n" },
    { title: "mixed", input: "a\r\nb\nc", expected: "a\r\nb\r\nc" },
  ])("$title", ({ input, expected }) => {
    expect(toCrlf(input)).toBe(expected);
  });
});

describe("describeAction", () => {
  it.each<{ input: ImapAction; expected: string }>([
    { input: { kind: "select", mailbox: "INBOX" }, expected: "select INBOX" },
    { input: { kind: "search", criteria: { subject: "Hi", seen: false }, waitMs: 0 }, expected: 'search: subject="Hi" seen=false' },
    { input: { kind: "search", criteria: { all: true }, waitMs: 3000, mailbox: "Archive" }, expected: "search in Archive: all (waiting up to 3000 ms for a match)" },
    { input: { kind: "search", criteria: { header: ["X-Lab", "1"] }, waitMs: 0 }, expected: 'search: header=["X-Lab","1"]' },
    { input: { kind: "fetch", which: "last", includeRaw: false }, expected: "fetch the last message" },
    { input: { kind: "fetch", which: 12, includeRaw: false, mailbox: "Sent" }, expected: "fetch UID 12 in Sent" },
    { input: { kind: "fetch", which: "all", includeRaw: true }, expected: "fetch every message" },
    { input: { kind: "store", uid: 3, add: ["\\Seen"], remove: ["\\Flagged"] }, expected: "store +\\Seen -\\Flagged on UID 3" },
    { input: { kind: "append", mailbox: "INBOX", message: "Subject: x\r\n\r\n", flags: ["\\Seen"] }, expected: "append a message of 14 octets to INBOX with \\Seen" },
    { input: { kind: "rename", from: "A", to: "B" }, expected: "rename A to B" },
    { input: { kind: "list" }, expected: "list the mailboxes" },
    { input: { kind: "expunge", uid: "all-deleted" }, expected: "expunge every \\Deleted message" },
    { input: { kind: "expunge", uid: "last", mailbox: "INBOX" }, expected: "expunge the last message in INBOX" },
    { input: { kind: "status", mailbox: "INBOX" }, expected: "status of INBOX" },
  ])("$expected", ({ input, expected }) => {
    expect(describeAction(input)).toBe(expected);
  });
});

describe("actionProblems", () => {
  it.each<{ title: string; input: ImapAction; expected: string[] }>([
    { title: "a search with a criterion", input: { kind: "search", criteria: { to: "bob" }, waitMs: 0 }, expected: [] },
    { title: "a search with none", input: { kind: "search", criteria: {}, waitMs: 0 }, expected: ['search has no criteria; give at least one, or "all: true"'] },
    { title: "since as an ISO date", input: { kind: "search", criteria: { since: "2024-05-01" }, waitMs: 0 }, expected: [] },
    { title: "since with a time", input: { kind: "search", criteria: { since: "2024-05-01T10:00:00Z" }, waitMs: 0 }, expected: [] },
    { title: "since in IMAP's own form", input: { kind: "search", criteria: { since: "01-May-2024" }, waitMs: 0 }, expected: ['search "since" must be an ISO date such as "2024-05-01"; got "01-May-2024"'] },
    { title: "since that is no date", input: { kind: "search", criteria: { since: "2024-13-45" }, waitMs: 0 }, expected: ['search "since" is not a valid date: "2024-13-45"'] },
    { title: "a store with flags", input: { kind: "store", uid: 1, add: [], remove: ["\\Seen"] }, expected: [] },
    { title: "a store without flags", input: { kind: "store", uid: 1, add: [], remove: [] }, expected: ['store needs flags to "add" or to "remove"'] },
    { title: "a rename to itself", input: { kind: "rename", from: "A", to: "A" }, expected: ['rename from "A" to itself does nothing'] },
    { title: "a select", input: { kind: "select", mailbox: "INBOX" }, expected: [] },
  ])("$title", ({ input, expected }) => {
    expect(actionProblems(input)).toEqual(expected);
  });
});

describe("paramProblems", () => {
  const params = (extra: Partial<ImapProbeParams>): ImapProbeParams => ({ server: "dovecot", user: "bob", pass: "x", ...extra });
  it.each([
    { title: "a plain login", input: params({}), expected: [] },
    { title: "TLS options with TLS", input: params({ tls: "implicit", servername: "mail.hamburger.edu", rejectUnauthorized: false }), expected: [] },
    {
      title: "TLS options without TLS",
      input: params({ tls: "none", servername: "x", rejectUnauthorized: true }),
      expected: [
        'servername has no use with tls "none"; remove it or choose "starttls" or "implicit"',
        'rejectUnauthorized has no use with tls "none"; remove it or choose "starttls" or "implicit"',
      ],
    },
    {
      title: "problems of actions, numbered from 1",
      input: params({ actions: [{ list: true }, { rename: ["A", "A"] }, { search: {} }] }),
      expected: ['action 2 (rename): rename from "A" to itself does nothing', 'action 3 (search): search has no criteria; give at least one, or "all: true"'],
    },
  ])("$title", ({ input, expected }) => {
    expect(paramProblems(input)).toEqual(expected);
  });
});

describe("connectionSettings", () => {
  const params = (extra: Partial<ImapProbeParams>): ImapProbeParams => ({ server: "dovecot", user: "bob", pass: "x", ...extra });
  it.each([
    {
      title: "defaults: STARTTLS on 143, Node's trust",
      input: [params({}), {}] as const,
      expected: { port: 143, tls: "starttls", secure: false, doSTARTTLS: true, timeoutMs: 15_000, rejectUnauthorized: true },
    },
    {
      title: "implicit TLS defaults to 993",
      input: [params({ tls: "implicit" }), {}] as const,
      expected: { port: 993, tls: "implicit", secure: true, doSTARTTLS: false, timeoutMs: 15_000, rejectUnauthorized: true },
    },
    {
      title: "cleartext never tries STARTTLS and ignores the lab CA",
      input: [params({ tls: "none", timeoutMs: 500 }), { L7LAB_CA_FILE: "/lab/ca.pem" }] as const,
      expected: { port: 143, tls: "none", secure: false, doSTARTTLS: false, timeoutMs: 500, rejectUnauthorized: true },
    },
    {
      title: "the lab CA from the environment",
      input: [params({ port: 1143 }), { L7LAB_CA_FILE: "/lab/ca.pem" }] as const,
      expected: { port: 1143, tls: "starttls", secure: false, doSTARTTLS: true, timeoutMs: 15_000, rejectUnauthorized: true, labCaFile: "/lab/ca.pem" },
    },
    {
      title: "an empty L7LAB_CA_FILE counts as unset",
      input: [params({}), { L7LAB_CA_FILE: "" }] as const,
      expected: { port: 143, tls: "starttls", secure: false, doSTARTTLS: true, timeoutMs: 15_000, rejectUnauthorized: true },
    },
    {
      title: "implicit TLS with the lab CA from the environment",
      input: [params({ tls: "implicit", rejectUnauthorized: false }), { L7LAB_CA_FILE: "/lab/ca.pem" }] as const,
      expected: { port: 993, tls: "implicit", secure: true, doSTARTTLS: false, timeoutMs: 15_000, rejectUnauthorized: false, labCaFile: "/lab/ca.pem" },
    },
  ])("$title", ({ input: [p, env], expected }) => {
    expect(connectionSettings(p, env)).toEqual(expected);
  });
});
