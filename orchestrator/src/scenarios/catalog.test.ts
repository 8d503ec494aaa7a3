import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { UnknownNameError } from "../common/errors.ts";
import { ScenarioCatalog } from "./catalog.ts";
import { InvalidScenarioError } from "./errors.ts";
import { testContext } from "./testing/context.ts";

const fixtures = fileURLToPath(new URL("./fixtures/", import.meta.url));

describe("ScenarioCatalog", () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("lists valid and invalid scenarios, and hands out the valid ones by name", async () => {
    dir = await mkdtemp(join(tmpdir(), "l7lab-catalog-"));
    await copyFile(join(fixtures, "valid/example.yaml"), join(dir, "example.yaml"));
    await copyFile(join(fixtures, "invalid/unknown-probe.yaml"), join(dir, "unknown-probe.yaml"));
    const catalog = await ScenarioCatalog.load(dir, testContext());

    expect(catalog.names()).toEqual(["example", "unknown-probe"]);
    expect(catalog.list().map((e) => ({ name: e.name, valid: e.valid, title: e.title, errors: e.errors.length }))).toEqual([
      { name: "example", valid: true, title: "Resolve a name, break a server, and compare", errors: 0 },
      { name: "unknown-probe", valid: false, title: "A probe that does not exist", errors: 1 },
    ]);
    expect(catalog.get("example").steps).toHaveLength(6);

    const invalid = (() => {
      try {
        catalog.get("unknown-probe");
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(invalid).toBeInstanceOf(InvalidScenarioError);
    expect(invalid).toMatchObject({ code: "INVALID_SCENARIO", status: 400 });
    expect((invalid as Error).message).toMatch(/^scenario "unknown-probe" \(.*unknown-probe\.yaml\) is invalid: .*probe "dnz" is not known\. Valid probes are "dns" and "smtp"\.$/);

    expect(() => catalog.get("exmaple")).toThrow(UnknownNameError);
    expect(() => catalog.get("exmaple")).toThrow('scenario "exmaple" is not known. Valid scenarios are "example" and "unknown-probe".');
    expect(catalog.entry("unknown-probe").valid).toBe(false);
  });

  it("sees new and changed files after reload()", async () => {
    dir = await mkdtemp(join(tmpdir(), "l7lab-catalog-"));
    const catalog = await ScenarioCatalog.load(dir, testContext());
    expect(catalog.list()).toEqual([]);
    await writeFile(join(dir, "quick.yaml"), "name: quick\ntitle: Quick\nsteps:\n  - { id: w, wait: 1s }\n");
    expect(catalog.names()).toEqual([]);
    await catalog.reload();
    expect(catalog.get("quick").steps).toEqual([{ id: "w", kind: "wait", wait: "1s", waitMs: 1000 }]);
  });
});
