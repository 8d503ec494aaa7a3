import { describe, expect, it } from "vitest";
import { VirtualClock } from "../../common/testing/fake-clock.ts";
import type { DockerAdapter, LogLine } from "../../docker/docker-adapter.ts";
import { Topology } from "../../lab/topology.ts";
import type { ProbeContext } from "../probe.ts";
import { logsProbe } from "./logs-probe.ts";

const topology = new Topology("l7lab", [
  { name: "ns1", hostnames: [], role: "dns-auth", description: "", networks: [] },
  { name: "ns2", hostnames: [], role: "dns-auth", description: "", networks: [] },
], []);

/** A Docker whose logs grow: each call to logs() for a service returns one more of its lines. */
function growingDocker(lines: Record<string, string[]>, calls: Record<string, number> = {}): DockerAdapter {
  return {
    logs: (service: string, options?: { sinceMs?: number }) => {
      calls[service] = (calls[service] ?? 0) + 1;
      const all: LogLine[] = (lines[service] ?? []).slice(0, calls[service]).map((text, i) => ({ at: 1000 + i, stream: "stdout", text }));
      return Promise.resolve(all.filter((l) => options?.sinceMs === undefined || l.at >= options.sinceMs));
    },
  } as unknown as DockerAdapter;
}

/** The probe's waits (settle, the reads' interval) take no real time: the fake Docker answers at once. */
const ctx = (docker: DockerAdapter, clock = new VirtualClock()): ProbeContext => ({ signal: new AbortController().signal, clock, topology, docker, stepStartedAt: (id) => (id === "mark" ? 1001 : undefined) });

describe("the logs probe", () => {
  it("counts matching lines per service, since an earlier step", async () => {
    const docker = growingDocker({ ns1: ["query: a IN A", "query: b IN A", "query: a IN A"], ns2: ["query: a IN A"] });
    // Three reads of ns1 would be needed to see all its lines; without waitMs it reads once.
    const out = await logsProbe.run({ services: ["ns1", "ns2"], pattern: "query: a IN A", settleMs: 0 }, ctx(docker));
    expect(out.data).toMatchObject({ count: 2, byService: { ns1: 1, ns2: 1 } });
    const since = await logsProbe.run({ services: ["ns1"], pattern: "query:", since: "mark", settleMs: 0 }, ctx(growingDocker({ ns1: ["query: x", "query: y"] })));
    expect(since.data.count).toBe(0); // only the first line exists at the first read, and it is older than the mark
  });

  it("with regex, gives each line's capture groups, for later steps' templates", async () => {
    const docker = growingDocker({ ns1: ["ABC1: sender non-delivery notification: DEF2"] });
    const out = await logsProbe.run({ services: ["ns1"], pattern: "ABC1: sender non-delivery notification: ([0-9A-F]+)(x)?$", regex: true, settleMs: 0 }, ctx(docker));
    expect(out.data.lines[0]?.groups).toEqual(["DEF2", ""]);
    const plain = await logsProbe.run({ services: ["ns1"], pattern: "ABC1", settleMs: 0 }, ctx(growingDocker({ ns1: ["ABC1"] })));
    expect(plain.data.lines[0]).not.toHaveProperty("groups");
  });

  it("with waitMs, reads again until enough lines match", async () => {
    const docker = growingDocker({ ns1: ["boot", "noise", "saved mail to INBOX"] });
    const out = await logsProbe.run({ services: ["ns1"], pattern: "saved mail", waitMs: 5000, settleMs: 0 }, ctx(docker));
    expect(out.data.count).toBe(1);
    expect(out.data.lines[0]?.text).toBe("saved mail to INBOX");
  });

  it("with waitMs, gives up after that long and reports what it found", async () => {
    const clock = new VirtualClock();
    const t0 = clock.now();
    const calls: Record<string, number> = {};
    const out = await logsProbe.run({ services: ["ns1"], pattern: "never", waitMs: 600, settleMs: 0 }, ctx(growingDocker({ ns1: ["x"] }, calls), clock));
    expect(out.ok).toBe(true);
    expect(out.data.count).toBe(0);
    // Reads at 0 (twice: the first look, then the first try), 250 and 500 ms; one at 750 would be too late.
    expect(calls).toEqual({ ns1: 4 });
    expect(clock.now() - t0).toBe(500);
    expect(out.transcript.some((l) => l.text.includes("waited 600 ms"))).toBe(true);
  });

  it("finds an unknown service, a later step and a bad regular expression at load time", () => {
    const problems = logsProbe.check!({ services: ["ns3"], pattern: "(", regex: true, since: "later" }, { topology, earlierStepIds: ["mark"] });
    expect(problems.join("\n")).toMatch(/service "ns3" is not known[\s\S]*"since" names step "later"[\s\S]*not a valid regular expression/);
  });
});
