/**
 * Benchmark: a real network boot against the emulated one, on the same TFTP tree. Each round runs
 * pxe-boot-vm (the diskless VM: QEMU, iPXE, PXELINUX, Debian's kernel; its boot step's phases) and
 * the `by-mac` step of pxe-boot (the orchestrator's `pxe` probe fetching the same files as the
 * same client, 52:54:00:12:34:56), in turn, so that both see the same machine; medians.
 *
 *   npm run bench:boot [-- --rounds N]
 *
 * Reported: where the VM's time goes (firmware start, DHCP, iPXE's wait for an IPv6 router
 * advertisement, TFTP, the kernel's start, kernel to marker, power-off, whole boot), the emulated client's transfer of the same files, and the ratio of the VM's TFTP
 * phase to it: what the firmware's TFTP (iPXE for pxelinux.0, then PXELINUX's own, over the PXE
 * API) costs against a client that only moves bytes. Needs the lab up (`./l7lab up`); run it alone.
 */
import { call, machine, median, opt } from "./api.ts";
import type { RunRecord } from "../orchestrator/src/engine/run-record.ts";

const rounds = opt(process.argv.slice(2), "rounds", 3);

interface Phases { firmwareMs?: number; dhcpMs?: number; configureMs?: number; tftpMs?: number; kernelStartMs?: number; kernelMs?: number; poweroffMs?: number; totalMs?: number }
const result = <T>(run: RunRecord, id: string) => run.steps.find((s) => s.id === id)?.result as T | undefined;

const vm: { phases: Phases; accelerator?: string; run: number }[] = [];
const emulated: { ms: number; bytes: number; files: number }[] = [];
let failed = 0;
for (let i = 0; i < rounds; i++) {
  for (const which of i % 2 === 0 ? ["vm", "probe"] : ["probe", "vm"]) {
    if (which === "vm") {
      const run = await call<RunRecord>("POST", "/scenarios/pxe-boot-vm/runs?wait=true", {});
      const boot = result<{ phases: Phases; accelerator?: string }>(run, "boot");
      if (run.status !== "passed" || !boot) {
        failed++;
        console.error(`pxe-boot-vm: ${run.status}: ${run.error?.message ?? run.steps.find((s) => s.status !== "passed")?.title ?? ""}`);
        continue;
      }
      vm.push({ phases: boot.phases, ...(boot.accelerator ? { accelerator: boot.accelerator } : {}), run: run.durationMs ?? NaN });
    } else {
      const run = await call<RunRecord>("POST", "/scenarios/pxe-boot/runs?wait=true", {});
      const byMac = result<{ booted: boolean; totals: { durationMs: number; bytes: number; files: number } }>(run, "by-mac");
      if (!byMac?.booted) {
        failed++;
        console.error(`pxe-boot: the by-mac client did not boot (${run.status})`);
        continue;
      }
      emulated.push({ ms: byMac.totals.durationMs, bytes: byMac.totals.bytes, files: byMac.totals.files });
    }
  }
}

const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : "n/a");
const m = (f: (p: Phases) => number | undefined) => median(vm.map((v) => f(v.phases) ?? NaN));
const tftp = m((p) => p.tftpMs);
const probe = median(emulated.map((e) => e.ms));
const bytes = median(emulated.map((e) => e.bytes));
console.log(`${rounds} rounds, the VM (${[...new Set(vm.map((v) => v.accelerator ?? "?"))].join(", ")}) and the emulated client in turn; medians\n`);
console.log("| the VM's boot | firmware start | DHCP (iPXE) | iPXE's IPv6 wait | TFTP (pxelinux.0 to initrd) | kernel start | kernel to marker | power-off | whole boot | scenario run |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
console.log(`| pxe-boot-vm | ${s(m((p) => p.firmwareMs))} | ${s(m((p) => p.dhcpMs))} | ${s(m((p) => p.configureMs))} | ${s(tftp)} | ${s(m((p) => p.kernelStartMs))} | ${s(m((p) => p.kernelMs))} | ${s(m((p) => p.poweroffMs))} | ${s(m((p) => p.totalMs))} | ${s(median(vm.map((v) => v.run)))} |`);
console.log("\n| the same files | emulated `pxe` probe | the VM's TFTP phase | ratio |");
console.log("| --- | --- | --- | --- |");
console.log(`| ${median(emulated.map((e) => e.files))} files, ${(bytes / 2 ** 20).toFixed(1)} MiB | ${s(probe)} (${((bytes * 8) / (probe / 1000) / 1e6).toFixed(0)} Mbit/s) | ${s(tftp)} (${((bytes * 8) / (tftp / 1000) / 1e6).toFixed(0)} Mbit/s) | ${(tftp / probe).toFixed(1)}× |`);
console.log(`\n${machine()}`);
if (failed > 0) process.exitCode = 1;
