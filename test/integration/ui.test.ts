/**
 * The web UI in a real browser (Debian's chromium in a container, driven by playwright-core over
 * CDP: browser.ts), as a user meets it: the login link, the topology's health, a scenario run from
 * the Scenarios view and followed live, an SMTP dialogue as a ladder diagram, a run's pcap
 * downloaded, and the keyboard alone. The UI's side of the contract is the DOM these tests read:
 * data-service/data-health boxes, "Run <name>" buttons, data-run-status, data-step/data-status,
 * the "Ladder diagram of <step>" SVG with its g.arrow[data-dir], and a[data-pcap].
 *
 * With L7LAB_SCREENSHOTS=1 the tests also save the README's screenshots (docs/screenshots), at
 * 1280x800. A failed test leaves a screenshot of its page in test-results/ui.
 */
import type { BrowserContext, Locator, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readmeScreenshot, screenshot, startChromium, uiOrigin, type StartedChromium } from "./browser.ts";
import { api, apiToken, explain, type Run } from "./lab.ts";

const FINISHED = ["passed", "failed", "error", "aborted"];

let chromium: StartedChromium | undefined;
let context: BrowserContext;
let page: Page;
/** What went wrong in the page's scripts: uncaught errors, and what the content security policy refused. */
let pageErrors: string[];

// Starting chromium may first build the tools image (services/tools), as the capture tests do.
beforeAll(async () => {
  chromium = await startChromium();
}, 900_000);
afterAll(async () => {
  await chromium?.stop();
});

beforeEach(async () => {
  if (!chromium) throw new Error("chromium did not start");
  context = await chromium.newContext();
  page = await context.newPage();
  pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(`uncaught: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) pageErrors.push(`CSP: ${message.text()}`);
  });
});
afterEach(async ({ task }) => {
  if (task.result?.state === "fail") await screenshot(page, `failed-${task.name}`).catch(() => undefined);
  await context.close();
  expect(pageErrors, "errors in the page's scripts").toEqual([]);
});

/** Opens the UI as the login link (./l7lab login-link) does; the session cookie stays in the context. */
async function login(): Promise<void> {
  await page.goto(`${uiOrigin}/login?token=${encodeURIComponent(apiToken())}`);
  expect(page.url()).toBe(`${uiOrigin}/`);
}

/** The Run button of a scenario in the Scenarios view. */
function runButton(scenario: string): Locator {
  return page.getByRole("button", { name: `Run ${scenario}`, exact: true });
}

/** The id of the run the page shows (#/runs/<id>), once it shows one. */
async function shownRunId(): Promise<string> {
  await page.waitForURL(/#\/runs\/[^/]+$/, { timeout: 30_000 });
  return decodeURIComponent(new URL(page.url()).hash.replace(/^#\/runs\//, ""));
}

/** Starts a scenario from the Scenarios view, with its capture box ticked or not; returns the run's id. */
async function runFromScenarios(scenario: string, options: { capture?: boolean } = {}): Promise<string> {
  // Through the navigation bar, as a user goes there.
  await page.getByRole("link", { name: "Scenarios", exact: true }).first().click();
  const button = runButton(scenario);
  await button.waitFor({ timeout: 30_000 });
  if (options.capture) {
    // The capture box of this scenario: the one in the nearest element around its Run button that has one.
    const around = button.locator("xpath=ancestor::*[.//input[@type='checkbox']][1]");
    await around.getByLabel("Capture packets (pcap)", { exact: true }).check();
  }
  await button.click();
  return shownRunId();
}

/**
 * Waits until the run view shows the run finished, and expects it passed; a failure says what the
 * run itself says went wrong (from the API).
 */
async function expectRunPassed(id: string, timeoutMs = 120_000): Promise<void> {
  // A locator, not page.waitForFunction: that evaluates its predicate with eval, which the UI's
  // content security policy (script-src 'self') rightly refuses.
  const finished = page.locator(FINISHED.map((status) => `[data-run-status="${status}"]`).join(", "));
  await finished.waitFor({ timeout: timeoutMs }).catch(async (error: unknown) => {
    const shown = await page.locator("[data-run-status]").getAttribute("data-run-status", { timeout: 1000 }).catch(() => "absent");
    throw new Error(`run ${id} did not finish in the UI within ${timeoutMs} ms: data-run-status is ${shown}`, { cause: error });
  });
  const shown = await page.locator("[data-run-status]").getAttribute("data-run-status");
  if (shown !== "passed") {
    const run = await api<Run>("GET", `/runs/${id}`);
    expect.fail(`the UI shows run ${id} ${shown}: ${explain(run.body)}`);
  }
}

/**
 * Records, in the page, every value that data-run-status and each step's data-status take, as the
 * DOM changes (a MutationObserver from the document's start): window.l7labSeen.
 */
const RECORDER_SCRIPT = `(() => {
  const seen = { run: [], steps: {} };
  window.l7labSeen = seen;
  const push = (list, value) => { if (value !== null && list[list.length - 1] !== value) list.push(value); };
  const scan = () => {
    for (const e of document.querySelectorAll("[data-run-status]")) push(seen.run, e.getAttribute("data-run-status"));
    for (const e of document.querySelectorAll("[data-step]")) push(seen.steps[e.getAttribute("data-step")] ??= [], e.getAttribute("data-status"));
  };
  new MutationObserver(scan).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-run-status", "data-status"] });
})();`;

interface Seen {
  run: string[];
  steps: Record<string, string[]>;
}

/** What each data-* element says, and its text (status words must be there as text too). */
async function attributesAndText(selector: string, attributes: readonly string[]): Promise<{ attrs: Record<string, string | null>; text: string }[]> {
  const all = page.locator(selector);
  const out: { attrs: Record<string, string | null>; text: string }[] = [];
  for (const el of await all.all()) {
    const attrs: Record<string, string | null> = {};
    for (const a of attributes) attrs[a] = await el.getAttribute(a);
    out.push({ attrs, text: (await el.textContent()) ?? "" });
  }
  return out;
}

describe("the web UI in a real browser", () => {
  it("opens with the login link on the topology; without it, / is a login-needed page (401) with no topology", async () => {
    const anonymous = await page.goto(`${uiOrigin}/`);
    expect(anonymous?.status()).toBe(401);
    expect(await page.locator("body").innerText()).toMatch(/login link/i);
    expect(await page.locator("[data-service]").count()).toBe(0);

    await login();
    await page.locator("[data-service]").first().waitFor({ timeout: 30_000 });
    expect(await page.getByRole("heading", { level: 1 }).first().innerText()).toMatch(/topology/i);
    // The session is a cookie the page's scripts cannot read.
    const cookies = await context.cookies(uiOrigin);
    expect(cookies.length).toBeGreaterThan(0);
    expect(cookies.every((c) => c.httpOnly)).toBe(true);
    expect(await page.evaluate("document.cookie")).toBe("");
  });

  it("shows every running service with a health check healthy, in words as well as colour", async () => {
    const topology = await api<{ services: { name: string; state: string; health: string }[] }>("GET", "/topology");
    expect(topology.status).toBe(200);
    // The one-shot net-init services have exited by design, and have no health check.
    const checked = topology.body.services.filter((s) => s.state === "running" && s.health !== "none").map((s) => s.name);
    expect(checked.length).toBeGreaterThan(10);

    await login();
    await page.locator("[data-service]").first().waitFor({ timeout: 30_000 });
    const boxes = new Map((await attributesAndText("[data-service]", ["data-service", "data-health"])).map((b) => [b.attrs["data-service"], b]));
    for (const name of checked) {
      const box = boxes.get(name);
      expect(box, `no data-service="${name}" in the topology view`).toBeDefined();
      expect(box?.attrs["data-health"], name).toBe("healthy");
      expect(box?.text, name).toContain("healthy");
    }
    await readmeScreenshot(page, "topology");
  });

  it("runs dns-resolution from the Scenarios view and follows its steps live to passed", async () => {
    await context.addInitScript(RECORDER_SCRIPT);
    await login();
    await page.evaluate("window.l7labNoReload = true");
    const id = await runFromScenarios("dns-resolution");
    await expectRunPassed(id);

    const run = await api<Run>("GET", `/runs/${id}`);
    const steps = await attributesAndText("[data-step]", ["data-step", "data-status"]);
    expect(steps.map((s) => s.attrs["data-step"])).toEqual(run.body.steps.map((s) => s.id));
    for (const s of steps) expect(s.attrs["data-status"], `step ${s.attrs["data-step"]}`).toBe("passed");

    // Live: the page was never reloaded, and it showed the run (and steps) before they had passed.
    expect(await page.evaluate("window.l7labNoReload === true")).toBe(true);
    const seen = (await page.evaluate("window.l7labSeen")) as Seen;
    expect(seen.run.at(-1)).toBe("passed");
    expect(seen.run.slice(0, -1).filter((s) => !FINISHED.includes(s)), `data-run-status took ${seen.run.join(" → ")}`).not.toEqual([]);
    const changedLive = Object.entries(seen.steps).filter(([, statuses]) => statuses.length > 1 && statuses.at(-1) === "passed");
    expect(changedLive.length, `steps' data-status: ${JSON.stringify(seen.steps)}`).toBeGreaterThan(0);
  });

  it("draws the ladder diagram of Alice's SMTP submission in mail-alice-to-bob", async () => {
    await login();
    const id = await runFromScenarios("mail-alice-to-bob");
    await expectRunPassed(id, 240_000);
    await readmeScreenshot(page, "run");

    await page.getByRole("button", { name: "Ladder diagram of submit", exact: true }).click();
    const ladder = page.getByRole("img", { name: "Ladder diagram of submit", exact: true });
    await ladder.waitFor({ timeout: 10_000 });
    const arrows: { dir: string | null; texts: string[] }[] = [];
    for (const arrow of await ladder.locator("g.arrow").all()) {
      arrows.push({ dir: await arrow.getAttribute("data-dir"), texts: (await arrow.locator("text").allTextContents()).map((t) => t.trim()) });
    }
    const has = (dir: string, prefix: string) => arrows.some((a) => a.dir === dir && a.texts.some((t) => t.startsWith(prefix)));
    const summary = arrows.map((a) => `${a.dir}: ${a.texts.join(" | ")}`).join("\n");
    expect(has("C", "EHLO"), summary).toBe(true);
    expect(has("C", "MAIL FROM:<alice@crepes.fr>"), summary).toBe(true);
    expect(has("S", "250"), summary).toBe(true);
    expect(arrows.every((a) => a.dir === "C" || a.dir === "S"), summary).toBe(true);

    await ladder.scrollIntoViewIfNeeded();
    await page.evaluate("window.scrollBy(0, -60)");
    await readmeScreenshot(page, "ladder");
  }, 300_000);

  it("downloads a captured run's pcap from its Download pcap link: a pcapng", async () => {
    await login();
    const id = await runFromScenarios("dns-resolution", { capture: true });
    await expectRunPassed(id);
    const link = page.locator("a[data-pcap]");
    await link.waitFor({ timeout: 10_000 });
    expect((await link.innerText()).trim()).toBe("Download pcap");
    expect(await link.getAttribute("href")).toBe(`/api/runs/${id}/pcap`);

    // The browser's own download (see browser.ts for how its bytes come out of its container).
    if (!chromium) throw new Error("chromium did not start");
    const file = await chromium.download(page, () => link.click());
    expect(file.filename).toMatch(/\.pcapng$/);
    expect(file.bytes.subarray(0, 4).toString("hex")).toBe("0a0d0d0a"); // pcapng's section header block
    expect(file.bytes.length).toBeGreaterThan(1000);
  });

  it("works from the keyboard: Tab reaches the views and a Run button, Enter runs it; statuses are words, not colour alone", async () => {
    await login();
    await page.locator("[data-service]").first().waitFor({ timeout: 30_000 });
    // Colour is never the only signal: each box says its health in words.
    for (const box of await attributesAndText("[data-service]", ["data-service", "data-health"])) {
      expect(box.text, `${box.attrs["data-service"]}`).toContain(String(box.attrs["data-health"]));
    }

    // The focused element as "<its name> <tag href>", its name from aria-label, its label or its text.
    const focused = async () =>
      String(
        await page.evaluate(`(() => {
          const e = document.activeElement;
          if (!e) return "";
          const name = (e.getAttribute("aria-label") ?? e.labels?.[0]?.textContent ?? e.textContent ?? "").trim().slice(0, 60);
          return name + " <" + e.tagName.toLowerCase() + (e.getAttribute("href") ? " " + e.getAttribute("href") : "") + ">";
        })()`),
      );
    const reached: string[] = [];
    const tabUntil = async (wanted: RegExp, most: number): Promise<void> => {
      for (let i = 0; i < most; i += 1) {
        await page.keyboard.press("Tab");
        const now = await focused();
        reached.push(now);
        if (wanted.test(now)) return;
      }
      throw new Error(`Tab did not reach ${wanted} in ${most} presses; it went: ${reached.join(", ")}`);
    };
    const views = ["Topology", "Scenarios", "Runs", "Faults", "Experiments"];
    for (const view of views) await tabUntil(new RegExp(`^${view} <a #/${view.toLowerCase()}>$`), 10);

    // Back to the Scenarios link, and Enter on it.
    for (let i = 0; i < views.length - 2; i += 1) await page.keyboard.press("Shift+Tab");
    expect(await focused()).toMatch(/^Scenarios <a/);
    await page.keyboard.press("Enter");
    await page.waitForURL(/#\/scenarios$/);
    await runButton("dns-resolution").waitFor({ timeout: 30_000 });
    await tabUntil(/^Run dns-resolution <button>$/, 60);
    await page.keyboard.press("Enter");
    const id = await shownRunId();
    await expectRunPassed(id);
    // A finished run says its status in words, and every step its own.
    expect(await page.locator("[data-run-status]").innerText()).toContain("passed");
    for (const step of await attributesAndText("[data-step]", ["data-step", "data-status"])) {
      expect(step.text, `step ${step.attrs["data-step"]}`).toContain(String(step.attrs["data-status"]));
    }
  });
});
