import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseComposeTopology } from "../lab/topology.ts";
import { defaultProbes } from "../probes/default-probes.ts";
import { loadScenarioDir, parseScenarioText } from "./loader.ts";

// The real lab: docker-compose.yml's topology and the orchestrator's own probes.
const topology = parseComposeTopology(readFileSync(new URL("../../../docker-compose.yml", import.meta.url), "utf8"));
const ctx = { registry: defaultProbes(), topology };
const check = (steps: string) => parseScenarioText(`name: t\ntitle: t\nsteps:\n${steps}`, "scenarios/t.yaml", ctx);

describe("the lab's scenario files", () => {
  it("every file in scenarios/ is valid against the real lab and probes", async () => {
    const all = await loadScenarioDir(new URL("../../../scenarios", import.meta.url).pathname, ctx);
    expect(all.map((s) => s.name)).toContain("dns-resolution");
    expect(all.filter((s) => !s.valid).flatMap((s) => s.errors)).toEqual([]);
  });
});

describe("load-time checks that keep a scenario from failing halfway, after a fault", () => {
  it.each([
    ["stopping the orchestrator", "  - id: a\n    service: orchestrator\n    action: stop\n", /service "orchestrator" cannot be acted on/],
    ["a command in the host-setup helper", "  - id: a\n    exec: lab-bridges\n    command: [iptables, -F]\n", /service "lab-bridges" cannot be acted on .*firewall/],
    ["a logs probe of an unknown service", "  - id: a\n    probe: logs\n    with: { services: [dns-rot], pattern: x }\n", /service "dns-rot" is not known/],
    ["a logs probe since a later step", "  - id: a\n    probe: logs\n    with: { services: [dns-root], pattern: x, since: b }\n  - id: b\n    wait: 1s\n", /"since" names step "b", which is not an earlier step/],
    ["an invalid regular expression", "  - id: a\n    probe: logs\n    with: { services: [dns-root], pattern: '(', regex: true }\n", /"pattern" is not a valid regular expression/],
    ["a DNS server outside the lab", "  - id: a\n    probe: dns\n    with: { mode: direct, server: 9.9.9.9, name: hamburger.edu }\n", /server "9\.9\.9\.9" \(9\.9\.9\.9\) is not in the lab's networks \(10\.0\.0\.0\/24, 10\.1\.0\.0\/24\)/],
    ["a DNS server that is no lab host", "  - id: a\n    probe: dns\n    with: { mode: direct, server: ns3.hamburger.edu, name: hamburger.edu }\n", /server "ns3\.hamburger\.edu" is not a lab service/],
  ])("refuses %s", (_what, steps, message) => {
    const loaded = check(steps);
    expect(loaded.valid).toBe(false);
    expect(loaded.errors.join("\n")).toMatch(message);
  });

  it("accepts the same steps when they are right", () => {
    const loaded = check(
      "  - id: a\n    probe: dns\n    with: { mode: direct, server: ns2.hamburger.edu, name: hamburger.edu }\n" +
        "  - id: b\n    probe: logs\n    with: { services: [dns-hamburger-2], pattern: '^x', regex: true, since: a }\n",
    );
    expect(loaded.errors).toEqual([]);
  });
});
