import { createHash } from "node:crypto";
import { once } from "node:events";
import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { systemClock } from "../../common/clock.ts";
import { InvalidInputError } from "../../common/errors.ts";
import { eventually, OUTLASTS_STALLS_MS, PATIENT_TIMEOUT_MS } from "../../common/testing/timing.ts";
import type { DockerAdapter } from "../../docker/docker-adapter.ts";
import { Topology, type ServiceSpec } from "../../lab/topology.ts";
import type { ProbeContext } from "../probe.ts";
import { formatTranscript } from "../transcript.ts";
import { generatedBytes, generatedSha256 } from "./content.ts";
import { FAKE_MDTM, type FakeFtpOptions, type FakeFtpServer, startFakeFtpServer } from "./fake-ftp-server.ts";
import { type FtpProbeParams, ftpProbe } from "./ftp-probe.ts";

const service = (name: string, ipv4: string, hostnames: string[] = []): ServiceSpec => ({
  name, role: "ftp", hostnames, description: "", networks: [{ network: "lab", ipv4 }],
});
// The FTP server lives on 127.0.0.1 here; the lab's is vsftpd at 10.0.0.42.
const topology = new Topology("l7lab", [
  service("ftp", "127.0.0.1", ["localhost"]),
  service("ftp-lab", "10.0.0.42", ["ftp.crepes.fr"]),
  service("outside", "198.51.100.21"),
], [{ name: "lab", subnet: "10.0.0.0/24", internal: true, private: false, description: "" }]);

function context(signal = new AbortController().signal): ProbeContext {
  return { signal, clock: systemClock, topology, docker: {} as DockerAdapter, stepStartedAt: () => undefined };
}

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");
const HELLO = "Hello, FTP!\r\nSecond line.\r\n";
const BIG = generatedBytes(200_000, 42);
const FILES = { "/pub/hello.txt": HELLO, "/pub/big.bin": BIG, "/pub/empty.txt": "" };

const servers: FakeFtpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
async function fake(options: FakeFtpOptions = {}): Promise<FakeFtpServer> {
  const s = await startFakeFtpServer({ files: FILES, dirs: ["/incoming"], ...options });
  servers.push(s);
  return s;
}

async function run(params: Omit<FtpProbeParams, "server"> & Partial<FtpProbeParams>, ctx = context()) {
  const out = await ftpProbe.run({ server: "ftp", timeoutMs: PATIENT_TIMEOUT_MS, ...params }, ctx);
  expect(() => JSON.stringify(out)).not.toThrow();
  return out;
}
const bob = { user: "bob", pass: "secret" };
/** The commands the server heard after logging in and SYST/FEAT. */
const afterLogin = (s: FakeFtpServer) => s.commands.slice(4);

describe("ftpProbe", () => {
  it("is named ftp", () => {
    expect(ftpProbe.name).toBe("ftp");
  });

  it("logs in anonymously by default: 331 then 230, SYST, FEAT, QUIT; the password is masked", async () => {
    const s = await fake();
    const out = await run({ port: s.port });
    expect(out.ok).toBe(true);
    expect(out.error).toBeUndefined();
    expect(out.data).toEqual({
      server: "127.0.0.1",
      port: s.port,
      greeting: { code: 220, text: "(vsFTPd 3.0.3)" },
      login: { ok: true, user: "anonymous", codes: [331, 230], text: "Login successful." },
      loggedIn: true,
      system: "UNIX Type: L8",
      features: ["EPRT", "EPSV", "MDTM", "PASV", "REST STREAM", "SIZE", "TVFS"],
      actions: [],
      quit: { code: 221, text: "Goodbye." },
    });
    expect(s.commands).toEqual(["USER anonymous", "PASS l7lab@", "SYST", "FEAT", "QUIT"]);
    const text = formatTranscript(out.transcript);
    expect(text).toContain(["S: 220 (vsFTPd 3.0.3)", "C: USER anonymous", "S: 331 Please specify the password.", "C: PASS ****", "S: 230 Login successful."].join("\n"));
    expect(text).toContain(["C: FEAT", "S: 211-Features:", "S:  EPRT"].join("\n"));
    expect(text).toMatch(/C: QUIT\nS: 221 Goodbye\.$/);
    expect(text).not.toContain("l7lab@");
  });

  it("a named user: the password never reaches the transcript", async () => {
    const s = await fake();
    const out = await run({ port: s.port, ...bob });
    expect(out.data.login).toEqual({ ok: true, user: "bob", codes: [331, 230], text: "Login successful." });
    expect(s.commands.slice(0, 2)).toEqual(["USER bob", "PASS secret"]);
    expect(formatTranscript(out.transcript)).toContain("C: PASS ****");
    expect(formatTranscript(out.transcript)).not.toContain("secret");
  });

  it("a wrong password is a result: 530, no actions, still QUIT", async () => {
    const s = await fake();
    const out = await run({ port: s.port, user: "bob", pass: "wrong", actions: [{ pwd: true }] });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ loggedIn: false, login: { ok: false, user: "bob", codes: [331, 530], text: "Login incorrect." }, actions: [], quit: { code: 221 } });
    expect(out.data.system).toBeUndefined();
    expect(s.commands).toEqual(["USER bob", "PASS wrong", "QUIT"]);
  });

  it("directory commands, TYPE/MODE/STRU, SIZE and MDTM: each reply recorded", async () => {
    const s = await fake();
    const out = await run({
      port: s.port,
      ...bob,
      actions: [
        { pwd: true }, { mkd: "new" }, { cwd: "new" }, { pwd: true }, { cdup: true }, { cwd: "missing" }, { rmd: "new" },
        { type: "I" }, { type: "A" }, { mode: "S" }, { stru: "F" }, { size: "/pub/hello.txt" }, { mdtm: "pub/hello.txt" }, { size: "nope" },
      ],
    });
    expect(out.ok).toBe(true);
    expect(out.data.actions.map(({ action, command, code, ok }) => [action, command, code, ok])).toEqual([
      ["pwd", "PWD", 257, true],
      ["mkd", "MKD new", 257, true],
      ["cwd", "CWD new", 250, true],
      ["pwd", "PWD", 257, true],
      ["cdup", "CDUP", 250, true],
      ["cwd", "CWD missing", 550, false],
      ["rmd", "RMD new", 250, true],
      ["type", "TYPE I", 200, true],
      ["type", "TYPE A", 200, true],
      ["mode", "MODE S", 200, true],
      ["stru", "STRU F", 200, true],
      ["size", "SIZE /pub/hello.txt", 213, true],
      ["mdtm", "MDTM pub/hello.txt", 213, true],
      ["size", "SIZE nope", 550, false],
    ]);
    const [pwd1, mkd, , pwd2] = out.data.actions;
    expect(pwd1).toMatchObject({ path: "/", text: '"/" is the current directory' });
    expect(mkd).toMatchObject({ path: "/new" });
    expect(pwd2).toMatchObject({ path: "/new" });
    expect(out.data.actions[5]?.text).toBe("Failed to change directory.");
    expect(out.data.actions[11]?.size).toBe(Buffer.byteLength(HELLO));
    expect(out.data.actions[12]?.modified).toBe("2024-03-15T12:00:00.000Z");
    expect(FAKE_MDTM).toBe("20240315120000");
    expect(out.data.actions[13]).toEqual({ action: "size", command: "SIZE nope", code: 550, text: "Could not get file size.", ok: false });
    expect(s.dirs.has("/new")).toBe(false);
  });

  it("passive (EPSV by default): STOR then RETR, equal SHA-256", async () => {
    const s = await fake();
    const content = "Crêpes au sucre\n".repeat(100);
    const out = await run({ port: s.port, ...bob, actions: [{ put: "/incoming/crepes.txt", content }, { get: "/incoming/crepes.txt" }] });
    expect(out.ok).toBe(true);
    const [put, get] = out.data.actions;
    const expected = { bytes: Buffer.byteLength(content), sha256: sha256(content), dataMode: "passive", dataCommand: "EPSV" };
    expect(put).toMatchObject({ action: "put", command: "STOR /incoming/crepes.txt", code: 226, text: "Transfer complete.", ok: true, ...expected, dataReply: { code: 229 } });
    expect(get).toMatchObject({ action: "get", command: "RETR /incoming/crepes.txt", code: 226, ok: true, ...expected });
    expect(get?.durationMs).toBeGreaterThanOrEqual(0);
    expect(get?.dataPeer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(s.files.get("/incoming/crepes.txt")?.toString("utf8")).toBe(content);
    expect(afterLogin(s)).toEqual(["EPSV", "STOR /incoming/crepes.txt", "EPSV", "RETR /incoming/crepes.txt", "QUIT"]);
    expect(s.dataConnections.map((d) => d.mode)).toEqual(["passive", "passive"]);
    expect(formatTranscript(out.transcript)).toMatch(
      /C: EPSV\nS: 229 Entering Extended Passive Mode \(\|\|\|\d+\|\)\n\* data connection \(passive\) to 127\.0\.0\.1:\d+\nC: STOR \/incoming\/crepes\.txt\nS: 150 Ok to send data\.\n(\* .*\n)?S: 226 Transfer complete\./,
    );
  });

  it("passive with PASV forced: generated content, equal SHA-256", async () => {
    const s = await fake();
    const out = await run({ port: s.port, ...bob, passiveCommand: "PASV", actions: [{ put: "/incoming/gen.bin", size: 100_000, seed: 7 }, { get: "/incoming/gen.bin" }] });
    const sha = generatedSha256(100_000, 7);
    expect(out.data.actions.map((a) => [a.code, a.bytes, a.sha256, a.dataCommand, a.dataReply?.code])).toEqual([
      [226, 100_000, sha, "PASV", 227],
      [226, 100_000, sha, "PASV", 227],
    ]);
    expect(sha256(s.files.get("/incoming/gen.bin")!)).toBe(sha);
    expect(afterLogin(s).filter((c) => /^(EPSV|PASV)/.test(c))).toEqual(["PASV", "PASV"]);
  });

  it("EPSV refused: PASV instead, and from then on", async () => {
    const s = await fake({ refuse: ["EPSV"] });
    const out = await run({ port: s.port, actions: [{ get: "/pub/hello.txt" }, { get: "/pub/hello.txt" }] });
    expect(out.data.actions.map((a) => [a.code, a.dataCommand, a.sha256])).toEqual([
      [226, "PASV", sha256(HELLO)],
      [226, "PASV", sha256(HELLO)],
    ]);
    expect(afterLogin(s)).toEqual(["EPSV", "PASV", "RETR /pub/hello.txt", "PASV", "RETR /pub/hello.txt", "QUIT"]);
  });

  it("a PASV reply naming another host: the probe connects to the server it talks to, and says so", async () => {
    const s = await fake({ pasvAddress: "10.9.8.7" });
    const out = await run({ port: s.port, passiveCommand: "PASV", actions: [{ get: "/pub/hello.txt" }] });
    expect(out.data.actions[0]).toMatchObject({ code: 226, sha256: sha256(HELLO) });
    expect(out.transcript.map((l) => l.text)).toContain("PASV named 10.9.8.7; connecting to the control connection's address 127.0.0.1 instead");
  });

  it.each([
    { title: "PORT, the server connecting before 150 (as vsftpd)", activeCommand: "PORT" as const, after150: false, sent: /^PORT 127,0,0,1,\d+,\d+$/ },
    { title: "EPRT, the server connecting before 150", activeCommand: "EPRT" as const, after150: false, sent: /^EPRT \|1\|127\.0\.0\.1\|\d+\|$/ },
    { title: "PORT, the server connecting after 150", activeCommand: "PORT" as const, after150: true, sent: /^PORT 127,0,0,1,\d+,\d+$/ },
    { title: "EPRT, the server connecting after 150", activeCommand: "EPRT" as const, after150: true, sent: /^EPRT \|1\|127\.0\.0\.1\|\d+\|$/ },
  ])("active mode with $title: STOR then RETR, equal SHA-256", async ({ activeCommand, after150, sent }) => {
    const s = await fake({ activeConnectAfter150: after150 });
    const out = await run({ port: s.port, ...bob, dataMode: "active", activeCommand, actions: [{ put: "/incoming/a.bin", size: 300_000, seed: 3 }, { get: "/incoming/a.bin" }, { list: "/incoming" }] });
    expect(out.ok).toBe(true);
    const sha = generatedSha256(300_000, 3);
    const [put, get, list] = out.data.actions;
    expect(put).toMatchObject({ code: 226, ok: true, bytes: 300_000, sha256: sha, dataMode: "active", dataCommand: activeCommand, dataReply: { code: 200 } });
    expect(get).toMatchObject({ code: 226, ok: true, bytes: 300_000, sha256: sha, dataMode: "active", dataCommand: activeCommand });
    expect(list).toMatchObject({ code: 226, names: ["a.bin"] });
    expect(get?.dataPeer).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(s.dataConnections.map((d) => d.mode)).toEqual(["active", "active", "active"]);
    const dataCommands = afterLogin(s).filter((c) => /^(PORT|EPRT|EPSV|PASV)/.test(c));
    expect(dataCommands).toHaveLength(3);
    for (const c of dataCommands) expect(c).toMatch(sent);
    const text = formatTranscript(out.transcript);
    const reply200 = activeCommand === "PORT" ? "200 PORT command successful. Consider using PASV." : "200 EPRT command successful. Consider using EPSV.";
    expect(text).toMatch(new RegExp(`C: ${activeCommand} \\S+\\nS: ${reply200.replace(/\./g, "\\.")}\\nC: RETR /incoming/a\\.bin\\n(\\* .*\\n)?S: 150 Opening BINARY mode data connection for a\\.bin \\(300000 bytes\\)\\.\\n(\\* .*\\n)*S: 226 Transfer complete\\.`));
  });

  it("LIST and NLST: the lines and the names", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ list: true }, { cwd: "pub" }, { list: true }, { nlst: true }, { nlst: "/nowhere" }] });
    const [root, , pub, nlst, nowhere] = out.data.actions;
    expect(root).toMatchObject({ action: "list", command: "LIST", code: 226, names: ["incoming", "pub"] });
    expect(root?.lines?.[0]).toMatch(/^drwxr-xr-x +2 1000 +1000 +4096 Mar 15 12:00 incoming$/);
    expect(pub).toMatchObject({ names: ["big.bin", "empty.txt", "hello.txt"], text: "Directory send OK." });
    expect(pub?.lines).toHaveLength(3);
    expect(nlst).toMatchObject({ action: "nlst", command: "NLST", code: 226, lines: ["big.bin", "empty.txt", "hello.txt"], names: ["big.bin", "empty.txt", "hello.txt"] });
    expect(nowhere).toMatchObject({ command: "NLST /nowhere", code: 226, lines: [], names: [], bytes: 0 });
  });

  it("an empty file: 0 octets, the SHA-256 of nothing", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ get: "/pub/empty.txt" }] });
    expect(out.data.actions[0]).toMatchObject({ code: 226, ok: true, bytes: 0, sha256: sha256("") });
  });

  it("RETR with an offset: REST first, then the rest of the file", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ get: "/pub/big.bin", offset: 150_000 }, { get: "/pub/big.bin", offset: 0 }] });
    const [rest, whole] = out.data.actions;
    expect(rest).toMatchObject({ code: 226, ok: true, offset: 150_000, rest: { code: 350, text: "Restart position accepted (150000)." }, bytes: 50_000, sha256: sha256(BIG.subarray(150_000)) });
    expect(whole).toMatchObject({ code: 226, offset: 0, rest: { code: 350 }, bytes: BIG.length, sha256: sha256(BIG) });
    expect(afterLogin(s)).toEqual(["EPSV", "REST 150000", "RETR /pub/big.bin", "EPSV", "REST 0", "RETR /pub/big.bin", "QUIT"]);
  });

  it("a resumed download (closing the data connection): the two parts make the whole file", async () => {
    const s = await fake({ dataChunkSize: 8192, dataChunkDelayMs: 2 });
    const out = await run({ port: s.port, actions: [{ get: "/pub/big.bin" }, { resume: "/pub/big.bin", splitAt: 50_000 }] });
    expect(out.ok).toBe(true);
    const [get, resume] = out.data.actions;
    expect(get?.sha256).toBe(sha256(BIG));
    expect(resume).toMatchObject({
      action: "resume",
      command: "RETR /pub/big.bin",
      code: 226,
      ok: true,
      splitAt: 50_000,
      offset: 50_000,
      bytes: BIG.length,
      sha256: sha256(BIG),
      rest: { code: 350 },
    });
    expect(resume?.parts).toHaveLength(2);
    expect(resume?.parts?.[0]).toMatchObject({ aborted: true, bytes: 50_000, sha256: sha256(BIG.subarray(0, 50_000)), code: 426, text: "Failure writing network stream." });
    expect(resume?.parts?.[0]?.abor).toBeUndefined();
    expect(resume?.parts?.[1]).toMatchObject({ rest: { code: 350 }, bytes: BIG.length - 50_000, sha256: sha256(BIG.subarray(50_000)), code: 226 });
    expect(afterLogin(s).slice(2)).toEqual(["EPSV", "RETR /pub/big.bin", "EPSV", "REST 50000", "RETR /pub/big.bin", "QUIT"]);
    expect(out.transcript.map((l) => l.text)).toContain("closed the data connection after 50000 octets");
  });

  it("a resumed download with ABOR, in active mode", async () => {
    const s = await fake({ dataChunkSize: 8192, dataChunkDelayMs: 2 });
    const out = await run({ port: s.port, dataMode: "active", actions: [{ resume: "/pub/big.bin", splitAt: 12_345, abort: "abor" }, { pwd: true }] });
    expect(out.ok).toBe(true);
    const [resume, pwd] = out.data.actions;
    expect(resume).toMatchObject({ code: 226, ok: true, bytes: BIG.length, sha256: sha256(BIG), dataMode: "active", dataCommand: "PORT" });
    expect(resume?.parts?.[0]).toMatchObject({ aborted: true, bytes: 12_345, code: 426 });
    expect([225, 226]).toContain(resume?.parts?.[0]?.abor?.code);
    expect(pwd).toMatchObject({ code: 257, path: "/" });
    expect(s.commands).toContain("ABOR");
    expect(formatTranscript(out.transcript)).toMatch(/C: ABOR\n(S: 426 Failure writing network stream\.\nS: 2(25|26) .*|S: 2(25|26) .*\nS: 426 Failure writing network stream\.)/);
  });

  it("a resume of a file shorter than splitAt: the first RETR is the whole file", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ resume: "/pub/hello.txt", splitAt: 10_000 }] });
    const resume = out.data.actions[0];
    expect(resume).toMatchObject({ code: 226, bytes: Buffer.byteLength(HELLO), sha256: sha256(HELLO), offset: Buffer.byteLength(HELLO) });
    expect(resume?.parts?.map((p) => [p.aborted, p.code, p.bytes])).toEqual([
      [false, 226, Buffer.byteLength(HELLO)],
      [undefined, 226, 0],
    ]);
  });

  it.each(["passive", "active"] as const)("anonymous writes are refused (553, 550) and the session goes on (%s)", async (dataMode) => {
    const s = await fake();
    const out = await run({ port: s.port, dataMode, actions: [{ put: "/incoming/x.txt", content: "x" }, { mkd: "/incoming/d" }, { dele: "/pub/hello.txt" }, { get: "/pub/hello.txt" }] });
    expect(out.ok).toBe(true);
    const [put, mkd, dele, get] = out.data.actions;
    expect(put).toMatchObject({ action: "put", code: 553, text: "Could not create file.", ok: false, dataMode, bytes: 0 });
    expect(put?.error).toBeUndefined();
    expect(mkd).toMatchObject({ code: 550, text: "Permission denied.", ok: false });
    expect(dele).toMatchObject({ code: 550, ok: false });
    expect(get).toMatchObject({ code: 226, ok: true, sha256: sha256(HELLO) });
    expect(s.files.has("/incoming/x.txt")).toBe(false);
    expect(s.commands.at(-1)).toBe("QUIT");
  });

  it("a missing file: 550, and the session goes on", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ get: "/pub/nothing.txt" }, { resume: "/pub/nothing.txt", splitAt: 5 }, { raw: "NOOP" }] });
    const [get, resume, noop] = out.data.actions;
    expect(get).toMatchObject({ action: "get", code: 550, text: "Failed to open file.", ok: false, bytes: 0, dataCommand: "EPSV" });
    expect(resume).toMatchObject({ action: "resume", code: 550, ok: false, splitAt: 5 });
    expect(resume?.parts).toHaveLength(1);
    expect(noop).toMatchObject({ action: "raw", command: "NOOP", code: 200 });
  });

  it("raw commands: any reply is recorded", async () => {
    const s = await fake();
    const out = await run({ port: s.port, actions: [{ raw: "XYZZY magic" }, { raw: " NOOP " }, { raw: "RETR /pub/hello.txt" }] });
    expect(out.data.actions).toEqual([
      { action: "raw", command: "XYZZY magic", code: 500, text: "Unknown command.", ok: false },
      { action: "raw", command: "NOOP", code: 200, text: "NOOP ok.", ok: true },
      { action: "raw", command: "RETR /pub/hello.txt", code: 425, text: "Use PORT or PASV first.", ok: false },
    ]);
  });

  it("a data connection that cannot be made is recorded in the action, and the session goes on", async () => {
    const s = await fake({ brokenPassive: true });
    const out = await run({ port: s.port, actions: [{ get: "/pub/hello.txt" }, { pwd: true }] });
    expect(out.ok).toBe(true);
    const [get, pwd] = out.data.actions;
    expect(get).toMatchObject({ action: "get", code: 229, ok: false, dataCommand: "EPSV" });
    expect(get?.error).toMatch(/^could not open the data connection to 127\.0\.0\.1:\d+: connect ECONNREFUSED/);
    expect(pwd).toMatchObject({ code: 257 });
    expect(afterLogin(s)).toEqual(["EPSV", "PWD", "QUIT"]);
  });

  it("a command that gets no answer: ok false with a timeout, and what came before", async () => {
    const s = await fake({ ignore: ["SIZE"] });
    const out = await run({ port: s.port, timeoutMs: OUTLASTS_STALLS_MS, actions: [{ pwd: true }, { size: "/pub/hello.txt" }, { pwd: true }] });
    expect(out.ok).toBe(false);
    expect(out.error).toEqual({ code: "PROBE_TIMEOUT", message: `FTP probe got no answer from 127.0.0.1:${s.port} to SIZE /pub/hello.txt within ${OUTLASTS_STALLS_MS} ms` });
    expect(out.data.loggedIn).toBe(true);
    expect(out.data.actions.map((a) => a.command)).toEqual(["PWD"]);
    expect(out.data.quit).toBeUndefined();
    expect(out.transcript.at(-1)?.text).toBe(`no answer to SIZE /pub/hello.txt within ${OUTLASTS_STALLS_MS} ms; closing the connection`);
    expect(formatTranscript(out.transcript)).not.toMatch(/C: QUIT/);
  });

  it("a data connection that goes quiet after 150: ok false with a timeout", async () => {
    const s = await fake({ stallData: true });
    const out = await run({ port: s.port, timeoutMs: OUTLASTS_STALLS_MS, actions: [{ get: "/pub/hello.txt" }] });
    expect(out.ok).toBe(false);
    expect(out.error).toEqual({ code: "PROBE_TIMEOUT", message: `FTP probe got no answer from 127.0.0.1:${s.port} to data on the data connection of RETR /pub/hello.txt within ${OUTLASTS_STALLS_MS} ms` });
    expect(out.transcript.at(-1)?.text).toBe(`no data on the data connection of RETR /pub/hello.txt within ${OUTLASTS_STALLS_MS} ms; closing the connection`);
    expect(out.data.actions).toEqual([]);
  });

  it("active mode, a server that says 150 and never connects: ok false with a timeout", async () => {
    const s = await fake({ neverConnect: true });
    const out = await run({ port: s.port, timeoutMs: OUTLASTS_STALLS_MS, dataMode: "active", actions: [{ get: "/pub/hello.txt" }] });
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_TIMEOUT");
    expect(out.error?.message).toMatch(new RegExp(`to the data connection of RETR /pub/hello\\.txt \\(the server did not connect to 127\\.0\\.0\\.1:\\d+\\) within ${OUTLASTS_STALLS_MS} ms$`));
    expect(out.transcript.at(-1)?.text).toMatch(new RegExp(`^the server did not connect to 127\\.0\\.0\\.1:\\d+ within ${OUTLASTS_STALLS_MS} ms; closing the connection$`));
  });

  it("a silent server: ok false, no answer to connecting and the greeting", async () => {
    const s = await fake({ silent: true });
    const out = await run({ port: s.port, timeoutMs: 100 });
    expect(out.ok).toBe(false);
    expect(out.error).toEqual({ code: "PROBE_TIMEOUT", message: `FTP probe got no answer from 127.0.0.1:${s.port} to connecting and the greeting within 100 ms` });
    expect(out.data).toMatchObject({ loggedIn: false, login: { ok: false, codes: [], text: "not attempted" } });
    expect(out.data.greeting).toBeUndefined();
  });

  it("a server that does not speak FTP: ok false", async () => {
    const s = await fake({ notFtp: true });
    const out = await run({ port: s.port });
    expect(out.ok).toBe(false);
    expect(out.error).toEqual({ code: "PROBE_NETWORK", message: `FTP probe could not talk to 127.0.0.1:${s.port}: the server does not speak FTP: it sent "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"` });
    expect(formatTranscript(out.transcript)).toContain('S: SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\n* not an FTP reply: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3"; closing the connection');
  });

  it("a 421 greeting is a result: nothing is sent", async () => {
    const s = await fake({ greeting: "421 There are too many connected users, please try later." });
    const out = await run({ port: s.port, actions: [{ pwd: true }] });
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({
      greeting: { code: 421, text: "There are too many connected users, please try later." },
      loggedIn: false,
      login: { ok: false, codes: [], text: "not attempted: the greeting was 421" },
      actions: [],
    });
    expect(s.commands).toEqual([]);
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
    expect(out.error?.message).toMatch(`FTP probe could not talk to 127.0.0.1:${port}: connect ECONNREFUSED`);
  });

  it("a server outside the lab throws InvalidInputError", async () => {
    await expect(run({ server: "outside" })).rejects.toBeInstanceOf(InvalidInputError);
  });

  it("inconsistent parameters throw InvalidInputError", async () => {
    await expect(run({ port: 1, actions: [{ raw: "PASV" }] })).rejects.toThrow('actions[0]: raw "PASV" would change the session under the probe');
  });

  it("stops when the signal aborts", async () => {
    const s = await fake({ silent: true });
    const controller = new AbortController();
    const running = run({ port: s.port, timeoutMs: PATIENT_TIMEOUT_MS }, context(controller.signal));
    // Connected, waiting for a greeting that never comes: only the abort can end it in time.
    await eventually(() => expect(s.connections).toBe(1));
    controller.abort(new Error("step cancelled"));
    await expect(running).rejects.toThrow("step cancelled");
  });
});

describe("ftpProbe.check", () => {
  const check = (params: Partial<FtpProbeParams>) => ftpProbe.check!({ server: "ftp-lab", ...params }, { topology, earlierStepIds: [] });
  it.each([
    { title: "a lab service", input: {}, expected: [] },
    { title: "a lab host name", input: { server: "ftp.crepes.fr" }, expected: [] },
    { title: "a lab address", input: { server: "10.0.0.42" }, expected: [] },
    { title: "an unknown name", input: { server: "ftp.example.com" }, expected: ['server "ftp.example.com" is not a lab service, a lab host name or an IP address'] },
    { title: "a service outside the lab", input: { server: "outside" }, expected: ['server "outside" (198.51.100.21) is not in the lab\'s networks (10.0.0.0/24); the probe asks only lab servers'] },
    { title: "a put with content and size", input: { actions: [{ put: "f", content: "x", size: 3 }] }, expected: ['actions[0]: put takes "content" or "size", not both'] },
  ])("$title", ({ input, expected }) => {
    expect(check(input)).toEqual(expected);
  });
});
