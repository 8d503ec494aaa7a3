import { describe, expect, it } from "vitest";
import type { TranscriptLineRecord } from "../engine/run-record.ts";
import { CHAR_WIDTH, CLIENT_LABEL, HEADING_CHAR_WIDTH, ladderLayout, MAX_LABEL_CHARS, peerName, truncateLabel, type LadderArrow } from "./ladder.ts";

const line = (dir: "C" | "S" | "*", text: string, peer = "10.0.0.21:25", atMs = 0): TranscriptLineRecord => ({ dir, peer, text, atMs });

const EHLO_REPLY = "250-mail.crepes.fr Hello prober [10.0.0.250] pleased to meet you; the extensions follow: PIPELINING SIZE 10240000";
const smtp = [line("C", "EHLO x", undefined, 1), line("S", EHLO_REPLY, undefined, 2), line("C", "MAIL FROM:<alice@crepes.fr>", undefined, 3), line("S", "250 2.1.0 Ok", undefined, 4)];

describe("a transcript as a ladder diagram", () => {
  it("draws the SMTP dialogue as four arrows between the client and the MTA, in order", () => {
    const ladder = ladderLayout(smtp);
    expect(ladder.columns.map((c) => c.label)).toEqual([CLIENT_LABEL, "10.0.0.21:25"]);
    expect(ladder.rows).toHaveLength(4);
    expect(ladder.rows.map((r) => r.kind)).toEqual(["arrow", "arrow", "arrow", "arrow"]);
    const arrows = ladder.rows as LadderArrow[];
    expect(arrows.map((a) => [a.dir, a.from, a.to])).toEqual([
      ["C", 0, 1],
      ["S", 1, 0],
      ["C", 0, 1],
      ["S", 1, 0],
    ]);
    // C goes right, from the client's lifeline to the MTA's; S comes back.
    const [client, mta] = ladder.columns.map((c) => c.x);
    expect(arrows.map((a) => [a.x1, a.x2])).toEqual([
      [client, mta],
      [mta, client],
      [client, mta],
      [mta, client],
    ]);
    // Time goes down.
    expect(arrows.map((a) => a.y)).toEqual([...arrows.map((a) => a.y)].sort((a, b) => a - b));
    expect(new Set(arrows.map((a) => a.y)).size).toBe(4);
    expect(ladder.hidden).toBe(0);
  });

  it("cuts labels past 70 characters with an ellipsis and keeps the whole line as the title", () => {
    const arrows = ladderLayout(smtp).rows;
    expect(arrows[0]!.label).toBe("EHLO x");
    expect(arrows[0]!.truncated).toBe(false);
    expect(arrows[1]!.label).toHaveLength(MAX_LABEL_CHARS);
    expect(arrows[1]!.label).toBe(`${EHLO_REPLY.slice(0, 69)}…`);
    expect(arrows[1]!.title).toBe(EHLO_REPLY);
    expect(arrows[1]!.truncated).toBe(true);
    expect(arrows[2]!.label).toBe("MAIL FROM:<alice@crepes.fr>");
    expect(arrows[3]!.label).toBe("250 2.1.0 Ok");
  });

  it.each([
    ["short", "short"],
    ["x".repeat(70), "x".repeat(70)],
    ["x".repeat(71), `${"x".repeat(69)}…`],
    ["a\tb\r\nc", "a b c"],
  ])("truncateLabel(%j)", (text, label) => {
    expect(truncateLabel(text)).toBe(label);
  });

  it("gives each distinct peer a lifeline, in the order it first appears, and draws notes across them", () => {
    const ladder = ladderLayout([
      line("C", "www.hamburger.edu. A?", "10.0.0.10:53"),
      line("S", "NOERROR", "10.0.0.10:53"),
      line("*", "referral to edu.: a.gtld-servers.net. (10.0.0.11)", "10.0.0.10:53"),
      line("C", "www.hamburger.edu. A?", "10.0.0.11:53"),
      line("S", "NOERROR", "10.0.0.11:53"),
      line("C", "www.hamburger.edu. A?", "10.0.0.10:53"),
    ]);
    expect(ladder.columns.map((c) => c.peer)).toEqual([undefined, "10.0.0.10:53", "10.0.0.11:53"]);
    expect(ladder.rows.map((r) => (r.kind === "arrow" ? `${r.dir}${r.from}>${r.to}` : `note@${r.column}`))).toEqual(["C0>1", "S1>0", "note@1", "C0>2", "S2>0", "C0>1"]);
    const note = ladder.rows[2]!;
    const xs = ladder.columns.map((c) => c.x);
    expect(note.x1).toBeLessThan(Math.min(...xs));
    expect(note.x2).toBeGreaterThan(Math.max(...xs));
    // Lifelines left to right, far enough apart for the labels of the arrows that end at each.
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    for (const r of ladder.rows) if (r.kind === "arrow") expect(Math.abs(r.x2 - r.x1)).toBeGreaterThanOrEqual(r.label.length * CHAR_WIDTH);
    expect(ladder.width).toBeGreaterThan(Math.max(...xs));
  });

  it("draws at most 400 lines and counts the rest", () => {
    const many = Array.from({ length: 1000 }, (_, i) => line(i % 2 ? "S" : "C", `line ${i}`, undefined, i));
    const ladder = ladderLayout(many);
    expect(ladder.rows).toHaveLength(400);
    expect(ladder.hidden).toBe(600);
    expect(ladder.rows.at(-1)!.title).toBe("line 399");
    expect(ladder.bottom).toBeGreaterThan(ladder.rows.at(-1)!.y);
    expect(ladder.height).toBeGreaterThan(ladder.bottom);
    expect(ladderLayout(many, { maxLines: 10 }).hidden).toBe(990);
  });

  it("names peers the lab knows, by address or host name", () => {
    const names = new Map([
      ["10.0.0.10", "dns-root (a.root-servers.net)"],
      ["dns-resolver", "dns-resolver"],
    ]);
    expect(peerName("10.0.0.10:53", names)).toBe("dns-root (a.root-servers.net)");
    expect(peerName("10.0.0.10", names)).toBe("dns-root (a.root-servers.net)");
    expect(peerName("10.9.9.9:53", names)).toBeUndefined();
    const ladder = ladderLayout([line("C", "x", "10.0.0.10:53"), line("C", "unbound-control flush", "dns-resolver")], { names });
    expect(ladder.columns.map((c) => c.sublabel)).toEqual([undefined, "dns-root (a.root-servers.net)", undefined]);
  });

  it("keeps the headings of neighbouring lifelines apart, however long the names", () => {
    const names = new Map([
      ["10.0.0.10", "dns-root (a.root-servers.net)"],
      ["10.0.0.11", "dns-tld (a.gtld-servers.net)"],
    ]);
    const ladder = ladderLayout([line("C", "q", "10.0.0.10:53"), line("C", "q", "10.0.0.11:53")], { names });
    const [, root, tld] = ladder.columns;
    const halfWidth = (c: typeof root) => Math.max(c!.label.length * HEADING_CHAR_WIDTH, (c!.sublabel?.length ?? 0) * CHAR_WIDTH) / 2;
    expect(tld!.x - root!.x).toBeGreaterThan(halfWidth(root) + halfWidth(tld));
    expect(ladder.width).toBeGreaterThan(tld!.x + halfWidth(tld));
  });

  it("lays out an empty transcript as the client alone", () => {
    const ladder = ladderLayout([]);
    expect(ladder.columns).toHaveLength(1);
    expect(ladder.rows).toEqual([]);
    expect(ladder.hidden).toBe(0);
  });
});
