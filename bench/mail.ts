/**
 * Benchmark: mail through the lab, driven through the orchestrator's API (the host's loopback).
 *
 *   ./l7lab bench mail [--count 200] [--concurrency 8]
 *
 * 1. Latency: `count` messages submitted one at a time by Alice (mail.crepes.fr:587, STARTTLS and
 *    AUTH), relayed by MX to Bob's MTA and delivered by LMTP to his mailbox; and, side by side in
 *    the same run, `count` messages submitted straight to Bob's MTA (one MTA instead of two). A
 *    message's latency runs from the moment the first MTA's cleanup daemon logs its Message-ID
 *    (the message is being accepted) to the moment Bob's Dovecot logs "saved mail to INBOX" (it is
 *    visible over IMAP from then on). Both times are Docker's log timestamps, on the host's clock.
 * 2. Throughput: `count` messages submitted by `concurrency` clients at once through both MTAs;
 *    messages per second from the first submission to the last delivery, and a set check over IMAP
 *    of what arrived (lost, unexpected, duplicated).
 * The lab must be up (./l7lab up). Bob's mailbox is emptied first.
 */
import { cpus, totalmem } from "node:os";
import { reconcile } from "../orchestrator/src/engine/reconcile.ts";
import { opt, probe } from "./api.ts";

const args = process.argv.slice(2);
const count = opt(args, "count", 200);
const concurrency = opt(args, "concurrency", 8);
const tag = Math.random().toString(16).slice(2, 8);

const alice = { server: "mail.crepes.fr", port: 587, tls: "starttls", auth: { user: "alice", pass: "ketchup" } };
const direct = { server: "mail.hamburger.edu", port: 25, helo: "mail.crepes.fr" };
const bobPop = { server: "pop.hamburger.edu", tls: "stls", user: "bob", pass: "hungry" };

async function send(via: Record<string, unknown>, id: string): Promise<void> {
  const r = await probe<{ accepted: boolean }>("smtp", {
    ...via,
    send: { from: "alice@crepes.fr", to: ["bob@hamburger.edu"], subject: `bench ${id}`, messageId: `<${id}@crepes.fr>`, text: `Benchmark message ${id}.\n` },
  });
  if (!r.accepted) throw new Error(`message ${id} was not accepted`);
}

interface LogLines {
  count: number;
  lines: { service: string; at: string; text: string }[];
}

/** The log timestamps of each message id matching `prefix` in a service's log. */
async function stamps(service: string, pattern: string, prefix: string, atLeast: number): Promise<Map<string, number>> {
  const r = await probe<LogLines>("logs", { services: [service], pattern, regex: true, waitMs: 180_000, atLeast, maxLines: 1000, settleMs: 0 });
  const out = new Map<string, number>();
  for (const l of r.lines) {
    const m = new RegExp(`<(${prefix}[^@>]*)@crepes\\.fr>`).exec(l.text);
    if (m && !out.has(m[1]!)) out.set(m[1]!, Date.parse(l.at));
  }
  return out;
}

const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

async function latency(label: string, via: Record<string, unknown>, acceptedBy: string): Promise<{ p50: number; p95: number }> {
  const prefix = `bench-${tag}-${label}-`;
  for (let i = 1; i <= count; i++) await send(via, `${prefix}${i}`);
  const accepted = await stamps(acceptedBy, `message-id=<${prefix}`, prefix, count);
  const saved = await stamps("mailbox-hamburger", `msgid=<${prefix}[0-9]+@crepes\\.fr>: saved mail to INBOX`, prefix, count);
  const ms = [...saved].map(([id, t1]) => t1 - (accepted.get(id) ?? Number.NaN)).filter((x) => Number.isFinite(x));
  if (ms.length !== count) throw new Error(`${label}: timed ${ms.length} of ${count} messages`);
  return { p50: percentile(ms, 50), p95: percentile(ms, 95) };
}

async function throughput(): Promise<{ perSecond: number; lost: number; unexpected: number; duplicated: number }> {
  const prefix = `bench-${tag}-tp-`;
  const ids = Array.from({ length: count }, (_, i) => `${prefix}${i + 1}`);
  const queue = [...ids];
  const t0 = Date.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) await send(alice, id);
  }));
  const saved = await stamps("mailbox-hamburger", `msgid=<${prefix}[0-9]+@crepes\\.fr>: saved mail to INBOX`, prefix, count);
  const last = Math.max(...saved.values());
  const inbox = await probe<{ actions: { messages?: { envelope: { messageId: string } }[] }[] }>("imap", {
    server: "imap.hamburger.edu", user: "bob", pass: "hungry", timeoutMs: 60_000, actions: [{ select: "INBOX" }, { fetch: "all" }],
  });
  const received = (inbox.actions[1]?.messages ?? []).map((m) => m.envelope.messageId).filter((m) => m.startsWith(`<${prefix}`));
  const check = reconcile(ids.map((id) => `<${id}@crepes.fr>`), received);
  return { perSecond: count / ((last - t0) / 1000), lost: check.lostCount, unexpected: check.unexpectedCount, duplicated: check.duplicatedCount };
}

await probe("pop3", { ...bobPop, actions: [{ dele: "all" }] });
console.log(`mail benchmark: ${count} messages per measure, ${concurrency} concurrent clients for throughput (tag ${tag})`);
const twoHops = await latency("two", alice, "mail-crepes");
console.log(`latency through both MTAs (submission, MX relay, LMTP): p50 ${twoHops.p50} ms, p95 ${twoHops.p95} ms`);
const oneHop = await latency("one", direct, "mail-hamburger");
console.log(`latency straight to Bob's MTA (SMTP, LMTP):          p50 ${oneHop.p50} ms, p95 ${oneHop.p95} ms`);
console.log(`ratio two MTAs / one MTA: p50 ${(twoHops.p50 / oneHop.p50).toFixed(2)}, p95 ${(twoHops.p95 / oneHop.p95).toFixed(2)}`);
await probe("pop3", { ...bobPop, actions: [{ dele: "all" }] });
const tp = await throughput();
console.log(`throughput through both MTAs: ${tp.perSecond.toFixed(1)} messages/s; lost ${tp.lost}, unexpected ${tp.unexpected}, duplicated ${tp.duplicated}`);
console.log(`${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
