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

export interface DockerAdapter {
  /** Every container of the compose project, one per service. */
  listServices(): Promise<ServiceState[]>;
  serviceState(service: string): Promise<ServiceState>;
  act(service: string, action: ServiceAction): Promise<ServiceState>;
  exec(service: string, command: readonly string[], options?: { timeoutMs?: number }): Promise<ExecResult>;
  logs(service: string, options?: { sinceMs?: number; tail?: number }): Promise<LogLine[]>;
}
