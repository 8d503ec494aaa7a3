/**
 * The prober's process: runs the network probes for the controller (protocol.ts says how and
 * why). The controller starts it as a `docker exec` session in the prober's container, which has
 * the lab's addresses but no Docker socket, no token and no privileges; it reads requests on stdin
 * and answers on stdout, and exits when stdin closes (the controller went away). Its own messages
 * go to stderr, which the controller logs.
 */
import { systemClock } from "../common/clock.ts";
import { L7labError } from "../common/errors.ts";
import type { DockerAdapter } from "../docker/docker-adapter.ts";
import { loadComposeTopology } from "../lab/topology.ts";
import { networkProbes } from "../probes/default-probes.ts";
import { preloadProbeLibraries } from "../probes/libraries.ts";
import { LineSplitter } from "./lines.ts";
import { serveProber } from "./serve.ts";

if (process.env["L7LAB_FILL_COMPILE_CACHE"] === "1") {
  await preloadProbeLibraries();
  process.exit(0);
}

const log = (message: string) => process.stderr.write(`${new Date().toISOString()} ${message}\n`);

/** The prober has no Docker: a probe that asks for it is a bug, said plainly. */
const noDocker = new Proxy({} as DockerAdapter, {
  get(_, name) {
    return () => Promise.reject(new L7labError("NO_DOCKER_IN_PROBER", 500, `the prober has no Docker access (a probe asked for docker.${String(name)}); such probes run in the controller`));
  },
});

const topology = await loadComposeTopology(process.env["L7LAB_COMPOSE_FILE"] ?? "docker-compose.yml");
const registry = networkProbes();
const server = serveProber(
  registry,
  (signal) => ({ signal, clock: systemClock, topology, docker: noDocker, stepStartedAt: () => undefined }),
  (line) => void process.stdout.write(line),
  log,
);
// The controller's lines: requests are small, so a short bound.
const lines = new LineSplitter(16 * 1024 * 1024, (line) => server.line(line));
process.stdin.on("data", (chunk: Buffer) => {
  try {
    lines.push(chunk);
  } catch (error) {
    log(`from the controller: ${(error as Error).message}; exiting`);
    process.exit(1);
  }
});
process.stdin.on("end", () => {
  void server.end().then(() => process.exit(0));
});
log(`prober ready: ${registry.names().join(", ")}`);
// Off the first call's path: the larger probe libraries.
setTimeout(() => void preloadProbeLibraries().catch((error: unknown) => log(`could not preload the probe libraries: ${(error as Error).message}`)), 100).unref();
