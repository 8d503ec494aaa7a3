import { describe, expect, it } from "vitest";
import { chosenLabel, configCandidates, hexAddress, parsePxeConfig, resolveBootPath } from "./pxelinux.ts";

describe("configCandidates: PXELINUX's search order", () => {
  it("is the UUID, 01-<mac>, the hex address and its prefixes, then default (the syslinux wiki's example)", () => {
    expect(configCandidates({ uuid: "B8945908-D6A6-41A9-611D-74A6AB80B83D", mac: "88:99:AA:BB:CC:DD", ip: "192.168.2.91" })).toEqual([
      "pxelinux.cfg/b8945908-d6a6-41a9-611d-74a6ab80b83d",
      "pxelinux.cfg/01-88-99-aa-bb-cc-dd",
      "pxelinux.cfg/C0A8025B",
      "pxelinux.cfg/C0A8025",
      "pxelinux.cfg/C0A802",
      "pxelinux.cfg/C0A80",
      "pxelinux.cfg/C0A8",
      "pxelinux.cfg/C0A",
      "pxelinux.cfg/C0",
      "pxelinux.cfg/C",
      "pxelinux.cfg/default",
    ]);
  });

  it("skips the UUID when the client has none, and accepts dashes in the MAC", () => {
    const names = configCandidates({ mac: "52-54-00-12-34-56", ip: "10.1.0.77" });
    expect(names.slice(0, 3)).toEqual(["pxelinux.cfg/01-52-54-00-12-34-56", "pxelinux.cfg/0A01004D", "pxelinux.cfg/0A01004"]);
    expect(names).toHaveLength(10);
    expect(names.at(-1)).toBe("pxelinux.cfg/default");
  });

  it.each([
    ["10.0.0.1", "0A000001"],
    ["255.255.255.255", "FFFFFFFF"],
    ["0.0.0.0", "00000000"],
  ])("hexAddress(%s) = %s", (ip, hex) => expect(hexAddress(ip)).toBe(hex));

  it("refuses what is not an IPv4 address", () => {
    expect(() => hexAddress("10.0.0")).toThrow(/not an IPv4 address/);
    expect(() => hexAddress("10.0.0.256")).toThrow(/not an IPv4 address/);
  });
});

describe("parsePxeConfig", () => {
  const text = [
    "# a comment",
    "default diskless",
    "PROMPT 0",
    "TIMEOUT 50",
    "MENU TITLE Lab",
    "LABEL installer",
    "  KERNEL vmlinuz",
    "  INITRD initrd.img",
    "  APPEND console=ttyS0",
    "label diskless",
    "  menu label diskless workstation 1",
    "  linux images/vmlinuz",
    "  append initrd=a.img,b.img quiet hostname=d1",
    "",
  ].join("\r\n");

  it("reads the globals and each label, keywords in any case, initrds from INITRD and from APPEND", () => {
    const config = parsePxeConfig(text);
    expect(config).toEqual({
      default: "diskless",
      prompt: 0,
      timeout: 50,
      labels: [
        { name: "installer", kernel: "vmlinuz", initrds: ["initrd.img"], append: "console=ttyS0" },
        { name: "diskless", menuLabel: "diskless workstation 1", kernel: "images/vmlinuz", initrds: ["a.img", "b.img"], append: "initrd=a.img,b.img quiet hostname=d1" },
      ],
      ignored: ["MENU TITLE Lab"],
    });
  });

  it("boots the DEFAULT label, a named label, or the first label; a DEFAULT naming no label is a command line", () => {
    const config = parsePxeConfig(text);
    expect(chosenLabel(config).label?.name).toBe("diskless");
    expect(chosenLabel(config, "installer").label?.kernel).toBe("vmlinuz");
    expect(chosenLabel(config, "nope").problem).toBe('label "nope" is not in the configuration; its labels are "installer", "diskless"');
    expect(chosenLabel(parsePxeConfig("LABEL a\nKERNEL k1\nLABEL b\nKERNEL k2")).problem).toMatch(/no DEFAULT, so PXELINUX would stop at its boot: prompt/);
    expect(chosenLabel(parsePxeConfig("DEFAULT bzImage initrd=rd.gz root=/dev/ram0")).label).toEqual({
      name: "bzImage initrd=rd.gz root=/dev/ram0",
      kernel: "bzImage",
      initrds: ["rd.gz"],
      append: "initrd=rd.gz root=/dev/ram0",
    });
    expect(chosenLabel(parsePxeConfig("# empty\n")).problem).toMatch(/boot nothing by itself/);
  });

  it("adds DEFAULT's further words to the label's APPEND, and gives labels without one the global APPEND", () => {
    const config = parsePxeConfig("APPEND console=ttyS0 initrd=g.img\nDEFAULT campus quiet\nLABEL campus\nKERNEL vmlinuz\nLABEL own\nKERNEL vmlinuz\nAPPEND ro");
    expect(config.append).toBe("console=ttyS0 initrd=g.img");
    expect(chosenLabel(config).label).toEqual({ name: "campus", kernel: "vmlinuz", initrds: ["g.img"], append: "console=ttyS0 initrd=g.img quiet" });
    expect(chosenLabel(config, "own").label).toEqual({ name: "own", kernel: "vmlinuz", initrds: [], append: "ro" });
  });
});

describe("resolveBootPath", () => {
  it.each([
    ["vmlinuz", "pxelinux.0", "vmlinuz"],
    ["vmlinuz", "boot/bios/pxelinux.0", "boot/bios/vmlinuz"],
    ["/images/vmlinuz", "boot/pxelinux.0", "images/vmlinuz"],
    ["::images/vmlinuz", "boot/pxelinux.0", "images/vmlinuz"],
  ])("%s next to %s is %s", (name, bootfile, path) => expect(resolveBootPath(name, bootfile)).toBe(path));
});
