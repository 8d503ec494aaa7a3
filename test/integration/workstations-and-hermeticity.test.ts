import { execFileSync } from "node:child_process";
import { createConnection, createServer, type AddressInfo, type Server } from "node:net";
import { networkInterfaces } from "node:os";
import Docker from "dockerode";
import { beforeAll, describe, expect, it } from "vitest";
import { DockerodeAdapter } from "../../orchestrator/src/docker/dockerode-adapter.ts";
import { tcpCheck, topology } from "./lab.ts";

const lab = new DockerodeAdapter(topology.project);
const networkName = (name: string) => `${topology.project}_${name}`;
const docker = new Docker();

async function sh(service: string, command: string): Promise<string> {
  const r = await lab.exec(service, ["sh", "-c", command]);
  if (r.exitCode !== 0) throw new Error(`"${command}" in ${service} exited ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
}

/** The host's DOCKER-USER and isolation rules, from whichever iptables backend Docker uses. */
function hostRules(): string {
  for (const ipt of ["iptables-nft", "iptables-legacy", "iptables"]) {
    try {
      return execFileSync(ipt, ["-S"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    } catch {
      // try the next backend
    }
  }
  throw new Error("cannot read the host's iptables rules (is iptables installed, and is this root?)");
}

describe("from Bob's workstation, as a student would type it", () => {
  it("dig www.hamburger.edu answers through the lab resolver", async () => {
    const out = await sh("bob", "dig www.hamburger.edu");
    expect(out).toContain("status: NOERROR");
    expect(out).toMatch(/SERVER: 10\.1\.0\.53#53/);
    expect(out).toMatch(/www\.hamburger\.edu\.\s+\d+\s+IN\s+CNAME\s+www\.someschool\.edu\./);
    expect(out).toMatch(/www\.someschool\.edu\.\s+\d+\s+IN\s+A\s+10\.0\.0\.41/);
  });

  it("dig +trace starts at the lab root and walks down through the campus router", async () => {
    const out = await sh("bob", "dig +trace www.someschool.edu");
    expect(out).toMatch(/^\.\s+\d+\s+IN\s+NS\s+a\.root-servers\.net\.$/m);
    expect(out).toMatch(/from 10\.0\.0\.10#53\(a\.root-servers\.net\)/);
    expect(out).toMatch(/from 10\.0\.0\.11#53\(a\.gtld-servers\.net\)/);
    expect(out).toMatch(/www\.someschool\.edu\.\s+\d+\s+IN\s+A\s+10\.0\.0\.41/);
    expect(await sh("bob", "ip route get 10.0.0.10")).toContain("via 10.1.0.254");
  });

  it("has the textbook's client tools", async () => {
    await sh("bob", "command -v dig telnet nc curl ftp tftp swaks");
    await sh("alice", "command -v dig telnet nc curl ftp tftp swaks");
  });
});

describe("the lab is hermetic", () => {
  let rules: string;
  beforeAll(() => {
    rules = hostRules();
  });

  it("a name outside the lab's TLDs gets NXDOMAIN from the lab's own root", async () => {
    const out = await sh("alice", "dig www.example.org");
    expect(out).toContain("status: NXDOMAIN");
    expect(out).toMatch(/^\.\s+\d+\s+IN\s+SOA\s+a\.root-servers\.net\./m);
  });

  it("the resolver's root hints name only the lab root", async () => {
    const hints = (await sh("dns-resolver", "grep -v '^;' /etc/unbound/lab-root.hints")).trim().split("\n");
    expect(hints.map((l) => l.split(/\s+/).filter(Boolean).slice(-1)[0])).toEqual(["a.root-servers.net.", "10.0.0.10"]);
    expect(await sh("dns-resolver", "unbound-checkconf -o root-hints /etc/unbound/unbound.conf")).toContain("/etc/unbound/lab-root.hints");
  });

  it("every lab network is internal, and Docker drops whatever would leave it", async () => {
    const labNetworks = topology.networks.filter((n) => n.name !== "mgmt");
    expect(labNetworks.map((n) => n.name)).toEqual(["internet", "campus", "crepes-mail-backend", "hamburger-mail-backend"]);
    for (const { name, subnet, bridge } of labNetworks.filter((n) => !n.private)) {
      const net = await docker.getNetwork(networkName(name)).inspect();
      expect(net.Internal, name).toBe(true);
      expect(rules).toContain(`-A DOCKER-ISOLATION-STAGE-1 ! -d ${subnet} -i ${bridge} -j DROP`);
      // The lab's own exception only lets traffic stay on the same bridge.
      expect(rules).toContain(`-A DOCKER-USER -i ${bridge} -o ${bridge} -j ACCEPT`);
    }
  });

  it("the management network, which carries only the API, has no NAT and forwards nothing out", async () => {
    const net = await docker.getNetwork(networkName("mgmt")).inspect();
    expect(net.Internal).toBe(false);
    expect(net.Options?.["com.docker.network.bridge.enable_ip_masquerade"]).toBe("false");
    const bridge = topology.networks.find((n) => n.name === "mgmt")?.bridge;
    expect(rules).toContain(`-A DOCKER-USER -i ${bridge} ! -o ${bridge} -j DROP`);
    const onMgmt = Object.values(net.Containers ?? {}).map((c) => c.Name);
    expect(onMgmt).toEqual([`${topology.project}-orchestrator-1`]);
  });

  it("each mail backend is internal and sealed: nothing on it is forwarded anywhere, and it carries only its MTA and mailbox server", async () => {
    for (const { name, subnet, bridge } of topology.networks.filter((n) => n.private)) {
      const net = await docker.getNetwork(networkName(name)).inspect();
      expect(net.Internal, name).toBe(true);
      expect(rules).toContain(`-A DOCKER-ISOLATION-STAGE-1 ! -d ${subnet} -i ${bridge} -j DROP`);
      expect(rules).toContain(`-A DOCKER-USER -i ${bridge} ! -o ${bridge} -j DROP`);
      expect(rules).toMatch(new RegExp(`-A INPUT -i ${bridge} -m conntrack ! --ctstate (RELATED,ESTABLISHED|ESTABLISHED,RELATED) -j DROP`));
      const on = Object.values(net.Containers ?? {}).map((c) => c.Name).sort();
      const domain = name.replace(/-mail-backend$/, "");
      expect(on, name).toEqual([`${topology.project}-mail-${domain}-1`, `${topology.project}-mailbox-${domain}-1`]);
    }
  });

  it("the host is out of reach: a server on the host's every address answers on loopback, not from Alice, Bob or the orchestrator", async () => {
    // A server as a user might leave one running, bound to 0.0.0.0.
    const server: Server = createServer((socket) => socket.end("host\n"));
    await new Promise<void>((resolve) => server.listen(0, "0.0.0.0", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const gateway = (name: string) => {
        const bridge = topology.networks.find((n) => n.name === name)!.bridge!;
        const address = networkInterfaces()[bridge]?.find((a) => a.family === "IPv4")?.address;
        if (!address) throw new Error(`no IPv4 address on the host's bridge ${bridge}`);
        return address;
      };
      // The control: the same server answers on the host's loopback.
      const local = await new Promise<string>((resolve, reject) => {
        const c = createConnection({ host: "127.0.0.1", port }, () => undefined);
        c.on("data", (d) => { resolve(d.toString()); c.end(); });
        c.on("error", reject);
      });
      expect(local).toBe("host\n");
      for (const [service, network] of [["alice", "internet"], ["bob", "campus"], ["orchestrator", "mgmt"]] as const) {
        expect(await tcpCheck(service, gateway(network), port), `${service} to the host at ${gateway(network)}:${port}`).toBe("closed");
      }
      expect(rules).toMatch(/-A INPUT -i l7-campus -m conntrack ! --ctstate (RELATED,ESTABLISHED|ESTABLISHED,RELATED) -j DROP/);
    } finally {
      server.close();
    }
  });

  it("no lab container is attached to anything but the lab's networks", async () => {
    const containers = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${topology.project}`] } });
    const allowed = topology.networks.map((n) => networkName(n.name));
    for (const c of containers) {
      const service = c.Labels["com.docker.compose.service"];
      const networks = Object.keys(c.NetworkSettings.Networks);
      if (service === "lab-bridges") {
        // The one exception: it edits the host's firewall, so it lives in the host's namespace.
        expect(networks).toEqual(["host"]);
        continue;
      }
      if (service === "lab-ca") {
        // The lab CA needs no network at all.
        expect(networks).toEqual(["none"]);
        continue;
      }
      for (const n of networks) expect(allowed, `${service} on ${n}`).toContain(n);
    }
  });
});

describe("the same TCP on any host", () => {
  it("every lab host's TCP congestion control is Reno, whatever the host's own default", async () => {
    const hostDefault = execFileSync("cat", ["/proc/sys/net/ipv4/tcp_congestion_control"], { encoding: "utf8" }).trim();
    const containers = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${topology.project}`] } });
    const seen: Record<string, string> = {};
    for (const c of containers) {
      const service = c.Labels["com.docker.compose.service"]!;
      if (service === "lab-bridges" || service === "lab-ca") continue; // the host's namespace; no network
      if (topology.service(service).role === "net-init") continue; // one-shots: the namespace is their host's
      if (topology.isOnDemand(service)) continue; // the diskless VM: running only while a scenario boots it
      const { State } = await docker.getContainer(c.Id).inspect();
      // Net sysctls read as the namespace of whoever reads them: read from inside the container's.
      seen[service] = execFileSync("nsenter", ["-t", String(State.Pid), "-n", "cat", "/proc/sys/net/ipv4/tcp_congestion_control"], { encoding: "utf8" }).trim();
    }
    expect(Object.keys(seen).length, `services read: ${Object.keys(seen).join(", ")}`).toBe(topology.services.filter((s) => s.name !== "lab-bridges" && s.name !== "lab-ca" && s.role !== "net-init" && !topology.isOnDemand(s.name)).length);
    const other = Object.entries(seen).filter(([, cc]) => cc !== "reno");
    expect(other, `not Reno (the host's default is ${hostDefault}): ${other.map(([s, cc]) => `${s}: ${cc}`).join(", ")}`).toEqual([]);
  });
});
