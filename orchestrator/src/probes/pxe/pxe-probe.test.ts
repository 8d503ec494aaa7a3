import { createHash } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Value } from "typebox/value";
import { type Clock, systemClock } from "../../common/clock.ts";
import { FakeClock } from "../../common/testing/fake-clock.ts";
import type { DockerAdapter } from "../../docker/docker-adapter.ts";
import { Topology } from "../../lab/topology.ts";
import type { ProbeContext } from "../probe.ts";
import { type FakeTftpOptions, type FakeTftpServer, startFakeTftpServer } from "../tftp/fake-tftp-server.ts";
import { pxeParamsSchema, pxeProbe, type PxeProbeParams } from "./pxe-probe.ts";

const topology = new Topology(
  "l7lab",
  [
    { name: "tftp", role: "tftp", hostnames: ["tftp.localhost"], description: "", networks: [{ network: "lab", ipv4: "127.0.0.1" }] },
    { name: "outside", role: "x", hostnames: [], description: "", networks: [{ network: "lab", ipv4: "198.51.100.7" }] },
  ],
  [{ name: "lab", subnet: "10.0.0.0/24", internal: true, private: false, description: "" }],
);
/**
 * The probe's timers run on it: nothing times out unless a test moves it. The tests of lost
 * packets and of a silent server use the system clock: their timeouts are the point.
 */
let clock: FakeClock;
beforeEach(() => {
  clock = new FakeClock();
});
const context = (signal = new AbortController().signal, time: Clock = clock): ProbeContext => ({ signal, clock: time, topology, docker: {} as DockerAdapter, stepStartedAt: () => undefined });
const sha = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

const kernel = Buffer.alloc(5000, 7);
const initrd = Buffer.from(Array.from({ length: 9000 }, (_, i) => (i * 31) % 251));
const BOOT = {
  "pxelinux.0": Buffer.alloc(1200, 1),
  "ldlinux.c32": Buffer.alloc(700, 2),
  "vmlinuz": kernel,
  "initrd.img": initrd,
  "pxelinux.cfg/default": "DEFAULT installer\nLABEL installer\n KERNEL vmlinuz\n INITRD initrd.img\n APPEND role=installer\n",
  "pxelinux.cfg/01-52-54-00-12-34-56": "DEFAULT diskless\nLABEL diskless\n KERNEL vmlinuz\n APPEND initrd=initrd.img role=diskless\n",
  "pxelinux.cfg/0A01": "DEFAULT campus\nLABEL campus\n KERNEL vmlinuz\n INITRD initrd.img\n APPEND role=campus\n",
};

let server: FakeTftpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
  // Ends the dallies, so that the clients' sockets close.
  await clock.advance(60_000);
});

async function boot(params: Partial<PxeProbeParams>, options: FakeTftpOptions = {}, time: Clock = clock) {
  server = await startFakeTftpServer({ files: BOOT, ...options });
  return pxeProbe.run({ server: "tftp", port: server.port, mac: "52:54:00:aa:bb:cc", ip: "10.0.0.99", ...params }, context(undefined, time));
}

describe("pxe probe", () => {
  it("boots by MAC: boot file, ldlinux.c32, 01-<mac> (after the UUID), kernel and initrd with their checksums", async () => {
    const out = await boot({ mac: "52:54:00:12:34:56", uuid: "B8945908-D6A6-41A9-611D-74A6AB80B83D", blksize: 512 });
    expect(out.ok).toBe(true);
    const d = out.data;
    expect(d.booted).toBe(true);
    expect(d.files.map((f) => `${f.role} ${f.filename} ${f.found}`)).toEqual([
      "bootfile pxelinux.0 true",
      "ldlinux ldlinux.c32 true",
      "config pxelinux.cfg/b8945908-d6a6-41a9-611d-74a6ab80b83d false",
      "config pxelinux.cfg/01-52-54-00-12-34-56 true",
      "kernel vmlinuz true",
      "initrd initrd.img true",
    ]);
    expect(d.configSearch[0]).toEqual({ file: "pxelinux.cfg/b8945908-d6a6-41a9-611d-74a6ab80b83d", found: false, error: "ERROR 1 File not found" });
    expect(d.configFile).toBe("pxelinux.cfg/01-52-54-00-12-34-56");
    expect(d.label).toMatchObject({ name: "diskless", kernel: "vmlinuz", initrds: ["initrd.img"] });
    expect(d.kernel).toMatchObject({ sha256: sha(kernel), bytes: 5000, tsize: 5000, blksize: 512 });
    expect(d.initrds[0]).toMatchObject({ sha256: sha(initrd), bytes: 9000 });
    expect(d.totals).toMatchObject({ files: 6, bytes: 1200 + 700 + BOOT["pxelinux.cfg/01-52-54-00-12-34-56"].length + 5000 + 9000, retransmissions: 0 });
    // Every request carried tsize and blksize, as PXELINUX's do.
    expect(server!.requests.every((r) => r.options["tsize"] === "0" && r.options["blksize"] === "512")).toBe(true);
  });

  it("falls back through the hex-address prefixes to the subnet file, and to default", async () => {
    const campus = await boot({ ip: "10.1.0.77" });
    expect(campus.data.configSearch.map((c) => `${c.file} ${c.found}`)).toEqual([
      "pxelinux.cfg/01-52-54-00-aa-bb-cc false",
      "pxelinux.cfg/0A01004D false",
      "pxelinux.cfg/0A01004 false",
      "pxelinux.cfg/0A0100 false",
      "pxelinux.cfg/0A010 false",
      "pxelinux.cfg/0A01 true",
    ]);
    expect(campus.data.label?.name).toBe("campus");
    await server!.close();

    const other = await boot({ ip: "10.0.0.99" });
    expect(other.data.configSearch).toHaveLength(10);
    expect(other.data.configFile).toBe("pxelinux.cfg/default");
    expect(other.data.label?.append).toBe("role=installer");
    expect(other.data.booted).toBe(true);
  });

  it("reports a boot that stops at a missing kernel as a result, with the server's ERROR", async () => {
    const { vmlinuz: _gone, ...withoutKernel } = BOOT;
    const out = await boot({}, { files: withoutKernel });
    expect(out.ok).toBe(true);
    expect(out.data.booted).toBe(false);
    expect(out.data.problem).toBe("the kernel could not be fetched: vmlinuz: ERROR 1 File not found");
  });

  it("boots the label asked for instead of DEFAULT, and says which labels exist when it is not there", async () => {
    server = await startFakeTftpServer({ files: { ...BOOT, "pxelinux.cfg/default": "DEFAULT a\nLABEL a\nKERNEL vmlinuz\nLABEL b\nKERNEL vmlinuz\nINITRD initrd.img\n" } });
    const b = await pxeProbe.run({ server: "tftp", port: server.port, mac: "52:54:00:aa:bb:cc", ip: "10.0.0.99", label: "b" }, context());
    expect(b.data.label?.name).toBe("b");
    expect(b.data.initrds).toHaveLength(1);
    const c = await pxeProbe.run({ server: "tftp", port: server.port, mac: "52:54:00:aa:bb:cc", ip: "10.0.0.99", label: "c" }, context());
    expect(c.data.problem).toBe('label "c" is not in the configuration; its labels are "a", "b"');
  });

  it("survives lost packets and counts the retransmissions", async () => {
    let n = 0;
    // Relations only: however many timeouts a loaded machine adds, each is counted where it happened.
    const out = await boot({ timeoutMs: 50 }, { resendOnDuplicateAck: true, dropOutgoing: (p) => p.type === "DATA" && ++n % 4 === 0 }, systemClock);
    expect(out.data.problem).toBeUndefined();
    expect(out.data.booted).toBe(true);
    expect(out.data.kernel?.sha256).toBe(sha(kernel));
    expect(out.data.totals.retransmissions).toBeGreaterThan(0);
    expect(out.data.totals.retransmissions).toBe(out.data.files.reduce((a, f) => a + f.retransmissions, 0));
  });

  it("is ok: false with the partial boot when the server stops answering", async () => {
    const out = await boot({ timeoutMs: 30, retries: 1 }, { silent: true }, systemClock);
    expect(out.ok).toBe(false);
    expect(out.error?.code).toBe("PROBE_TIMEOUT");
    expect(out.data.booted).toBe(false);
  });

  it("gives the slowdown against a baseline duration, and refuses a template that did not become a number", async () => {
    const out = await boot({ baselineMs: 0.5 });
    expect(out.data.slowdown).toBe(Math.round((out.data.totals.durationMs / 0.5) * 10) / 10);
    await expect(pxeProbe.run({ server: "tftp", mac: "52:54:00:aa:bb:cc", ip: "10.0.0.99", baselineMs: "${clean.totals.durationMs}" }, context())).rejects.toThrow(
      /baselineMs must be a number of milliseconds; the template \$\{clean.totals.durationMs\} did not give one/,
    );
    expect(Value.Check(pxeParamsSchema, { server: "tftp", mac: "52:54:00:12:34:56", ip: "10.0.0.9", baselineMs: "${a.b}" })).toBe(true);
    expect(Value.Check(pxeParamsSchema, { server: "tftp", mac: "52:54:00:12:34:56", ip: "10.0.0.9", baselineMs: "fast" })).toBe(false);
  });

  it("refuses at load time a server outside the lab, a bad MAC and a bad address", () => {
    expect(pxeProbe.check!({ server: "outside", mac: "52:54:00:12:34:56", ip: "10.0.0.9" }, { topology, earlierStepIds: [] })[0]).toMatch(/not in the lab's networks/);
    expect(Value.Check(pxeParamsSchema, { server: "tftp", mac: "52:54:00:12:34", ip: "10.0.0.9" })).toBe(false);
    expect(Value.Check(pxeParamsSchema, { server: "tftp", mac: "52:54:00:12:34:56", ip: "10.0.0.900" })).toBe(false);
    expect(Value.Check(pxeParamsSchema, { server: "tftp", mac: "52:54:00:12:34:56", ip: "10.0.0.9" })).toBe(true);
  });
});
