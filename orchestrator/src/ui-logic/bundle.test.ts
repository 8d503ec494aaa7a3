// The web UI's build (orchestrator/rolldown.ui.config.mjs), as `npm run build:ui` and the image
// run it: exactly three files, and nothing the page would fetch from anywhere but its own origin.
import { execFile } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../../", import.meta.url));
/** XML namespace names, which Preact hands to createElementNS: identifiers, never fetched. */
const NAMESPACES = ["http://www.w3.org/2000/svg", "http://www.w3.org/1999/xhtml", "http://www.w3.org/1998/Math/MathML"];

let dir: string;
const files: Record<string, string> = {};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "l7lab-ui-"));
  await promisify(execFile)(process.execPath, [join(root, "node_modules/rolldown/bin/cli.mjs"), "--config", "orchestrator/rolldown.ui.config.mjs", "--logLevel", "warn", "--dir", dir], { cwd: root });
  for (const name of await readdir(dir)) files[name] = await readFile(join(dir, name), "utf8");
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the web UI's build", () => {
  it("writes exactly index.html, app.js and app.css", () => {
    expect(Object.keys(files).sort()).toEqual(["app.css", "app.js", "index.html"]);
    expect(files["app.js"]!.length).toBeGreaterThan(10_000);
  });

  it("names no external URL: only the XML namespaces Preact creates elements in", () => {
    for (const [name, text] of Object.entries(files)) {
      const urls = [...new Set(text.match(/[a-z][a-z0-9+.-]*:\/\/[^\s"'`)<>]*/gi) ?? [])];
      expect(urls.filter((u) => !NAMESPACES.includes(u)), name).toEqual([]);
    }
    expect(files["app.css"]).not.toMatch(/@import|url\(/);
  });

  it("has a page that loads its own script and style sheet, with nothing inline (the server's CSP allows neither)", () => {
    const html = files["index.html"]!;
    expect(html).toContain('<script type="module" src="app.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="app.css">');
    expect(html).not.toMatch(/<style|style=|<script>|<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=/i);
    expect([...html.matchAll(/(?:src|href)="([^"]*)"/g)].map((m) => m[1])).toEqual(["data:,", "app.css", "app.js"]);
  });

  it("keeps no comments in the bundle (licence banners and all)", () => {
    expect(files["app.js"]).not.toMatch(/\/\*[\s\S]*?\*\/|^\s*\/\/ /m);
  });
});
