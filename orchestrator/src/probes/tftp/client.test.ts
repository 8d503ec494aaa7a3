import { createHash } from "node:crypto";
import dgram from "node:dgram";
import { once } from "node:events";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidInputError, ProbeTimeoutError } from "../../common/errors.ts";
import { FakeClock } from "../../common/testing/fake-clock.ts";
import { eventually } from "../../common/testing/timing.ts";
import { formatTranscript, Transcript } from "../transcript.ts";
import { partialResultOf, tftpGet, type TftpGetOptions, tftpPut, type TftpPutOptions } from "./client.ts";
import { type FakeTftpOptions, type FakeTftpServer, type FakeTftpTransfer, startFakeTftpServer } from "./fake-tftp-server.ts";
import { describePacket, encodePacket, type TftpPacket } from "./packet.ts";
import { generateContent } from "./params.ts";

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

/**
 * The clock of the client's retransmission and dally timers and of the fake's retransmissions: it
 * stands still unless a test moves it, so a loaded machine never times anything out by accident.
 */
let clock: FakeClock;
beforeEach(() => {
  clock = new FakeClock();
});
const servers: FakeTftpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  // Ends the dallies, so that the clients' sockets close.
  await clock.advance(60_000);
});
async function fake(options: FakeTftpOptions = {}): Promise<FakeTftpServer> {
  const s = await startFakeTftpServer({ clock, ...options });
  servers.push(s);
  return s;
}

function get(s: FakeTftpServer, options: Partial<TftpGetOptions> = {}) {
  return tftpGet({ host: "127.0.0.1", port: s.port, filename: "f", clock, ...options });
}
function put(s: FakeTftpServer, options: Partial<TftpPutOptions> & { data: Buffer }) {
  return tftpPut({ host: "127.0.0.1", port: s.port, filename: "f", clock, ...options });
}

/** The only transfer the fake served. */
function only(s: FakeTftpServer): FakeTftpTransfer {
  expect(s.transfers).toHaveLength(1);
  return s.transfers[0]!;
}
/** What the client sent to the transfer's port, in textbook form. */
const heard = (t: FakeTftpTransfer) => t.received.map(describePacket);
/** What the client sent to the only transfer, once the fake has seen the transfer end. */
async function heardWhenDone(s: FakeTftpServer): Promise<string[]> {
  await eventually(() => expect(only(s).done).toBe(true));
  return heard(only(s));
}
/** Waits until the fake has sent (and dropped) `packet`, its last one so far. */
async function dropped(s: FakeTftpServer, packet: Partial<TftpPacket>): Promise<void> {
  await eventually(() => expect(only(s).sent.at(-1)).toMatchObject({ packet, dropped: true }));
}
/**
 * The requests the fake has had: everything sent to its request port before this call, as a
 * marker request sent now is counted after them (datagrams on loopback arrive in order).
 */
async function requestsSoFar(s: FakeTftpServer): Promise<string[]> {
  const marker = dgram.createSocket("udp4");
  try {
    marker.send(encodePacket({ type: "RRQ", filename: "marker", mode: "octet", options: {} }), s.port, "127.0.0.1");
    await eventually(() => expect(s.requests.map((r) => r.filename)).toContain("marker"));
  } finally {
    marker.close();
  }
  return s.requests.map((r) => r.filename).filter((f) => f !== "marker");
}
/** Nothing holds this UDP port any more: it can be bound again. */
async function portIsFree(port: number): Promise<boolean> {
  const socket = dgram.createSocket("udp4");
  socket.on("error", () => undefined);
  try {
    socket.bind(port, "127.0.0.1");
    await once(socket, "listening");
    return true;
  } catch {
    return false;
  } finally {
    socket.close();
  }
}
const lines = (t: Transcript) => formatTranscript(t.lines).split("\n");
/** The first time a packet matches, and only then. */
function firstTime(match: (p: TftpPacket) => boolean): (p: TftpPacket) => boolean {
  let seen = false;
  return (p) => {
    if (seen || !match(p)) return false;
    seen = true;
    return true;
  };
}
const isData = (block: number) => (p: TftpPacket) => p.type === "DATA" && p.block === block;
const isAck = (block: number) => (p: TftpPacket) => p.type === "ACK" && p.block === block;

const FILE = generateContent(1100, 3); // DATA 1 and 2 of 512 bytes, DATA 3 of 76

describe("tftpGet", () => {
  it("reads a file without options from the server's new TID", async () => {
    const s = await fake({ files: { "boot.cfg": FILE } });
    const transcript = new Transcript();
    const r = await get(s, { filename: "boot.cfg", transcript });
    const t = only(s);
    expect(t.tid).not.toBe(s.port);
    expect(r).toEqual({
      ok: true,
      filename: "boot.cfg",
      mode: "octet",
      server: `127.0.0.1:${s.port}`,
      serverTid: t.tid,
      requestedOptions: {},
      oack: null,
      blksize: 512,
      bytes: 1100,
      wireBytes: 1100,
      sha256: sha256(FILE),
      blocks: 3,
      rollovers: 0,
      retransmissions: 0,
      timeouts: 0,
      duplicates: 0,
      strayPackets: 0,
      durationMs: expect.any(Number),
      data: FILE,
    });
    expect(await heardWhenDone(s)).toEqual(["ACK 1", "ACK 2", "ACK 3"]);
    expect(s.requests).toHaveLength(1);
    expect(lines(transcript).slice(0, -1)).toEqual([
      'C: RRQ "boot.cfg" octet',
      "S: DATA 1 (512 bytes)",
      "C: ACK 1",
      "S: DATA 2 (512 bytes)",
      "C: ACK 2",
      "S: DATA 3 (76 bytes)",
      "C: ACK 3",
    ]);
    expect(lines(transcript).at(-1)).toMatch(/^\* transfer complete: 1100 bytes in 3 blocks of up to 512, 0 rollovers, 0 retransmissions, [\d.]+ ms$/);
    expect(transcript.lines[0]!.peer).toBe(`127.0.0.1:${s.port}`);
    expect(transcript.lines[1]!.peer).toBe(`127.0.0.1:${t.tid}`);
  });

  it("negotiates blksize, tsize and timeout with an OACK, accepting a smaller blksize", async () => {
    const kernel = generateContent(3000, 4);
    const s = await fake({ files: { kernel }, maxBlksize: 1024 });
    const transcript = new Transcript();
    const r = await get(s, { filename: "kernel", blksize: 1468, tsize: true, timeout: 2, transcript });
    expect(r).toMatchObject({
      ok: true,
      requestedOptions: { blksize: "1468", tsize: "0", timeout: "2" },
      oack: { blksize: "1024", tsize: "3000", timeout: "2" },
      blksize: 1024,
      tsize: 3000,
      bytes: 3000,
      blocks: 3,
      sha256: sha256(kernel),
    });
    expect(r.data?.equals(kernel)).toBe(true);
    expect(only(s).request).toEqual({ type: "RRQ", filename: "kernel", mode: "octet", options: { blksize: "1468", tsize: "0", timeout: "2" } });
    expect(await heardWhenDone(s)).toEqual(["ACK 0", "ACK 1", "ACK 2", "ACK 3"]);
    expect(lines(transcript).slice(0, 5)).toEqual([
      'C: RRQ "kernel" octet blksize=1468 tsize=0 timeout=2',
      "S: OACK blksize=1024 tsize=3000 timeout=2",
      "C: ACK 0",
      "S: DATA 1 (1024 bytes)",
      "C: ACK 1",
    ]);
  });

  it("a server that ignores the options sends DATA 1: blocks of 512, no OACK", async () => {
    const s = await fake({ files: { f: FILE }, ignoreOptions: true });
    const transcript = new Transcript();
    const r = await get(s, { blksize: 1468, tsize: true, transcript });
    expect(r).toMatchObject({ ok: true, requestedOptions: { blksize: "1468", tsize: "0" }, oack: null, blksize: 512, blocks: 3, sha256: sha256(FILE) });
    expect(r.tsize).toBeUndefined();
    expect(lines(transcript).slice(0, 3)).toEqual([
      'C: RRQ "f" octet blksize=1468 tsize=0',
      "* the server ignored the options (DATA 1 instead of OACK); blksize 512",
      "S: DATA 1 (512 bytes)",
    ]);
  });

  it("a server answering from its request port: that port is the TID", async () => {
    const s = await fake({ files: { f: FILE }, sameTid: true });
    const r = await get(s);
    expect(r).toMatchObject({ ok: true, serverTid: s.port, sha256: sha256(FILE) });
  });

  it("a packet from a foreign port gets ERROR 5 and changes nothing", async () => {
    const s = await fake({ files: { f: FILE }, stray: { block: 2 } });
    const transcript = new Transcript();
    const r = await get(s, { transcript });
    const t = only(s);
    expect(r).toMatchObject({ ok: true, strayPackets: 1, duplicates: 0, blocks: 3, sha256: sha256(FILE) });
    expect(await heardWhenDone(s)).toEqual(["ACK 1", "ACK 2", "ACK 3"]);
    await eventually(() => expect(t.strayReplies).toEqual([{ type: "ERROR", code: 5, message: "Unknown transfer ID" }]));
    expect(lines(transcript)).toContainEqual(expect.stringMatching(/^\* stray packet from 127\.0\.0\.1:\d+ \(DATA 2 \(512 bytes\)\); answered ERROR 5 Unknown transfer ID$/));
  });

  it("a lost DATA: the ACK before it is re-sent after the timeout and the file is intact", async () => {
    const s = await fake({ files: { f: FILE }, dropOutgoing: firstTime(isData(3)), resendOnDuplicateAck: true });
    const transcript = new Transcript();
    const result = get(s, { timeoutMs: 50, transcript });
    await dropped(s, { type: "DATA", block: 3 });
    // The ACK 2 waits out its timeout, and nothing else is timed.
    expect(clock.pending()).toEqual([50]);
    await clock.advance(50);
    const r = await result;
    expect(r).toMatchObject({ ok: true, retransmissions: 1, timeouts: 1, duplicates: 0, blocks: 3, sha256: sha256(FILE) });
    expect(await heardWhenDone(s)).toEqual(["ACK 1", "ACK 2", "ACK 2", "ACK 3"]);
    expect(lines(transcript)).toContain('* no answer within 50 ms; retransmitting ACK 2 of RRQ "f" (retry 1 of 5)');
  });

  it("a duplicate DATA is ACKed again, once, and nothing else is sent", async () => {
    const file = generateContent(1600, 5); // 4 blocks
    const s = await fake({ files: { f: file }, duplicateOutgoing: isData(2) });
    const transcript = new Transcript();
    const r = await get(s, { transcript });
    expect(r).toMatchObject({ ok: true, duplicates: 1, retransmissions: 0, timeouts: 0, blocks: 4, sha256: sha256(file) });
    expect(await heardWhenDone(s)).toEqual(["ACK 1", "ACK 2", "ACK 2", "ACK 3", "ACK 4"]);
    expect(only(s).sent.map((x) => describePacket(x.packet))).toEqual(["DATA 1 (512 bytes)", "DATA 2 (512 bytes)", "DATA 3 (512 bytes)", "DATA 4 (64 bytes)"]);
    expect(lines(transcript)).toContain("* duplicate DATA 2; ACKed it again");
  });

  it("a duplicate OACK (ACK 0 lost) is answered with ACK 0 again", async () => {
    const s = await fake({ files: { f: FILE }, dropIncoming: firstTime(isAck(0)), retransmitMs: 50 });
    const result = get(s, { blksize: 512 });
    await eventually(() => expect(heard(only(s))).toEqual(["ACK 0"]));
    // The fake's retransmission timer, not the client's (1000 ms): the OACK comes again.
    await clock.advance(50);
    const r = await result;
    expect(r).toMatchObject({ ok: true, duplicates: 1, retransmissions: 0, blocks: 3, sha256: sha256(FILE) });
    expect(await heardWhenDone(s)).toEqual(["ACK 0", "ACK 0", "ACK 1", "ACK 2", "ACK 3"]);
  });

  it("after the last ACK it resolves at once and still ACKs a re-sent last DATA (dally)", async () => {
    const s = await fake({ files: { f: FILE }, dropIncoming: firstTime(isAck(3)), retransmitMs: 100 });
    // Resolved while the clock stands still: the promise does not wait for the dally, which is
    // still running (1000 ms), besides the fake's retransmission timer (100 ms).
    const r = await get(s);
    expect(r.ok).toBe(true);
    expect(clock.pending()).toEqual([100, 1000]);
    await eventually(() => expect(heard(only(s))).toEqual(["ACK 1", "ACK 2", "ACK 3"]));
    await clock.advance(100);
    expect(await heardWhenDone(s)).toEqual(["ACK 1", "ACK 2", "ACK 3", "ACK 3"]);
  });

  it("dallyMs: 0 closes the port at once: a re-sent last DATA gets no ACK", async () => {
    const s = await fake({ files: { f: FILE }, dropIncoming: firstTime(isAck(3)), retransmitMs: 30 });
    const r = await get(s, { dallyMs: 0 });
    expect(r.ok).toBe(true);
    // No dally timer, only the fake's retransmission; and the client's port is given back.
    expect(clock.pending()).toEqual([30]);
    await eventually(async () => expect(await portIsFree(only(s).client.port)).toBe(true));
    await eventually(() => expect(heard(only(s))).toEqual(["ACK 1", "ACK 2", "ACK 3"]));
    await clock.advance(30);
    expect(only(s).sent.map((x) => describePacket(x.packet)).at(-1)).toBe("DATA 3 (76 bytes)");
    expect(only(s).done).toBe(false);
  });

  it("the negotiated timeout replaces timeoutMs", async () => {
    const s = await fake({ files: { f: FILE }, dropOutgoing: firstTime(isData(2)), resendOnDuplicateAck: true });
    const transcript = new Transcript();
    const result = get(s, { timeout: 1, timeoutMs: 5000, transcript });
    await dropped(s, { type: "DATA", block: 2 });
    expect(clock.pending()).toEqual([1000]);
    await clock.advance(1000);
    const r = await result;
    expect(r).toMatchObject({ ok: true, oack: { timeout: "1" }, retransmissions: 1, sha256: sha256(FILE) });
    expect(lines(transcript)).toContain('* no answer within 1000 ms; retransmitting ACK 1 of RRQ "f" (retry 1 of 5)');
  });

  it("an empty file is one empty DATA", async () => {
    const s = await fake({ files: { empty: Buffer.alloc(0) } });
    const r = await get(s, { filename: "empty" });
    expect(r).toMatchObject({ ok: true, bytes: 0, blocks: 1, sha256: sha256("") });
    expect(await heardWhenDone(s)).toEqual(["ACK 1"]);
  });

  it("a file of exactly 2 blocks ends with an empty third", async () => {
    const file = generateContent(1024, 6);
    const s = await fake({ files: { f: file } });
    const r = await get(s);
    expect(r).toMatchObject({ ok: true, bytes: 1024, blocks: 3 });
    expect(only(s).sent.map((x) => describePacket(x.packet))).toEqual(["DATA 1 (512 bytes)", "DATA 2 (512 bytes)", "DATA 3 (0 bytes)"]);
  });

  it("the transcript of a long transfer shows the first and last exchanges only", async () => {
    const file = generateContent(100 * 512 + 10, 7); // 101 blocks
    const s = await fake({ files: { f: file } });
    const transcript = new Transcript();
    const r = await get(s, { transcript });
    expect(r).toMatchObject({ ok: true, blocks: 101 });
    expect(lines(transcript)).toEqual([
      'C: RRQ "f" octet',
      "S: DATA 1 (512 bytes)",
      "C: ACK 1",
      "S: DATA 2 (512 bytes)",
      "C: ACK 2",
      "S: DATA 3 (512 bytes)",
      "C: ACK 3",
      "* … 96 DATA/ACK exchanges not shown",
      "S: DATA 100 (512 bytes)",
      "C: ACK 100",
      "S: DATA 101 (10 bytes)",
      "C: ACK 101",
      expect.stringMatching(/^\* transfer complete: 51210 bytes in 101 blocks of up to 512, 0 rollovers, 0 retransmissions, [\d.]+ ms$/),
    ]);
  });

  it("notes are capped at 100, then counted", async () => {
    const file = generateContent(300 * 8, 8); // 301 blocks of 8, every DATA sent twice
    const s = await fake({ files: { f: file }, duplicateOutgoing: (p) => p.type === "DATA" });
    const transcript = new Transcript();
    const r = await get(s, { blksize: 8, transcript });
    expect(r).toMatchObject({ ok: true, blocks: 301, duplicates: 300, sha256: sha256(file) });
    const notes = lines(transcript).filter((l) => l.startsWith("* duplicate DATA"));
    expect(notes).toHaveLength(100);
    expect(notes[99]).toBe("* duplicate DATA 100; ACKed it again");
    expect(lines(transcript)).toContain("* … 200 more notes not shown");
  });

  it("netascii: CR LF and CR NUL split across blocks come back as the local text", async () => {
    const text = "a".repeat(511) + "\n" + "b".repeat(510) + "\r" + "tail\n";
    const s = await fake({ files: { "notes.txt": text } });
    const r = await get(s, { filename: "notes.txt", mode: "netascii" });
    const sent = only(s).sent.map((x) => x.packet as { data: Buffer });
    expect(sent[0]!.data.at(-1)).toBe(0x0d);
    expect(sent[1]!.data[0]).toBe(0x0a);
    expect(sent[1]!.data.at(-1)).toBe(0x0d);
    expect(sent[2]!.data[0]).toBe(0x00);
    expect(r).toMatchObject({ ok: true, mode: "netascii", bytes: text.length, wireBytes: text.length + 3, blocks: 3, sha256: sha256(text) });
    expect(r.data?.toString("latin1")).toBe(text);
  });

  it("a missing file is ERROR 1, a result", async () => {
    const s = await fake();
    const transcript = new Transcript();
    const r = await get(s, { filename: "nope", transcript });
    expect(r).toMatchObject({ ok: false, blocks: 0, bytes: 0, serverTid: only(s).tid, error: { code: 1, name: "File not found", message: "File not found", from: "server" } });
    expect(r.data).toBeUndefined();
    expect(lines(transcript)[1]).toBe("S: ERROR 1 File not found");
    expect(await heardWhenDone(s)).toEqual([]);
  });

  it.each([0, 1, 2, 3, 4, 5, 6, 7, 8].map((code) => ({ code })))("ERROR $code from the server is a result", async ({ code }) => {
    const names = ["Not defined", "File not found", "Access violation", "Disk full or allocation exceeded", "Illegal TFTP operation", "Unknown transfer ID", "File already exists", "No such user", "Option negotiation refused"];
    const s = await fake({ files: { f: FILE }, refuse: () => ({ code, message: `refused with ${code}` }) });
    const transcript = new Transcript();
    const r = await get(s, { transcript });
    expect(r.ok).toBe(false);
    expect(r.error).toEqual({ code, name: names[code], message: `refused with ${code}`, from: "server" });
    expect(lines(transcript)[1]).toBe(`S: ERROR ${code} ${names[code]} "refused with ${code}"`);
  });

  it("an ERROR in the middle of a transfer is a result that keeps the count of what came before", async () => {
    const s = await fake({ files: { f: FILE }, errorAt: { block: 3, code: 3, message: "disk gone" } });
    const transcript = new Transcript();
    const r = await get(s, { transcript });
    expect(r).toMatchObject({ ok: false, blocks: 2, bytes: 1024, error: { code: 3, name: "Disk full or allocation exceeded", message: "disk gone", from: "server" } });
    expect(r.data).toBeUndefined();
    expect(lines(transcript).slice(-2, -1)).toEqual(['S: ERROR 3 Disk full or allocation exceeded "disk gone"']);
    expect(lines(transcript).at(-1)).toMatch(/^\* transfer incomplete \(ERROR 3 Disk full or allocation exceeded\): 1024 bytes in 2 blocks/);
  });
});

describe("tftpGet refuses what it did not ask for", () => {
  it.each([
    {
      title: "an option that was not requested",
      asked: { blksize: 1024 },
      oack: (o: Record<string, string>) => ({ ...o, windowsize: "4" }),
      message: "option windowsize=4 was not requested",
      sentOack: { blksize: "1024", windowsize: "4" },
    },
    {
      title: "a larger blksize than requested",
      asked: { blksize: 512 },
      oack: () => ({ blksize: "1024" }),
      message: "blksize=1024 is more than the 512 requested",
      sentOack: { blksize: "1024" },
    },
    {
      title: "another timeout than requested",
      asked: { timeout: 2 },
      oack: () => ({ timeout: "3" }),
      message: "timeout=3 differs from the 2 requested",
      sentOack: { timeout: "3" },
    },
    {
      title: "an OACK to a request without options",
      asked: {},
      oack: () => ({ tsize: "1100" }),
      message: "option tsize=1100 was not requested",
      sentOack: { tsize: "1100" },
    },
  ])("$title: ERROR 8 to the server, and a failed result", async ({ asked, oack, message, sentOack }) => {
    const s = await fake({ files: { f: FILE }, oack });
    const transcript = new Transcript();
    const r = await get(s, { ...asked, transcript });
    expect(r).toMatchObject({ ok: false, oack: sentOack, blocks: 0, error: { code: 8, name: "Option negotiation refused", message, from: "client" } });
    expect(r.data).toBeUndefined();
    await eventually(() => expect(only(s).received).toEqual([{ type: "ERROR", code: 8, message }]));
    expect(lines(transcript)[2]).toBe(`C: ERROR 8 Option negotiation refused ${JSON.stringify(message)}`);
  });

  it.each([
    { title: "an unknown opcode", raw: Buffer.from([0, 9, 0, 1]), code: 4, message: "malformed packet: unknown opcode 9" },
    { title: "an OACK with a bad blksize", raw: encodeRaw("\x00\x06blksize\x00big\x00"), code: 8, message: "malformed packet: OACK: blksize=big is not a whole number between 8 and 65464" },
    { title: "DATA 2 first", raw: encodePacket({ type: "DATA", block: 2, data: Buffer.alloc(3) }), code: 4, message: "expected OACK or DATA 1, got DATA 2" },
    { title: "an ACK in a read transfer", raw: encodePacket({ type: "ACK", block: 0 }), code: 4, message: "unexpected ACK from the server in a read transfer" },
    { title: "DATA larger than the block size", raw: encodePacket({ type: "DATA", block: 1, data: Buffer.alloc(600) }), code: 4, message: "DATA 1 has 600 bytes, more than blksize 512" },
  ])("$title: ERROR $code to the server, and a failed result", async ({ raw, code, message }) => {
    const s = await fake({ files: { f: FILE }, rawFirstAnswer: raw });
    const r = await get(s);
    expect(r).toMatchObject({ ok: false, serverTid: only(s).tid, error: { code, message, from: "client" } });
    await eventually(() => expect(only(s).received).toEqual([{ type: "ERROR", code, message }]));
  });
});

function encodeRaw(latin1: string): Buffer {
  return Buffer.from(latin1, "latin1");
}

describe("tftpGet without answers", () => {
  it("no answer at all: the RRQ is sent retries + 1 times, then ProbeTimeoutError", async () => {
    const s = await fake({ silent: true });
    const transcript = new Transcript();
    const result = get(s, { timeoutMs: 30, retries: 2, transcript }).catch((e: unknown) => e);
    for (const sent of [1, 2, 3]) {
      await eventually(() => expect(s.requests).toHaveLength(sent));
      await clock.advance(30);
    }
    const error = await result;
    expect(error).toBeInstanceOf(ProbeTimeoutError);
    expect((error as Error).message).toBe(`TFTP probe got no answer from 127.0.0.1:${s.port} to RRQ "f" (sent 3 times) within 30 ms`);
    expect(s.requests).toHaveLength(3);
    expect(partialResultOf(error)).toMatchObject({ ok: false, serverTid: undefined, timeouts: 3, retransmissions: 2, blocks: 0 });
    expect(lines(transcript).slice(0, -1)).toEqual([
      'C: RRQ "f" octet',
      '* no answer within 30 ms; retransmitting RRQ "f" (retry 1 of 2)',
      '* no answer within 30 ms; retransmitting RRQ "f" (retry 2 of 2)',
      '* no answer within 30 ms to RRQ "f"; giving up after 3 attempts',
    ]);
    expect(lines(transcript).at(-1)).toMatch(/^\* transfer incomplete \(no answer\): 0 bytes in 0 blocks/);
  });

  it("a server that stops answering mid-transfer: the error names the last ACK and the TID", async () => {
    const s = await fake({ files: { f: FILE }, dropOutgoing: (p) => p.type === "DATA" && p.block >= 3 });
    const result = get(s, { timeoutMs: 20, retries: 1 }).catch((e: unknown) => e);
    await eventually(() => expect(heard(only(s))).toEqual(["ACK 1", "ACK 2"]));
    await clock.advance(20);
    await eventually(() => expect(heard(only(s))).toEqual(["ACK 1", "ACK 2", "ACK 2"]));
    await clock.advance(20);
    const error = await result;
    expect((error as Error).message).toBe(`TFTP probe got no answer from 127.0.0.1:${only(s).tid} to ACK 2 of RRQ "f" (sent 2 times) within 20 ms`);
    expect(partialResultOf(error)).toMatchObject({ ok: false, blocks: 2, bytes: 1024, timeouts: 2, retransmissions: 1 });
    expect(heard(only(s))).toEqual(["ACK 1", "ACK 2", "ACK 2"]);
  });

  it("an abort rejects with the signal's reason and stops retransmitting", async () => {
    const s = await fake({ silent: true });
    const controller = new AbortController();
    const result = get(s, { timeoutMs: 10, retries: 100, signal: controller.signal });
    await eventually(() => expect(s.requests).toHaveLength(1));
    await clock.advance(10);
    await eventually(() => expect(s.requests).toHaveLength(2));
    controller.abort(new Error("step cancelled"));
    await expect(result).rejects.toThrow("step cancelled");
    // No timer is left to retransmit with, however long the clock runs.
    expect(clock.pending()).toEqual([]);
    await clock.advance(10_000);
    expect(await requestsSoFar(s)).toEqual(["f", "f"]);
  });

  it("an already aborted signal sends nothing", async () => {
    const s = await fake({ silent: true });
    await expect(get(s, { signal: AbortSignal.abort(new Error("too late")) })).rejects.toThrow("too late");
    expect(await requestsSoFar(s)).toEqual([]);
  });
});

describe("tftpGet and tftpPut check their options", () => {
  it.each([
    { title: "a host name", options: { host: "tftp.lab" }, problem: 'host "tftp.lab" is not an IPv4 address' },
    { title: "an IPv6 address", options: { host: "::1" }, problem: 'host "::1" is not an IPv4 address' },
    { title: "port 0", options: { port: 0 }, problem: "port 0 is not between 1 and 65535" },
    { title: "an empty filename", options: { filename: "" }, problem: "filename is empty" },
    { title: "a NUL in the filename", options: { filename: "a\0b" }, problem: "filename must not contain NUL" },
    { title: "mode mail", options: { mode: "mail" as "octet" }, problem: 'mode "mail" is not one of octet, netascii' },
    { title: "blksize 7", options: { blksize: 7 }, problem: "blksize 7 is not a whole number between 8 and 65464" },
    { title: "blksize 65465", options: { blksize: 65465 }, problem: "blksize 65465 is not a whole number between 8 and 65464" },
    { title: "timeout 0", options: { timeout: 0 }, problem: "timeout 0 is not a whole number of seconds between 1 and 255" },
    { title: "timeout 256", options: { timeout: 256 }, problem: "timeout 256 is not a whole number of seconds between 1 and 255" },
    { title: "timeoutMs 0", options: { timeoutMs: 0 }, problem: "timeoutMs 0 is not positive" },
    { title: "retries -1", options: { retries: -1 }, problem: "retries -1 is not a whole number >= 0" },
  ])("$title", async ({ options, problem }) => {
    const error = await tftpGet({ host: "127.0.0.1", filename: "f", ...options }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toBe(`TFTP get is invalid: ${problem}`);
  });

  it("put needs a Buffer", async () => {
    await expect(tftpPut({ host: "127.0.0.1", filename: "f", data: "text" as unknown as Buffer })).rejects.toThrow("TFTP put is invalid: put needs data (a Buffer)");
  });
});

describe("tftpPut", () => {
  it("writes a file without options: ACK 0, then DATA until a short one", async () => {
    const s = await fake();
    const transcript = new Transcript();
    const r = await put(s, { filename: "up.bin", data: FILE, transcript });
    expect(r).toEqual({
      ok: true,
      filename: "up.bin",
      mode: "octet",
      server: `127.0.0.1:${s.port}`,
      serverTid: only(s).tid,
      requestedOptions: {},
      oack: null,
      blksize: 512,
      bytes: 1100,
      wireBytes: 1100,
      sha256: sha256(FILE),
      blocks: 3,
      rollovers: 0,
      retransmissions: 0,
      timeouts: 0,
      duplicates: 0,
      strayPackets: 0,
      durationMs: expect.any(Number),
    });
    expect(s.files.get("up.bin")?.equals(FILE)).toBe(true);
    expect(heard(only(s))).toEqual(["DATA 1 (512 bytes)", "DATA 2 (512 bytes)", "DATA 3 (76 bytes)"]);
    expect(lines(transcript).slice(0, -1)).toEqual([
      'C: WRQ "up.bin" octet',
      "S: ACK 0",
      "C: DATA 1 (512 bytes)",
      "S: ACK 1",
      "C: DATA 2 (512 bytes)",
      "S: ACK 2",
      "C: DATA 3 (76 bytes)",
      "S: ACK 3",
    ]);
    expect(lines(transcript).at(-1)).toMatch(/^\* transfer complete: 1100 of 1100 bytes acknowledged in 3 blocks of up to 512, 0 rollovers, 0 retransmissions, [\d.]+ ms$/);
  });

  it("negotiates blksize and announces tsize", async () => {
    const data = generateContent(5000, 9);
    const s = await fake({ maxBlksize: 2048 });
    const r = await put(s, { data, blksize: 4096, tsize: true });
    expect(r).toMatchObject({ ok: true, requestedOptions: { blksize: "4096", tsize: "5000" }, oack: { blksize: "2048", tsize: "5000" }, blksize: 2048, tsize: 5000, blocks: 3 });
    expect(only(s).request.options).toEqual({ blksize: "4096", tsize: "5000" });
    expect(s.files.get("f")?.equals(data)).toBe(true);
  });

  it("a size that is a multiple of the block size ends with an empty DATA", async () => {
    const data = generateContent(1024, 10);
    const s = await fake();
    const r = await put(s, { data });
    expect(r).toMatchObject({ ok: true, blocks: 3, bytes: 1024 });
    expect(heard(only(s))).toEqual(["DATA 1 (512 bytes)", "DATA 2 (512 bytes)", "DATA 3 (0 bytes)"]);
    expect(s.files.get("f")?.equals(data)).toBe(true);
  });

  it("duplicate ACKs re-send nothing (no sorcerer's apprentice)", async () => {
    const data = generateContent(2000, 11); // 4 blocks
    const s = await fake({ duplicateOutgoing: (p) => p.type === "ACK" });
    const transcript = new Transcript();
    const r = await put(s, { data, transcript });
    // ACK 0..3 arrive twice during the transfer; the second ACK 4 comes after it ended.
    expect(r).toMatchObject({ ok: true, blocks: 4, duplicates: 4, retransmissions: 0, sha256: sha256(data) });
    expect(heard(only(s))).toEqual(["DATA 1 (512 bytes)", "DATA 2 (512 bytes)", "DATA 3 (512 bytes)", "DATA 4 (464 bytes)"]);
    expect(lines(transcript)).toContain("* duplicate ACK 1; DATA 2 not re-sent (only a timeout re-sends)");
  });

  it("a lost ACK: the DATA is re-sent after the timeout, the server ACKs its duplicate", async () => {
    const data = generateContent(1500, 12);
    const s = await fake({ dropOutgoing: firstTime(isAck(2)) });
    const result = put(s, { data, timeoutMs: 50 });
    await dropped(s, { type: "ACK", block: 2 });
    expect(clock.pending()).toEqual([50]);
    await clock.advance(50);
    const r = await result;
    expect(r).toMatchObject({ ok: true, blocks: 3, retransmissions: 1, timeouts: 1, duplicates: 0 });
    expect(heard(only(s))).toEqual(["DATA 1 (512 bytes)", "DATA 2 (512 bytes)", "DATA 2 (512 bytes)", "DATA 3 (476 bytes)"]);
    expect(s.files.get("f")?.equals(data)).toBe(true);
  });

  it("a server that stops ACKing: the DATA is sent retries + 1 times, then ProbeTimeoutError", async () => {
    const s = await fake({ dropOutgoing: (p) => p.type === "ACK" && p.block >= 2 });
    const result = put(s, { data: generateContent(3000, 13), timeoutMs: 20, retries: 3 }).catch((e: unknown) => e);
    const dataTwo = () => heard(only(s)).filter((p) => p.startsWith("DATA 2 ")).length;
    for (const sent of [1, 2, 3, 4]) {
      await eventually(() => expect(dataTwo()).toBe(sent));
      await clock.advance(20);
    }
    const error = await result;
    expect((error as Error).message).toBe(`TFTP probe got no answer from 127.0.0.1:${only(s).tid} to DATA 2 of WRQ "f" (sent 4 times) within 20 ms`);
    expect(heard(only(s)).filter((p) => p.startsWith("DATA 2 "))).toHaveLength(4);
    expect(partialResultOf(error)).toMatchObject({ ok: false, blocks: 1, wireBytes: 512, retransmissions: 3, timeouts: 4 });
  });

  it("a stray ACK from a foreign port gets ERROR 5 and changes nothing", async () => {
    const data = generateContent(2000, 14);
    const s = await fake({ stray: { block: 1 } });
    const r = await put(s, { data });
    expect(r).toMatchObject({ ok: true, strayPackets: 1, duplicates: 0, blocks: 4 });
    await eventually(() => expect(only(s).strayReplies).toEqual([{ type: "ERROR", code: 5, message: "Unknown transfer ID" }]));
    expect(heard(only(s)).filter((p) => p.startsWith("DATA"))).toHaveLength(4);
  });

  it.each([
    { code: 2, message: "Permission denied", name: "Access violation" },
    { code: 3, message: "No space left on device", name: "Disk full or allocation exceeded" },
    { code: 6, message: "File exists", name: "File already exists" },
  ])("ERROR $code to the WRQ is a result", async ({ code, message, name }) => {
    const s = await fake({ refuse: () => ({ code, message }) });
    const r = await put(s, { data: FILE });
    expect(r).toMatchObject({ ok: false, blocks: 0, wireBytes: 0, error: { code, name, message, from: "server" } });
    expect(s.files.has("f")).toBe(false);
  });

  it("an OACK with another tsize than announced is refused with ERROR 8", async () => {
    const s = await fake({ oack: (o) => ({ ...o, tsize: "1" }) });
    const r = await put(s, { data: FILE, tsize: true });
    expect(r).toMatchObject({ ok: false, error: { code: 8, message: "tsize=1 differs from the 1100 requested", from: "client" } });
    await eventually(() => expect(heard(only(s))).toEqual(['ERROR 8 Option negotiation refused "tsize=1 differs from the 1100 requested"']));
  });
});

describe("netascii round trip", () => {
  it("put encodes CR LF and CR NUL across block boundaries; get gives the same text back", async () => {
    const text = "a".repeat(511) + "\n" + "b".repeat(510) + "\r" + "tail\r\n";
    const s = await fake();
    const p = await put(s, { filename: "notes.txt", mode: "netascii", data: Buffer.from(text, "latin1"), tsize: true });
    expect(p).toMatchObject({ ok: true, bytes: text.length, wireBytes: text.length + 4, tsize: text.length + 4, sha256: sha256(text), blocks: 3 });
    const data = only(s).received.filter((x): x is Extract<TftpPacket, { type: "DATA" }> => x.type === "DATA").map((x) => x.data);
    expect([data[0]!.at(-1), data[1]![0], data[1]!.at(-1), data[2]![0]]).toEqual([0x0d, 0x0a, 0x0d, 0x00]);
    expect(s.files.get("notes.txt")?.toString("latin1")).toBe(text);
    const g = await get(s, { filename: "notes.txt", mode: "netascii" });
    expect(g).toMatchObject({ ok: true, bytes: text.length, sha256: sha256(text) });
    expect(g.data?.toString("latin1")).toBe(text);
  });
});

describe("block-number rollover", () => {
  // 65536 blocks of 512 and 1000 bytes more: 65538 blocks, numbered 1..65535, 0, 1, 2.
  const BIG = generateContent(65536 * 512 + 1000, 15);

  it("a get of 33.6 MB at blksize 512 follows the wrap to 0", { timeout: 90_000 }, async () => {
    const s = await fake({ files: { big: BIG } });
    const transcript = new Transcript();
    const r = await get(s, { filename: "big", transcript });
    expect(r).toMatchObject({ ok: true, blocks: 65538, rollovers: 1, bytes: BIG.length, sha256: sha256(BIG), retransmissions: 0, duplicates: 0 });
    expect(r.data?.equals(BIG)).toBe(true);
    expect(lines(transcript)).toContain("* block number rolled over from 65535 to 0 (block 65536 of the transfer)");
    expect(lines(transcript).length).toBeLessThan(30);
  });

  it("a get from a server that wraps to 1", { timeout: 90_000 }, async () => {
    const file = generateContent(65536 * 8 + 3, 16); // 65537 blocks of 8 bytes: 1..65535, 1, 2
    const s = await fake({ files: { f: file }, rolloverTo: 1 });
    const r = await get(s, { blksize: 8 });
    expect(r).toMatchObject({ ok: true, blocks: 65537, rollovers: 1, sha256: sha256(file) });
    expect(only(s).sent.at(-1)?.packet).toMatchObject({ type: "DATA", block: 2 });
  });

  it("a put of 65537 blocks wraps to 0", { timeout: 90_000 }, async () => {
    const data = generateContent(65536 * 8, 17); // 65536 full blocks and an empty one: ..., 65535, 0, 1
    const s = await fake();
    const r = await put(s, { data, blksize: 8 });
    expect(r).toMatchObject({ ok: true, blocks: 65537, rollovers: 1, sha256: sha256(data) });
    expect(s.files.get("f")?.equals(data)).toBe(true);
    expect(only(s).received.at(-1)).toEqual({ type: "DATA", block: 1, data: Buffer.alloc(0) });
  });
});
