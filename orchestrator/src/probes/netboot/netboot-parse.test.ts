import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { LogLine } from "../../docker/docker-adapter.ts";
import { parseDockerLogs } from "../../docker/docker-log.ts";
import { analyzeNetboot, cleanSerialText, lastBoot, parseKea, parseMarker, parseSerial, parseTftpd } from "./netboot-parse.ts";

/**
 * The fixtures are excerpts of real logs as `docker logs -t` prints them (Docker's RFC 3339
 * timestamps). pxe-client.txt: the end of one boot, then the whole of the next, cut down to its
 * telling lines and some noise; dhcp.txt and tftp.txt: Kea's and tftpd-hpa's lines of the same
 * time (tftp.txt also holds the earlier boot's requests). pxe-client-panic.txt is the same boot
 * with its end replaced by a kernel panic, as the kernel prints one.
 */
const fixture = (name: string): LogLine[] => parseDockerLogs(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));

const MAC = "52:54:00:12:34:56";
const LAB_VIEW = { seenAs: "router", address: "10.0.0.254" };
const at = (iso: string) => Date.parse(iso);
/** The second boot's first line (the container's own), to the ms. */
const BOOT_START = at("2026-12-07T19:44:55.059Z");

describe("the serial console", () => {
  it("reads a line as a person would: escape sequences, carriage returns and backspaces gone", () => {
    const lines = fixture("pxe-client.txt");
    const mashUp = lines.find((l) => l.text.includes("Probing EDD"))!;
    expect(mashUp.text).toContain("o\x1bc\x1b[?7l\x1b[2J[    0.000000] Linux version");
    expect(cleanSerialText(mashUp.text)).toMatch(/^Probing EDD \(edd=off to disable\)\.\.\. o\[ {4}0\.000000\] Linux version 6\.1\.0-57-amd64 \(debian-kernel@lists\.debian\.org\)/);
    const banner = lines.find((l) => l.text.includes("Open Source Network Boot Firmware"))!;
    expect(cleanSerialText(banner.text)).toBe("iPXE 1.0.0+git-20190125.36a4c85-5.1 -- Open Source Network Boot Firmware -- http");
    expect(cleanSerialText("\rLoading initrd.img...ok\r")).toBe("Loading initrd.img...ok");
    expect(cleanSerialText("line...\b \b\b \bnet0: up")).toBe("line.net0: up");
  });

  it("takes the container's latest run and finds each stage of the boot", () => {
    const all = fixture("pxe-client.txt");
    const boot = lastBoot(all);
    expect(boot[0]!.at).toBe(BOOT_START);
    expect(all.length - boot.length).toBe(4); // the earlier boot's marker and power-down are left out
    const s = parseSerial(boot);
    expect(s).toMatchObject({
      mac: MAC,
      uuid: "8a6f2d3e-1c4b-4e5f-9a7b-0c1d2e3f4a5b",
      memoryMiB: 256,
      accelerator: "tcg",
      ipxeDhcp: true,
      ipxeDhcpAt: at("2026-12-07T19:45:13.377Z"),
      ipxeAddress: "10.1.0.151",
      netmask: "255.255.255.0",
      gateway: "10.1.0.254",
      nextServer: "10.0.0.43",
      bootFile: "pxelinux.0",
      pxelinuxBanner: "PXELINUX 6.04 PXE 20200816 Copyright (C) 1994-2015 H. Peter Anvin et al",
      linuxVersion:
        "Linux version 6.1.0-57-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-26)",
      linuxAt: at("2026-12-07T19:45:18.768Z"),
      marker: {
        address: "10.1.0.151",
        interface: "eth0",
        mac: MAC,
        bootif: "01-52-54-00-12-34-56",
        cmdline: "BOOT_IMAGE=vmlinuz console=ttyS0 panic=10 l7lab.role=diskless hostname=diskless1 initrd=initrd.img BOOTIF=01-52-54-00-12-34-56",
      },
      markerAt: at("2026-12-07T19:45:21.592Z"),
      poweredOff: true,
      poweredOffAt: at("2026-12-07T19:45:22.609Z"),
      startAt: BOOT_START,
      endAt: at("2026-12-07T19:45:22.609Z"),
    });
    expect(s.loaded.map(({ file, ok }) => ({ file, ok }))).toEqual([
      { file: "vmlinuz", ok: true },
      { file: "initrd.img", ok: true },
    ]);
    expect(s.panic).toBeUndefined();
    expect(s.events.map((e) => e.text)).toEqual([
      `booting from the network: MAC ${MAC}, tcg`,
      `iPXE DHCP on net0 ${MAC}: ok`,
      "iPXE address 10.1.0.151/255.255.255.0 gw 10.1.0.254",
      "next server 10.0.0.43",
      "boot file pxelinux.0",
      "PXELINUX 6.04 PXE 20200816 Copyright (C) 1994-2015 H. Peter Anvin et al",
      "Loading vmlinuz... ok",
      "Loading initrd.img... ok",
      expect.stringMatching(/^Linux version 6\.1\.0-57-amd64 /),
      `marker: address=10.1.0.151 interface=eth0 mac=${MAC} BOOTIF=01-52-54-00-12-34-56`,
      "powered off",
    ]);
  });

  it("reads a kernel panic, and no marker or power-down after it", () => {
    const s = parseSerial(lastBoot(fixture("pxe-client-panic.txt")));
    expect(s.panic).toBe("Kernel panic - not syncing: No working init found.  Try passing init= option to kernel. See Linux Documentation/admin-guide/init.rst for guidance.");
    expect(s.panicAt).toBe(at("2026-12-07T19:45:20.989Z"));
    expect(s.marker).toBeUndefined();
    expect(s.poweredOff).toBe(false);
    expect(s.linuxVersion).toMatch(/^Linux version 6\.1\.0-57-amd64/);
  });

  it("tells an iPXE DHCP that failed, and reads a marker's quoted and missing fields", () => {
    const s = parseSerial([{ at: 1, stream: "stdout", text: "Configuring (net0 52:54:00:12:34:56)...... No configuration methods succeeded (http://ipxe.org/040ee186)\r" }]);
    expect(s.ipxeDhcp).toBe(false);
    expect(parseMarker(' address=10.1.0.9 cmdline="a b=c" BOOTIF=01-aa')).toEqual({ address: "10.1.0.9", cmdline: "a b=c", bootif: "01-aa" });
  });
});

describe("Kea's packet log", () => {
  it("gives the MAC's messages, exchanges and leases in order", () => {
    const d = parseKea(fixture("dhcp.txt"), MAC);
    expect(d.messages).toEqual(["DISCOVER", "OFFER", "DISCOVER", "OFFER", "REQUEST", "ACK", "DISCOVER", "OFFER", "REQUEST", "ACK"]);
    expect(d.kinds).toEqual(["DISCOVER", "OFFER", "REQUEST", "ACK"]);
    expect(d.exchanges).toEqual([
      { tid: "0x5ea64661", messages: ["DISCOVER", "OFFER", "DISCOVER", "OFFER", "REQUEST", "ACK"], address: "10.1.0.151", ms: 3038 },
      { tid: "0xfbfbed55", messages: ["DISCOVER", "OFFER", "REQUEST", "ACK"], address: "10.1.0.151", ms: 26 },
    ]);
    expect(d.leases).toEqual(["10.1.0.151", "10.1.0.151"]);
    expect(d.address).toBe("10.1.0.151");
    expect(d.firstAt).toBe(at("2026-12-07T19:44:57.324Z"));
    expect(d.discoverAt).toBe(at("2026-12-07T19:44:57.324Z"));
    expect(d.ackAt).toBe(at("2026-12-07T19:45:00.362Z"));
    expect(d.events.slice(0, 2).map((e) => `${e.dir} ${e.text}`)).toEqual([`C DHCPDISCOVER ${MAC}`, `S DHCPOFFER to 10.1.0.150:68 (${MAC})`]);
  });

  it("leaves out another client's lines, even in between", () => {
    const real = fixture("dhcp.txt");
    // Another PC's exchange, a moment before each of ours, with its own MAC, tid and lease.
    const other = real.map((l) => ({ ...l, at: l.at - 1, text: l.text.replaceAll(MAC, "52:54:00:ab:cd:ef").replaceAll("0x5ea64661", "0x11111111").replaceAll("10.1.0.151", "10.1.0.160") }));
    const mixed = [...other, ...real].sort((a, b) => a.at - b.at);
    const d = parseKea(mixed, MAC.toUpperCase());
    expect(d.messages).toHaveLength(10);
    expect(d.exchanges.map((x) => x.tid)).toEqual(["0x5ea64661", "0xfbfbed55"]);
    expect(d.leases).toEqual(["10.1.0.151", "10.1.0.151"]);
    expect(parseKea(mixed, "52:54:00:ab:cd:ef").exchanges[0]).toEqual({ tid: "0x11111111", messages: ["DISCOVER", "OFFER", "DISCOVER", "OFFER", "REQUEST", "ACK"], address: "10.1.0.160", ms: 3038 });
    expect(parseKea(mixed, undefined).messages).toEqual([]);
  });
});

describe("tftpd-hpa's log", () => {
  it("gives the address's requests in order, and the files not found", () => {
    const lines = fixture("tftp.txt").filter((l) => l.at >= BOOT_START);
    const t = parseTftpd(lines, "10.0.0.254");
    expect(t.files).toEqual(["pxelinux.0", "ldlinux.c32", "pxelinux.cfg/3e2d6f8a-4b1c-5f4e-9a7b-0c1d2e3f4a5b", "pxelinux.cfg/01-52-54-00-12-34-56", "vmlinuz", "initrd.img"]);
    expect(t.notFound).toEqual(["pxelinux.cfg/3e2d6f8a-4b1c-5f4e-9a7b-0c1d2e3f4a5b"]);
    expect(t.firstRrqAt).toBe(at("2026-12-07T19:45:13.401Z"));
    expect(t.events.map((e) => `${e.dir} ${e.text}`).slice(2, 4)).toEqual([
      "C RRQ pxelinux.cfg/3e2d6f8a-4b1c-5f4e-9a7b-0c1d2e3f4a5b from 10.0.0.254",
      "S NAK (1, File not found) for pxelinux.cfg/3e2d6f8a-4b1c-5f4e-9a7b-0c1d2e3f4a5b to 10.0.0.254",
    ]);
    // The health check's request (from 127.0.0.1) is not the VM's.
    expect(parseTftpd(fixture("tftp.txt"), "127.0.0.1").files).toEqual(["pxelinux.cfg/default"]);
    expect(parseTftpd(lines, undefined).files).toEqual([]);
  });

  it("pairs a NAK with the request of its own in.tftpd process", () => {
    const l = (text: string): LogLine => ({ at: 1, stream: "stdout", text });
    const t = parseTftpd(
      [
        l("Dec  7 19:45:13 in.tftpd[50]: RRQ from ::ffff:10.0.0.254 filename a"),
        l("Dec  7 19:45:13 in.tftpd[51]: RRQ from 10.0.0.254 filename b"),
        l("Dec  7 19:45:13 in.tftpd[50]: sending NAK (1, File not found) to 10.0.0.254"),
        l("Dec  7 19:45:13 in.tftpd[51]: sending NAK (2, Permission denied) to 10.0.0.254"),
      ],
      "10.0.0.254",
    );
    expect(t.files).toEqual(["a", "b"]);
    expect(t.notFound).toEqual(["a"]);
  });

  it("lists a request the client re-sent at once (under loss) once, and counts the repeats", () => {
    const l = (text: string): LogLine => ({ at: 1, stream: "stdout", text });
    const t = parseTftpd(
      [
        l("Dec  7 19:45:13 in.tftpd[60]: RRQ from 10.0.0.254 filename pxelinux.cfg/uuid"),
        l("Dec  7 19:45:13 in.tftpd[60]: sending NAK (1, File not found) to 10.0.0.254"),
        l("Dec  7 19:45:13 in.tftpd[61]: RRQ from 10.0.0.254 filename pxelinux.cfg/uuid"),
        l("Dec  7 19:45:13 in.tftpd[61]: sending NAK (1, File not found) to 10.0.0.254"),
        l("Dec  7 19:45:13 in.tftpd[62]: RRQ from 10.0.0.254 filename vmlinuz"),
        l("Dec  7 19:45:14 in.tftpd[63]: RRQ from 10.0.0.254 filename vmlinuz"),
        l("Dec  7 19:45:14 in.tftpd[64]: RRQ from 10.0.0.254 filename initrd.img"),
        l("Dec  7 19:45:15 in.tftpd[65]: RRQ from 10.0.0.254 filename vmlinuz"),
      ],
      "10.0.0.254",
    );
    expect(t.files).toEqual(["pxelinux.cfg/uuid", "vmlinuz", "initrd.img", "vmlinuz"]);
    expect(t.repeated).toBe(2);
    expect(t.notFound).toEqual(["pxelinux.cfg/uuid"]);
  });
});

describe("the whole boot", () => {
  const logs = { client: fixture("pxe-client.txt"), dhcp: fixture("dhcp.txt"), tftp: fixture("tftp.txt") };

  it("measures each phase from Docker's timestamps", () => {
    const a = analyzeNetboot(logs, LAB_VIEW);
    expect(a.mac).toBe(MAC);
    expect(a.phases).toEqual({ firmwareMs: 2265, dhcpMs: 3038, configureMs: 13015, tftpMs: 1696, kernelStartMs: 3671, kernelMs: 2824, poweroffMs: 1017, totalMs: 27550 });
    const p = a.phases;
    // The phases follow one another: together they are the whole boot, to within the moments between them.
    const sum = p.firmwareMs! + p.dhcpMs! + p.configureMs! + p.tftpMs! + p.kernelStartMs! + p.kernelMs! + p.poweroffMs!;
    expect(Math.abs(p.totalMs! - sum)).toBeLessThan(500);
    expect(p.firmwareMs! + p.dhcpMs!).toBeLessThan(p.totalMs!);
    // Only this boot's requests: the earlier boot's, at 19:44:36, come before its first line.
    expect(a.tftp).toMatchObject({ seenAs: "router", from: "10.0.0.254", files: ["pxelinux.0", "ldlinux.c32", expect.any(String), expect.any(String), "vmlinuz", "initrd.img"] });
    const times = a.events.map((e) => e.at);
    expect(times).toEqual([...times].sort((x, y) => x - y));
    expect(a.events[0]!.text).toMatch(/^booting from the network/);
    expect(a.events.at(-1)!.text).toBe("powered off");
  });

  it("with the VM seen as itself, counts the requests from the address it booted with", () => {
    const own = logs.tftp.map((l) => ({ ...l, text: l.text.replaceAll("10.0.0.254", "10.1.0.151") }));
    const a = analyzeNetboot({ ...logs, tftp: own }, { seenAs: "pxe-client" });
    expect(a.tftp.from).toBe("10.1.0.151");
    expect(a.tftp.files).toHaveLength(6);
    expect(a.tftp.seenAs).toBe("pxe-client");
  });

  it("omits the phases whose ends are missing", () => {
    const a = analyzeNetboot({ ...logs, client: fixture("pxe-client-panic.txt") }, LAB_VIEW);
    expect(a.phases).toEqual({ firmwareMs: 2265, dhcpMs: 3038, configureMs: 13015, tftpMs: 1696, kernelStartMs: 3671, totalMs: 25935 });
    expect(analyzeNetboot({ client: [], dhcp: [], tftp: [] }, LAB_VIEW).phases).toEqual({});
  });
});
