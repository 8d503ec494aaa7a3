import { spawn } from "node:child_process";
import Docker from "dockerode";
import { beforeAll, describe, expect, it } from "vitest";
import { api, apiBase, apiToken, explain, faultHelpers, lab, repoRoot, runScenario, type Run, type RunStep } from "./lab.ts";
import { ensureTools, tsharkFields } from "./tshark.ts";

/**
 * The real network boot: Kea's DHCP, the diskless VM (QEMU, iPXE, PXELINUX, Debian's kernel), and
 * what a user would look at: the scenario's verdict, the daemons' own logs, the VM's serial console.
 */
const docker = new Docker();

interface Boot {
  booted: boolean;
  accelerator?: string;
  dhcp: { address?: string; kinds: string[] };
  tftp: { files: string[] };
  marker?: { address: string; bootif: string; cmdline: string };
  phases: Record<string, number>;
}

/** The project's containers, by name: what a run must leave as it found. */
async function projectContainers(): Promise<string[]> {
  const list = await docker.listContainers({ all: true, filters: { label: ["com.docker.compose.project=l7lab"] } });
  return list.map((c) => c.Names[0] ?? c.Id).sort();
}

describe("scenario pxe-boot-vm: a diskless PC boots Linux over the lab's network", () => {
  let run: Run;
  let step: (id: string) => RunStep;
  let pcap: Buffer;
  beforeAll(async () => {
    ensureTools();
    // Captured, as `./l7lab run pxe-boot-vm --pcap boot.pcapng` would: the DHCP and TFTP servers' namespaces.
    const reply = await api<Run>("POST", "/scenarios/pxe-boot-vm/runs?wait=true", { capture: true });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    run = reply.body;
    step = (id) => run.steps.find((s) => s.id === id)!;
    const res = await fetch(`${apiBase}/runs/${run.id}/pcap`, { headers: { authorization: `Bearer ${apiToken()}` } });
    expect(res.status).toBe(200);
    pcap = Buffer.from(await res.arrayBuffer());
  }, 900_000);

  it("passes: Kea's lease, PXELINUX's files in order, the kernel's marker, and a power-off within the bound", () => {
    expect(run.status, explain(run)).toBe("passed");
    const boot = step("boot").result as unknown as Boot;
    expect(boot.marker?.address).toBe(boot.dhcp.address);
    expect(boot.phases["totalMs"]).toBeLessThan(170_000);
    console.log(`[netboot] ${boot.accelerator}: ${JSON.stringify(boot.phases)}`);
  });

  it("was captured: tshark shows the PC's DHCP exchange at Kea and PXELINUX's read requests at the TFTP server", () => {
    const dhcp = tsharkFields(pcap, "dhcp.hw.mac_addr == 52:54:00:12:34:56", ["frame.interface_name", "dhcp.option.dhcp"]);
    const kinds = [...new Set(dhcp.map((r) => r[1]))];
    // DHCP message types: 1 DISCOVER, 2 OFFER, 3 REQUEST, 5 ACK; all seen on Kea's interface.
    expect(kinds.slice(0, 4)).toEqual(["1", "2", "3", "5"]);
    expect(new Set(dhcp.map((r) => r[0]))).toEqual(new Set(["dhcp/eth0"]));
    const rrqs = tsharkFields(pcap, "tftp.opcode == 1", ["ip.src", "tftp.source_file"]);
    expect(rrqs.map((r) => r[1])).toEqual(["pxelinux.0", "ldlinux.c32", "pxelinux.cfg/3e2d6f8a-4b1c-5f4e-9a7b-0c1d2e3f4a5b", "pxelinux.cfg/01-52-54-00-12-34-56", "vmlinuz", "initrd.img"]);
    expect(new Set(rrqs.map((r) => r[0]))).toEqual(new Set(["10.0.0.254"]));
  });

  it("left the VM powered off by itself: the run had nothing to stop", () => {
    expect(run.cleanup).toEqual([{ service: "pxe-client", action: "none", ok: true, message: "pxe-client, which the run started, had already stopped (exited)" }]);
  });

  it("shows the exchange in the daemons' own logs, as `docker compose logs` would", async () => {
    const since = Date.parse((run as unknown as { startedAt: string }).startedAt);
    const kea = (await lab.logs("dhcp", { sinceMs: since })).map((l) => l.text);
    for (const kind of ["DHCPDISCOVER", "DHCPOFFER", "DHCPREQUEST", "DHCPACK"]) {
      expect(kea.some((t) => t.includes("[hwtype=1 52:54:00:12:34:56]") && t.includes(kind)), `${kind} in Kea's log`).toBe(true);
    }
    expect(kea.some((t) => /DHCP4_LEASE_ALLOC .*52:54:00:12:34:56.*lease 10\.1\.0\.150 has been allocated/.test(t)), "the reserved lease in Kea's log").toBe(true);
    const serial = (await lab.logs("pxe-client", { sinceMs: since })).map((l) => l.text).join("\n");
    // The lease's options are the lab's own: its router and its resolver, nothing outside.
    expect(serial).toMatch(/udhcpc: lease 10\.1\.0\.150 from 10\.1\.0\.67 \(router 10\.1\.0\.254, DNS 10\.1\.0\.53\)/);
    expect(serial).toMatch(/Next server: 10\.0\.0\.43/);
  });
});

describe("an aborted boot", () => {
  it("stops the VM and leaves nothing behind", async () => {
    const before = await projectContainers();
    const started = await api<Run>("POST", "/scenarios/pxe-boot-vm/runs");
    expect(started.status).toBe(202);
    // Abort once the VM is up (QEMU running, iPXE or later on the console).
    for (let i = 0; i < 300; i++) {
      const state = await lab.serviceState("pxe-client");
      if (state.state === "running") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 3000));
    expect((await lab.serviceState("pxe-client")).state).toBe("running");
    // QEMU has dropped root (it runs as nobody, with no capabilities) once it has opened the tap.
    const qemu = await docker.getContainer((await lab.serviceState("pxe-client")).id).top({ ps_args: "-o pid,user,comm" });
    expect((qemu.Processes as string[][]).filter((p) => p[2] === "qemu-system-x86").map((p) => p[1])).toEqual(["nobody"]);
    // Nothing but IPv4 and ARP leaves the VM for the campus: iPXE's IPv6 router solicitations are dropped.
    let dropped = 0;
    for (let i = 0; i < 100 && dropped === 0; i++) {
      const nft = await lab.exec("pxe-client", ["nft", "list", "table", "bridge", "pxe-client"]);
      dropped = Number(/counter packets (\d+)/.exec(nft.stdout)?.[1] ?? 0);
      if (dropped === 0) await new Promise((r) => setTimeout(r, 200));
    }
    expect(dropped, "IPv6 frames from the VM dropped by the container's bridge").toBeGreaterThan(0);
    expect((await api("POST", `/runs/${started.body.id}/abort`)).status).toBe(200);
    const run = (await api<Run>("GET", `/runs/${started.body.id}?wait=true`)).body;
    expect(run.status).toBe("aborted");
    expect(run.cleanup).toEqual([{ service: "pxe-client", action: "stop", ok: true, message: "stopped pxe-client, which the run started and which was still running" }]);
    expect((await lab.serviceState("pxe-client")).state).toBe("exited");
    expect(await projectContainers()).toEqual(before);
    expect(await faultHelpers()).toEqual([]);
  }, 120_000);
});

describe("by hand, as the README shows: another MAC", () => {
  let address = "";
  it("boots 52:54:00:ab:cd:ef, which has no file of its own: PXELINUX falls through to the campus's hex-IP file 0A01", async () => {
    const child = spawn("docker", ["compose", "--profile", "boot", "run", "--rm", "--no-deps", "-e", "PXE_MAC=52:54:00:ab:cd:ef", "pxe-client"], { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const code = new Promise<number | null>((resolve) => child.on("exit", resolve));
    // While that one-off VM runs, the lab's own pxe-client container is still the service's.
    for (let i = 0; i < 100 && !stdout.includes("booting from the network"); i++) await new Promise((r) => setTimeout(r, 100));
    expect((await lab.serviceState("pxe-client")).container).toBe("l7lab-pxe-client-1");
    const status = await code;
    // eslint-disable-next-line no-control-regex -- the console's ANSI escape sequences (ESC [ ...)
    const out = stdout.replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, "");
    expect(status, `${stderr}\n${out.slice(-3000)}`).toBe(0);
    expect(out).toMatch(/Configuring \(net0 52:54:00:ab:cd:ef\)/);
    const marker = /L7LAB-NETBOOT-OK address=(10\.1\.0\.\d+) .*BOOTIF=01-52-54-00-ab-cd-ef cmdline="([^"]*)"/.exec(out);
    expect(marker, out.slice(-3000)).not.toBeNull();
    // The campus label's APPEND (pxelinux.cfg/0A01), not the diskless one's.
    expect(marker![2]).toContain("l7lab.role=campus");
    address = marker![1]!;
    expect(out).toMatch(/reboot: Power down/);
  }, 300_000);

  it("and tftpd-hpa logged that client's search: 01-<mac>, then the hex address shortened digit by digit to 0A01", async () => {
    const lines = (await lab.logs("tftp", { tail: 200 })).map((l) => l.text);
    const asked = lines.map((t) => / filename (pxelinux\.cfg\/\S+)$/.exec(t)?.[1]).filter((f): f is string => f !== undefined);
    const from = asked.lastIndexOf("pxelinux.cfg/01-52-54-00-ab-cd-ef");
    expect(from, asked.join("\n")).toBeGreaterThanOrEqual(0);
    const search = asked.slice(from);
    const hex = address.split(".").map((n) => Number(n).toString(16).toUpperCase().padStart(2, "0")).join("");
    expect(hex).toMatch(/^0A0100[0-9A-F]{2}$/);
    expect(search).toEqual(["pxelinux.cfg/01-52-54-00-ab-cd-ef", ...[8, 7, 6, 5, 4].map((n) => `pxelinux.cfg/${hex.slice(0, n)}`)]);
    expect(search.at(-1)).toBe("pxelinux.cfg/0A01");
  });
});

describe("scenario pxe-boot-vm-lossy (fault): real firmware timers under 5% loss", () => {
  let run: Run;
  let step: (id: string) => RunStep;
  beforeAll(async () => {
    ({ run, step } = await runScenario("pxe-boot-vm-lossy"));
  }, 900_000);

  it("passes: the boot under loss still powers off, slower than the clean one, and the loss is gone afterwards", () => {
    expect(run.status, explain(run)).toBe("passed");
    const boot = step("boot").result as unknown as Boot & { slowdown?: { total?: number; tftp?: number } };
    expect(boot.slowdown?.tftp).toBeGreaterThan(1);
    console.log(`[netboot] under 5% loss: ${JSON.stringify(boot.phases)}, slowdown ${JSON.stringify(boot.slowdown)}`);
    expect(run.cleanup.every((c) => c.ok)).toBe(true);
  });
});
