import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseComposeTopology } from "../lab/topology.ts";
import { capturableServices, planCapture, touchedServices } from "./plan.ts";

const topology = parseComposeTopology(readFileSync(new URL("../../../docker-compose.yml", import.meta.url), "utf8"));
const probe = (name: string, params: Record<string, unknown>) => ({ id: "p", kind: "probe", probe: name, with: params, expect: [] });

describe("touchedServices only follows host names and service fields", () => {
  it("does not take a login name for the workstation of the same name (ftp-transfer.yaml: user: bob)", () => {
    expect(touchedServices([probe("ftp", { server: "ftp.someschool.edu", user: "bob", pass: "hungry" })], topology)).toEqual(["ftp", "prober"]);
  });
  it("does not take the name a DNS probe looks up for a host the probe reaches (the resolver, its default server, is)", () => {
    expect(touchedServices([probe("dns", { name: "www.someschool.edu", type: "A" })], topology)).toEqual(["dns-resolver", "prober"]);
    expect(touchedServices([probe("dns", { name: "www.someschool.edu", server: "dns.someschool.edu" })], topology)).not.toContain("dns-resolver");
  });
  it("does not take a step id for a service", () => {
    expect(touchedServices([{ id: "router", kind: "wait", wait: "1s", waitMs: 1000 }], topology)).toEqual([]);
  });
});

describe("planCapture names the capturable services when a name is unknown", () => {
  it("does not offer the orchestrator or the one-shots as valid", () => {
    expect(() => planCapture({ services: ["nope"] }, topology, [])).toThrow(expect.objectContaining({ details: expect.objectContaining({ valid: [...capturableServices(topology)].sort() }) }));
  });
});
