import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseComposeTopology } from "./topology.ts";

const compose = readFileSync(new URL("../../../docker-compose.yml", import.meta.url), "utf8");

describe("parseComposeTopology", () => {
  it("reads the lab's networks and fixed addresses from docker-compose.yml", () => {
    const t = parseComposeTopology(compose);
    expect(t.project).toBe("l7lab");
    expect(t.probeNetworks().map((n) => [n.name, n.subnet])).toEqual([
      ["internet", "10.0.0.0/24"],
      ["campus", "10.1.0.0/24"],
    ]);
    expect(t.networks.filter((n) => n.private).map((n) => [n.name, n.subnet, n.internal])).toEqual([
      ["crepes-mail-backend", "10.253.1.0/28", true],
      ["hamburger-mail-backend", "10.253.2.0/28", true],
    ]);
    expect(t.addressOf("dns-root")).toBe("10.0.0.10");
    expect(t.addressOf("dns-resolver", "internet")).toBe("10.0.0.53");
    expect(t.addressOfRole("dns-root")).toBe("10.0.0.10");
  });

  it("reads the lab's settings from x-l7lab: the fault helper's image is the router's", () => {
    const t = parseComposeTopology(compose);
    expect(t.settings.faultHelperImage).toBe("l7lab/router:dev");
    // The router's service builds that image; the helpers that share it only use it.
    expect(compose).toMatch(/\n {2}router:\n\s+build:[\s\S]*?image: l7lab\/router:dev/);
    expect(parseComposeTopology("services: {}\n").settings).toEqual({});
  });

  it("has the campus DHCP server lease what Docker never assigns, and point at the lab's own TFTP server, router and resolver", () => {
    const t = parseComposeTopology(compose);
    const kea = JSON.parse(readFileSync(new URL("../../../services/dhcp-kea/kea-dhcp4.conf", import.meta.url), "utf8").replace(/^\s*\/\/.*$/gm, "")) as {
      Dhcp4: { "interfaces-config": { interfaces: string[] }; subnet4: { subnet: string; pools: { pool: string }[]; "next-server": string; "server-hostname": string; "boot-file-name": string; "option-data": { name: string; data: string }[] }[] };
    };
    const campus = t.networks.find((n) => n.name === "campus")!;
    const [subnet] = kea.Dhcp4.subnet4;
    expect(subnet!.subnet).toBe(campus.subnet);
    expect(t.addressOf("dhcp", "campus")).toBe("10.1.0.67");
    const [from, to] = subnet!.pools[0]!.pool.split(/\s*-\s*/).map((a) => Number(a.split(".")[3]));
    // Docker assigns from ip_range alone (10.1.0.0/25: .0 to .127); no fixed campus address is in the pool.
    expect(campus.ipRange).toBe("10.1.0.0/25");
    expect(from).toBeGreaterThan(127);
    const fixed = t.services.flatMap((s) => s.networks.filter((n) => n.network === "campus" && n.ipv4 !== "").map((n) => Number(n.ipv4.split(".")[3])));
    expect(fixed.length).toBeGreaterThan(5);
    expect(fixed.filter((last) => last >= from! && last <= to!)).toEqual([]);
    // Network boot: next-server (siaddr) is tftp.someschool.edu's address; the router and the resolver are the campus's own.
    expect(subnet!["next-server"]).toBe(t.resolveHost("tftp.someschool.edu"));
    expect(subnet!["server-hostname"]).toBe("tftp.someschool.edu");
    expect(subnet!["boot-file-name"]).toBe("pxelinux.0");
    const option = (name: string) => subnet!["option-data"].find((o) => o.name === name)?.data;
    expect(option("routers")).toBe(t.addressOf("router", "campus"));
    expect(option("domain-name-servers")).toBe(t.addressOf("dns-resolver", "campus"));
    expect(option("tftp-server-name")).toBe("tftp.someschool.edu");
  });

  it("knows which services are on demand (a compose profile): the diskless VM, and nothing else", () => {
    const t = parseComposeTopology(compose);
    expect(t.services.filter((s) => t.isOnDemand(s.name)).map((s) => [s.name, s.profiles])).toEqual([["pxe-client", ["boot"]]]);
    expect(t.service("pxe-client").networks).toEqual([{ network: "campus", ipv4: "" }]);
  });

  it("places the file-transfer servers at the addresses the DNS gives them", () => {
    const t = parseComposeTopology(compose);
    expect(t.resolveHost("ftp.someschool.edu")).toBe("10.0.0.42");
    expect(t.resolveHost("tftp.someschool.edu")).toBe("10.0.0.43");
    const zone = readFileSync(new URL("../../../services/dns-bind/zones/someschool.edu.zone", import.meta.url), "utf8");
    expect(zone).toMatch(/^ftp\s+IN\s+A\s+10\.0\.0\.42\b/m);
    expect(zone).toMatch(/^tftp\s+IN\s+A\s+10\.0\.0\.43\b/m);
  });

  it("resolves a service name or a host name to an address, and leaves anything else alone", () => {
    const t = parseComposeTopology(compose);
    expect(t.resolveHost("ns2.hamburger.edu")).toBe("10.0.0.31");
    expect(t.resolveHost("NS2.hamburger.edu.")).toBe("10.0.0.31");
    expect(t.resolveHost("dns-hamburger-2")).toBe("10.0.0.31");
    expect(t.resolveHost("d.nic.fr")).toBe("10.0.0.11");
    expect(t.resolveHost("10.9.9.9")).toBe("10.9.9.9");
  });

  it("knows which addresses are the lab's, with loopback for tests, and which bridges the lab names", () => {
    const t = parseComposeTopology(compose);
    expect(["10.0.0.10", "10.1.0.254", "127.0.0.1"].map((a) => t.isLabAddress(a))).toEqual([true, true, true]);
    // The management network and the mail backends (private) are not for probes.
    expect(["10.254.0.250", "10.253.1.3", "10.253.2.3"].map((a) => t.isLabAddress(a))).toEqual([false, false, false]);
    expect(["10.254.0.250", "10.2.0.1", "8.8.8.8", "192.0.2.1", "not-an-ip", "10.0.0.256"].map((a) => t.isLabAddress(a))).toEqual([false, false, false, false, false, false]);
    expect(t.networks.map((n) => n.bridge)).toEqual(["l7-internet", "l7-campus", "l7-be-crepes", "l7-be-hamburger", "l7-mgmt"]);
  });

  it("puts each domain's LMTP and auth on a private network that only its MTA and mailbox server share", () => {
    const t = parseComposeTopology(compose);
    for (const [network, mta, mailbox] of [["crepes-mail-backend", "mail-crepes", "mailbox-crepes"], ["hamburger-mail-backend", "mail-hamburger", "mailbox-hamburger"]]) {
      const on = t.services.filter((s) => s.networks.some((n) => n.network === network)).map((s) => s.name);
      expect(on, network).toEqual([mta, mailbox]);
    }
  });

  it("splits the orchestrator: the controller on the management network only, the prober on the lab networks at orchestrator.someschool.edu", () => {
    const t = parseComposeTopology(compose);
    expect(t.service("orchestrator").networks.map((n) => n.network)).toEqual(["mgmt"]);
    expect(t.service("prober")).toMatchObject({ role: "prober", hostnames: ["orchestrator.someschool.edu"], networks: [{ network: "internet", ipv4: "10.0.0.250" }, { network: "campus", ipv4: "10.1.0.250" }] });
    expect(t.initServices()).toEqual({ proxy: ["proxy-routes"], bob: ["bob-routes"] });
  });

  it("protects the orchestrator and the host-setup helper from scenarios and the API", () => {
    const t = parseComposeTopology(compose);
    expect(t.protectedReason("orchestrator")).toMatch(/cannot be acted on.*serves the API/);
    expect(t.protectedReason("lab-bridges")).toMatch(/firewall/);
    expect(t.protectedReason("prober")).toMatch(/runs the probes/);
    expect(t.protectedReason("bob-routes")).toMatch(/one-shot/);
    expect(t.protectedReason("dns-root")).toBeUndefined();
  });

  it("names the valid services when asked for an unknown one", () => {
    const t = parseComposeTopology(compose);
    expect(() => t.service("dns-rot")).toThrow(/service "dns-rot" is not known\. Valid services are .*"dns-root"/);
  });

  it("gives every lab service a role, and every address a unique owner", () => {
    const t = parseComposeTopology(compose);
    expect(t.services.filter((s) => s.role === "").map((s) => s.name)).toEqual([]);
    const addresses = t.services.flatMap((s) => s.networks.map((n) => n.ipv4)).filter(Boolean);
    expect(new Set(addresses).size).toBe(addresses.length);
  });

  it("accepts labels given as a list and networks given as a list", () => {
    const t = parseComposeTopology(
      ["services:", "  a:", "    labels: [\"l7lab.role=x\", \"l7lab.hostnames=a.example b.example\"]", "    networks: [n1]", "networks:", "  n1: {}"].join("\n"),
    );
    expect(t.project).toBe("l7lab");
    expect(t.service("a")).toMatchObject({ role: "x", hostnames: ["a.example", "b.example"], networks: [{ network: "n1", ipv4: "" }] });
  });
});
