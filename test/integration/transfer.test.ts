import { beforeAll, describe, expect, it } from "vitest";
import { retryUntil } from "../../orchestrator/src/common/retry.ts";
import { api, explain, faultHelpers, runScenario, sh, type Run, type RunStep } from "./lab.ts";

type Totals = { retransmissions: number; duplicates: number; durationMs: number; bytes: number };

describe("scenario pxe-boot", () => {
  let run: Run;
  let step: (id: string) => RunStep;
  beforeAll(async () => {
    ({ run, step } = await runScenario("pxe-boot"));
  });

  it("passes", () => {
    expect(run.status, explain(run)).toBe("passed");
  });

  it("searches the configuration in PXELINUX's order and boots the files the configuration names", () => {
    const byMac = step("by-mac").result as { files: { role: string; filename: string; found: boolean }[] };
    expect(byMac.files.map((f) => `${f.role}:${f.filename}:${f.found}`)).toEqual([
      "bootfile:pxelinux.0:true",
      "ldlinux:ldlinux.c32:true",
      "config:pxelinux.cfg/8a6f2d3e-1c4b-4e5f-9a7b-0c1d2e3f4a5b:false",
      "config:pxelinux.cfg/01-52-54-00-12-34-56:true",
      "kernel:vmlinuz:true",
      "initrd:initrd.img:true",
    ]);
  });

  it("passes block number 65535 on the 32 MiB file and keeps every byte", () => {
    expect(step("rollover").result).toMatchObject({ blocks: 65545, rollovers: 1, bytes: 33558528 });
  });
});

describe("scenario pxe-boot-lossy (fault)", () => {
  let run: Run;
  let step: (id: string) => RunStep;
  beforeAll(async () => {
    ({ run, step } = await runScenario("pxe-boot-lossy"));
  }, 600_000);

  it("passes: the boot completes under 10% loss with the same checksums", () => {
    expect(run.status, explain(run)).toBe("passed");
  });

  it("reports the retransmissions, the packets dropped and the slowdown factor", () => {
    const clean = (step("clean").result as { totals: Totals }).totals;
    const boot = step("boot").result as { totals: Totals; slowdown: number };
    const lossy = boot.totals;
    const healed = step("healed").result as { counters: { ingressDropped: number; egressDropped: number; measuredPercent: number } };
    const slowdown = boot.slowdown;
    const ratio = lossy.durationMs / clean.durationMs;
    expect(slowdown, `reported slowdown ${slowdown}, measured ${lossy.durationMs} ms / ${clean.durationMs} ms = ${ratio.toFixed(2)}; bound: within 0.5`).toBeCloseTo(ratio, 0);
    console.log(
      `pxe-boot-lossy: clean ${clean.durationMs} ms, lossy ${lossy.durationMs} ms (slowdown ${slowdown.toFixed(1)}x), ` +
        `${lossy.retransmissions} retransmissions, dropped ${healed.counters.ingressDropped} in + ${healed.counters.egressDropped} out (${healed.counters.measuredPercent}%)`,
    );
    expect(lossy.bytes).toBe(clean.bytes);
    expect(lossy.retransmissions, `${lossy.retransmissions} retransmissions under loss, bound > 0`).toBeGreaterThan(0);
    expect(slowdown, `lossy ${lossy.durationMs} ms, clean ${clean.durationMs} ms: slowdown ${slowdown}, bound > 1`).toBeGreaterThan(1);
  });

  it("leaves no fault behind", async () => {
    expect(run.cleanup).toEqual([]);
    expect(await faultHelpers()).toEqual([]);
  });
});

describe("network faults are always undone", () => {
  it("removes the loss when a run is aborted in the middle of the lossy boot", async () => {
    const started = await api<Run>("POST", "/scenarios/pxe-boot-lossy/runs");
    expect(started.status).toBe(202);
    const id = started.body.id;
    // Wait until the lossy boot is under way, then abort.
    const bootRunning = async () => ((await api<Run>("GET", `/runs/${id}`)).body.steps.find((s) => s.id === "boot")?.status === "running" ? true : undefined);
    await retryUntil(bootRunning, "the lossy boot step starting", { timeoutMs: 30_000, intervalMs: 100 });
    expect(await faultHelpers()).toHaveLength(1);
    await api("POST", `/runs/${id}/abort`);
    const run = (await api<Run>("GET", `/runs/${id}?wait=true`)).body;
    expect(run.status).toBe("aborted");
    expect(run.cleanup).toEqual([expect.objectContaining({ service: "tftp", action: "remove loss 10% both", ok: true })]);
    expect(await faultHelpers()).toEqual([]);
    // And the server is clean again: a boot needs no retransmission. (Measured: 0 on a clean link,
    // in about 0.3 s; 19 to 29 with 10% loss left in place, with this 200 ms timer.)
    const call = await api<{ data: { booted: boolean; totals: Totals } }>("POST", "/probes/pxe/calls", { server: "tftp", mac: "52:54:00:12:34:56", ip: "10.0.0.60", timeoutMs: 200 });
    expect(call.body.data.booted).toBe(true);
    const { retransmissions, duplicates, durationMs } = call.body.data.totals;
    expect(retransmissions, `a clean network needs no retransmission: ${retransmissions} (and ${duplicates} duplicates from the server) in ${durationMs} ms, bound 0`).toBe(0);
  }, 120_000);

  it("applies loss by hand through the API, and removes it with its counters", async () => {
    type Get = { status: number; body: { ok: boolean; data: { completed: boolean; sha256: string; durationMs: number } } };
    const get = (): Promise<Get> => api("POST", "/probes/tftp/calls", { server: "tftp", action: "get", file: "ldlinux.c32", blksize: 1468, timeoutMs: 200, retries: 20 });
    const clean = await get();
    expect(clean.body.data.completed).toBe(true);
    // 20% of what the server sends is lost; tftpd-hpa's own 50 ms timer re-sends it (a client timer
    // shorter than the server's would stall the transfer: see docs/benchmarks.md).
    const applied = await api<{ id: string; helper: string }>("POST", "/faults", { service: "tftp", loss: 20, direction: "egress" });
    expect(applied.status).toBe(201);
    let helpersWhileHeld: string[] | undefined;
    let lossy: Get | undefined;
    let healed: { status: number; body: { counters: { egressSeen: number; egressDropped: number; ingressSeen: number } } } | undefined;
    try {
      helpersWhileHeld = await faultHelpers();
      lossy = await get();
    } finally {
      // Remove the fault whatever happened above; check afterwards.
      healed = await api("DELETE", `/faults/${applied.body.id}`);
    }
    expect(helpersWhileHeld).toHaveLength(1);
    expect(lossy?.body.ok, JSON.stringify(lossy?.body).slice(0, 300)).toBe(true);
    expect(lossy?.body.data.completed).toBe(true);
    expect(lossy?.body.data.sha256).toBe(clean.body.data.sha256);
    expect(lossy?.body.data.durationMs, `lost packets cost the server's retransmission timer: ${lossy?.body.data.durationMs} ms lossy, bound > ${clean.body.data.durationMs} ms clean`).toBeGreaterThan(clean.body.data.durationMs);
    expect(healed?.status).toBe(200);
    expect(healed?.body.counters.egressDropped).toBeGreaterThan(0);
    expect(healed?.body.counters.ingressSeen, "an egress fault does not count ingress").toBe(0);
    expect(await faultHelpers()).toEqual([]);
  }, 120_000);

  it("refuses a scenario's fault on a service that already has one, and leaves the first in place", async () => {
    const held = await api<{ id: string }>("POST", "/faults", { service: "tftp", loss: 0.1, direction: "both" });
    expect(held.status).toBe(201);
    let run: Run | undefined;
    let after: { status: number; body: { counters: { ingressSeen: number; egressSeen: number } | null } } | undefined;
    try {
      run = (await runScenario("pxe-boot-lossy")).run;
    } finally {
      after = await api("DELETE", `/faults/${held.body.id}`);
    }
    const lossy = run?.steps.find((s) => s.id === "lossy");
    expect(lossy?.status, run ? explain(run) : "no run").toBe("error");
    expect(lossy?.error?.message).toMatch(/already has an l7lab fault/);
    // The first fault was still there to the end: its counters saw the whole clean boot.
    expect(after?.status).toBe(200);
    expect(after?.body.counters?.egressSeen).toBeGreaterThan(2000);
    expect(await faultHelpers()).toEqual([]);
  }, 120_000);

  it("refuses a fault on an unknown service with the valid ones, and changes nothing", async () => {
    const r = await api<{ message: string }>("POST", "/faults", { service: "tftpd", loss: 10 });
    expect(r.status).toBe(404);
    expect(r.body.message).toMatch(/service "tftpd" is not known\. Valid services are .*"tftp"/);
    expect(await faultHelpers()).toEqual([]);
  });
});

describe("scenario ftp-transfer", () => {
  let run: Run;
  beforeAll(async () => {
    ({ run } = await runScenario("ftp-transfer"));
  });

  it("passes", () => {
    expect(run.status, explain(run)).toBe("passed");
  });
});

describe("by hand from Bob's workstation, as the README shows", () => {
  it("tftp fetches the PXE configuration and the kernel through the campus NAT", async () => {
    const r = await sh("bob", "cd /tmp && rm -f default vmlinuz && tftp tftp.someschool.edu -m octet -c get pxelinux.cfg/default default && tftp tftp.someschool.edu -m octet -c get vmlinuz vmlinuz && head -3 default | tail -1 && sha256sum vmlinuz");
    expect(r.exitCode, r.out).toBe(0);
    expect(r.out).toContain("DEFAULT installer");
    // Debian's kernel, byte for byte as the server has it.
    const server = await sh("tftp", "sha256sum /srv/tftp/vmlinuz");
    const sum = /^([0-9a-f]{64}) /.exec(server.out)?.[1];
    expect(sum, server.out).toBeDefined();
    expect(r.out).toContain(`${sum}  vmlinuz`);
  });

  it.each([
    ["passive", "passive on"],
    ["active (EPRT through the NAT's FTP helper)", "passive off"],
  ])("ftp logs in as bob, uploads and downloads in %s mode", async (_mode, passive) => {
    const name = `hand-${Date.now()}.txt`;
    const script = [`user bob hungry`, passive, `cd incoming`, `put /etc/hostname ${name}`, `get ${name} /tmp/${name}`, `delete ${name}`, `bye`].join("\\n");
    const r = await sh("bob", `printf '${script}\\n' | ftp -n -v ftp.someschool.edu && cmp /etc/hostname /tmp/${name} && echo SAME`);
    expect(r.exitCode, r.out).toBe(0);
    expect(r.out).toContain("230 Login successful.");
    expect(r.out).toMatch(passive === "passive on" ? /229 Entering Extended Passive Mode/ : /200 EPRT command successful/);
    expect(r.out).toContain("226 Transfer complete.");
    expect(r.out).toContain("SAME");
  });
});
