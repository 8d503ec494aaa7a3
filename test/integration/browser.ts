/**
 * A real browser for the web UI's tests: Debian's chromium from the tests' tools image
 * (services/tools), headless in a container (never on the host), driven over the DevTools protocol
 * by playwright-core, which never downloads a browser of its own. The container shares the host's
 * network (--network host), so the browser reaches the API on the host's loopback under the address
 * a user types, with the Host header the API expects.
 *
 *   const browser = await startChromium();     // in beforeAll
 *   const context = await browser.newContext(); // one per test
 *   ...
 *   await browser.stop();                       // in afterAll: the container is removed
 *
 * Downloads over CDP: the browser does download (page.waitForEvent("download") fires, with the
 * server's file name), but into its own container: Playwright hands the browser a download folder
 * as if it ran on this machine, so `download.path()` names a file in the container and
 * `download.createReadStream()` reads nothing (measured with playwright-core 1.65 and chromium 156:
 * an empty stream, no error). `download()` below therefore reads the bytes the browser saved out of
 * its container with `docker exec`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { retryUntil } from "../../orchestrator/src/common/retry.ts";
import { apiBase, repoRoot } from "./lab.ts";
import { ensureTools, TOOLS_IMAGE } from "./tshark.ts";

/** The UI's origin: the API's address without /api ("http://127.0.0.1:8080"). */
export const uiOrigin = new URL(apiBase).origin;

/** The labels that mark the browsers these tests start, and which process started each. */
const LABEL = "l7lab.tests";
const OWNER_LABEL = "l7lab.tests.pid";

/**
 * chromium's switches: headless, no sandbox (it would need user namespaces or a setuid helper in
 * the container), the DevTools endpoint on the loopback only, a fresh profile, and none of the
 * background traffic a desktop browser makes (updates, sync, metrics): it may reach the lab's API
 * and nothing else.
 */
const CHROMIUM_SWITCHES = [
  "--headless=new",
  "--no-sandbox",
  "--remote-debugging-address=127.0.0.1",
  "--user-data-dir=/tmp/chromium",
  "--disable-dev-shm-usage", // Docker's /dev/shm is 64 MB
  "--no-first-run",
  "--no-default-browser-check",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-domain-reliability",
  "--disable-sync",
  "--disable-breakpad",
  "--hide-scrollbars",
  "--force-color-profile=srgb",
  "--lang=en-US",
];

/** A port free on the host's loopback now, for the DevTools endpoint. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

function docker(args: readonly string[]): { status: number | null; out: string } {
  const r = spawnSync("docker", args, { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, out: `${r.stdout ?? ""}${r.stderr ?? ""}`.trim() };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes browsers that an earlier test process started and could not remove (it was killed). */
function removeStrays(): void {
  const list = docker(["ps", "-a", "--filter", `label=${LABEL}=browser`, "--format", `{{.ID}} {{.Label "${OWNER_LABEL}"}}`]);
  for (const line of list.out.split("\n").filter((l) => l !== "")) {
    const [id, owner] = line.split(" ");
    if (id && !alive(Number(owner))) docker(["rm", "-f", id]);
  }
}

/** A chromium running in its container, its DevTools endpoint answering and Playwright connected. */
export class StartedChromium {
  readonly container: string;
  readonly cdpUrl: string;
  readonly browser: Browser;

  private constructor(container: string, cdpUrl: string, browser: Browser) {
    this.container = container;
    this.cdpUrl = cdpUrl;
    this.browser = browser;
  }

  /**
   * Starts chromium in a container of the tools image (built first if it is not, or is stale),
   * waits until its DevTools endpoint answers and connects to it.
   */
  static async start(): Promise<StartedChromium> {
    ensureTools();
    removeStrays();
    const port = await freePort();
    const container = `l7lab-test-chromium-${process.pid}-${port}`;
    const run = docker([
      "run", "-d", "--rm", "--name", container, "--label", `${LABEL}=browser`, "--label", `${OWNER_LABEL}=${process.pid}`,
      "--network", "host", TOOLS_IMAGE, "chromium", `--remote-debugging-port=${port}`, ...CHROMIUM_SWITCHES, "about:blank",
    ]);
    if (run.status !== 0) throw new Error(`chromium's container did not start: ${run.out}`);
    // Even if this process ends without afterAll (an uncaught error), the browser goes with it.
    process.once("exit", () => spawnSync("docker", ["rm", "-f", container], { stdio: "ignore" }));
    const cdpUrl = `http://127.0.0.1:${port}`;
    try {
      await retryUntil(
        async () => {
          const state = docker(["inspect", "-f", "{{.State.Running}}", container]);
          if (state.out !== "true") throw new Error(`chromium's container stopped: ${docker(["logs", "--tail", "30", container]).out}`);
          const res = await fetch(`${cdpUrl}/json/version`).catch(() => undefined);
          return res?.ok ? true : undefined;
        },
        `chromium's DevTools endpoint ${cdpUrl}/json/version`,
        { timeoutMs: 30_000, intervalMs: 100 },
      );
      return new StartedChromium(container, cdpUrl, await chromium.connectOverCDP(cdpUrl));
    } catch (error) {
      docker(["rm", "-f", container]);
      throw error;
    }
  }

  /** A fresh context (its own cookies and storage): one per test. */
  async newContext(viewport = { width: 1280, height: 800 }): Promise<BrowserContext> {
    return this.browser.newContext({ viewport, locale: "en-US", colorScheme: "light" });
  }

  /**
   * Clicks what starts a download and returns the file the browser saved: its suggested name and
   * bytes (read out of the browser's container; see the top of this file).
   */
  async download(page: Page, start: () => Promise<void>): Promise<{ filename: string; bytes: Buffer }> {
    const [download] = await Promise.all([page.waitForEvent("download", { timeout: 30_000 }), start()]);
    const failure = await download.failure();
    if (failure !== null) throw new Error(`the download of ${download.url()} failed: ${failure}`);
    const path = await download.path(); // a path in the browser's container
    const bytes = execFileSync("docker", ["exec", this.container, "cat", path], { maxBuffer: 256 * 2 ** 20, timeout: 60_000 });
    return { filename: download.suggestedFilename(), bytes };
  }

  /** Disconnects and removes the container, whatever state it is in. */
  async stop(): Promise<void> {
    const closed = await this.browser.close().then(() => undefined, (error: unknown) => error);
    const rm = docker(["rm", "-f", this.container]);
    if (rm.status !== 0 && !/No such container/i.test(rm.out)) throw new Error(`chromium's container ${this.container} was not removed: ${rm.out}`, { cause: closed });
    if (closed !== undefined) throw closed;
  }
}

export const startChromium = (): Promise<StartedChromium> => StartedChromium.start();

/** Where screenshots go: test-results/ui for a test's own record, docs/screenshots for the README's. */
export const SCREENSHOT_DIRS = { results: join(repoRoot, "test-results/ui"), readme: join(repoRoot, "docs/screenshots") };

/** Saves a screenshot of the page's viewport as test-results/ui/<name>.png; returns its path. */
export async function screenshot(page: Page, name: string, dir = SCREENSHOT_DIRS.results): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name.replace(/[^\w.-]+/g, "-")}.png`);
  await page.screenshot({ path, animations: "disabled" });
  return path;
}

/** With L7LAB_SCREENSHOTS=1, saves the README's screenshot docs/screenshots/<name>.png. */
export async function readmeScreenshot(page: Page, name: string): Promise<void> {
  if (process.env["L7LAB_SCREENSHOTS"] !== "1") return;
  await page.mouse.move(0, 0); // no hover highlight where the last click was
  await screenshot(page, name, SCREENSHOT_DIRS.readme);
}
