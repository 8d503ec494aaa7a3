import { describe, expect, it } from "vitest";
import { helperSpec, helperVerdict } from "./net-fault-helpers.ts";

const REFUSAL = "net-fault.sh: this network namespace already has an l7lab fault; remove it first";

/**
 * A helper that refuses and exits right after the first look at it, whichever read that look is:
 * the race a CI run once hit, when the log was read before the state.
 */
function exitsWhileLooked(): { state(): Promise<{ Running: boolean; ExitCode: number }>; log(): Promise<string> } {
  let exited = false;
  const exit = () => {
    exited = true;
  };
  return {
    async state() {
      const now = { Running: !exited, ExitCode: exited ? 3 : 0 };
      exit();
      return now;
    },
    async log() {
      const now = exited ? REFUSAL : "";
      exit();
      return now;
    },
  };
}

describe("helperVerdict", () => {
  it("waits while the helper runs without saying applied", async () => {
    expect(await helperVerdict({ state: async () => ({ Running: true, ExitCode: 0 }), log: async () => "l7lab-fault: applying" })).toBeUndefined();
  });

  it("is applied once a running helper says so", async () => {
    expect(await helperVerdict({ state: async () => ({ Running: true, ExitCode: 0 }), log: async () => "x\nl7lab-fault: applied loss 10 both" })).toEqual({ applied: true });
  });

  it("keeps the reason of a helper that exits between two looks", async () => {
    const helper = exitsWhileLooked();
    let verdict;
    for (let look = 0; look < 3 && verdict === undefined; look++) verdict = await helperVerdict(helper);
    expect(verdict).toEqual({ applied: false, exitCode: 3, log: REFUSAL });
  });

  it("reads the log after the state, so an exited helper's log is whole", async () => {
    const order: string[] = [];
    await helperVerdict({
      state: async () => (order.push("state"), { Running: false, ExitCode: 3 }),
      log: async () => (order.push("log"), REFUSAL),
    });
    expect(order).toEqual(["state", "log"]);
  });

  it("counts a helper that said applied and then died as a failure", async () => {
    expect(await helperVerdict({ state: async () => ({ Running: false, ExitCode: 1 }), log: async () => "l7lab-fault: applied loss 10 both\nboom" })).toEqual({
      applied: false,
      exitCode: 1,
      log: "l7lab-fault: applied loss 10 both\nboom",
    });
  });
});

describe("a fault helper's container", () => {
  it("blanks the Compose labels its image inherits, so that it never passes for the service it was built as", () => {
    const spec = helperSpec("l7lab", "l7lab/router:dev", "abc", "www", "l7lab-fault-www-1", ["cut", "--peer", "10.0.0.22/32"], "a partition");
    expect(spec.Labels).toMatchObject({ "com.docker.compose.project": "", "com.docker.compose.service": "", "l7lab.fault.project": "l7lab", "l7lab.fault.service": "www" });
    expect(spec.HostConfig).toMatchObject({ NetworkMode: "container:abc", CapAdd: ["NET_ADMIN"] });
  });
});
