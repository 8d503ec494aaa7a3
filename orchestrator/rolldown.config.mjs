// The orchestrator's image runs its server as one bundled module (orchestrator/Dockerfile): Node
// then reads one file instead of about 1,400 (TypeBox alone is 683 small modules), and the API
// listens in about two thirds of the CPU time, which is most of what the orchestrator adds to the
// lab's start (docs/benchmarks.md). The sources are the same ones the unit tests run; the
// integration suites run the bundle. Left outside the bundle and loaded from node_modules: the
// probe libraries the server loads after it listens (probes/libraries.ts), which stay separate so
// that they stay off its start.
//
// dockerode is bundled, without two parts the orchestrator never uses and that were a fifth of its
// start (~70 ms of CPU): BuildKit sessions for image builds (dockerode's lib/session.js loads gRPC
// and protobuf) and Docker hosts reached over ssh:// (docker-modem loads ssh2, which has an
// optional native module). The orchestrator talks to Docker over its socket and builds no image;
// either part, if ever called, fails with an error that says so.
const notBuiltIn = {
  "dockerode/lib/session.js": `module.exports = function withSession(docker, auth, handler) {
  handler(new Error("l7lab's orchestrator is built without dockerode's BuildKit sessions (orchestrator/rolldown.config.mjs)"));
};`,
  "ssh2": `exports.Client = class Client {
  constructor() { throw new Error("l7lab's orchestrator is built without ssh:// Docker hosts (orchestrator/rolldown.config.mjs): use the Docker socket"); }
};`,
};

/** Resolves the parts above to stand-ins that say they are left out. */
const leaveOut = {
  name: "l7lab-leave-out",
  resolveId(source, importer) {
    if (source === "ssh2") return "\0l7lab-left-out:ssh2";
    if (source === "./session" && importer?.replaceAll("\\", "/").endsWith("/dockerode/lib/docker.js")) return "\0l7lab-left-out:dockerode/lib/session.js";
    return null;
  },
  load(id) {
    return id.startsWith("\0l7lab-left-out:") ? notBuiltIn[id.slice("\0l7lab-left-out:".length)] : null;
  },
};

// Two entry points: the controller's server and the prober's process (orchestrator/src/prober),
// each one file in dist/, with what they share in a chunk beside them.
export default {
  input: { server: "orchestrator/src/server.ts", prober: "orchestrator/src/prober/main.ts" },
  platform: "node",
  plugins: [leaveOut],
  external: [/^node:/, "imapflow", "mailparser", /^nodemailer(\/|$)/, "undici"],
  output: { dir: "dist", format: "esm", entryFileNames: "[name].mjs", chunkFileNames: "[name]-[hash].mjs" },
};
