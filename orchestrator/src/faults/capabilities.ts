import type { NetFaultCapabilities } from "../docker/docker-adapter.ts";

/** How one fault kind is applied on this host, and whether it can be. */
export interface KindBackend {
  backend: string;
  available: boolean;
}

/**
 * Each fault kind's backend, from what the kernel offers: the delay-line kinds (delay, jitter,
 * duplicate, reorder) use netem where the kernel has sch_netem, and the userspace delay line
 * (NFQUEUE) otherwise, or when narrowed to a peer.
 */
export function faultCapabilities(kernel: NetFaultCapabilities): { kernel: NetFaultCapabilities; kinds: Record<string, KindBackend> } {
  const delayLine: KindBackend = kernel.netem
    ? { backend: "netem (the userspace delay line, NFQUEUE, when narrowed to a peer)", available: true }
    : { backend: "userspace delay line (NFQUEUE, delay-line.c): this kernel has no sch_netem", available: kernel.nfqueue };
  const cut: KindBackend = { backend: "iptables (filter INPUT/FORWARD, and a mark routed to a dead link for what it sends)", available: true };
  return {
    kernel,
    kinds: {
      loss: { backend: "iptables statistic match", available: kernel.statistic },
      rate: { backend: "tc tbf", available: kernel.tbf },
      delay: delayLine,
      jitter: delayLine,
      duplicate: delayLine,
      reorder: delayLine,
      partition: cut,
      disconnect: cut,
      linkDown: { backend: "ip link set down (its routes kept and put back)", available: true },
      window: { backend: "route metrics (cwnd lock, initcwnd) and a flush of the TCP metrics cache", available: true },
    },
  };
}
