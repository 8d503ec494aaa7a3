import { readFile } from "node:fs/promises";
import { isIP } from "node:net";
import { InvalidInputError } from "../common/errors.ts";
import type { Topology } from "../lab/topology.ts";

/**
 * The address of a server a probe is asked to talk to: a compose service name, a lab host name or
 * an address, which must lie in one of the lab's networks (or on loopback, for tests). Probes talk
 * to nothing else. Throws InvalidInputError naming what to fix.
 */
export function labServerAddress(what: string, server: string, topology: Topology): string {
  const address = topology.resolveHost(server);
  if (isIP(address) === 0) {
    throw new InvalidInputError(what, [`server "${server}" is not a lab service, a lab host name or an IP address`]);
  }
  if (!topology.isLabAddress(address)) {
    const subnets = topology.probeNetworks().map((n) => n.subnet);
    throw new InvalidInputError(what, [`server "${server}" (${address}) is not in the lab's networks (${subnets.join(", ")}); the probe asks only lab servers`]);
  }
  return address;
}

/** A probe's load-time check of its `server` parameter: the problems, or none. */
export function serverProblems(what: string, server: string | undefined, topology: Topology): string[] {
  if (server === undefined) return [];
  try {
    labServerAddress(what, server, topology);
    return [];
  } catch (error) {
    return error instanceof InvalidInputError ? (error.details["problems"] as string[]) : [(error as Error).message];
  }
}

/**
 * The PEM text of the CA a TLS probe should trust: the lab CA named by L7LAB_CA_FILE (set for the
 * orchestrator by docker-compose.yml), else undefined (Node's own list). Requests and scenario
 * files cannot name a file: the probes read no path but this one. An unreadable file is an
 * InvalidInputError.
 */
export async function readLabCa(what: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const file = env["L7LAB_CA_FILE"] || undefined;
  if (file === undefined) return undefined;
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    throw new InvalidInputError(what, [`the lab CA "${file}" (L7LAB_CA_FILE) cannot be read: ${(error as Error).message}`]);
  }
}
