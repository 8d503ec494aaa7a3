/**
 * Pure parsers for the network boot's evidence: the diskless PC's serial console (the pxe-client
 * container's log: QEMU's -serial stdio), ISC Kea's packet log (the dhcp service) and tftpd-hpa's
 * syslog lines (the tftp service). Each takes Docker's log lines (LogLine.at is Docker's own
 * timestamp, ms since epoch) and gives what happened, with the times the phases are measured by.
 */
import type { LogLine } from "../../docker/docker-adapter.ts";

export const DHCP_KINDS = ["DISCOVER", "OFFER", "REQUEST", "ACK", "NAK", "RELEASE", "DECLINE", "INFORM"] as const;
export type DhcpKind = (typeof DHCP_KINDS)[number];

/** One thing that happened, for the transcript: C what the VM sent, S what a server answered, * a note. */
export interface NetbootEvent {
  at: number;
  dir: "C" | "S" | "*";
  /** Which log it came from: "client", "dhcp" or "tftp". */
  source: "client" | "dhcp" | "tftp";
  text: string;
}

// ------------------------------------------------------------------ serial console

/** The init script's marker line: L7LAB-NETBOOT-OK address=... interface=... mac=... BOOTIF=... cmdline="...". */
export interface NetbootMarker {
  address?: string;
  interface?: string;
  mac?: string;
  bootif?: string;
  cmdline?: string;
}

export interface SerialInfo {
  /** Lines of this boot (from the container's own first line). */
  lines: number;
  /** The boot's first and last line (ms since epoch). */
  startAt?: number;
  endAt?: number;
  /** From the container's first line ("pxe-client: booting from the network: MAC ..., UUID ..., 256 MiB, tcg (qemu64), ..."). */
  mac?: string;
  uuid?: string;
  memoryMiB?: number;
  accelerator?: "tcg" | "kvm";
  /** iPXE's "Configuring (net0 <mac>)....... ok": true when it ended in ok, false when it ended otherwise. */
  ipxeDhcp?: boolean;
  ipxeDhcpAt?: number;
  /** iPXE's "net0: <address>/<netmask> gw <gateway>". */
  ipxeAddress?: string;
  netmask?: string;
  gateway?: string;
  /** iPXE's "Next server: ..." and "Filename: ...". */
  nextServer?: string;
  bootFile?: string;
  /** PXELINUX's banner, from "PXELINUX" to the end of its line. */
  pxelinuxBanner?: string;
  pxelinuxAt?: number;
  /** PXELINUX's "Loading <file>... ok" lines, in order. */
  loaded: { file: string; ok: boolean; at: number }[];
  /** The kernel's "Linux version ..." (to the end of its line). */
  linuxVersion?: string;
  linuxAt?: number;
  marker?: NetbootMarker;
  markerAt?: number;
  /** The kernel said "reboot: Power down". */
  poweredOff: boolean;
  poweredOffAt?: number;
  /** The first "Kernel panic - not syncing: ..." (to the end of its line). */
  panic?: string;
  panicAt?: number;
  events: NetbootEvent[];
}

/** The container's own first line, written by services/pxe-client/entrypoint.sh before QEMU starts. */
const BOOTING = "pxe-client: booting from the network";
const BOOTING_LINE = /pxe-client: booting from the network: MAC ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){5}), UUID ([0-9A-Fa-f-]+), (\d+) MiB, (tcg|kvm)\b/;
const IPV4 = String.raw`\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}`;
const CONFIGURING = /\bConfiguring \((net\d+) ([0-9A-Fa-f:]{17})\)[.\s]*(.*)$/;
const NET_ADDRESS = new RegExp(String.raw`\bnet\d+: (${IPV4})/(${IPV4})(?: gw (${IPV4}))?`);
const NEXT_SERVER = /^Next server: (\S+)/;
const FILENAME = /^Filename: (\S+)/;
const PXELINUX = /(PXELINUX \d+\.\d+\b.*)$/;
const LOADING = /^Loading (\S+?)\s*\.\.\.\s*(.*)$/;
const LINUX_VERSION = /(Linux version \S.*)$/;
const MARKER = /L7LAB-NETBOOT-OK\b(.*)$/;
const POWER_DOWN = /\breboot: Power down\b/;
const PANIC = /(Kernel panic - not syncing: .*)$/;

// Escape sequences: CSI (ESC [ ... final), OSC (ESC ] ... BEL or ST), and two- or three-character
// ones such as ESC c (reset) and ESC ( B (character set).
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[ -/]+[0-~]|[0-~])?/g;
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x08\x0b-\x1f\x7f]/g;

/**
 * A console line as a person would read it: escape sequences gone, backspaces applied (iPXE's
 * countdown writes "\b \b"), carriage returns and other control characters dropped, trimmed.
 */
export function cleanSerialText(text: string): string {
  let s = text.replace(ESCAPES, "");
  if (s.includes("\b")) {
    const out: string[] = [];
    for (const ch of s) {
      if (ch === "\b") out.pop();
      else out.push(ch);
    }
    s = out.join("");
  }
  return s.replace(CONTROLS, "").trim();
}

/** The key=value pairs after the marker; a value may be double-quoted. */
export function parseMarker(rest: string): NetbootMarker {
  const marker: NetbootMarker = {};
  for (const m of rest.matchAll(/([A-Za-z_][A-Za-z0-9_.-]*)=(?:"([^"]*)"|(\S*))/g)) {
    const value = m[2] ?? m[3] ?? "";
    switch (m[1]!.toLowerCase()) {
      case "address":
        marker.address = value;
        break;
      case "interface":
        marker.interface = value;
        break;
      case "mac":
        marker.mac = value.toLowerCase();
        break;
      case "bootif":
        marker.bootif = value;
        break;
      case "cmdline":
        marker.cmdline = value;
        break;
    }
  }
  return marker;
}

/**
 * The lines of the container's latest run: from its last "pxe-client: booting" line on (all of
 * them when there is none). A `since` read normally holds one run; a container started twice in it
 * has the earlier run's lines first.
 */
export function lastBoot(lines: readonly LogLine[]): LogLine[] {
  let start = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.text.includes(BOOTING)) {
      start = i;
      break;
    }
  }
  return lines.slice(start);
}

/** Parses the serial console of one boot (the lines of lastBoot). */
export function parseSerial(lines: readonly LogLine[]): SerialInfo {
  const info: SerialInfo = { lines: lines.length, loaded: [], poweredOff: false, events: [] };
  if (lines.length > 0) {
    info.startAt = lines[0]!.at;
    info.endAt = lines[lines.length - 1]!.at;
  }
  const note = (at: number, text: string) => info.events.push({ at, dir: "*", source: "client", text });
  for (const line of lines) {
    const text = cleanSerialText(line.text);
    if (text === "") continue;
    const at = line.at;
    let m: RegExpExecArray | null;
    if (info.mac === undefined && (m = BOOTING_LINE.exec(text))) {
      info.mac = m[1]!.toLowerCase();
      info.uuid = m[2]!.toLowerCase();
      info.memoryMiB = Number(m[3]);
      info.accelerator = m[4] as "tcg" | "kvm";
      note(at, `booting from the network: MAC ${info.mac}, ${info.accelerator}`);
      continue;
    }
    if (info.ipxeDhcp === undefined && (m = CONFIGURING.exec(text))) {
      const result = m[3]!.trim();
      info.ipxeDhcp = /^ok\b/.test(result);
      info.ipxeDhcpAt = at;
      note(at, `iPXE DHCP on ${m[1]} ${m[2]!.toLowerCase()}: ${result || "(no result)"}`);
      continue;
    }
    if (info.ipxeAddress === undefined && (m = NET_ADDRESS.exec(text))) {
      info.ipxeAddress = m[1]!;
      info.netmask = m[2]!;
      if (m[3] !== undefined) info.gateway = m[3];
      note(at, `iPXE address ${info.ipxeAddress}/${info.netmask}${info.gateway !== undefined ? ` gw ${info.gateway}` : ""}`);
      continue;
    }
    if (info.nextServer === undefined && (m = NEXT_SERVER.exec(text))) {
      info.nextServer = m[1]!;
      note(at, `next server ${info.nextServer}`);
      continue;
    }
    if (info.bootFile === undefined && (m = FILENAME.exec(text))) {
      info.bootFile = m[1]!;
      note(at, `boot file ${info.bootFile}`);
      continue;
    }
    if (info.pxelinuxBanner === undefined && (m = PXELINUX.exec(text))) {
      info.pxelinuxBanner = m[1]!.trim();
      info.pxelinuxAt = at;
      note(at, info.pxelinuxBanner);
      continue;
    }
    if (info.linuxAt === undefined && (m = LOADING.exec(text))) {
      const ok = /^ok\b/.test(m[2]!);
      info.loaded.push({ file: m[1]!, ok, at });
      note(at, `Loading ${m[1]}... ${m[2] || "(no result)"}`);
      continue;
    }
    if (info.linuxVersion === undefined && (m = LINUX_VERSION.exec(text))) {
      info.linuxVersion = m[1]!.trim();
      info.linuxAt = at;
      note(at, info.linuxVersion);
      continue;
    }
    if (info.marker === undefined && (m = MARKER.exec(text))) {
      info.marker = parseMarker(m[1]!);
      info.markerAt = at;
      const k = info.marker;
      note(at, `marker: address=${k.address ?? "?"} interface=${k.interface ?? "?"} mac=${k.mac ?? "?"} BOOTIF=${k.bootif ?? "?"}`);
      continue;
    }
    if (info.panic === undefined && (m = PANIC.exec(text))) {
      info.panic = m[1]!.trim();
      info.panicAt = at;
      note(at, info.panic);
      continue;
    }
    if (!info.poweredOff && POWER_DOWN.test(text)) {
      info.poweredOff = true;
      info.poweredOffAt = at;
      note(at, "powered off");
    }
  }
  return info;
}

// ------------------------------------------------------------------ Kea

export interface DhcpExchange {
  /** The transaction id (xid) as Kea writes it: 0x5ea64661. */
  tid: string;
  messages: DhcpKind[];
  /** The lease Kea allocated in this exchange, if it did. */
  address?: string;
  /** From the exchange's first message to its last. */
  ms: number;
}

export interface DhcpInfo {
  /** Every DHCP message to or from the MAC, in order. */
  messages: DhcpKind[];
  /** The kinds of message seen, in order of first appearance. */
  kinds: DhcpKind[];
  exchanges: DhcpExchange[];
  /** The addresses Kea allocated to the MAC (DHCP4_LEASE_ALLOC), in order. */
  leases: string[];
  /** The first allocated lease. */
  address?: string;
}

export interface DhcpParse extends DhcpInfo {
  /** The first message of the MAC. */
  firstAt?: number;
  /** The first exchange's first DISCOVER and first ACK. */
  discoverAt?: number;
  ackAt?: number;
  events: NetbootEvent[];
}

const KEA_CLIENT = String.raw`\[hwtype=\d+ ([0-9A-Fa-f:]+)\][^\n]*?\btid=(0x[0-9A-Fa-f]+):`;
const KEA_RECEIVED = new RegExp(String.raw`\bDHCP4_PACKET_RECEIVED ${KEA_CLIENT} DHCP([A-Z]+) \(type \d+\) received from (\S+)`);
const KEA_SEND = new RegExp(String.raw`\bDHCP4_PACKET_SEND ${KEA_CLIENT} trying to send packet DHCP([A-Z]+) \(type \d+\) from (\S+) to (\S+)`);
const KEA_LEASE = new RegExp(String.raw`\bDHCP4_LEASE_ALLOC ${KEA_CLIENT} lease (\S+) has been allocated(?: for (\d+) seconds)?`);

const isKind = (s: string): s is DhcpKind => (DHCP_KINDS as readonly string[]).includes(s);

/** Kea's packet log lines about one MAC address (`[hwtype=1 <mac>]`); other clients' lines are left out. */
export function parseKea(lines: readonly LogLine[], mac: string | undefined): DhcpParse {
  const out: DhcpParse = { messages: [], kinds: [], exchanges: [], leases: [], events: [] };
  if (mac === undefined) return out;
  const wanted = mac.toLowerCase();
  const byTid = new Map<string, DhcpExchange & { firstAt?: number }>();
  const exchange = (tid: string) => {
    let x = byTid.get(tid);
    if (!x) {
      x = { tid, messages: [], ms: 0 };
      byTid.set(tid, x);
    }
    return x;
  };
  let firstTid: string | undefined;
  for (const line of lines) {
    let m: RegExpExecArray | null;
    let kind: DhcpKind | undefined;
    let text: string;
    let dir: "C" | "S";
    if ((m = KEA_RECEIVED.exec(line.text))) {
      if (m[1]!.toLowerCase() !== wanted || !isKind(m[3]!)) continue;
      kind = m[3];
      dir = "C";
      text = `DHCP${kind} ${wanted}`;
    } else if ((m = KEA_SEND.exec(line.text))) {
      if (m[1]!.toLowerCase() !== wanted || !isKind(m[3]!)) continue;
      kind = m[3];
      dir = "S";
      text = `DHCP${kind} to ${m[5]} (${wanted})`;
    } else if ((m = KEA_LEASE.exec(line.text))) {
      if (m[1]!.toLowerCase() !== wanted) continue;
      const address = m[3]!;
      out.leases.push(address);
      exchange(m[2]!).address ??= address;
      out.events.push({ at: line.at, dir: "*", source: "dhcp", text: `lease ${address} allocated${m[4] !== undefined ? ` for ${m[4]} s` : ""}` });
      continue;
    } else {
      continue;
    }
    const tid = m[2]!;
    out.firstAt ??= line.at;
    out.messages.push(kind);
    if (!out.kinds.includes(kind)) out.kinds.push(kind);
    const x = exchange(tid);
    x.messages.push(kind);
    x.firstAt ??= line.at;
    x.ms = line.at - x.firstAt;
    firstTid ??= tid;
    if (tid === firstTid) {
      if (kind === "DISCOVER") out.discoverAt ??= line.at;
      if (kind === "ACK") out.ackAt ??= line.at;
    }
    out.events.push({ at: line.at, dir, source: "dhcp", text });
  }
  // An exchange seen only through a lease line (no packet lines logged) still counts, with no messages.
  out.exchanges = [...byTid.values()].map(({ firstAt: _firstAt, ...x }) => x);
  if (out.leases.length > 0) out.address = out.leases[0]!;
  return out;
}

// ------------------------------------------------------------------ tftpd-hpa

export interface TftpInfo {
  /**
   * Files the address asked for (RRQ), in order; a request repeated at once (the client re-sent
   * it: its RRQ or the server's first answer was lost) is listed once and counted in `repeated`.
   */
  files: string[];
  /** How many RRQs repeated the one just before them. */
  repeated: number;
  /** Files answered with NAK 1 (File not found). */
  notFound: string[];
}

export interface TftpParse extends TftpInfo {
  /** The first RRQ from the address. */
  firstRrqAt?: number;
  events: NetbootEvent[];
}

const TFTPD_RRQ = /\bin\.tftpd\[(\d+)\]: RRQ from (\S+) filename (.+?)(?: remapped to .*)?$/;
const TFTPD_NAK = /\bin\.tftpd\[(\d+)\]: sending NAK \((\d+), ([^)]*)\) to (\S+)/;

const plainAddress = (a: string) => a.replace(/^::ffff:/i, "");

/**
 * tftpd-hpa's lines about one client address: its read requests, and the NAKs it got, each paired
 * with the RRQ before it of the same in.tftpd process (one process serves one request).
 */
export function parseTftpd(lines: readonly LogLine[], from: string | undefined): TftpParse {
  const out: TftpParse = { files: [], repeated: 0, notFound: [], events: [] };
  if (from === undefined) return out;
  const requestOf = new Map<string, string>();
  for (const line of lines) {
    let m: RegExpExecArray | null;
    if ((m = TFTPD_RRQ.exec(line.text))) {
      if (plainAddress(m[2]!) !== from) continue;
      const file = m[3]!.trim();
      requestOf.set(m[1]!, file);
      if (out.files.at(-1) === file) out.repeated++;
      else out.files.push(file);
      out.firstRrqAt ??= line.at;
      out.events.push({ at: line.at, dir: "C", source: "tftp", text: `RRQ ${file} from ${from}` });
    } else if ((m = TFTPD_NAK.exec(line.text))) {
      if (plainAddress(m[4]!) !== from) continue;
      const file = requestOf.get(m[1]!);
      if (m[2] === "1" && file !== undefined && out.notFound.at(-1) !== file) out.notFound.push(file);
      out.events.push({ at: line.at, dir: "S", source: "tftp", text: `NAK (${m[2]}, ${m[3]})${file !== undefined ? ` for ${file}` : ""} to ${from}` });
    }
  }
  return out;
}

// ------------------------------------------------------------------ the whole boot

export interface NetbootPhases {
  /** The client's first line to the MAC's first DHCP message in Kea's log: BIOS and iPXE starting. */
  firmwareMs?: number;
  /** The first exchange's first DISCOVER to its first ACK. */
  dhcpMs?: number;
  /**
   * The ACK to iPXE's "Configuring (net0 ...) ok": iPXE configures IPv6 too, and waits for a router
   * advertisement (its solicitations back off over about 15 s) that this IPv4-only lab never sends.
   */
  configureMs?: number;
  /** The first RRQ to PXELINUX's last "Loading ... ok" (the initrd), or the "Linux version" line without it. */
  tftpMs?: number;
  /** The initrd loaded to "Linux version": the kernel's real-mode setup and decompression. */
  kernelStartMs?: number;
  /** "Linux version" to the marker. */
  kernelMs?: number;
  /** The marker to "reboot: Power down". */
  poweroffMs?: number;
  /** The boot's first line to its last. */
  totalMs?: number;
}

export interface NetbootAnalysis {
  serial: SerialInfo;
  /** The MAC the logs are read for: the container's first line's, else the marker's, else iPXE's. */
  mac?: string;
  dhcp: DhcpParse;
  tftp: TftpParse & { seenAs: string; from?: string };
  phases: NetbootPhases;
  /** Every event of the three logs, in time order. */
  events: NetbootEvent[];
}

export interface NetbootLogs {
  client: readonly LogLine[];
  dhcp: readonly LogLine[];
  tftp: readonly LogLine[];
}

export interface TftpView {
  /** The service the TFTP server sees the VM's requests come from (Topology.seenAs). */
  seenAs: string;
  /** That service's address on the TFTP server's network; undefined when it is the VM itself, whose address the boot tells. */
  address?: string;
}

const span = (from: number | undefined, to: number | undefined) => (from !== undefined && to !== undefined ? to - from : undefined);

/**
 * Puts the three logs together. The client's log is cut to its latest run (lastBoot), and the
 * others to what was logged from that run's first line on.
 */
export function analyzeNetboot(logs: NetbootLogs, view: TftpView): NetbootAnalysis {
  const bootLines = lastBoot(logs.client);
  const serial = parseSerial(bootLines);
  const fromStart = (lines: readonly LogLine[]) => (serial.startAt === undefined ? lines : lines.filter((l) => l.at >= serial.startAt!));
  const configuringMac = bootLines.map((l) => CONFIGURING.exec(cleanSerialText(l.text))?.[2]).find((m) => m !== undefined)?.toLowerCase();
  const mac = serial.mac ?? serial.marker?.mac ?? configuringMac;
  const dhcp = parseKea(fromStart(logs.dhcp), mac);
  const from = view.address ?? serial.marker?.address ?? serial.ipxeAddress ?? dhcp.address;
  const tftp = { seenAs: view.seenAs, ...(from !== undefined ? { from } : {}), ...parseTftpd(fromStart(logs.tftp), from) };

  const loadedOk = serial.loaded.filter((l) => l.ok);
  const phaseList: [keyof NetbootPhases, number | undefined][] = [
    ["firmwareMs", span(serial.startAt, dhcp.firstAt)],
    ["dhcpMs", span(dhcp.discoverAt, dhcp.ackAt)],
    ["configureMs", span(dhcp.ackAt, serial.ipxeDhcpAt)],
    ["tftpMs", span(tftp.firstRrqAt, loadedOk[loadedOk.length - 1]?.at ?? serial.linuxAt)],
    ["kernelStartMs", span(loadedOk[loadedOk.length - 1]?.at, serial.linuxAt)],
    ["kernelMs", span(serial.linuxAt, serial.markerAt)],
    ["poweroffMs", span(serial.markerAt, serial.poweredOffAt)],
    ["totalMs", span(serial.startAt, serial.endAt)],
  ];
  const phases: NetbootPhases = {};
  for (const [name, ms] of phaseList) if (ms !== undefined) phases[name] = ms;

  // Stable: lines of one ms keep their log's order, the client's first.
  const events = [...serial.events, ...dhcp.events, ...tftp.events].sort((a, b) => a.at - b.at);
  return { serial, ...(mac !== undefined ? { mac } : {}), dhcp, tftp, phases, events };
}
