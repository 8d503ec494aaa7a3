import { Settings } from "typebox/system";
import { describe, expect, it } from "vitest";
import { testContext } from "./testing/context.ts";
import { validateScenario } from "./validate.ts";

/** validateScenario is also what the API uses for a scenario sent inline, without a file. */
describe("validateScenario", () => {
  const ok = { name: "inline", title: "Inline", steps: [{ id: "w", wait: "1s" }] };

  it("accepts an inline scenario without a file name to match", () => {
    expect(validateScenario(ok, testContext())).toEqual({ ok: true, scenario: { name: "inline", title: "Inline", steps: [{ id: "w", kind: "wait", wait: "1s", waitMs: 1000 }] } });
  });

  it("checks the name against the file name only when one is given", () => {
    expect(validateScenario(ok, { ...testContext(), expectedName: "other" })).toEqual({
      ok: false,
      problems: ['name "inline" must equal the file name "other"; rename the file or change the name'],
    });
  });

  it("keeps description and timeoutMs", () => {
    const checked = validateScenario({ ...ok, description: "d", timeoutMs: 9000 }, testContext());
    expect(checked.ok && checked.scenario).toMatchObject({ description: "d", timeoutMs: 9000 });
  });

  it.each([
    [{ ...ok, timeoutMs: 0 }, 'field "timeoutMs" must be >= 1; got 0'],
    [{ ...ok, timeoutMs: 2 ** 31 }, 'field "timeoutMs" must be <= 86400000; got 2147483648'],
    [{ ...ok, steps: [{ id: "a", exec: "dns-resolver", command: ["true"], timeoutMs: 2 ** 31 }] }, 'step "a": field "timeoutMs" must be <= 3600000; got 2147483648'],
    [{ ...ok, steps: [{ id: "a", wait: 2 ** 31 }] }, 'step "a": field "wait" must be a duration: "500ms", "2s", "1m", "1h", or a number of milliseconds; 1h at most; got 2147483648'],
    [{ ...ok, steps: [{ id: "a", wait: "25h" }] }, 'step "a": duration is invalid: "25h" is 90000000 ms, longer than the longest wait, 3600000 ms (1h)'],
    [{ ...ok, name: "Has Spaces" }, 'field "name" must match pattern "^[a-z0-9-]+$" (Must equal the file name without its extension.); got "Has Spaces"'],
    [{ ...ok, steps: "w" }, 'field "steps" must be array; got "w"'],
    [{ ...ok, steps: [{ id: "a", service: "dns-resolver", action: 3 }] }, 'step "a": field "action" must be one of "stop", "start", "restart", "pause", "unpause", "kill"; got 3'],
    [{ ...ok, steps: [{ id: "a", probe: "dns", with: "x" }] }, 'step "a": field "with" must be object; got "x"'],
  ])("rejects %j", (raw, problem) => {
    expect(validateScenario(raw, testContext())).toEqual({ ok: false, problems: [problem] });
  });

  it("bounds every list: 500 steps, 100 assertions in one list, 1000 command arguments", () => {
    const steps = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `w${i}`, wait: "1ms" }));
    expect(validateScenario({ ...ok, steps: steps(500) }, testContext()).ok).toBe(true);
    const tooMany = validateScenario({ ...ok, steps: steps(501) }, testContext());
    expect(tooMany.ok).toBe(false);
    expect(!tooMany.ok && tooMany.problems.join("; ")).toMatch(/^field "steps" must not have more than 500 items; got \[/);
    const assertions = Array.from({ length: 101 }, () => ({ path: "exitCode", equals: 0 }));
    const checked = validateScenario({ ...ok, steps: [{ id: "a", exec: "dns-resolver", command: ["true"], expect: assertions }] }, testContext());
    expect(!checked.ok && checked.problems.join("; ")).toMatch(/^step "a": field "expect" must not have more than 100 items; got \[/);
    const args = validateScenario({ ...ok, steps: [{ id: "a", exec: "dns-resolver", command: Array<string>(1001).fill("x") }] }, testContext());
    expect(!args.ok && args.problems.join("; ")).toMatch(/^step "a": field "command" must not have more than 1000 items; got \[/);
  });

  it("reports every problem of a step, beyond typebox's default limit of 8 errors, and restores that limit", () => {
    const before = Settings.Get().maxErrors;
    const steps = [{ id: "A", service: 1, action: 2, waitHealthy: "x", title: 3, extra1: 1, extra2: 2 }];
    const checked = validateScenario({ ...ok, steps }, testContext());
    expect(checked.ok ? [] : checked.problems).toEqual([
      'step "A": unknown field "extra1". Valid fields are "action", "id", "service", "title" and "waitHealthy"',
      'step "A": unknown field "extra2". Valid fields are "action", "id", "service", "title" and "waitHealthy"',
      'step "A": field "id" must match pattern "^[a-z0-9-]+$" (Unique within the scenario: lower-case letters, digits and dashes. Later steps refer to this step\'s result by it.); got "A"',
      'step "A": field "title" must be string; got 3',
      'step "A": field "service" must be string; got 1',
      'step "A": field "action" must be one of "stop", "start", "restart", "pause", "unpause", "kill"; got 2',
      'step "A": field "waitHealthy" must be boolean; got "x"',
    ]);
    expect(Settings.Get().maxErrors).toBe(before);
  });
});
