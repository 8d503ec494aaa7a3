import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseComposeTopology } from "../lab/topology.ts";
import { defaultProbes } from "../probes/default-probes.ts";
import { ExperimentCatalog, parseExperimentText } from "./catalog.ts";

// The real lab: docker-compose.yml's topology and the orchestrator's own probes.
const topology = parseComposeTopology(readFileSync(new URL("../../../docker-compose.yml", import.meta.url), "utf8"));
const ctx = { registry: defaultProbes(), topology };

const GOOD = `name: t
title: T
factors:
  - { name: rttMs, levels: [0, 50] }
  - { name: cache, levels: [cold, warm] }
repetitions: 2
steps:
  - { id: delay, fault: { service: dns-root, delayMs: "\${rttMs}" } }
measure:
  steps:
    - { id: lookup, probe: dns, with: { name: www.someschool.edu } }
  metric: { step: lookup, path: rttMs, name: time, unit: ms }
model:
  - { when: { cache: cold }, expression: "3 * rttMs" }
  - { expression: "0" }
bound: { relative: 0.1, absolute: 5 }
`;
const check = (text: string) => parseExperimentText(text, "experiments/t.yaml", ctx);

describe("the lab's experiment files", () => {
  it("every file in experiments/ is valid against the real lab and probes (its schema file is no experiment)", async () => {
    const catalog = await new ExperimentCatalog(new URL("../../../experiments", import.meta.url).pathname, ctx).reload();
    expect(catalog.list().map((e) => e.name)).toContain("dns-latency");
    expect(catalog.list().map((e) => e.name)).not.toContain("experiment.schema");
    expect(catalog.list().flatMap((e) => e.errors)).toEqual([]);
  });
});

describe("load-time checks of an experiment", () => {
  it("takes a good one", () => {
    expect(check(GOOD)).toMatchObject({ valid: true, title: "T", errors: [] });
  });

  it.each([
    ["a name other than the file's", GOOD.replace("name: t\n", "name: u\n"), /name "u" must equal the file name "t"/],
    ["a when on an unknown factor", GOOD.replace("when: { cache: cold }", "when: { cash: cold }"), /when names "cash", which is not a factor; factors: rttMs, cache/],
    ["a when on a level the factor does not have", GOOD.replace("when: { cache: cold }", "when: { cache: [cold, tepid] }"), /when gives "cache" the level "tepid", which is not one of its levels: "cold", "warm"/],
    ["a quick level the factor does not have", GOOD + "quick: { rttMs: [0, 75] }\n", /quick level 75 of "rttMs" is not one of its levels: 0, 50/],
    ["a metric step that is not a measure step", GOOD.replace("metric: { step: lookup", "metric: { step: delay"), /metric.step "delay" is not the id of a measure step; they are: lookup/],
    ["a model on a text factor", GOOD.replace('"3 * rttMs"', '"3 * cache"'), /model at rttMs=0, cache=cold: the expression "3 \* cache" uses "cache", which is not a numeric factor/],
    ["a fault on an unknown service", GOOD.replace("service: dns-root", "service: dns-rot"), /the scenario of point rttMs=0, cache=cold: step "delay": service "dns-rot" is not known/],
    ["a delay the fault refuses", GOOD.replace("levels: [0, 50]", "levels: [0, 50000]"), /the scenario of point rttMs=50000, cache=cold: step "delay": field "fault.delayMs" must be <= 10000/],
    ["a missing field", GOOD.replace("repetitions: 2\n", ""), /repetitions/],
    ["YAML that does not parse", "name: [", /is not valid YAML/],
  ])("refuses %s, saying what to fix", (_what, text, message) => {
    const loaded = check(text);
    expect(loaded.valid).toBe(false);
    expect(loaded.errors.join("\n")).toMatch(message);
  });
});
