/** What the orchestrator needs from Docker, behind an interface (implemented with dockerode). */

export const SERVICE_ACTIONS = ["stop", "start", "restart", "pause", "unpause", "kill"] as const;
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

export type ContainerHealth = "healthy" | "unhealthy" | "starting" | "none";

export interface ServiceState {
  service: string;
  container: string;
  id: string;
  /** Docker's container state: running, exited, paused, restarting, created, dead. */
  state: string;
  health: ContainerHealth;
  /** The exit code of a container that has exited, from Docker's status text ("Exited (0) 3 seconds ago"). */
  exitCode?: number;
  networks: { name: string; ipv4: string }[];
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface LogLine {
  /** ms since epoch, from Docker's own timestamp. */
  at: number;
  stream: "stdout" | "stderr";
  text: string;
}

/** A network fault held by a helper container in a service's network namespace. */
export interface NetFaultHandle {
  service: string;
  /** The helper container's name and id. */
  helper: string;
  helperId: string;
  /** The arguments given to net-fault.sh, for example ["loss", "10", "both"] or ["rate", "1500"]. */
  args: string[];
}

/** What the kernel offers network faults: `net-fault.sh capabilities`, one yes or no each. */
export interface NetFaultCapabilities {
  netem: boolean;
  nfqueue: boolean;
  statistic: boolean;
  tbf: boolean;
}

export interface DockerAdapter {
  /** Every container of the compose project, one per service. */
  listServices(): Promise<ServiceState[]>;
  serviceState(service: string): Promise<ServiceState>;
  act(service: string, action: ServiceAction): Promise<ServiceState>;
  exec(service: string, command: readonly string[], options?: { timeoutMs?: number }): Promise<ExecResult>;
  logs(service: string, options?: { sinceMs?: number; tail?: number }): Promise<LogLine[]>;
  /**
   * Starts a helper container in the service's network namespace that applies a network fault
   * (services/router/net-fault.sh) and holds it until removed. Resolves once the fault is in place.
   */
  applyNetFault(service: string, args: readonly string[]): Promise<NetFaultHandle>;
  /** The fault's counters ("name value" lines from net-fault.sh stats), read from its helper. */
  netFaultStats(handle: NetFaultHandle): Promise<Record<string, number>>;
  /** Stops the helper, which removes the fault, then removes the helper container. */
  removeNetFault(handle: NetFaultHandle): Promise<void>;
  /** What this kernel offers network faults (netem, NFQUEUE, ...), asked once of a throwaway helper. */
  netFaultCapabilities(): Promise<NetFaultCapabilities>;
  /** Removes every fault helper of the project left by an earlier orchestrator (crash, kill). Returns their names. */
  removeStrayNetFaults(): Promise<string[]>;
}
