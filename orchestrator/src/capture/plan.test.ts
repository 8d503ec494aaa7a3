import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InvalidInputError, UnknownNameError } from "../common/errors.ts";
import { parseComposeTopology } from "../lab/topology.ts";
import { capturableNetworks, capturableServices, DEFAULT_CAPTURE_LIMIT_MB, filterProblem, MAX_FILTER_LENGTH, planCapture, targetLabel, touchedServices, type CaptureSpec } from "./plan.ts";

// The lab's own topology: the names a capture aims at are docker-compose.yml's.
const topology = parseComposeTopology(readFileSync(new URL("../../../docker-compose.yml", import.meta.url), "utf8"));

const probe = (name: string, params: Record<string, unknown>) => ({ id: "p", kind: "probe", probe: name, with: params, expect: [] });
/** A step as the engine holds it: its kind and its own fields. */
const step = (kind: string, fields: Record<string, unknown>) => ({ id: "s", kind, ...fields });

/** What planCapture throws for this spec (or fails the test when it throws nothing). */
function refusal(spec: CaptureSpec, touched: readonly string[] = []): Error & { code?: string; status?: number; details?: Record<string, unknown> } {
  try {
    planCapture(spec, topology, touched);
  } catch (error) {
    return error as Error;
  }
  throw new Error(`planCapture(${JSON.stringify(spec)}) threw nothing`);
}

describe("what a capture may see", () => {
  it("captures the lab's internal networks, mail backends included, never the management network", () => {
    expect(capturableNetworks(topology)).toEqual(["internet", "campus", "crepes-mail-backend", "hamburger-mail-backend"]);
  });

  it("captures the services on those networks, but not the orchestrator, the host helpers or services on no network", () => {
    const services = capturableServices(topology);
    expect(services).toEqual(expect.arrayContaining(["prober", "dns-resolver", "mail-crepes", "mailbox-hamburger", "router", "bob", "www"]));
    for (const never of ["orchestrator", "lab-bridges", "proxy-routes", "bob-routes", "lab-ca"]) expect(services).not.toContain(never);
  });
});

describe("touchedServices", () => {
  it("finds a probe's server by its host name, and adds the prober that sends the probe", () => {
    expect(touchedServices([probe("smtp", { server: "mail.crepes.fr", port: 587 })], topology)).toEqual(["mail-crepes", "prober"]);
  });

  it("finds the host of a URL, of host:port, and a host name in any case or with a trailing dot", () => {
    expect(touchedServices([probe("http", { url: "http://www.someschool.edu/x" })], topology)).toEqual(["www", "prober"]);
    expect(touchedServices([probe("http", { url: "https://WWW.SomeSchool.edu:8443/a?b=c" })], topology)).toEqual(["www", "prober"]);
    expect(touchedServices([probe("http", { proxy: "proxy.hamburger.edu:3128" })], topology)).toEqual(["proxy", "prober"]);
    expect(touchedServices([probe("dns", { server: "a.root-servers.net." })], topology)).toEqual(["dns-root", "prober"]);
    expect(touchedServices([probe("pop3", { server: "pop.hamburger.edu" })], topology)).toEqual(["mailbox-hamburger", "prober"]);
  });

  it("finds host names nested in lists and objects of a probe's parameters", () => {
    const steps = [probe("ftp", { jobs: [{ server: "ftp.someschool.edu" }, { server: ["tftp.someschool.edu:69"] }] })];
    expect(touchedServices(steps, topology)).toEqual(["ftp", "tftp", "prober"]);
  });

  it("does not add the prober for a logs probe, which reads Docker's logs and sends nothing", () => {
    expect(touchedServices([probe("logs", { services: ["mailbox-hamburger"], pattern: "saved mail" })], topology)).toEqual(["mailbox-hamburger"]);
  });

  it("for the diskless VM's boot: the DHCP and TFTP servers the netboot probe reads, not the VM (not running when the capture starts) nor the prober", () => {
    const steps = [step("service", { service: "pxe-client", action: "start", waitHealthy: false }), probe("netboot", { since: "s", client: "pxe-client", dhcp: "dhcp", tftp: "tftp" })];
    expect(touchedServices(steps, topology)).toEqual(["tftp", "dhcp"]);
  });

  it("names the service of a service, exec or fault step", () => {
    expect(touchedServices([step("service", { service: "dns-resolver", action: "restart" })], topology)).toEqual(["dns-resolver"]);
    expect(touchedServices([step("exec", { exec: "mail-crepes", command: ["postqueue", "-f"], expect: [] })], topology)).toEqual(["mail-crepes"]);
    expect(touchedServices([step("fault", { fault: { service: "mail-hamburger", linkDown: "internet" } })], topology)).toEqual(["mail-hamburger"]);
  });

  it("finds nothing in wait and assert steps, and lists what it finds in the compose file's order, once each", () => {
    const steps = [
      { id: "w", kind: "wait", wait: "2s", waitMs: 2000 },
      probe("smtp", { server: "mail.crepes.fr" }),
      { id: "s", kind: "service", service: "dns-resolver", action: "restart" },
      probe("smtp", { server: "mail.crepes.fr" }),
    ];
    expect(touchedServices(steps.slice(0, 1), topology)).toEqual([]);
    expect(touchedServices(steps, topology)).toEqual(["dns-resolver", "mail-crepes", "prober"]);
  });

  it("never lists the orchestrator or a host helper, even when a step names them", () => {
    const steps = [probe("logs", { services: ["orchestrator", "lab-bridges", "www"] }), { id: "x", kind: "exec", exec: "orchestrator", command: ["true"], expect: [] }];
    expect(touchedServices(steps, topology)).toEqual(["www"]);
  });

  it("ignores strings that are not host names, and names that merely contain one", () => {
    expect(touchedServices([probe("logs", { services: [], pattern: "mail.crepes.fr said hello", text: "evil-mail.crepes.fr" })], topology)).toEqual([]);
  });
});

describe("planCapture", () => {
  it("captures every service the run touches, on each of its lab networks, when told true", () => {
    const plan = planCapture(true, topology, ["dns-resolver", "prober"]);
    expect(plan.targets).toEqual([
      { kind: "service", name: "dns-resolver", interfaces: [{ network: "campus", address: "10.1.0.53" }, { network: "internet", address: "10.0.0.53" }] },
      { kind: "service", name: "prober", interfaces: [{ network: "internet", address: "10.0.0.250" }, { network: "campus", address: "10.1.0.250" }] },
    ]);
    expect(plan.limitBytes).toBe(DEFAULT_CAPTURE_LIMIT_MB * 2 ** 20);
    expect(plan.filter).toBeUndefined();
  });

  it("captures a mail server on its private backend network too", () => {
    const plan = planCapture({ services: ["mail-crepes"] }, topology, []);
    expect(plan.targets).toEqual([{ kind: "service", name: "mail-crepes", interfaces: [{ network: "internet", address: "10.0.0.21" }, { network: "crepes-mail-backend", address: "10.253.1.2" }] }]);
  });

  it("captures the services and networks named instead of the touched ones, once each", () => {
    const plan = planCapture({ services: ["www", "www"], networks: ["campus", "hamburger-mail-backend"] }, topology, ["prober"]);
    expect(plan.targets.map(targetLabel)).toEqual(["www", "network:campus", "network:hamburger-mail-backend"]);
    expect(plan.targets[1]).toEqual({ kind: "network", name: "campus", bridge: "l7-campus", subnet: "10.1.0.0/24" });
  });

  it("captures only the networks named when no service is, not the touched services", () => {
    expect(planCapture({ networks: ["internet"] }, topology, ["prober", "www"]).targets.map(targetLabel)).toEqual(["network:internet"]);
  });

  it("keeps a filter, and turns limitMB into bytes", () => {
    const plan = planCapture({ filter: "tcp port 25", limitMB: 3 }, topology, ["mail-crepes"]);
    expect(plan).toMatchObject({ filter: "tcp port 25", limitBytes: 3 * 1024 * 1024 });
  });

  it("refuses an unknown service, listing the valid ones", () => {
    const error = refusal({ services: ["mail-crepe"] });
    expect(error).toBeInstanceOf(UnknownNameError);
    expect(error).toMatchObject({ code: "UNKNOWN_CAPTURABLE_SERVICE", status: 404 });
    expect(error.message).toMatch(/^capturable service "mail-crepe" is not known\. Valid capturable services are .*"mail-crepes"/);
    expect(error.message).not.toMatch(/orchestrator/);
  });

  it("refuses the orchestrator, saying why, and lists the services that can be captured", () => {
    const error = refusal({ services: ["orchestrator"] });
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/^the capture is invalid: service "orchestrator" cannot be captured: it carries the API and its token\. Services that can: dns-root, .*\bprober$/);
    expect(error.message.split("Services that can: ")[1]!.split(", ")).not.toContain("orchestrator");
  });

  it("refuses the host-setup helper and a service on no lab network", () => {
    expect(refusal({ services: ["lab-bridges"] }).message).toContain("it runs in the host's network namespace");
    expect(refusal({ services: ["lab-ca"] }).message).toMatch(/service "lab-ca" is on no lab network\. Services that can be captured: /);
  });

  it("refuses the management network, listing the networks that can be captured", () => {
    const error = refusal({ networks: ["mgmt"] });
    expect(error).toMatchObject({ code: "INVALID_INPUT", status: 400 });
    expect(error.message).toMatch(/network "mgmt" cannot be captured: .*carries the API and its token.*Networks that can: internet, campus, crepes-mail-backend, hamburger-mail-backend/);
    expect(refusal({ networks: ["intranet"] }).message).toMatch(/^capturable network "intranet" is not known/);
  });

  it("says there is nothing to capture when the run touches no capturable service, and how to name some", () => {
    for (const spec of [true, {}, { filter: "port 53" }] as CaptureSpec[]) {
      const error = refusal(spec, []);
      expect(error).toBeInstanceOf(InvalidInputError);
      expect(error.message).toMatch(/there is nothing to capture: the scenario touches no service that can be captured; name them \(capture: \{ services: \[\.\.\.\] \}\)\. Services: dns-root, .*; networks: internet, campus, crepes-mail-backend, hamburger-mail-backend$/);
    }
  });

  it.each([
    ["starts with an option", "-i eth0", /begins with "-": give a BPF expression/],
    ["starts with an option after blanks", "   --version", /begins with "-"/],
    ["holds a newline", "port 25\nor port 53", /only printable ASCII/],
    ["holds a tab", "port\t25", /only printable ASCII/],
    ["holds non-ASCII", "port 25 ∧ host mail", /only printable ASCII/],
    ["is too long", "port 25 or ".repeat(60) + "port 53", new RegExp(`is ${"port 25 or ".repeat(60).length + 7} characters long; ${MAX_FILTER_LENGTH} at most`)],
  ])("refuses a filter that %s with a 400 naming the problem", (_what, filter, problem) => {
    expect(filterProblem(filter)).toMatch(problem);
    const error = refusal({ filter }, ["www"]);
    expect(error).toBeInstanceOf(InvalidInputError);
    expect(error).toMatchObject({ code: "INVALID_INPUT", status: 400 });
    expect(error.message).toMatch(/^the capture is invalid: the capture filter /);
    expect(error.message).toMatch(problem);
  });

  it("takes filters tcpdump would take, a hyphen inside included", () => {
    for (const filter of ["port 25", "udp and not port 53", "host 10.0.0.21 and (tcp[13] & 2 != 0)", "ether proto \\arp", "x".repeat(MAX_FILTER_LENGTH), "tcp portrange 20-21"]) {
      expect(filterProblem(filter)).toBeUndefined();
    }
  });
});
