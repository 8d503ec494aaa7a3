import { beforeAll, describe, expect, it } from "vitest";
import { explain, runScenario, sh, type Run } from "./lab.ts";

describe("scenario proxy-cache", () => {
  let run: Run;
  beforeAll(async () => {
    ({ run } = await runScenario("proxy-cache"));
  });

  it("passes", () => {
    expect(run.status, explain(run)).toBe("passed");
  });
});

describe("the web from Bob's workstation, as the README shows", () => {
  it("curl goes through the proxy: a MISS, then a HIT", async () => {
    const url = `http://www.someschool.edu/index.html?by-hand=${Date.now()}`;
    const r = await sh("bob", `curl -sS -o /dev/null -D - '${url}'; curl -sS -o /dev/null -D - '${url}'`);
    expect(r.exitCode, r.out).toBe(0);
    const verdicts = r.out.split(/\r?\n/).filter((l) => /^x-cache:/i.test(l));
    expect(verdicts).toEqual(["X-Cache: MISS from proxy.hamburger.edu", "X-Cache: HIT from proxy.hamburger.edu"]);
  });

  it("cannot reach the web without the proxy: the campus router resets the connection", async () => {
    const r = await sh("bob", "curl -sS --noproxy '*' -m 5 -o /dev/null http://www.someschool.edu/; echo rc=$?");
    expect(r.out).toMatch(/rc=7/);
    expect(r.out).toMatch(/Couldn't connect|Connection refused/);
  });
});
