import Docker from "dockerode";
import { loadComposeTopology } from "./lab/topology.ts";
import { DockerodeAdapter } from "./docker/dockerode-adapter.ts";
import { resolve } from "node:path";
import { buildApp } from "./api/app.ts";
import { logRequest } from "./api/ui.ts";
import { DockerCapturer } from "./capture/docker-capture.ts";
import { PcapStore } from "./capture/store.ts";
import { defaultProbes, splitProbes } from "./probes/default-probes.ts";
import { ProberLink, remoteProbe } from "./prober/link.ts";
import { preloadProbeLibraries } from "./probes/libraries.ts";
import { ScenarioCatalog } from "./scenarios/catalog.ts";
import { ExperimentCatalog } from "./experiments/catalog.ts";
import { ExperimentRunner } from "./experiments/runner.ts";
import { ScenarioEngine } from "./engine/engine.ts";
import { ManualFaults } from "./faults/manual-faults.ts";
import { systemClock } from "./common/clock.ts";
import { tokenReader } from "./common/api-token.ts";

// The image build runs this file with L7LAB_FILL_COMPILE_CACHE=1: by now every module the server
// imports is loaded, and with the probe libraries loaded too, Node's compile cache
// (NODE_COMPILE_CACHE) holds them all, stripped of their types and compiled. The API then starts
// with ~0.4 CPU-s less work at each start of the lab.
if (process.env["L7LAB_FILL_COMPILE_CACHE"] === "1") {
  await preloadProbeLibraries();
  process.exit(0);
}

/** Starts the orchestrator's API. Configuration comes from the environment (see orchestrator/Dockerfile). */
const env = {
  composeFile: process.env["L7LAB_COMPOSE_FILE"] ?? "docker-compose.yml",
  scenariosDir: process.env["L7LAB_SCENARIOS_DIR"] ?? "scenarios",
  experimentsDir: process.env["L7LAB_EXPERIMENTS_DIR"] ?? "experiments",
  host: process.env["L7LAB_API_HOST"] ?? "127.0.0.1",
  port: Number(process.env["L7LAB_API_PORT"] ?? 8080),
  // Where the API is published on the host's loopback (docker-compose.yml), for the Host allowlist.
  publishedPort: Number(process.env["L7LAB_API_PUBLISHED_PORT"] ?? process.env["L7LAB_API_PORT"] ?? 8080),
  tokenFile: process.env["L7LAB_TOKEN_FILE"] ?? "/run/l7lab/api-token",
  // The service whose container runs the network probes (the lab's prober), and the command that
  // starts the prober in it. Unset (the orchestrator run from the sources, on the host): every
  // probe runs in this process.
  proberService: process.env["L7LAB_PROBER_SERVICE"] || undefined,
  proberCommand: (process.env["L7LAB_PROBER_COMMAND"] ?? "node /app/dist/prober.mjs").split(" ").filter(Boolean),
};
for (const [name, port] of [["L7LAB_API_PORT", env.port], ["L7LAB_API_PUBLISHED_PORT", env.publishedPort]] as const) {
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error(`${name} must be a TCP port number, not "${process.env[name]}"`);
    process.exit(2);
  }
}

const topology = await loadComposeTopology(env.composeFile);
const docker = new DockerodeAdapter(topology.project, new Docker(), {
  initServices: topology.initServices(),
  ...(topology.settings.faultHelperImage !== undefined ? { faultHelperImage: topology.settings.faultHelperImage } : {}),
});
// The controller/prober split (orchestrator/src/prober/protocol.ts): the network probes run in the
// prober's container, started through the Docker socket; the logs probe stays here, by the socket.
let log: (message: string) => void = (message) => console.error(message);
const prober = env.proberService === undefined ? undefined : new ProberLink({
  open: () => docker.openSession(env.proberService!, env.proberCommand),
  log: (message) => log(message),
});
const registry = prober === undefined ? defaultProbes() : splitProbes((probe) => remoteProbe(probe, prober));
// Not read here: every scenario route reads the directory again anyway (catalog.reload()), and the
// first read (~0.25 CPU-s: YAML and validation) would only delay the API; it runs after start-up.
const catalog = new ScenarioCatalog(env.scenariosDir, { registry, topology });
// Packet capture: helpers from the fault helper's image (tcpdump), the runs' files in the
// container's own /tmp (never in the repository), the newest 20 kept.
const capture = {
  capturer: new DockerCapturer(new Docker(), topology.project, topology.settings.faultHelperImage, (service) => docker.serviceState(service)),
  store: new PcapStore(process.env["L7LAB_CAPTURE_DIR"] ?? "/tmp/l7lab-captures"),
};
const engine = new ScenarioEngine({ registry, docker, topology, capture });
const faults = new ManualFaults(docker, topology, systemClock);
const experimentCatalog = new ExperimentCatalog(env.experimentsDir, { registry, topology });
const experiments = { catalog: experimentCatalog, runner: new ExperimentRunner(experimentCatalog, engine, { registry, topology }, systemClock) };
const app = await buildApp(
  { docker, topology, registry, catalog, engine, faults, experiments, capture, uiDir: resolve(process.env["L7LAB_UI_DIR"] ?? "dist/ui"), access: { token: tokenReader(env.tokenFile), ports: [env.port, env.publishedPort] } },
  { logger: { level: process.env["L7LAB_LOG_LEVEL"] ?? "info", serializers: { req: logRequest } } },
);

log = (message) => app.log.info(message);

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  app.log.info(`${signal}: aborting runs (their faults are undone), then closing`);
  // First the experiment, so that it starts no further point once its current one is aborted.
  experiments.runner.abortActive();
  await Promise.allSettled(engine.list().filter((r) => r.status === "running" || r.status === "queued").map((r) => {
    engine.abort(r.id);
    return engine.waitFor(r.id);
  }));
  for (const failure of await faults.healAll()) app.log.error(`a network fault applied by hand could not be removed: ${failure}`);
  await app.close();
  prober?.close();
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));

// Network faults are held by helper containers; one left by an orchestrator that died mid-run
// (killed, crashed) still holds its fault. Remove them before taking any run.
try {
  const strayCaptures = await capture.capturer.removeStray();
  if (strayCaptures.length > 0) app.log.warn(`removed ${strayCaptures.length} capture helper(s) left by an earlier orchestrator: ${strayCaptures.join(", ")}`);
} catch (error) {
  app.log.error(`could not look for capture helpers left by an earlier orchestrator: ${(error as Error).message}`);
}
try {
  const stray = await docker.removeStrayNetFaults();
  if (stray.length > 0) app.log.warn(`removed ${stray.length} network fault(s) left by an earlier orchestrator: ${stray.join(", ")}`);
} catch (error) {
  app.log.error(`could not look for network faults left by an earlier orchestrator: ${(error as Error).message}`);
}

// Off the path to a healthy lab: the scenario catalog's first read, and the prober's process
// (started in its container; it then loads the libraries the mail and HTTP probes use) or, with
// every probe in this process, those libraries here (probes/libraries.ts): work that would hold
// the event loop and take CPU from the other daemons while the lab starts. They run at the first request that is not a health
// check (a probe waits on the same promise, never loads a library twice), or 3 s after the API has
// answered its first health check (the rest of the lab is then normally up: it started beside the
// orchestrator), or 10 s after start when nothing checks it.
let warmed = false;
const warm = (): void => {
  if (warmed) return;
  warmed = true;
  clearTimeout(warmTimer);
  void (async () => {
    try {
      await catalog.reload();
      app.log.info(`project ${docker.project}: ${topology.services.length} services, ${catalog.list().length} scenarios, probes ${registry.names().join(", ")}`);
    } catch (error) {
      app.log.error(`could not read the scenarios in ${env.scenariosDir}: ${(error as Error).message}`);
    }
    if (prober === undefined) await preloadProbeLibraries().catch((error: unknown) => app.log.error(`could not load the probe libraries: ${(error as Error).message}`));
    else await prober.warm().catch((error: unknown) => app.log.error(`could not start the prober: ${(error as Error).message}`));
  })();
};
let warmTimer = setTimeout(warm, 10_000);
let healthSeen = false;
app.addHook("onRequest", async (request) => {
  if (warmed) return;
  if (request.url !== "/api/health") warm();
  else if (!healthSeen) {
    healthSeen = true;
    clearTimeout(warmTimer);
    warmTimer = setTimeout(warm, 3000);
  }
});

await app.listen({ host: env.host, port: env.port });
