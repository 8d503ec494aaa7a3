import dgram from "node:dgram";
import { getEventListeners } from "node:events";
import net from "node:net";
import type { Packet } from "dns-packet";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidInputError, ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import { FakeClock } from "../../common/testing/fake-clock.ts";
import { eventually } from "../../common/testing/timing.ts";
import { formatTranscript, Transcript } from "../transcript.ts";
import { AA, type FakeDnsServer, type FakeHandler, RCODE, respond, rr, startFakeDnsServer, TC } from "./fake-dns-server.ts";
import { queryServer, type QueryServerOptions } from "./transport.ts";

/** The clock of the timeouts: it stands still unless a test moves it, so nothing times out by accident. */
let clock: FakeClock;
beforeEach(() => {
  clock = new FakeClock();
});
const servers: FakeDnsServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function fake(handler: FakeHandler, splitTcpWrites = false): Promise<FakeDnsServer> {
  const s = await startFakeDnsServer(handler, { splitTcpWrites });
  servers.push(s);
  return s;
}

const answerA = (q: Packet): Packet => respond(q, { flags: AA, answers: [rr("www.someschool.edu", "A", "198.51.100.7")] });

function ask(server: FakeDnsServer, extra: Partial<QueryServerOptions> = {}) {
  const transcript = new Transcript();
  const opts: QueryServerOptions = { server: "127.0.0.1", port: server.port, name: "www.someschool.edu", type: "A", id: 4711, timeoutMs: 150, retries: 0, transcript, clock, ...extra };
  return { transcript, result: queryServer(opts) };
}

describe("queryServer over UDP", () => {
  it("returns the summarised answer and writes the transcript", async () => {
    const s = await fake(answerA);
    const { transcript, result } = ask(s, { rd: false });
    const r = await result;
    expect(r).toMatchObject({
      server: "127.0.0.1", port: s.port, transport: "udp", id: 4711, rcode: "NOERROR",
      flags: { aa: true, tc: false, rd: false, ra: false }, question: { name: "www.someschool.edu.", type: "A" },
      answers: [{ name: "www.someschool.edu.", type: "A", class: "IN", ttl: 300, data: "198.51.100.7" }],
    });
    expect(r.rttMs).toBeGreaterThanOrEqual(0);
    expect(s.queries).toEqual([{ transport: "udp", id: 4711, name: "www.someschool.edu", type: "A", rd: false }]);
    expect(formatTranscript(transcript.lines).replace(/\(\d+(\.\d+)? ms/, "(T ms")).toBe(
      [
        "C: www.someschool.edu. A? rd=0 id=4711 (udp)",
        "S: NOERROR id=4711 flags: qr aa; answer 1, authority 0, additional 0 (T ms, udp)",
        "S: ;; ANSWER SECTION:",
        "S: www.someschool.edu. 300 IN A 198.51.100.7",
      ].join("\n"),
    );
    expect(transcript.lines.every((l) => l.peer === `127.0.0.1:${s.port}`)).toBe(true);
  });

  it("sets RD by default and returns NXDOMAIN as a result", async () => {
    const s = await fake((q) => respond(q, { flags: RCODE.NXDOMAIN }));
    const r = await ask(s, { id: undefined }).result;
    expect(r.rcode).toBe("NXDOMAIN");
    expect(r.flags.rd).toBe(true);
    expect(s.queries[0]?.rd).toBe(true);
    expect(s.queries[0]?.id).toBe(r.id);
  });

  it("retransmits with the same id when the first datagram is not answered", async () => {
    let n = 0;
    const s = await fake((q) => (++n === 1 ? undefined : answerA(q)));
    const { transcript, result } = ask(s, { timeoutMs: 150, retries: 2 });
    await eventually(() => expect(s.queries).toHaveLength(1));
    expect(clock.pending()).toEqual([150]);
    await clock.advance(150);
    const r = await result;
    expect(r.answers.map((a) => a.data)).toEqual(["198.51.100.7"]);
    expect(s.queries.map((q) => q.id)).toEqual([4711, 4711]);
    const text = formatTranscript(transcript.lines);
    expect(text).toContain("* no answer within 150 ms; retransmitting (attempt 2 of 3)");
    expect(transcript.lines.filter((l) => l.dir === "C")).toHaveLength(2);
  });

  it("gives up with ProbeTimeoutError after retries + 1 attempts", async () => {
    const s = await fake(() => undefined);
    const { transcript, result } = ask(s, { timeoutMs: 40, retries: 1 });
    const outcome = result.catch((e: unknown) => e);
    for (const sent of [1, 2]) {
      await eventually(() => expect(s.queries).toHaveLength(sent));
      await clock.advance(40);
    }
    expect(await outcome).toBeInstanceOf(ProbeTimeoutError);
    expect(s.queries).toHaveLength(2);
    expect(formatTranscript(transcript.lines)).toContain("* no answer within 40 ms after 2 attempt(s); giving up");
  });

  it("ignores a response with another id and takes the right one", async () => {
    const s = await fake((q) => [{ ...answerA(q), id: 999 }, answerA(q)]);
    const { transcript, result } = ask(s);
    const r = await result;
    expect(r.id).toBe(4711);
    expect(formatTranscript(transcript.lines)).toContain("* ignored a datagram that does not answer the query: id 999 instead of 4711");
  });

  it("ignores a response to another question", async () => {
    const s = await fake((q) => [
      { ...answerA(q), questions: [{ name: "evil.example", type: "A" }] },
      Buffer.from([1, 2, 3]),
      answerA(q),
    ]);
    const { transcript, result } = ask(s);
    expect((await result).answers).toHaveLength(1);
    const text = formatTranscript(transcript.lines);
    expect(text).toContain("question evil.example A instead of www.someschool.edu. A");
    expect(text).toContain("ignored an undecodable datagram of 3 bytes");
  });

  it("reports ICMP port unreachable on a closed UDP port as ProbeNetworkError, without waiting", async () => {
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((r) => socket.bind(0, "127.0.0.1", r));
    const port = socket.address().port;
    await new Promise<void>((r) => socket.close(() => r()));
    // The clock stands still: only the ICMP error can end the query.
    const err = await queryServer({ server: "127.0.0.1", port, name: "x.", type: "A", timeoutMs: 2000, retries: 0, clock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeNetworkError);
  });

  it("times out when only mismatching responses come", async () => {
    const s = await fake((q) => ({ ...answerA(q), id: 1 }));
    const { transcript, result } = ask(s, { timeoutMs: 50 });
    const outcome = result.catch((e: unknown) => e);
    await eventually(() => expect(formatTranscript(transcript.lines)).toContain("* ignored a datagram that does not answer the query: id 1 instead of 4711"));
    await clock.advance(50);
    expect(await outcome).toBeInstanceOf(ProbeTimeoutError);
  });
});

describe("queryServer over TCP", () => {
  const bigOverTcp: FakeHandler = (q, transport) =>
    transport === "udp"
      ? respond(q, { flags: AA | TC })
      : respond(q, { flags: AA, answers: Array.from({ length: 40 }, (_, i) => rr("www.someschool.edu", "A", `198.51.100.${i + 1}`)) });

  it("repeats a truncated UDP answer over TCP", async () => {
    const s = await fake(bigOverTcp);
    const { transcript, result } = ask(s);
    const r = await result;
    expect(r.transport).toBe("tcp");
    expect(r.flags.tc).toBe(false);
    expect(r.answers).toHaveLength(40);
    expect(s.queries.map((q) => [q.transport, q.id])).toEqual([["udp", 4711], ["tcp", 4711]]);
    const text = formatTranscript(transcript.lines);
    expect(text).toContain("* the UDP answer is truncated (TC=1); asking again over TCP");
    expect(text).toContain("C: www.someschool.edu. A? rd=1 id=4711 (tcp)");
  });

  it("reassembles a reply that arrives in pieces", async () => {
    const s = await fake(bigOverTcp, true);
    expect((await ask(s, { tcp: true }).result).answers).toHaveLength(40);
  });

  it("uses TCP only with tcp: true", async () => {
    const s = await fake(answerA);
    const r = await ask(s, { tcp: true }).result;
    expect(r.transport).toBe("tcp");
    expect(s.queries.map((q) => q.transport)).toEqual(["tcp"]);
  });

  it("times out over TCP when no reply comes", async () => {
    const s = await fake(() => undefined);
    const outcome = ask(s, { tcp: true, timeoutMs: 60 }).result.catch((e: unknown) => e);
    await eventually(() => expect(s.queries).toHaveLength(1));
    await clock.advance(60);
    expect(await outcome).toBeInstanceOf(ProbeTimeoutError);
  });

  it("reports a refused connection as ProbeNetworkError", async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const err = await queryServer({ server: "127.0.0.1", port, name: "x.", type: "A", tcp: true, timeoutMs: 500, clock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProbeNetworkError);
  });
});

describe("queryServer guards", () => {
  it("stops at once when aborted", async () => {
    const s = await fake(() => undefined);
    const controller = new AbortController();
    const { result } = ask(s, { timeoutMs: 5000, signal: controller.signal });
    await eventually(() => expect(s.queries).toHaveLength(1));
    // The clock stands still: only the abort can end the query.
    controller.abort(new Error("cancelled"));
    await expect(result).rejects.toThrow("cancelled");
    expect(clock.pending()).toEqual([]);
  });

  it("leaves no abort listener behind", async () => {
    const s = await fake(answerA);
    const controller = new AbortController();
    await ask(s, { signal: controller.signal }).result;
    await ask(s, { signal: controller.signal, tcp: true }).result;
    expect(getEventListeners(controller.signal, "abort")).toHaveLength(0);
  });

  it.each([
    { title: "a host name as server", input: { server: "dns.hamburger.edu" }, expected: 'server "dns.hamburger.edu" is not an IP address' },
    { title: "port 0", input: { server: "127.0.0.1", port: 0 }, expected: "port 0 is not between 1 and 65535" },
    { title: "negative retries", input: { server: "127.0.0.1", retries: -1 }, expected: "retries -1 is not a whole number >= 0" },
  ])("rejects $title", async ({ input, expected }) => {
    const err = await queryServer({ name: "x.", type: "A", ...input }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as Error).message).toContain(expected);
  });
});
