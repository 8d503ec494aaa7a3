/**
 * The closed lab (issue 11), tried from where students stand: Alice's and Bob's workstations (the
 * lab's own containers on the internet and campus networks, with their resolver and routes).
 * Private mail backends, no lasting NET_ADMIN, and keys only where they are used.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { api, lab, repoRoot, sh, tcpCheck, topology } from "./lab.ts";

const docker = new Docker();
const container = (service: string) => docker.getContainer(`${topology.project}-${service}-1`);

const tcp = tcpCheck;

/** A mailbox server's address on its domain's private mail backend. */
const backendAddress = (service: string) => topology.service(service).networks.find((n) => topology.networks.find((x) => x.name === n.network)?.private)!.ipv4;

/** Every address of a service, on every network (the mail backends included). */
const addresses = (service: string) => topology.service(service).networks.map((n) => n.ipv4);

describe("the orchestrator split: the controller is out of the lab's reach, the prober holds nothing", () => {
  const controller = topology.service("orchestrator");
  const prober = topology.service("prober");

  it("no lab host reaches the API: the controller is on the management network alone, and nothing listens on 8080 at the lab's addresses", async () => {
    expect(controller.networks.map((n) => n.network)).toEqual(["mgmt"]);
    const targets = [...controller.networks, ...prober.networks].map((n) => n.ipv4);
    const seen: string[] = [];
    for (const from of ["alice", "bob", "prober"]) {
      for (const address of targets) seen.push(`${from} -> ${address}:8080 ${await tcp(from, address, 8080)}`);
    }
    expect(seen.filter((s) => !s.endsWith("closed"))).toEqual([]);
    expect(seen.length).toBe(3 * 3);
    // The control: the API answers on the host's loopback.
    expect((await api("GET", "/topology")).status).toBe(200);
  });

  it("the prober has no Docker socket, no token, no root, no capabilities, no way to gain any, and a read-only root file system", async () => {
    const { Config, HostConfig, Mounts } = await container("prober").inspect();
    expect(Config.User).toBe("65534:65534");
    expect(HostConfig.ReadonlyRootfs).toBe(true);
    expect(HostConfig.CapDrop).toEqual(["ALL"]);
    expect(HostConfig.SecurityOpt).toContain("no-new-privileges:true");
    expect(Mounts.map((m) => m.Destination).sort()).toEqual(["/lab/ca", "/lab/docker-compose.yml"]);
    expect(Mounts.every((m) => m.RW === false)).toBe(true);
    // And as the process sees it.
    const status = (await sh("prober", "id -u; grep -E '^(CapEff|CapPrm|NoNewPrivs)' /proc/self/status; test -e /var/run/docker.sock && echo socket; test -e /run/l7lab/api-token && echo token; touch /app/x 2>&1; true")).out;
    expect(status).toMatch(/^65534\n/);
    expect(status).toMatch(/CapPrm:\s+0000000000000000/);
    expect(status).toMatch(/CapEff:\s+0000000000000000/);
    expect(status).toMatch(/NoNewPrivs:\s+1/);
    expect(status).not.toMatch(/socket|token/);
    expect(status).toContain("Read-only file system");
  });

  it("the prober listens on no TCP port: it takes work only over the session the controller starts through the socket", async () => {
    // A probe call first, so that the prober's process runs (the controller starts it on demand).
    expect((await api("POST", "/probes/dns/calls", { mode: "direct", server: "dns-root", name: ".", type: "SOA" })).status).toBe(200);
    // /proc/net/tcp state 0A is LISTEN; 127.0.0.11 (0B00007F) is Docker's embedded DNS, not the prober's.
    const listening = (await sh("prober", "awk 'NR > 1 && $4 == \"0A\" && $2 !~ /^0B00007F:/' /proc/net/tcp /proc/net/tcp6")).out.trim();
    expect(listening).toBe("");
    const processes = (await sh("prober", "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done")).out;
    expect(processes).toContain("node /app/dist/prober.mjs");
  });

  it("the probes run in the prober: a server in the lab sees the prober's address", async () => {
    const path = `/?closed-test=${Date.now()}`;
    const reply = await api<{ ok: boolean; data: { status: number } }>("POST", "/probes/http/calls", { url: `http://www.someschool.edu${path}` });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    const line = (await lab.logs("www", { tail: 50 })).map((l) => l.text).find((t) => t.includes(path));
    expect(line, "the origin's access-log line of the probe's request").toBeDefined();
    expect(line!.split(" ")[0]).toBe(prober.networks.find((n) => n.network === "internet")!.ipv4);
  });
});

describe("the prober's process comes back", () => {
  it("after the prober's container restarts, the next probe call starts it again and passes", async () => {
    await container("prober").restart({ t: 2 });
    const reply = await api<{ ok: boolean }>("POST", "/probes/dns/calls", { mode: "direct", server: "dns-root", name: ".", type: "SOA" });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body.ok).toBe(true);
    const running = (await sh("prober", "for p in /proc/[0-9]*; do tr '\\0' ' ' < $p/cmdline; echo; done")).out.split("\n").filter((l) => l.includes("prober.mjs"));
    expect(running).toHaveLength(1);
  });
});

describe("mail backends are private: LMTP (24) and Dovecot's auth (12345) answer only the domain's MTA", () => {
  const mailboxes = ["mailbox-crepes", "mailbox-hamburger"];

  it("from Alice's and Bob's workstations, 24 and 12345 are closed on every address of both mailbox servers, while POP3 answers", async () => {
    const seen: string[] = [];
    for (const from of ["alice", "bob"]) {
      for (const mailbox of mailboxes) {
        for (const address of addresses(mailbox)) {
          for (const port of [24, 12345]) seen.push(`${from} -> ${mailbox} ${address}:${port} ${await tcp(from, address, port)}`);
        }
      }
    }
    expect(seen.filter((s) => !s.endsWith("closed"))).toEqual([]);
    expect(seen.length).toBe(2 * 2 * 2 * 2); // two workstations, two servers with two addresses each, two ports
    // The control: the same probe reaches POP3 where a workstation should (Alice hers, Bob his).
    expect(await tcp("alice", topology.addressOf("mailbox-crepes"), 110)).toBe("open");
    expect(await tcp("bob", topology.addressOf("mailbox-hamburger"), 110)).toBe("open");
  });

  it("a root shell that routes a backend address through the mailbox's lab address gets nothing either (lab-bridges drops it on the shared bridge)", async () => {
    // What root on a workstation could do with its raw sockets: send to the mailbox server's backend
    // address through its lab address, on the bridge they share. Done here from the host, in the
    // workstation's network namespace, since the workstations hold no NET_ADMIN.
    const cases = [["alice", "mailbox-crepes", "internet"], ["bob", "mailbox-hamburger", "campus"]] as const;
    for (const [from, mailbox, network] of cases) {
      const pid = (await container(from).inspect()).State.Pid;
      const backend = backendAddress(mailbox);
      const via = topology.addressOf(mailbox, network);
      const ip = (...args: string[]) => execFileSync("nsenter", ["-t", String(pid), "-n", "ip", ...args], { encoding: "utf8" });
      ip("route", "replace", `${backend}/32`, "via", via);
      try {
        expect(ip("route", "get", backend), `${from}'s route to ${backend}`).toContain(`via ${via}`);
        for (const port of [24, 12345]) expect(await tcp(from, backend, port), `${from} -> ${backend}:${port} via ${via}`).toBe("closed");
        // The control: the same route's gateway answers POP3 at its lab address.
        expect(await tcp(from, via, 110)).toBe("open");
      } finally {
        ip("route", "del", `${backend}/32`);
      }
    }
  });

  it("each MTA reaches its own mailbox server's LMTP on the backend (it greets), and not the other domain's", async () => {
    for (const [mta, own, other] of [["mail-crepes", "mailbox-crepes", "mailbox-hamburger"], ["mail-hamburger", "mailbox-hamburger", "mailbox-crepes"]] as const) {
      const ownLmtp = backendAddress(own);
      const otherLmtp = backendAddress(other);
      const greeting = await sh(mta, `timeout 3 bash -c 'exec 3<>/dev/tcp/${ownLmtp}/24; read -r -t 2 line <&3; echo "$line"; printf "QUIT\\r\\n" >&3'`);
      expect(greeting.out, `${mta} to ${ownLmtp}:24`).toMatch(/^220 /);
      expect(await tcp(mta, otherLmtp, 24), `${mta} to the other domain's ${otherLmtp}:24`).toBe("closed");
    }
  });

  it("Dovecot listens for LMTP and auth on the backend address alone (its own view)", async () => {
    for (const mailbox of mailboxes) {
      const backend = backendAddress(mailbox);
      const listeners = (await sh(mailbox, "doveconf -n service/lmtp service/auth | grep -E 'address|port'")).out;
      expect(listeners, mailbox).toMatch(new RegExp(`address = ${backend.replace(/\./g, "\\.")}\\s+port = 24`));
      expect(listeners, mailbox).toMatch(new RegExp(`address = ${backend.replace(/\./g, "\\.")}\\s+port = 12345`));
    }
  });
});

describe("no lasting NET_ADMIN on the workstations and the proxy", () => {
  it("bob and the proxy hold no NET_ADMIN: `ip route add` fails, and their routes go through the campus router", async () => {
    for (const service of ["bob", "proxy"]) {
      const add = await sh(service, "ip route add 192.0.2.0/24 via 10.1.0.254; echo rc=$?");
      expect(add.out, service).toContain("Operation not permitted");
      expect(add.out, service).toContain("rc=2");
      const del = await sh(service, "ip route del default; echo rc=$?");
      expect(del.out, service).toContain("rc=2");
      expect((await sh(service, "ip route show default")).out.trim(), service).toBe("default via 10.1.0.254 dev eth0");
      const { HostConfig } = await container(service).inspect();
      expect(HostConfig.CapAdd ?? [], service).toEqual([]);
      // CAP_NET_ADMIN is bit 12 of the effective set.
      const capEff = BigInt(`0x${(await sh(service, "awk '/^CapEff/ {print $2}' /proc/1/status")).out.trim()}`);
      expect(capEff & (1n << 12n), service).toBe(0n);
    }
  });

  it("the one-shots that set those routes have exited 0, and run again when the API starts bob anew", async () => {
    for (const oneShot of topology.services.filter((s) => s.role === "net-init")) {
      const { State } = await container(oneShot.name).inspect();
      expect([oneShot.name, State.Status, State.ExitCode]).toEqual([oneShot.name, "exited", 0]);
    }
    // A stop takes bob's network namespace, routes and all; the start makes a new one.
    expect((await api("POST", "/services/bob/stop")).status).toBe(200);
    const started = await api<{ state: string }>("POST", "/services/bob/start");
    expect(started.status).toBe(200);
    expect((await sh("bob", "ip route show default")).out.trim()).toBe("default via 10.1.0.254 dev eth0");
    // And bob reaches the Internet side through the router again (FTP: the campus reaches the web
    // through its proxy only).
    expect(await tcp("bob", topology.addressOf("ftp"), 21)).toBe("open");
    let health = "";
    for (let i = 0; i < 40 && health !== "healthy"; i++) {
      health = (await api<{ health: string }>("GET", "/services/bob")).body.health;
      if (health !== "healthy") await new Promise((r) => setTimeout(r, 250));
    }
    expect(health).toBe("healthy");
  });
});

describe("./l7lab status with the one-shots", () => {
  it("shows each one-shot as exited with what it is for, and every other service running and healthy", () => {
    const r = spawnSync(join(repoRoot, "l7lab"), ["status"], { encoding: "utf8", cwd: repoRoot });
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stdout.trim().split("\n").slice(1).map((l) => l.split(/\s+/));
    for (const s of topology.services) {
      const row = rows.find((cells) => cells[0] === s.name);
      expect(row, `${s.name} in: ${r.stdout}`).toBeDefined();
      if (s.role === "net-init") expect(row!.slice(1, 4).join(" "), s.name).toBe("exited none (one-shot:");
      else if (s.profiles) expect(row!.slice(2, 6).join(" "), s.name).toBe("none (on demand, profile");
      else expect(row!.slice(1, 3), s.name).toEqual(["running", "healthy"]);
    }
  });
});

describe("keys sit only where they are used", () => {
  const servers = topology.services.filter((s) => s.role === "mta" || s.role === "mailbox");

  it("no container but the CA's mounts the CA's volume, and only the CA holds ca.key", async () => {
    const containers = await docker.listContainers({ all: true, filters: { label: [`com.docker.compose.project=${topology.project}`] } });
    const caVolume = `${topology.project}_lab-ca-key`;
    const mounting = containers.filter((c) => (c.Mounts ?? []).some((m) => m.Name === caVolume)).map((c) => c.Labels["com.docker.compose.service"]);
    expect(mounting).toEqual(["lab-ca"]);
    expect((await sh("lab-ca", "ls /ca")).out.split(/\s+/)).toContain("ca.key");
    for (const s of servers) {
      const found = await sh(s.name, "find / -name ca.key -not -path '/proc/*' 2>/dev/null; true");
      expect(found.out.trim(), s.name).toBe("");
    }
  });

  it("each TLS server mounts only its own key, 0600 and root's (Postfix and Dovecot read it as root), beside its certificate and the CA's", async () => {
    expect(servers.map((s) => s.name)).toEqual(["mail-crepes", "mailbox-crepes", "mail-hamburger", "mailbox-hamburger"]);
    for (const s of servers) {
      const name = s.hostnames[0]!;
      const listing = (await sh(s.name, "stat -c '%n %a %u' /lab/tls/*")).out.trim().split("\n").sort();
      expect(listing, s.name).toEqual([`/lab/tls/ca.crt 644 0`, `/lab/tls/${name}.crt 644 0`, `/lab/tls/${name}.key 600 0`]);
      // Mounted read-only: a root shell in the server cannot swap the key either.
      expect((await sh(s.name, `touch /lab/tls/x 2>&1; echo rc=$?`)).out, s.name).toMatch(/Read-only file system[\s\S]*rc=1/);
    }
  });

  it("the CA vouches only for the lab's domains: a certificate it signs for www.example.com does not verify, one for a lab name does", async () => {
    const issue = (name: string) =>
      sh("lab-ca", [
        "set -e; d=$(mktemp -d); cd $d",
        `openssl req -new -nodes -newkey rsa:2048 -subj "/CN=${name}" -keyout k -out r 2>/dev/null`,
        `printf 'subjectAltName=DNS:${name}\\n' > e`,
        "openssl x509 -req -in r -CA /ca/ca.crt -CAkey /ca/ca.key -CAserial $d/srl -CAcreateserial -days 1 -extfile e -out c 2>/dev/null",
        "openssl verify -CAfile /ca/ca.crt c 2>&1 || true; cd /; rm -rf $d",
      ].join("; "));
    expect((await issue("www.example.com")).out).toMatch(/permitted subtree violation/);
    expect((await issue("test.someschool.edu")).out.trim()).toBe("c: OK");
    const text = (await sh("lab-ca", "openssl x509 -in /ca/ca.crt -noout -ext nameConstraints")).out;
    expect(text).toMatch(/Name Constraints: critical/);
    for (const domain of ["crepes.fr", "hamburger.edu", "someschool.edu"]) expect(text).toContain(`DNS:${domain}`);
  });
});
