/**
 * Where a network fault aims, in the lab's terms (services and networks, from docker-compose.yml
 * through Topology) and then in addresses for net-fault.sh: a profile narrowed `to` a peer and a
 * partition match the peers' addresses; a disconnect and a link down find the service's interface
 * by its own address on that network.
 */
import type { Topology } from "../lab/topology.ts";
import type { NetFaultFields, NetFaultSpec, NetFaultTargets } from "./net-fault-args.ts";

/** Problems with the services and networks a fault names, each listing the valid choices. */
export function netFaultTargetProblems(service: string, given: NetFaultFields, topology: Topology): string[] {
  const names = topology.serviceNames();
  const peerProblem = (field: string, peer: unknown): string[] => {
    if (typeof peer !== "string") return [];
    if (peer === service) return [`${field} names "${peer}", the service the fault is on; name another service`];
    if (!names.includes(peer)) return [`${field} names unknown service "${peer}"; valid services: ${names.join(", ")}`];
    if (!names.includes(service)) return [];
    const seen = topology.seenAs(service, peer);
    if (seen !== peer) {
      return [
        `${field} names "${peer}", whose traffic reaches "${service}" through ${seen}'s NAT, so "${service}" sees it as ${seen}'s and cannot single it out; name "${seen}" (all of its hosts), or put the fault on "${peer}" ${field === "to" ? `with to: "${service}"` : `with partition: "${service}"`}`,
      ];
    }
    return [];
  };
  const problems: string[] = [];
  problems.push(...peerProblem("to", given.to));
  const partition = typeof given.partition === "string" ? [given.partition] : Array.isArray(given.partition) ? given.partition : [];
  for (const peer of partition) problems.push(...peerProblem("partition", peer));
  if (!names.includes(service)) return problems; // the caller names the unknown service itself
  const own = topology.service(service).networks.map((n) => n.network);
  for (const field of ["disconnect", "linkDown"] as const) {
    const network = given[field];
    if (typeof network === "string" && !own.includes(network)) {
      problems.push(`${field} names network "${network}", which service "${service}" is not on; its networks: ${own.join(", ")}`);
    }
  }
  return problems;
}

/** The addresses a fault needs: the peers' (each /32) and, for a disconnect or link down, the service's own. */
export function netFaultTargets(service: string, spec: NetFaultSpec, topology: Topology): NetFaultTargets {
  const peerNames = spec.partition ?? (spec.to !== undefined ? [spec.to] : []);
  const peers = [...new Set(peerNames.flatMap((p) => topology.service(p).networks.map((n) => `${n.ipv4}/32`)))];
  const network = spec.disconnect ?? spec.linkDown;
  return network === undefined ? { peers } : { peers, ownAddress: topology.addressOf(service, network) };
}
