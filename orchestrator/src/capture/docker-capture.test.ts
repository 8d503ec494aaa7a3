import { describe, expect, it } from "vitest";
import { parseIpAddr, tcpdumpTrouble } from "./docker-capture.ts";

// The helper containers themselves need Docker (integration tests); these are the pure parsers of
// what `ip` and tcpdump print in them.

describe("parseIpAddr", () => {
  it("maps each IPv4 address to its interface in `ip -o -4 addr show` output", () => {
    const out = [
      "1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever",
      "2: eth0@if12    inet 10.0.0.21/24 brd 10.0.0.255 scope global eth0\\       valid_lft forever preferred_lft forever",
      "3: eth1@if14    inet 10.253.1.2/28 brd 10.253.1.15 scope global eth1\\       valid_lft forever preferred_lft forever",
      "",
    ].join("\n");
    expect(parseIpAddr(out)).toEqual(
      new Map([
        ["127.0.0.1", "lo"],
        ["10.0.0.21", "eth0"],
        ["10.253.1.2", "eth1"],
      ]),
    );
  });

  it("reads names without a peer index, with dashes, and a second address on one interface", () => {
    const out = [
      "24257: l7-internet    inet 10.0.0.1/24 brd 10.0.0.255 scope global l7-internet\\       valid_lft forever preferred_lft forever",
      "4: eth0    inet 10.1.0.53/24 brd 10.1.0.255 scope global eth0\\       valid_lft forever preferred_lft forever",
      "4: eth0    inet 10.1.0.99/24 scope global secondary eth0:1\\       valid_lft forever preferred_lft forever",
    ].join("\n");
    expect(parseIpAddr(out)).toEqual(
      new Map([
        ["10.0.0.1", "l7-internet"],
        ["10.1.0.53", "eth0"],
        ["10.1.0.99", "eth0"],
      ]),
    );
  });

  it("skips IPv6 lines, link lines and noise, and finds nothing in nothing", () => {
    const out = [
      "1: lo    inet6 ::1/128 scope host \\       valid_lft forever preferred_lft forever",
      "2: eth0@if12: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP",
      "RTNETLINK answers: Operation not permitted",
    ].join("\n");
    expect(parseIpAddr(out).size).toBe(0);
    expect(parseIpAddr("").size).toBe(0);
  });
});

describe("tcpdumpTrouble", () => {
  it("has nothing to say about a capture that listened and ended with its counts", () => {
    const stderr = [
      "tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes",
      "42 packets captured",
      "42 packets received by filter",
      "0 packets dropped by kernel",
      "",
    ].join("\n");
    expect(tcpdumpTrouble(stderr)).toBeUndefined();
    expect(tcpdumpTrouble("listening on l7-campus, link-type EN10MB (Ethernet), capture size 262144 bytes\n1 packet captured\n1 packet received by filter\n0 packets dropped by kernel\n")).toBeUndefined();
    expect(tcpdumpTrouble("")).toBeUndefined();
  });

  it("reports packets the kernel dropped", () => {
    const stderr = "tcpdump: listening on eth0, link-type EN10MB (Ethernet), snapshot length 262144 bytes\n900 packets captured\n1000 packets received by filter\n100 packets dropped by kernel\n";
    expect(tcpdumpTrouble(stderr)).toBe("100 packets dropped by the kernel (tcpdump could not keep up)");
    expect(tcpdumpTrouble("1 packet dropped by kernel\n")).toMatch(/^1 packets? dropped by the kernel/);
  });

  it("reports anything else tcpdump said, with the drops after it", () => {
    const stderr = [
      "tcpdump: listening on eth1, link-type EN10MB (Ethernet), snapshot length 262144 bytes",
      "tcpdump: pcap_loop: The interface disappeared",
      "3 packets captured",
      "3 packets received by filter",
      "2 packets dropped by kernel",
    ].join("\n");
    expect(tcpdumpTrouble(stderr)).toBe("tcpdump: pcap_loop: The interface disappeared; 2 packets dropped by the kernel (tcpdump could not keep up)");
    expect(tcpdumpTrouble("5 packets captured\n7 packets received by filter\n0 packets dropped by kernel\n2 packets dropped by interface\n")).toBe("2 packets dropped by interface");
    expect(tcpdumpTrouble("tcpdump: eth9: No such device exists\n(SIOCGIFHWADDR: No such device)\n")).toBe("tcpdump: eth9: No such device exists; (SIOCGIFHWADDR: No such device)");
  });
});
