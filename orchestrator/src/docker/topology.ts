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
 */
export interface NetworkSpec {
  name: string;
  subnet: string;
  internal: boolean;
  description: string;
}

export interface ServiceSpec {
  name: string;
  hostnames: string[];
  role: string;
  description: string;
  networks: { network: string; ipv4: string }[];
}

export class Topology {
  readonly project: string;
  readonly services: readonly ServiceSpec[];
  readonly networks: readonly NetworkSpec[];

  constructor(project: string, services: ServiceSpec[], networks: NetworkSpec[]) {
    this.project = project;
    this.services = services;
    this.networks = networks;
  }

  serviceNames(): string[] {
    return this.services.map((s) => s.name);
  }

  /** The service with this compose name; an unknown name throws an error listing the valid ones. */
  service(name: string): ServiceSpec {
    const found = this.services.find((s) => s.name === name);
    if (!found) throw new UnknownNameError("service", name, this.serviceNames());
    return found;
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
    return {
      name,
      subnet: String(config["subnet"] ?? ""),
      internal: net["internal"] === true,
      description: labelsOf(net)["l7lab.description"] ?? "",
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
    };
  });
  return new Topology(project, services, networks);
}

export async function loadComposeTopology(file: string): Promise<Topology> {
  return parseComposeTopology(await readFile(file, "utf8"));
}
