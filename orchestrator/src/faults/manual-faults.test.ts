import { describe, expect, it } from "vitest";
import { L7labError } from "../common/errors.ts";
import { ManualFaults } from "./manual-faults.ts";
import { FakeDocker, SERVICES, testTopology, VirtualClock } from "../scenarios/testing/fakes.ts";

function setup() {
  const docker = new FakeDocker(SERVICES);
  const clock = new VirtualClock(Date.UTC(2025, 0, 1));
  return { docker, clock, faults: new ManualFaults(docker, testTopology(), clock) };
}

const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (e: unknown) => e as L7labError);

describe("ManualFaults", () => {
  it("applies a rate limit as net-fault.sh rate <kbit>, shows it, and heals it with the shaper's counters after the time it was held", async () => {
    const { docker, clock, faults } = setup();
    const fault = await faults.apply({ service: "dns-resolver", rateKbit: 1500 });
    expect(fault).toEqual({ id: "f1", service: "dns-resolver", rateKbit: 1500, helper: "fault-dns-resolver-1", appliedAt: "2025-01-01T00:00:00.000Z" });
    expect(docker.calls).toContain("netfault dns-resolver rate 1500");
    expect(faults.list()).toEqual([fault]);
    await clock.sleep(2500);
    expect(await faults.heal("f1")).toEqual({ fault: "f1", service: "dns-resolver", rateKbit: 1500, heldMs: 2500, counters: { sentBytes: 150_000, sentPackets: 100, dropped: 3, overlimits: 40 } });
    expect(faults.list()).toEqual([]);
    expect(docker.netFaults.size).toBe(0);
  });

  it("keeps a loss fault's shape: { loss, direction } when applied, loss counters when healed", async () => {
    const { faults } = setup();
    const fault = await faults.apply({ service: "dns-resolver", loss: 5, direction: "egress" });
    expect(fault).toEqual({ id: "f1", service: "dns-resolver", loss: 5, direction: "egress", helper: "fault-dns-resolver-1", appliedAt: "2025-01-01T00:00:00.000Z" });
    expect(await faults.heal("f1")).toEqual({
      fault: "f1",
      service: "dns-resolver",
      loss: 5,
      direction: "egress",
      heldMs: 0,
      counters: { ingressSeen: 100, ingressDropped: 10, egressSeen: 100, egressDropped: 10, measuredPercent: 10 },
    });
  });

  it("allows one fault per service whatever its kind, also while the first is still being applied", async () => {
    const { docker, faults } = setup();
    const first = faults.apply({ service: "dns-resolver", loss: 10 });
    const during = await refusal(faults.apply({ service: "dns-resolver", rateKbit: 1500 }));
    expect(during).toMatchObject({ code: "FAULT_EXISTS", status: 409 });
    expect(during?.message).toMatch(/is being applied to service "dns-resolver" right now/);
    await first;
    const after = await refusal(faults.apply({ service: "dns-resolver", rateKbit: 1500 }));
    expect(after?.message).toBe('service "dns-resolver" already has network fault f1 (loss 10% both); remove it first with DELETE /api/faults/f1');
    expect(await faults.apply({ service: "dns-hamburger-1", rateKbit: 64 })).toMatchObject({ id: "f2", rateKbit: 64 });
    expect(docker.netFaults.size).toBe(2);
    expect(await faults.healAll()).toEqual([]);
    expect(docker.netFaults.size).toBe(0);
  });

  it("refuses a bad request with a 400 that names what to fix, before touching Docker", async () => {
    const { docker, faults } = setup();
    const cases: [Record<string, unknown>, string][] = [
      [{ rateKbit: 4 }, "the fault is invalid: rateKbit must be a whole number of kbit/s from 8 to 10000000 (10 Gbit/s); got 4"],
      [{ rateKbit: 1500, partition: "dns-root" }, "the fault is invalid: a fault is one of loss, rateKbit, delayMs (with jitterMs), duplicate, reorder, windowSegments; or partition, disconnect or linkDown; this one mixes a link profile (loss, rateKbit, delayMs, duplicate, reorder, windowSegments) and partition (one network fault per service at a time)"],
      [{}, "the fault is invalid: a fault needs one of loss, rateKbit, delayMs (with jitterMs), duplicate, reorder, windowSegments; or partition, disconnect or linkDown; it has none"],
      [{ rateKbit: 1500, direction: "ingress" }, "the fault is invalid: direction applies only to loss; remove it, or give loss (percent)"],
      [{ delayMs: 20, to: "www-nowhere" }, expect.stringMatching(/^the fault is invalid: to names unknown service "www-nowhere"; valid services: /) as unknown as string],
      [{ disconnect: "campus" }, expect.stringMatching(/^the fault is invalid: disconnect names network "campus", which service "dns-resolver" is not on; its networks: \w/) as unknown as string],
    ];
    for (const [fields, message] of cases) {
      const e = await refusal(faults.apply({ service: "dns-resolver", ...fields }));
      expect(e, JSON.stringify(fields)).toBeInstanceOf(L7labError);
      expect(e).toMatchObject({ status: 400, message });
    }
    expect(docker.calls.filter((c) => c.startsWith("netfault"))).toEqual([]);
  });

  it("records nothing when the helper cannot apply the fault", async () => {
    const { docker, faults } = setup();
    docker.netFaultFails.add("dns-resolver apply");
    await expect(faults.apply({ service: "dns-resolver", rateKbit: 1500 })).rejects.toThrow();
    expect(faults.list()).toEqual([]);
    docker.netFaultFails.clear();
    expect(await faults.apply({ service: "dns-resolver", rateKbit: 1500 })).toMatchObject({ service: "dns-resolver" });
  });
});
