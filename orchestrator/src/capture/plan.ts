/**
 * What a packet capture records: the schema of a capture request (a scenario's `capture:` field,
 * a run request's `capture`, the live capture's query) and its resolution against the topology into
 * capture targets: a service's network namespace (its interfaces on the lab's networks) or a
 * network's bridge. Pure: no Docker here.
 */
import { Type, type Static } from "typebox";
import { InvalidInputError, UnknownNameError } from "../common/errors.ts";
import type { Topology } from "../lab/topology.ts";

/** The most packet data a run's capture keeps unless told otherwise, and the most it may be told. */
export const DEFAULT_CAPTURE_LIMIT_MB = 64;
export const MAX_CAPTURE_LIMIT_MB = 512;
export const MAX_FILTER_LENGTH = 512;
/** Services whose namespaces are never captured: they carry the API and its token, or the host's. */
const UNCAPTURABLE_ROLES: Record<string, string> = {
  orchestrator: "it carries the API and its token",
  "host-setup": "it runs in the host's network namespace",
  "net-init": "it is a one-shot that exits at once",
};

export const CaptureOptionsSchema = Type.Object(
  {
    services: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 32, description: "Capture in these services' network namespaces (every interface on a lab network)." })),
    networks: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: 8, description: "Capture on these lab networks' bridges: each packet once, whoever sent it." })),
    filter: Type.Optional(Type.String({ minLength: 1, maxLength: MAX_FILTER_LENGTH, description: 'A BPF filter, as tcpdump takes it ("port 25", "udp and not port 53").' })),
    limitMB: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_CAPTURE_LIMIT_MB, description: `The most packet data kept, in MiB (default ${DEFAULT_CAPTURE_LIMIT_MB}); later packets are counted but not kept.` })),
  },
  { additionalProperties: false },
);

export const CaptureSpecSchema = Type.Union([Type.Boolean(), CaptureOptionsSchema], {
  description: "Record the run's packets as pcapng (GET /api/runs/:id/pcap): true for the namespaces of every service the run touches, or which services and networks, a BPF filter and a size limit.",
});

export type CaptureOptions = Static<typeof CaptureOptionsSchema>;
export type CaptureSpec = Static<typeof CaptureSpecSchema>;

export type CaptureTarget =
  | { kind: "service"; name: string; interfaces: { network: string; address: string }[] }
  | { kind: "network"; name: string; bridge: string; subnet: string };

export interface CapturePlan {
  targets: CaptureTarget[];
  filter?: string;
  limitBytes: number;
}

/** The networks a capture may see: the lab's internal ones (not the management network, which carries the API). */
export function capturableNetworks(topology: Topology): string[] {
  return topology.networks.filter((n) => n.internal).map((n) => n.name);
}

/** The services whose namespaces a capture may enter: on a capturable network, and not the orchestrator or host helpers. */
export function capturableServices(topology: Topology): string[] {
  const nets = new Set(capturableNetworks(topology));
  return topology.services.filter((s) => UNCAPTURABLE_ROLES[s.role] === undefined && s.networks.some((n) => nets.has(n.network))).map((s) => s.name);
}

/**
 * A BPF filter goes to tcpdump as its own argument after `--`; still, only printable ASCII, so a
 * filter cannot smuggle a newline into a log or start with an option. tcpdump itself checks the syntax.
 */
export function filterProblem(filter: string): string | undefined {
  if (filter.length > MAX_FILTER_LENGTH) return `the capture filter is ${filter.length} characters long; ${MAX_FILTER_LENGTH} at most`;
  if (!/^[\x20-\x7e]+$/.test(filter)) return "the capture filter may hold only printable ASCII characters (a BPF expression such as \"port 25\")";
  if (filter.trimStart().startsWith("-")) return `the capture filter "${filter}" begins with "-": give a BPF expression such as "port 25", not tcpdump options`;
  return undefined;
}

/** The fields of a probe's parameters, at any depth, that name where it goes (or, for netboot, whose logs it reads). */
const TARGET_FIELDS = new Set(["server", "url", "proxy", "services", "dhcp", "tftp"]);
/** The probes that read Docker in the controller rather than go on the network from the prober. */
const CONTROLLER_PROBES = new Set(["logs", "netboot"]);

/**
 * The services a scenario's steps touch: a service, exec or fault step's service, a logs probe's
 * services, and the hosts a probe goes to (its server, url or proxy, by service name, host name or
 * URL), plus the prober for every probe step that goes on the network, and the lab resolver for a
 * DNS probe that names no server. Other strings (a user called bob, a name looked up) do not count.
 * An on-demand service (the diskless VM) does not count: it is not running when the capture starts,
 * so there is no namespace to join; its DHCP server and TFTP server, or its network, show its traffic.
 */
export function touchedServices(steps: readonly object[], topology: Topology): string[] {
  const byName = new Map<string, string>();
  for (const s of topology.services) {
    byName.set(s.name, s.name);
    for (const h of s.hostnames) byName.set(h.toLowerCase(), s.name);
  }
  const found = new Set<string>();
  const name = (value: unknown): void => {
    if (typeof value === "string") {
      for (const candidate of hostCandidates(value)) {
        const service = byName.get(candidate);
        if (service !== undefined) found.add(service);
      }
    } else if (Array.isArray(value)) {
      value.forEach(name);
    }
  };
  const targets = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(targets);
    else if (value !== null && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) (TARGET_FIELDS.has(k) ? name : targets)(v);
    }
  };
  const prober = topology.byRole("prober")[0]?.name;
  const resolver = topology.byRole("dns-resolver")[0]?.name;
  for (const raw of steps) {
    const step = raw as { kind: string; probe?: string; service?: unknown; exec?: unknown; fault?: { service?: unknown }; with?: Record<string, unknown> };
    name(step.service);
    name(step.exec);
    name(step.fault?.service);
    if (step.kind !== "probe") continue;
    targets(step.with ?? {});
    if (!CONTROLLER_PROBES.has(step.probe ?? "") && prober !== undefined) found.add(prober);
    if (step.probe === "dns" && step.with?.["server"] === undefined && resolver !== undefined) found.add(resolver);
  }
  const allowed = new Set(capturableServices(topology));
  return topology.serviceNames().filter((n) => found.has(n) && allowed.has(n) && !topology.isOnDemand(n));
}

/** The names a string may stand for: itself, a URL's host, the host of host:port, without a trailing dot. */
function hostCandidates(value: string): string[] {
  const v = value.trim().toLowerCase();
  const out = [v.replace(/\.$/, "")];
  const colon = /^([a-z0-9.-]+):\d+$/.exec(v);
  if (colon) out.push(colon[1]!.replace(/\.$/, ""));
  if (/^[a-z][a-z0-9+.-]*:\/\//.test(v)) {
    try {
      out.push(new URL(v).hostname.replace(/\.$/, ""));
    } catch {
      // not a URL after all
    }
  }
  return out;
}

/**
 * Resolves a capture request into targets. `true` (or options without services and networks)
 * means the services in `touched`. Unknown or forbidden names throw errors that list the valid
 * choices; a bad filter throws InvalidInputError.
 */
export function planCapture(spec: CaptureSpec, topology: Topology, touched: readonly string[]): CapturePlan {
  const options: CaptureOptions = spec === true || spec === false ? {} : spec;
  const problems: string[] = [];
  if (options.filter !== undefined) {
    const p = filterProblem(options.filter);
    if (p) problems.push(p);
  }
  if (problems.length > 0) throw new InvalidInputError("the capture", problems);
  const services = options.services ?? (options.networks === undefined ? [...touched] : []);
  const targets: CaptureTarget[] = [];
  const nets = new Set(capturableNetworks(topology));
  for (const name of new Set(services)) {
    if (!topology.serviceNames().includes(name)) throw new UnknownNameError("capturable service", name, capturableServices(topology));
    const svc = topology.service(name);
    const why = UNCAPTURABLE_ROLES[svc.role];
    if (why !== undefined) {
      throw new InvalidInputError("the capture", [`service "${name}" cannot be captured: ${why}. Services that can: ${capturableServices(topology).join(", ")}`]);
    }
    const interfaces = svc.networks.filter((n) => nets.has(n.network)).map((n) => ({ network: n.network, address: n.ipv4 }));
    if (interfaces.length === 0) throw new InvalidInputError("the capture", [`service "${name}" is on no lab network. Services that can be captured: ${capturableServices(topology).join(", ")}`]);
    targets.push({ kind: "service", name, interfaces });
  }
  for (const name of new Set(options.networks ?? [])) {
    const net = topology.networks.find((n) => n.name === name);
    if (!net) throw new UnknownNameError("capturable network", name, capturableNetworks(topology));
    if (!nets.has(name)) throw new InvalidInputError("the capture", [`network "${name}" cannot be captured: it is not one of the lab's own networks (the management network carries the API and its token). Networks that can: ${capturableNetworks(topology).join(", ")}`]);
    if (net.bridge === undefined) throw new InvalidInputError("the capture", [`network "${name}" has no fixed bridge name in docker-compose.yml (driver_opts com.docker.network.bridge.name), so its bridge cannot be captured`]);
    targets.push({ kind: "network", name, bridge: net.bridge, subnet: net.subnet });
  }
  if (targets.length === 0) {
    throw new InvalidInputError("the capture", [`there is nothing to capture: the scenario touches no service that can be captured; name them (capture: { services: [...] }). Services: ${capturableServices(topology).join(", ")}; networks: ${capturableNetworks(topology).join(", ")}`]);
  }
  const limitBytes = (options.limitMB ?? DEFAULT_CAPTURE_LIMIT_MB) * 2 ** 20;
  return { targets, ...(options.filter === undefined ? {} : { filter: options.filter }), limitBytes };
}

/** The name of a target as the run record and the pcapng's interface names show it. */
export function targetLabel(t: CaptureTarget): string {
  return t.kind === "service" ? t.name : `network:${t.name}`;
}
