// The web UI (orchestrator/ui): one browser bundle, app.js, with Preact in it, beside the page
// (index.html) and its style sheet (app.css), which are copied as they are. Three files, nothing
// fetched from anywhere else. `npm run build:ui` writes them to dist/ui/ (rolldown's --dir puts
// them elsewhere); the orchestrator's image builds them in its bundle stage (orchestrator/Dockerfile)
// and serves them from /app/dist/ui. The UI imports pure modules (and types) from orchestrator/src.
import { readFileSync } from "node:fs";

const PAGE_FILES = ["index.html", "app.css"];

/** Emits the page and its style sheet beside the bundle. */
const pageFiles = {
  name: "l7lab-ui-page",
  buildStart() {
    for (const name of PAGE_FILES) this.addWatchFile(new URL(`./ui/${name}`, import.meta.url).pathname);
  },
  generateBundle() {
    for (const name of PAGE_FILES) this.emitFile({ type: "asset", fileName: name, source: readFileSync(new URL(`./ui/${name}`, import.meta.url), "utf8") });
  },
};

export default {
  input: { app: "orchestrator/ui/main.tsx" },
  platform: "browser",
  // The JSX settings of orchestrator/ui/tsconfig.json, given here: the image's bundle stage has no tsconfig.
  tsconfig: false,
  transform: { jsx: { runtime: "automatic", importSource: "preact" }, target: "es2022" },
  plugins: [pageFiles],
  output: {
    dir: "dist/ui",
    format: "esm",
    entryFileNames: "[name].js",
    codeSplitting: false,
    minify: true,
    comments: false,
    cleanDir: true,
  },
};
