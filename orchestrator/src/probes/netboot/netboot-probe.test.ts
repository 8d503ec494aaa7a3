import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { FakeClock, VirtualClock } from "../../common/testing/fake-clock.ts";
import type { Clock } from "../../common/clock.ts";
import type { DockerAdapter, LogLine, ServiceState } from "../../docker/docker-adapter.ts";
import { Topology } from "../../lab/topology.ts";
import type { ProbeContext } from "../probe.ts";
import { parseDockerLogs } from "../../docker/docker-log.ts";
import { netbootProbe, tftpView } from "./netboot-probe.ts";

/** Real logs of a boot (see netboot-parse.test.ts). */
const fixture = (name: string): LogLine[] => parseDockerLogs(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

/** The lab's shape, as far as the boot goes: the campus behind the router's NAT, the TFTP server on the Internet side. */
const topology = new Topology(
  "l7lab",
  [
    { name: "pxe-client", hostnames: [], role: "pxe-client", description: "", networks: [{ network: "campus", ipv4: "" }] },
    { name: "dhcp", hostnames: [], role: "dhcp", description: "", networks: [{ network: "campus", ipv4: "10.1.0.67" }] },
    { name: "tftp", hostnames: [], role: "tftp", description: "", networks: [{ network: "internet", ipv4: "10.0.0.43" }] },
    {
      name: "router",
      hostnames: [],
      role: "router",
      description: "",
      networks: [
        { network: "campus", ipv4: "10.1.0.254" },
        { network: "internet", ipv4: "10.0.0.254" },
      ],
    },
  ],
  [
    { name: "internet", subnet: "10.0.0.0/24", internal: true, private: false, description: "" },
    { name: "campus", subnet: "10.1.0.0/24", internal: true, private: false, description: "", natBy: "router" },
  ],
);

/** The step that started the VM started a moment before the container's first line (19:44:55.059). */
const BOOT_STEP_AT = Date.parse("2026-12-07T19:44:55.000Z");
const MAC = "52:54:00:12:34:56";

const state = (s: string, exitCode?: number): ServiceState => ({
  service: "pxe-client",
  container: "l7lab-pxe-client-1",
  id: "abc",
  state: s,
  health: "none",
  ...(exitCode !== undefined ? { exitCode } : {}),
  networks: [],
});

interface FakeDocker {
  docker: DockerAdapter;
  stateCalls: number;
  logCalls: { service: string; sinceMs?: number }[];
}

/** A Docker whose client container has the given states, one per look (the last one repeating), and whose logs are the fixtures. */
function fakeDocker(states: ServiceState[], logs: Record<string, LogLine[]>): FakeDocker {
  const fake: FakeDocker = { stateCalls: 0, logCalls: [], docker: undefined as unknown as DockerAdapter };
  fake.docker = {
    serviceState: (service: string) => {
      expect(service).toBe("pxe-client");
      const s = states[Math.min(fake.stateCalls, states.length - 1)]!;
      fake.stateCalls++;
      return Promise.resolve(s);
    },
    logs: (service: string, options?: { sinceMs?: number }) => {
      fake.logCalls.push({ service, ...(options?.sinceMs !== undefined ? { sinceMs: options.sinceMs } : {}) });
      return Promise.resolve((logs[service] ?? []).filter((l) => options?.sinceMs === undefined || l.at >= options.sinceMs));
    },
  } as unknown as DockerAdapter;
  return fake;
}

const realLogs = () => ({ "pxe-client": fixture("pxe-client.txt"), dhcp: fixture("dhcp.txt"), tftp: fixture("tftp.txt") });

const ctx = (docker: DockerAdapter, clock: Clock = new VirtualClock(), signal = new AbortController().signal): ProbeContext => ({
  signal,
  clock,
  topology,
  docker,
  stepStartedAt: (id) => (id === "boot" ? BOOT_STEP_AT : undefined),
});

describe("the netboot probe", () => {
  it("waits for the VM to power off, then reads its boot from the three logs", async () => {
    const clock = new VirtualClock();
    const t0 = clock.now();
    const fake = fakeDocker([state("running"), state("running"), state("exited", 0)], realLogs());
    const out = await netbootProbe.run({ since: "boot" }, ctx(fake.docker, clock));
    expect(out.ok).toBe(true);
    // Looked at 0, 1000 and 2000 ms (the default interval), then read each log once, since the step.
    expect(fake.stateCalls).toBe(3);
    expect(clock.now() - t0).toBe(2000);
    expect(fake.logCalls).toEqual([
      { service: "pxe-client", sinceMs: BOOT_STEP_AT },
      { service: "dhcp", sinceMs: BOOT_STEP_AT },
      { service: "tftp", sinceMs: BOOT_STEP_AT },
    ]);
    const d = out.data;
    expect(d).toMatchObject({
      booted: true,
      timedOut: false,
      state: "exited",
      exitCode: 0,
      poweredOff: true,
      mac: MAC,
      uuid: "8a6f2d3e-1c4b-4e5f-9a7b-0c1d2e3f4a5b",
      accelerator: "tcg",
      marker: { address: "10.1.0.151", interface: "eth0", mac: MAC, bootif: "01-52-54-00-12-34-56" },
      serial: {
        ipxeDhcp: true,
        ipxeDhcpAt: "2026-12-07T19:45:13.377Z",
        ipxeAddress: "10.1.0.151",
        netmask: "255.255.255.0",
        gateway: "10.1.0.254",
        nextServer: "10.0.0.43",
        bootFile: "pxelinux.0",
        pxelinuxBanner: "PXELINUX 6.04 PXE 20200816 Copyright (C) 1994-2015 H. Peter Anvin et al",
        loaded: [
          { file: "vmlinuz", ok: true },
          { file: "initrd.img", ok: true },
        ],
      },
      dhcp: { kinds: ["DISCOVER", "OFFER", "REQUEST", "ACK"], leases: ["10.1.0.151", "10.1.0.151"], address: "10.1.0.151" },
      tftp: {
        seenAs: "router",
        from: "10.0.0.254",
        files: ["pxelinux.0", "ldlinux.c32", "pxelinux.cfg/3e2d6f8a-4b1c-5f4e-9a7b-0c1d2e3f4a5b", "pxelinux.cfg/01-52-54-00-12-34-56", "vmlinuz", "initrd.img"],
        notFound: ["pxelinux.cfg/3e2d6f8a-4b1c-5f4e-9a7b-0c1d2e3f4a5b"],
      },
      phases: { firmwareMs: 2265, dhcpMs: 3038, tftpMs: 1696, kernelMs: 2824, poweroffMs: 1017, totalMs: 27550 },
    });
    expect(d.serial.linuxVersion).toMatch(/^Linux version 6\.1\.0-57-amd64 \(debian-kernel@lists\.debian\.org\)/);
    expect(d.serial).not.toHaveProperty("panic");
    expect(d.dhcp.exchanges.map((x) => x.tid)).toEqual(["0x5ea64661", "0xfbfbed55"]);

    // The transcript: each event once, in time order, its atMs the time since the boot step started.
    const lines = out.transcript.map((l) => `${l.dir} ${l.peer} ${l.text}`);
    const indexOf = (line: string) => {
      const i = lines.indexOf(line);
      expect(i, line).toBeGreaterThanOrEqual(0);
      return i;
    };
    const order = [
      `* pxe-client booting from the network: MAC ${MAC}, tcg`,
      `C dhcp DHCPDISCOVER ${MAC}`,
      `S dhcp DHCPOFFER to 10.1.0.150:68 (${MAC})`,
      "* dhcp lease 10.1.0.151 allocated for 3600 s",
      `S dhcp DHCPACK to 10.1.0.151:68 (${MAC})`,
      `* pxe-client iPXE DHCP on net0 ${MAC}: ok`,
      "C tftp RRQ pxelinux.0 from 10.0.0.254",
      "* pxe-client PXELINUX 6.04 PXE 20200816 Copyright (C) 1994-2015 H. Peter Anvin et al",
      "S tftp NAK (1, File not found) for pxelinux.cfg/3e2d6f8a-4b1c-5f4e-9a7b-0c1d2e3f4a5b to 10.0.0.254",
      "C tftp RRQ initrd.img from 10.0.0.254",
      "* pxe-client Loading initrd.img... ok",
      "* pxe-client marker: address=10.1.0.151 interface=eth0 mac=52:54:00:12:34:56 BOOTIF=01-52-54-00-12-34-56",
      "* pxe-client powered off",
      "* pxe-client exited (exit code 0) after waiting 2000 ms",
      "* pxe-client phases: firmware 2265 ms, DHCP 3038 ms, iPXE's IPv6 wait 13015 ms, TFTP 1696 ms, kernel start 3671 ms, kernel to marker 2824 ms, power-off 1017 ms, total 27550 ms",
    ].map(indexOf);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(lines.filter((l) => l.includes("RRQ"))).toHaveLength(6);
    expect(out.transcript[0]!.atMs).toBe(59);
    expect(out.transcript.find((l) => l.text === "powered off")!.atMs).toBe(27609);
  });

  it("after timeoutMs, answers with timedOut: true and what the logs show so far", async () => {
    const clock = new VirtualClock();
    const t0 = clock.now();
    const fake = fakeDocker([state("running")], realLogs());
    const out = await netbootProbe.run({ since: "boot", timeoutMs: 5000, intervalMs: 1000 }, ctx(fake.docker, clock));
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ timedOut: true, booted: false, state: "running", poweredOff: true });
    expect(out.data).not.toHaveProperty("exitCode");
    expect(fake.stateCalls).toBe(6); // 0, 1000, ... 5000 ms
    expect(clock.now() - t0).toBe(5000);
    expect(out.transcript.some((l) => l.text === "still running after waiting 5000 ms: timed out")).toBe(true);
  });

  it("gives a boot that panicked as booted: false, with the panic", async () => {
    const fake = fakeDocker([state("exited", 0)], { ...realLogs(), "pxe-client": fixture("pxe-client-panic.txt") });
    const out = await netbootProbe.run({ since: "boot" }, ctx(fake.docker));
    expect(out.ok).toBe(true);
    expect(out.data).toMatchObject({ booted: false, timedOut: false, poweredOff: false, exitCode: 0 });
    expect(out.data.serial.panic).toBe("Kernel panic - not syncing: No working init found.  Try passing init= option to kernel. See Linux Documentation/admin-guide/init.rst for guidance.");
    expect(out.data).not.toHaveProperty("marker");
    expect(out.data.phases).not.toHaveProperty("kernelMs");
    expect(out.data.phases).not.toHaveProperty("poweroffMs");
    expect(out.transcript.some((l) => l.text.startsWith("Kernel panic - not syncing: No working init found."))).toBe(true);
  });

  it("does not count a boot whose Linux got no address (the marker says address=none) as booted", async () => {
    const noLease = fixture("pxe-client.txt").map((l) => ({ ...l, text: l.text.replace(/address=10\.1\.0\.151/, "address=none") }));
    const fake = fakeDocker([state("exited", 0)], { ...realLogs(), "pxe-client": noLease });
    const out = await netbootProbe.run({ since: "boot" }, ctx(fake.docker));
    expect(out.data).toMatchObject({ booted: false, poweredOff: true, marker: { address: "none" } });
  });

  it("with baselines, gives the slowdown of the whole boot and of its TFTP phase", async () => {
    const fake = fakeDocker([state("exited", 0)], realLogs());
    const out = await netbootProbe.run({ since: "boot", baselineTotalMs: 11020, baselineTftpMs: 800 }, ctx(fake.docker));
    expect(out.data.slowdown).toEqual({ total: 2.5, tftp: 2.12 }); // 27550 / 11020, 1696 / 800
    expect(out.transcript.at(-1)!.text).toBe("slowdown against the baseline: total 2.5x, TFTP 2.12x");
    const plain = await netbootProbe.run({ since: "boot" }, ctx(fakeDocker([state("exited", 0)], realLogs()).docker));
    expect(plain.data).not.toHaveProperty("slowdown");
    // A template the engine could not replace with a number is refused before the probe waits.
    await expect(netbootProbe.run({ since: "boot", baselineTftpMs: "${clean.phases.tftpMs}" }, ctx(fake.docker))).rejects.toThrow(/baselineTftpMs must be a number of milliseconds/);
  });

  it("ends at once when aborted while waiting", async () => {
    const clock = new FakeClock();
    const controller = new AbortController();
    const fake = fakeDocker([state("running")], realLogs());
    const run = netbootProbe.run({ since: "boot" }, ctx(fake.docker, clock, controller.signal));
    await clock.sleeping(1000);
    controller.abort(new Error("run cancelled"));
    await expect(run).rejects.toThrow("run cancelled");
    expect(fake.logCalls).toEqual([]);
  });

  it("throws Docker's errors, and a since step that has not run", async () => {
    const broken = { serviceState: () => Promise.reject(new Error("Docker is not answering")) } as unknown as DockerAdapter;
    await expect(netbootProbe.run({ since: "boot" }, ctx(broken))).rejects.toThrow("Docker is not answering");
    const fake = fakeDocker([state("exited", 0)], realLogs());
    await expect(netbootProbe.run({ since: "later" }, ctx(fake.docker))).rejects.toThrow(/"since" names step "later", which has not run yet/);
  });

  it("finds an unknown service and a since that is not an earlier step at load time", () => {
    const problems = netbootProbe.check!({ since: "later", client: "pxe-kiosk" }, { topology, earlierStepIds: ["boot"] });
    expect(problems.join("\n")).toMatch(/service "pxe-kiosk" is not known[\s\S]*"since" names step "later", which is not an earlier step; earlier steps are "boot"/);
    expect(netbootProbe.check!({ since: "boot" }, { topology, earlierStepIds: ["boot"] })).toEqual([]);
  });

  it("finds the address the TFTP server sees the VM as", () => {
    expect(tftpView(topology, "tftp", "pxe-client")).toEqual({ seenAs: "router", address: "10.0.0.254" });
    // A TFTP server on the campus sees the VM itself, at an address only the boot tells.
    expect(tftpView(topology, "dhcp", "pxe-client")).toEqual({ seenAs: "pxe-client" });
  });
});
