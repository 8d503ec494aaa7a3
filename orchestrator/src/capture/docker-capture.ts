/**
 * Packet capture with helper containers, the way network faults are held: one helper per target,
 * made from the fault helper's image (it has tcpdump), in the target service's network namespace
 * (--network container:<id>) or, for a network, in the host's, where the network's bridge is. The
 * orchestrator runs one `tcpdump -w -` per interface in it as a `docker exec` and reads the pcap
 * streams as they come: the packets' timestamps are the kernel's, taken as each crossed its
 * interface. Stopping a capture ends every tcpdump (SIGINT, so each flushes what it has), then
 * removes the helper; helpers an earlier orchestrator left behind are removed at start-up.
 */
import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import { DockerError, L7labError } from "../common/errors.ts";
import { execIn } from "../docker/exec-in.ts";
import { NOT_A_COMPOSE_SERVICE } from "../faults/net-fault-helpers.ts";
import { mergeToPcapng, PcapngWriter, PcapReader, type CaptureInterface } from "./pcapng.ts";
import { targetLabel, type CapturePlan, type CaptureTarget } from "./plan.ts";

const CAPTURE_PROJECT_LABEL = "l7lab.capture.project";
const CAPTURE_TARGET_LABEL = "l7lab.capture.target";
/** How long each tcpdump may take to say it is listening (a busy machine, a big filter). */
const LISTEN_TIMEOUT_MS = 15_000;
/** After the last step, packets still on their way (a FIN, a last ACK) get this long to be read. */
const DRAIN_MS = 200;

export interface CaptureResult {
  pcapng: Buffer;
  packets: number;
  bytes: number;
  truncated: boolean;
  errors: string[];
}

export interface CaptureSession {
  /** The targets' labels: service names, or network:<name>. */
  readonly labels: string[];
  stats(): { packets: number; bytes: number; truncated: boolean };
  /** Ends every tcpdump, removes the helpers, and merges what they captured. Safe to call twice. */
  stop(): Promise<CaptureResult>;
  /** Resolves when every tcpdump has ended by itself (an interface gone, a helper killed). */
  readonly ended: Promise<void>;
}

export interface Capturer {
  /**
   * Starts a capture; resolves once every tcpdump listens, so nothing the run does after is missed.
   * With `live`, pcapng blocks go to it as packets come (the section header at once, each
   * interface's description before its first packet) instead of being kept for `stop`.
   */
  start(plan: CapturePlan, options?: { live?: (block: Buffer) => void }): Promise<CaptureSession>;
  /** Removes capture helpers an earlier orchestrator left running; returns their names. */
  removeStray(): Promise<string[]>;
}

interface Stream {
  iface: CaptureInterface;
  chunks: Buffer[];
  reader: PcapReader;
  stderr: string;
  ended: boolean;
  liveId?: number;
  done: Promise<void>;
}

export class DockerCapturer implements Capturer {
  readonly #docker: Docker;
  readonly #project: string;
  readonly #image: string | undefined;
  readonly #containerOf: (service: string) => Promise<{ id: string; state: string }>;

  constructor(docker: Docker, project: string, image: string | undefined, containerOf: (service: string) => Promise<{ id: string; state: string }>) {
    this.#docker = docker;
    this.#project = project;
    this.#image = image;
    this.#containerOf = containerOf;
  }

  async start(plan: CapturePlan, options: { live?: (block: Buffer) => void } = {}): Promise<CaptureSession> {
    const image = this.#image;
    if (image === undefined) throw new L7labError("NO_CAPTURE_HELPER", 500, "packet capture needs a helper image with tcpdump: set x-l7lab.fault-helper-image in docker-compose.yml", {});
    const helpers: Docker.Container[] = [];
    const streams: Stream[] = [];
    const state = { bytes: 0, packets: 0, truncated: false, stopped: false };
    const errors: string[] = [];
    const live = options.live;
    const writer = live ? new PcapngWriter({ comment: `l7lab capture of ${plan.targets.map(targetLabel).join(", ")}${plan.filter ? ` (filter: ${plan.filter})` : ""}` }) : undefined;
    if (live && writer) live(writer.header());

    const onData = (s: Stream, chunk: Buffer): void => {
      if (state.truncated || state.stopped) return;
      let packets;
      try {
        packets = s.reader.push(chunk);
      } catch (error) {
        errors.push(`${s.iface.name}: ${(error as Error).message}`);
        state.truncated = true;
        return;
      }
      if (state.bytes + chunk.length > plan.limitBytes) {
        state.truncated = true;
        return;
      }
      state.bytes += chunk.length;
      state.packets += packets.length;
      if (live && writer) {
        if (s.liveId === undefined && s.reader.header) {
          const idb = writer.addInterface(s.iface, s.reader.header.linktype, s.reader.header.snaplen);
          s.liveId = idb.id;
          live(idb.block);
        }
        for (const p of packets) live(writer.packet(s.liveId!, p));
      } else {
        s.chunks.push(chunk);
      }
    };

    const session = {
      labels: plan.targets.map(targetLabel),
      stats: () => ({ packets: state.packets, bytes: state.bytes, truncated: state.truncated }),
      ended: Promise.resolve(),
      stop: async (): Promise<CaptureResult> => {
        if (!state.stopped) {
          await new Promise((r) => setTimeout(r, DRAIN_MS));
          await Promise.all(helpers.map((h) => execIn(this.#docker, h.id, ["sh", "-c", "for f in /tmp/l7lab-capture-*.pid; do kill -INT \"$(cat \"$f\")\" 2>/dev/null; done; true"], 10_000, "a capture helper").catch(() => undefined)));
          await Promise.race([Promise.all(streams.map((s) => s.done)), new Promise((r) => setTimeout(r, 5_000))]);
          state.stopped = true;
          await Promise.all(helpers.map((h) => h.remove({ force: true }).catch((e: unknown) => errors.push(`removing the capture helper: ${(e as Error).message}`))));
        }
        for (const s of streams) {
          const msg = tcpdumpTrouble(s.stderr);
          if (msg && !errors.some((e) => e.startsWith(`${s.iface.name}:`))) errors.push(`${s.iface.name}: ${msg}`);
        }
        if (live) return { pcapng: Buffer.alloc(0), packets: state.packets, bytes: state.bytes, truncated: state.truncated, errors };
        const merged = mergeToPcapng(streams.map((s) => ({ iface: s.iface, pcap: Buffer.concat(s.chunks) })), { comment: `l7lab capture of ${session.labels.join(", ")}${plan.filter ? ` (filter: ${plan.filter})` : ""}` });
        return { pcapng: merged.pcapng, packets: merged.packets, bytes: merged.bytes, truncated: state.truncated, errors };
      },
    };

    try {
      // The targets' helpers start side by side (each is a container create and start, most of a
      // capture's cost); the interfaces keep the plan's order in the file.
      const started = await Promise.allSettled(plan.targets.map(async (target) => {
        const helper = await this.#helper(image, target);
        helpers.push(helper);
        return { helper, interfaces: await this.#interfaces(helper, target) };
      }));
      const failure = started.find((r) => r.status === "rejected");
      if (failure) throw failure.reason;
      for (const r of started) {
        if (r.status !== "fulfilled") continue;
        for (const iface of r.value.interfaces) streams.push(await this.#tcpdump(r.value.helper, iface, streams.length, plan.filter, onData));
      }
      await this.#listening(streams);
    } catch (error) {
      state.stopped = true;
      await Promise.all(helpers.map((h) => h.remove({ force: true }).catch(() => undefined)));
      throw error;
    }
    session.ended = Promise.all(streams.map((s) => s.done)).then(() => undefined);
    return session;
  }

  async removeStray(): Promise<string[]> {
    const list = await this.#docker.listContainers({ all: true, filters: { label: [`${CAPTURE_PROJECT_LABEL}=${this.#project}`] } });
    const removed: string[] = [];
    for (const c of list) {
      await this.#docker.getContainer(c.Id).remove({ force: true });
      removed.push((c.Names[0] ?? c.Id).replace(/^\//, ""));
    }
    return removed;
  }

  async #helper(image: string, target: CaptureTarget): Promise<Docker.Container> {
    let networkMode: string;
    if (target.kind === "service") {
      const c = await this.#containerOf(target.name);
      if (c.state !== "running") throw new L7labError("NOT_RUNNING", 409, `service "${target.name}" is ${c.state}, so its packets cannot be captured`, { service: target.name, state: c.state });
      networkMode = `container:${c.id}`;
    } else {
      networkMode = "host"; // where the network's bridge is
    }
    const name = `${this.#project}-capture-${target.name}-${Date.now().toString(36)}`;
    let container: Docker.Container | undefined;
    try {
      container = await this.#docker.createContainer({
        name,
        Image: image,
        Entrypoint: ["sleep"],
        Cmd: ["infinity"],
        Labels: { ...NOT_A_COMPOSE_SERVICE, [CAPTURE_PROJECT_LABEL]: this.#project, [CAPTURE_TARGET_LABEL]: targetLabel(target), "l7lab.description": `packet capture of ${targetLabel(target)}` },
        Healthcheck: { Test: ["NONE"] },
        // tcpdump needs NET_RAW to capture; it then gives up root for its own user (SETUID,
        // SETGID), and KILL lets the helper's root end it. Nothing else: it changes no interface.
        HostConfig: { NetworkMode: networkMode, Init: true, CapDrop: ["ALL"], CapAdd: ["NET_RAW", "SETUID", "SETGID", "KILL"], AutoRemove: false },
      });
      await container.start();
      return container;
    } catch (cause) {
      // Made but not started (the target went away meanwhile): not left behind.
      await container?.remove({ force: true }).catch(() => undefined);
      if (cause instanceof L7labError) throw cause;
      throw new DockerError(`start a capture helper (${image}) for`, targetLabel(target), { cause });
    }
  }

  /** The target's interfaces to capture, named `<service>/<ifname>` (or the bridge), described with their network and address. */
  async #interfaces(helper: Docker.Container, target: CaptureTarget): Promise<CaptureInterface[]> {
    if (target.kind === "network") {
      return [{ name: `network:${target.name}/${target.bridge}`, description: `the bridge of network ${target.name} (${target.subnet})` }];
    }
    const r = await execIn(this.#docker, helper.id, ["ip", "-o", "-4", "addr", "show"], 10_000, `the capture helper of ${target.name}`);
    if (r.exitCode !== 0) throw new L7labError("CAPTURE_FAILED", 502, `could not list the interfaces of service "${target.name}": ${r.stderr.trim()}`, { service: target.name });
    const found = parseIpAddr(r.stdout);
    const out: CaptureInterface[] = [];
    for (const want of target.interfaces) {
      const ifname = found.get(want.address);
      if (ifname === undefined) {
        throw new L7labError("CAPTURE_FAILED", 502, `service "${target.name}" has no interface with its address ${want.address} on network ${want.network} (its addresses: ${[...found.keys()].join(", ") || "none"})`, { service: target.name });
      }
      out.push({ name: `${target.name}/${ifname}`, description: `${target.name} on network ${want.network} (${want.address})` });
    }
    return out;
  }

  async #tcpdump(helper: Docker.Container, iface: CaptureInterface, index: number, filter: string | undefined, onData: (s: Stream, chunk: Buffer) => void): Promise<Stream> {
    const ifname = iface.name.slice(iface.name.lastIndexOf("/") + 1);
    // -p: no promiscuous mode in a service's namespace (its interface sees its own traffic anyway,
    // and nothing about it changes); a bridge passes up the frames it forwards between its ports
    // only in promiscuous mode, which tcpdump turns off again when it ends. -U: each packet written
    // at once; -n: no name lookups; nanosecond timestamps; the whole packet; the filter after `--`.
    const bridge = iface.name.startsWith("network:");
    const tcpdump = ["tcpdump", "-i", ifname, ...(bridge ? [] : ["-p"]), "-U", "-n", "-s", "262144", "--time-stamp-precision=nano", "-w", "-", ...(filter === undefined ? [] : ["--", filter])];
    const exec = await helper.exec({ Cmd: ["sh", "-c", `echo $$ > /tmp/l7lab-capture-${index}.pid && exec "$@"`, "sh", ...tcpdump], AttachStdout: true, AttachStderr: true });
    const raw = await exec.start({ hijack: true, stdin: false });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const s: Stream = { iface, chunks: [], reader: new PcapReader(iface.name), stderr: "", ended: false, done: Promise.resolve() };
    stdout.on("data", (b: Buffer) => onData(s, b));
    stderr.on("data", (b: Buffer) => {
      if (s.stderr.length < 4096) s.stderr += b.toString("utf8");
    });
    this.#docker.modem.demuxStream(raw, stdout, stderr);
    s.done = new Promise<void>((resolve) => {
      const end = () => {
        s.ended = true;
        resolve();
      };
      raw.on("end", end);
      raw.on("close", end);
      raw.on("error", end);
    });
    return s;
  }

  /** Waits until every tcpdump says it listens; one that ended first failed (a bad filter, no such interface). */
  async #listening(streams: Stream[]): Promise<void> {
    const deadline = Date.now() + LISTEN_TIMEOUT_MS;
    for (;;) {
      const failed = streams.find((s) => s.ended && !/listening on/.test(s.stderr));
      if (failed) {
        const why = failed.stderr.trim().split("\n").filter((l) => !/^(tcpdump: )?listening on/.test(l)).join(" ") || "tcpdump ended at once";
        const status = /syntax error|expression|filter|illegal|unknown host|can't parse/i.test(why) ? 400 : 502;
        throw new L7labError("CAPTURE_FAILED", status, `the capture on ${failed.iface.name} could not start: ${why}`, { interface: failed.iface.name });
      }
      if (streams.every((s) => /listening on/.test(s.stderr))) return;
      if (Date.now() > deadline) throw new L7labError("CAPTURE_FAILED", 504, `tcpdump did not start listening within ${LISTEN_TIMEOUT_MS} ms on ${streams.filter((s) => !/listening on/.test(s.stderr)).map((s) => s.iface.name).join(", ")}`, {});
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** `ip -o -4 addr show` → address → interface name. */
export function parseIpAddr(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^\d+:\s+([^\s@]+)(?:@\S+)?\s+inet\s+(\d+\.\d+\.\d+\.\d+)\//.exec(line);
    if (m) out.set(m[2]!, m[1]!);
  }
  return out;
}

/** What tcpdump said that is worth reporting: not its "listening on" line or its closing counts, unless the kernel dropped packets. */
export function tcpdumpTrouble(stderr: string): string | undefined {
  const lines = stderr.split("\n").map((l) => l.trim()).filter(Boolean);
  const dropped = lines.map((l) => /^(\d+) packets? dropped by kernel$/.exec(l)).find(Boolean);
  const other = lines.filter((l) => !/^(tcpdump: )?listening on|packets? (captured|received by filter|dropped by kernel)$/.test(l));
  const parts = [...other];
  if (dropped && dropped[1] !== "0") parts.push(`${dropped[1]} packets dropped by the kernel (tcpdump could not keep up)`);
  return parts.length ? parts.join("; ") : undefined;
}
