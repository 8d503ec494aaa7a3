/**
 * Packet capture, as a user takes and reads it: a run's pcapng (./l7lab run --pcap, the API's
 * capture option), decoded by tshark to show what each headline scenario did on the wire; the
 * live capture; bad capture requests; and no capture helper left behind, however a run ends.
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { validateXML } from "xmllint-wasm";
import { api, apiBase, apiToken, explain, repoRoot, sh, topology, type Run } from "./lab.ts";
import { ensureTools, tsharkFields } from "./tshark.ts";
import Docker from "dockerode";

const dir = mkdtempSync(join(tmpdir(), "l7lab-capture-"));

interface CapturedRun extends Run {
  capture?: { services: string[]; packets: number; bytes: number; limitBytes: number; truncated: boolean; pcap: boolean; errors: string[]; filter?: string };
}

async function captureHelpers(): Promise<string[]> {
  const list = await new Docker().listContainers({ all: true, filters: { label: [`l7lab.capture.project=${topology.project}`] } });
  return list.map((c) => c.Names[0] ?? c.Id);
}

/** Runs a scenario through the API with a capture and downloads its pcapng. */
async function captured(name: string, capture: unknown = true): Promise<{ run: CapturedRun; pcap: Buffer }> {
  const reply = await api<CapturedRun>("POST", `/scenarios/${name}/runs?wait=true`, { capture });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  const run = reply.body;
  expect(run.status, explain(run)).toBe("passed");
  expect(run.capture?.pcap, JSON.stringify(run.capture)).toBe(true);
  return { run, pcap: await download(run.id) };
}

async function download(id: string): Promise<Buffer> {
  const res = await fetch(`${apiBase}/runs/${id}/pcap`, { headers: { authorization: `Bearer ${apiToken()}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/x-pcapng");
  return Buffer.from(await res.arrayBuffer());
}

const column = (rows: string[][], i = 0) => rows.map((r) => r[i] ?? "");
const address = (role: string) => topology.addressOfRole(role);

beforeAll(() => ensureTools(), 900_000);

describe("a run's capture, decoded by tshark", () => {
  it("dns-resolution through the CLI (--pcap, --junit): referrals from the root and the TLD, and a valid JUnit report", async () => {
    const pcapFile = join(dir, "dns.pcapng");
    const junitFile = join(dir, "dns.xml");
    const cli = spawnSync("./l7lab", ["run", "dns-resolution", "--pcap", pcapFile, "--junit", junitFile], { cwd: repoRoot, encoding: "utf8", timeout: 170_000 });
    expect(cli.status, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(new RegExp(`wrote ${pcapFile}: \\d+ packets from .*dns-resolver`));
    const pcap = readFileSync(pcapFile);
    // Referrals: answers that are not authoritative, with no answer records and name servers in
    // the authority section, from the root and from the TLD's server.
    const referrals = tsharkFields(pcap, "dns.flags.response == 1 && dns.flags.authoritative == 0 && dns.count.answers == 0 && dns.count.auth_rr > 0", ["ip.src", "dns.qry.name", "frame.interface_name"]);
    expect(column(referrals)).toContain(address("dns-root"));
    expect(column(referrals)).toContain(address("dns-tld"));
    // The resolver's own namespace is one of the captured interfaces, named after it.
    expect(column(referrals, 2).some((n) => n.startsWith("dns-resolver/eth"))).toBe(true);
    // The JUnit report: valid against the schema, a test case per step.
    const xml = readFileSync(junitFile, "utf8");
    const result = await validateXML({ xml: [{ fileName: "dns.xml", contents: xml }], schema: [readFileSync(join(repoRoot, "test/fixtures/junit.xsd"), "utf8")] });
    expect(result.errors, result.rawOutput).toEqual([]);
    const run = (await api<Run[]>("GET", "/runs")).body.find((r) => r.scenario === "dns-resolution")!;
    expect((xml.match(/<testcase /g) ?? []).length).toBe(run.steps.length);
  });

  it("mail-alice-to-bob: SMTP EHLO and STARTTLS (submission and relay), POP3 and IMAP commands on the plaintext ports", async () => {
    const { pcap } = await captured("mail-alice-to-bob");
    const smtp = tsharkFields(pcap, "smtp.req", ["smtp.command_line", "frame.interface_name", "tcp.dstport"]);
    const lines = column(smtp).map((l) => l.replace(/\\r\\n$/, "").trim());
    expect(lines.some((l) => /^EHLO /.test(l))).toBe(true);
    expect(lines).toContain("STARTTLS");
    // Alice's MTA relays to the MX on port 25, and upgrades that hop too.
    expect(smtp.some((r) => r[1]!.startsWith("mail-crepes/") && r[2] === "25" && r[0]!.startsWith("STARTTLS"))).toBe(true);
    const pop = column(tsharkFields(pcap, "pop.request.command && tcp.dstport == 110", ["pop.request.command"]));
    expect(pop).toEqual(expect.arrayContaining(["CAPA", "STLS"]));
    const imap = column(tsharkFields(pcap, "imap.request && tcp.dstport == 143", ["imap.request.command"]));
    expect(imap.map((c) => c.toUpperCase())).toContain("STARTTLS");
  });

  it("ftp-transfer: PORT, EPRT, PASV and EPSV on the control connection, and data connections", async () => {
    const { pcap } = await captured("ftp-transfer");
    const commands = new Set(column(tsharkFields(pcap, "ftp.request.command", ["ftp.request.command"])));
    for (const c of ["USER", "PASS", "PORT", "EPRT", "PASV", "EPSV", "RETR", "STOR", "REST"]) expect(commands, c).toContain(c);
    const dataStreams = new Set(column(tsharkFields(pcap, "ftp-data", ["tcp.stream"])));
    expect(dataStreams.size).toBeGreaterThanOrEqual(5);
  });

  it("pxe-boot (the TFTP server alone, 8 MiB kept): RRQ, OACK and DATA blocks from 1, and the capture marked truncated", async () => {
    const { run, pcap } = await captured("pxe-boot", { services: ["tftp"], limitMB: 8 });
    expect(run.capture).toMatchObject({ services: ["tftp"], truncated: true, limitBytes: 8 * 2 ** 20 });
    expect(pcap.length).toBeLessThan(9 * 2 ** 20);
    const requests = tsharkFields(pcap, "tftp.opcode == 1", ["tftp.source_file"]);
    expect(column(requests).slice(0, 2)).toEqual(["pxelinux.0", "ldlinux.c32"]);
    expect(tsharkFields(pcap, "tftp.opcode == 6", ["tftp.option.name"]).length).toBeGreaterThan(0);
    const blocks = column(tsharkFields(pcap, "tftp.opcode == 3", ["tftp.block"])).map(Number);
    expect(blocks.slice(0, 1)).toEqual([1]);
    expect(Math.max(...blocks)).toBeGreaterThan(100);
    expect(new Set(column(tsharkFields(pcap, "frame", ["frame.interface_name"])))).toEqual(new Set(["tftp/eth0"]));
  });

  it("proxy-cache: requests to the origin carry the proxy's Via, replies carry X-Cache", async () => {
    const { pcap } = await captured("proxy-cache");
    const via = tsharkFields(pcap, 'http.request && http.request.line contains "Via: "', ["ip.dst", "http.request.uri"]);
    expect(column(via)).toContain(topology.addressOf("www"));
    const xcache = column(tsharkFields(pcap, 'http.response && http.response.line contains "X-Cache: "', ["http.response.line"]));
    expect(xcache.some((l) => /X-Cache: HIT from/.test(l))).toBe(true);
    expect(xcache.some((l) => /X-Cache: MISS from/.test(l))).toBe(true);
  });

  it("rtsp-playback: DESCRIBE, SETUP and PLAY, and the RTP streams they set up (audio and video)", async () => {
    const { pcap } = await captured("rtsp-playback");
    const methods = new Set(column(tsharkFields(pcap, "rtsp.request", ["rtsp.method"])));
    for (const m of ["DESCRIBE", "SETUP", "PLAY", "TEARDOWN"]) expect(methods, m).toContain(m);
    // tshark follows the SETUP replies' transports to decode RTP over UDP.
    const payloads = column(tsharkFields(pcap, "rtp && udp", ["rtp.p_type"]));
    expect(payloads.filter((p) => p === "0").length).toBeGreaterThan(100); // PCMU audio
    expect(payloads.filter((p) => p === "26").length).toBeGreaterThan(100); // JPEG video
  }, 240_000);
});

describe("capture requests and their limits", () => {
  it("a BPF filter keeps only what it matches", async () => {
    const { run, pcap } = await captured("dns-resolution", { services: ["dns-resolver"], filter: "udp port 53" });
    expect(run.capture?.filter).toBe("udp port 53");
    const protocols = new Set(column(tsharkFields(pcap, "frame", ["frame.protocols"])).map((p) => p.split(":").slice(0, 4).join(":")));
    expect([...protocols]).toEqual(["eth:ethertype:ip:udp"]);
  });

  it("a run that was not captured has no pcap, and the 404 says how to get one", async () => {
    const run = (await api<Run>("POST", "/scenarios/dns-resolution/runs?wait=true")).body;
    const res = await fetch(`${apiBase}/runs/${run.id}/pcap`, { headers: { authorization: `Bearer ${apiToken()}` } });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { message: string }).message).toMatch(/--pcap/);
  });

  it("an unknown service, the orchestrator or the management network are refused at once, naming the valid choices", async () => {
    const unknown = await api<{ message: string }>("POST", "/scenarios/dns-resolution/runs", { capture: { services: ["nosuch"] } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toMatch(/capturable service "nosuch" is not known\. Valid capturable services are .*"dns-resolver"/);
    expect(unknown.body.message).not.toMatch(/orchestrator/);
    const orchestrator = await api<{ message: string }>("POST", "/scenarios/dns-resolution/runs", { capture: { services: ["orchestrator"] } });
    expect(orchestrator.status).toBe(400);
    expect(orchestrator.body.message).toMatch(/token/);
    const mgmt = await api<{ message: string }>("POST", "/scenarios/dns-resolution/runs", { capture: { networks: ["mgmt"] } });
    expect(mgmt.status).toBe(400);
    expect(mgmt.body.message).toMatch(/"mgmt" cannot be captured: .*token.*Networks that can: internet, campus/);
    expect(await captureHelpers()).toEqual([]);
  });

  it("a filter tcpdump refuses ends the run before any step, with tcpdump's reason, and leaves no helper", async () => {
    const run = (await api<CapturedRun>("POST", "/scenarios/dns-resolution/runs?wait=true", { capture: { filter: "port banana" } })).body;
    expect(run.status).toBe("error");
    expect(run.error?.message).toMatch(/capture could not start.*(banana|syntax|unknown)/i);
    expect(run.steps.every((s) => s.status === "skipped")).toBe(true);
    expect(await captureHelpers()).toEqual([]);
  });

  it("a network's bridge: each packet once, from every host on it", async () => {
    const { pcap } = await captured("dns-resolution", { networks: ["internet"], filter: "udp port 53" });
    const interfaces = new Set(column(tsharkFields(pcap, "frame", ["frame.interface_name"])));
    expect(interfaces).toEqual(new Set(["network:internet/l7-internet"]));
    const queries = tsharkFields(pcap, "dns.flags.response == 0", ["ip.src", "udp.srcport", "dns.id"]).map((r) => r.join(" "));
    expect(queries.length).toBeGreaterThan(5);
    expect(new Set(queries).size).toBe(queries.length);
  });

  it("an aborted run still ends its capture: no helper left, and what it captured can be downloaded", async () => {
    const started = await api<CapturedRun>("POST", "/scenarios/rtsp-playback/runs", { capture: { services: ["media"] } });
    expect(started.status).toBe(202);
    await new Promise((r) => setTimeout(r, 4000));
    expect((await captureHelpers()).length).toBe(1);
    await api("POST", `/runs/${started.body.id}/abort`);
    const run = (await api<CapturedRun>("GET", `/runs/${started.body.id}?wait=true`)).body;
    expect(run.status).toBe("aborted");
    expect(run.capture?.pcap).toBe(true);
    expect(run.capture?.packets).toBeGreaterThan(0);
    expect(await captureHelpers()).toEqual([]);
    expect(tsharkFields(await download(run.id), "rtsp.request", ["rtsp.method"]).length).toBeGreaterThan(0);
  });
});

describe("live capture: ./l7lab capture", () => {
  it("streams pcapng while Bob looks a name up, and ends with nothing left behind", async () => {
    const child = spawn("./l7lab", ["capture", "dns-resolver", "--filter", "udp port 53", "--seconds", "6"], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => (err += b.toString()));
    // Wait until it says it is capturing, then make traffic.
    for (let i = 0; i < 100 && !/capturing/.test(err); i++) await new Promise((r) => setTimeout(r, 100));
    expect(err).toMatch(/capturing dns-resolver/);
    const dig = await sh("bob", "dig +short www.someschool.edu A");
    expect(dig.exitCode).toBe(0);
    const code = await new Promise<number | null>((r) => child.on("exit", r));
    expect(code, err).toBe(0);
    const names = column(tsharkFields(Buffer.concat(out), "dns.flags.response == 0", ["dns.qry.name"]));
    expect(names).toContain("www.someschool.edu");
    expect(await captureHelpers()).toEqual([]);
  });

  it("refuses a capture that names nothing, saying what to name", () => {
    const r = spawnSync("./l7lab", ["capture"], { cwd: repoRoot, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/name one service, or one network/);
  });
});
