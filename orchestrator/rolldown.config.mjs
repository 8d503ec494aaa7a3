// The orchestrator's image runs its server as one bundled module (orchestrator/Dockerfile): Node
// then reads one file instead of about 1,400 (TypeBox alone is 683 small modules), and the API
// listens in about two thirds of the CPU time, which is most of what the orchestrator adds to the
// lab's start (docs/benchmarks.md). The sources are the same ones the unit tests run; the
// integration suites run the bundle. Left outside the bundle and loaded from node_modules:
// dockerode (ssh2 brings an optional native module), and the probe libraries the server loads
// after it listens (probes/libraries.ts), which stay separate so that they stay off its start.
export default {
  input: "orchestrator/src/server.ts",
  platform: "node",
  external: [/^node:/, "dockerode", "imapflow", "mailparser", /^nodemailer(\/|$)/, "undici"],
  output: { dir: "dist", format: "esm", entryFileNames: "server.mjs" },
};
