import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { UnknownNameError } from "../common/errors.ts";

/**
 * The lab's topology as docker-compose.yml declares it: the single source of truth for service
 * names, host names, roles, networks and fixed addresses. Nothing here is a second copy.
 *
 * Compose labels the lab uses on a service:
 *   l7lab.hostnames    the DNS names of the host, space separated (first is the primary name)
 *   l7lab.role         what the service is for (dns-root, dns-tld, dns-auth, dns-resolver, ...)
 *   l7lab.description  one line for people
 *   l7lab.init-for     on a one-shot (role net-init): the service whose network namespace it sets
 *                      up (routes) and then exits; run again whenever that service starts
 *
 * A service in a compose profile (`profiles:`) is on demand: `docker compose up` does not start it,
 * `./l7lab up` only creates its container, and a scenario starts it (the run stops it again at its
 * end if it is still running). The diskless VM, pxe-client, is one.
 */
export interface NetworkSpec {
  name: string;
  subnet: string;
  internal: boolean;
  /**
   * A private network (label l7lab.private: "true"), such as a domain's mail backend between its
   * MTA and its mailbox server: inside the lab, but no probe or scenario may aim at it.
   */
  private: boolean;
  description: string;
  /** The host bridge's name, when the compose file fixes it (driver_opts). */
  bridge?: string;
  /** Where Docker picks the addresses of containers without a fixed one (ipam ip_range), when set. */
  ipRange?: string;
  /**
   * The service whose NAT hides this network's hosts from the others (label l7lab.nat-by): the
   * campus router masquerades the campus, so the Internet side sees campus hosts as the router.
   */
  natBy?: string;
}

/**
 * Roles of services that scenarios and the API must not stop, pause or run commands in: the
 * orchestrator (it runs the scenarios and serves the API) and the host-setup helper (it runs in the
 * host's network namespace and keeps the lab's firewall rules).
 */
const PROTECTED_ROLES: Record<string, string> = {
  orchestrator: "it runs the scenarios and serves the API",
  prober: "it runs the probes for the orchestrator",
  "host-setup": "it keeps the host's firewall rules for the lab, in the host's network namespace",
  "net-init": "it is a one-shot that sets another service's routes whenever that service starts (start that service instead)",
};

export interface ServiceSpec {
  name: string;
  hostnames: string[];
  role: string;
  description: string;
  networks: { network: string; ipv4: string }[];
  /** On a one-shot init service: the service whose network namespace it sets up. */
  initFor?: string;
  /** The compose profiles the service is in: when it has any, it is on demand (not started by `up`). */
  profiles?: string[];
}

/** The lab's settings that are not services: the compose file's top-level `x-l7lab` key. */
export interface LabSettings {
  /** The image of the helper containers that hold network faults in a service's namespace. */
  faultHelperImage?: string;
}

export class Topology {
  readonly project: string;
  readonly services: readonly ServiceSpec[];
  readonly networks: readonly NetworkSpec[];
  readonly settings: LabSettings;

  constructor(project: string, services: ServiceSpec[], networks: NetworkSpec[], settings: LabSettings = {}) {
    this.project = project;
    this.services = services;
    this.networks = networks;
    this.settings = settings;
  }

  serviceNames(): string[] {
    return this.services.map((s) => s.name);
  }

  /**
   * For each service that has them, its one-shot init services (label l7lab.init-for), which must
   * run again each time it starts: a stopped container's network namespace goes, routes and all.
   */
  initServices(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const s of this.services) if (s.initFor !== undefined) (out[s.initFor] ??= []).push(s.name);
    return out;
  }

  /** Whether the service is on demand: in a compose profile, so not started with the lab. */
  isOnDemand(name: string): boolean {
    return (this.service(name).profiles?.length ?? 0) > 0;
  }

  /** The service with this compose name; an unknown name throws an error listing the valid ones. */
  service(name: string): ServiceSpec {
    const found = this.services.find((s) => s.name === name);
    if (!found) throw new UnknownNameError("service", name, this.serviceNames());
    return found;
  }

  /** Why scenarios and the API may not act on this service, or undefined when they may. */
  protectedReason(name: string): string | undefined {
    const why = PROTECTED_ROLES[this.service(name).role];
    return why === undefined ? undefined : `service "${name}" cannot be acted on from a scenario or the API: ${why}. Use docker compose on the host.`;
  }

  /**
   * The service that `viewer` sees `peer`'s traffic come from: the peer itself when they share a
   * network or the peer is on a network without NAT; else the service whose NAT hides it (the
   * campus router, for a campus host seen from the Internet side).
   */
  seenAs(viewer: string, peer: string): string {
    const own = new Set(this.service(viewer).networks.map((n) => n.network));
    const peerNets = this.service(peer).networks.map((n) => n.network);
    if (peerNets.some((n) => own.has(n))) return peer;
    const hiders = peerNets.map((n) => this.networks.find((x) => x.name === n)?.natBy);
    return hiders.every((h) => h !== undefined) && hiders.length > 0 ? hiders[0]! : peer;
  }

  /** The networks probes may aim at: the internal ones that are not private. */
  probeNetworks(): NetworkSpec[] {
    return this.networks.filter((n) => n.internal && !n.private);
  }

  /** Whether an IPv4 address lies in one of the networks probes may aim at, or on loopback. */
  isLabAddress(address: string): boolean {
    const ip = ipv4ToNumber(address);
    if (ip === undefined) return false;
    if (ip >>> 24 === 127) return true;
    return this.probeNetworks().some((n) => inSubnet(ip, n.subnet));
  }

  byRole(role: string): ServiceSpec[] {
    return this.services.filter((s) => s.role === role);
  }

  /** The service's address, on the given network or else its first one. */
  addressOf(name: string, network?: string): string {
    const svc = this.service(name);
    const nets = network ? svc.networks.filter((n) => n.network === network) : svc.networks;
    const first = nets[0];
    if (!first) {
      throw new UnknownNameError(`network of service ${name}`, network ?? "(any)", svc.networks.map((n) => n.network));
    }
    return first.ipv4;
  }

  /** Resolves a service name or one of its host names to a lab address; anything else is returned as is. */
  resolveHost(host: string): string {
    const h = host.replace(/\.$/, "").toLowerCase();
    const svc = this.services.find((s) => s.name === h || s.hostnames.includes(h));
    return svc?.networks[0]?.ipv4 ?? host;
  }

  /** The address of the one service with this role (for example the lab resolver or root). */
  addressOfRole(role: string): string {
    const svc = this.byRole(role)[0];
    if (!svc) throw new UnknownNameError("role", role, [...new Set(this.services.map((s) => s.role))]);
    return this.addressOf(svc.name);
  }
}

function ipv4ToNumber(address: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(address);
  if (!m) return undefined;
  const octets = m.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return octets.reduce((acc, o) => acc * 256 + o, 0);
}

function inSubnet(ip: number, subnet: string): boolean {
  const [base, bits] = subnet.split("/");
  const network = base === undefined ? undefined : ipv4ToNumber(base);
  const prefix = Number(bits);
  if (network === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) return false;
  const size = 2 ** (32 - prefix);
  return Math.floor(ip / size) === Math.floor(network / size);
}

type Json = Record<string, unknown>;
const asObject = (v: unknown): Json => (v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {});

function labelsOf(svc: Json): Record<string, string> {
  const labels = svc["labels"];
  if (Array.isArray(labels)) {
    return Object.fromEntries(labels.map((l) => String(l).split(/=(.*)/s).slice(0, 2) as [string, string]));
  }
  return Object.fromEntries(Object.entries(asObject(labels)).map(([k, v]) => [k, String(v)]));
}

/** Reads the topology out of the text of a compose file. Pure: no Docker, no file system. */
export function parseComposeTopology(text: string): Topology {
  const doc = asObject(parse(text));
  const project = typeof doc["name"] === "string" ? doc["name"] : "l7lab";
  const networks: NetworkSpec[] = Object.entries(asObject(doc["networks"])).map(([name, raw]) => {
    const net = asObject(raw);
    const config = asObject(asObject(net["ipam"])["config"] ? (asObject(net["ipam"])["config"] as unknown[])[0] : {});
    const bridge = asObject(net["driver_opts"])["com.docker.network.bridge.name"];
    return {
      name,
      subnet: String(config["subnet"] ?? ""),
      internal: net["internal"] === true,
      private: labelsOf(net)["l7lab.private"] === "true",
      description: labelsOf(net)["l7lab.description"] ?? "",
      ...(typeof bridge === "string" ? { bridge } : {}),
      ...(typeof config["ip_range"] === "string" ? { ipRange: config["ip_range"] } : {}),
      ...(labelsOf(net)["l7lab.nat-by"] ? { natBy: labelsOf(net)["l7lab.nat-by"] } : {}),
    };
  });
  const services: ServiceSpec[] = Object.entries(asObject(doc["services"])).map(([name, raw]) => {
    const svc = asObject(raw);
    const labels = labelsOf(svc);
    const nets = svc["networks"];
    const attached = Array.isArray(nets)
      ? nets.map((n) => ({ network: String(n), ipv4: "" }))
      : Object.entries(asObject(nets)).map(([network, cfg]) => ({ network, ipv4: String(asObject(cfg)["ipv4_address"] ?? "") }));
    return {
      name,
      hostnames: (labels["l7lab.hostnames"] ?? "").split(/\s+/).filter(Boolean),
      role: labels["l7lab.role"] ?? "",
      description: labels["l7lab.description"] ?? "",
      networks: attached,
      ...(labels["l7lab.init-for"] ? { initFor: labels["l7lab.init-for"] } : {}),
      ...(Array.isArray(svc["profiles"]) && svc["profiles"].length > 0 ? { profiles: svc["profiles"].map(String) } : {}),
    };
  });
  const x = asObject(doc["x-l7lab"]);
  const helper = x["fault-helper-image"];
  return new Topology(project, services, networks, typeof helper === "string" ? { faultHelperImage: helper } : {});
}

export async function loadComposeTopology(file: string): Promise<Topology> {
  return parseComposeTopology(await readFile(file, "utf8"));
}
