import type { Clock } from "../common/clock.ts";
import { retryUntil } from "../common/retry.ts";
import type { DockerAdapter, ServiceState } from "../docker/docker-adapter.ts";
import { ServiceNotHealthyError } from "../scenarios/errors.ts";

export interface HealthWaitOptions {
  clock: Clock;
  timeoutMs: number;
  intervalMs: number;
  signal?: AbortSignal;
}

/** Running, and healthy if the container has a health check at all. */
export function isHealthy(state: ServiceState): boolean {
  return state.state === "running" && (state.health === "healthy" || state.health === "none");
}

/** Polls the service until Docker says it is healthy; throws ServiceNotHealthyError when time is up. */
export async function waitHealthy(docker: DockerAdapter, service: string, options: HealthWaitOptions): Promise<ServiceState> {
  let last = "no answer from Docker";
  try {
    return await retryUntil(
      async () => {
        const state = await docker.serviceState(service);
        last = `state ${state.state}, health ${state.health}`;
        return isHealthy(state) ? state : undefined;
      },
      `wait for ${service} to be healthy`,
      { clock: options.clock, timeoutMs: options.timeoutMs, intervalMs: options.intervalMs, ...(options.signal ? { signal: options.signal } : {}) },
    );
  } catch {
    if (options.signal?.aborted) throw options.signal.reason;
    throw new ServiceNotHealthyError(service, options.timeoutMs, last);
  }
}
