import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import { DockerComposeEnvironment, Wait, type StartedDockerComposeEnvironment } from "testcontainers";
import { diagnose } from "../../scripts/lab-health.ts";
import { apiBase, apiToken, repoRoot, topology } from "./lab.ts";

/**
 * The compose files, as `docker compose` itself would take them: .env's COMPOSE_FILE when it names
 * any (scripts/prepare-host.sh adds an override there on an engine older than 25), else the one.
 */
function composeFiles(): string[] {
  const envFile = join(repoRoot, ".env");
  const line = existsSync(envFile) ? readFileSync(envFile, "utf8").match(/^COMPOSE_FILE=(.+)$/m) : null;
  return line?.[1] ? line[1].trim().split(":") : ["docker-compose.yml"];
}

/**
 * Brings the compose lab up once for all integration suites, with testcontainers, and waits on
 * every service's health check. A lab that was already running (`./l7lab up`) is reused and left
 * running afterwards; a lab this setup started is taken down again.
 */
export default async function setup(): Promise<() => Promise<void>> {
  // There is no registry to pull testcontainers' reaper from; the teardown below cleans up.
  process.env["TESTCONTAINERS_RYUK_DISABLED"] = "true";
  const project = topology.project;
  const running = await new Docker().listContainers({ filters: { label: [`com.docker.compose.project=${project}`], status: ["running"] } });
  const wasRunning = running.length > 0;
  apiToken(); // made before the orchestrator starts, which reads it through a read-only mount

  let environment = new DockerComposeEnvironment(repoRoot, composeFiles())
    .withProjectName(project)
    .withBuild()
    .withDefaultWaitStrategy(Wait.forHealthCheck())
    .withStartupTimeout(600_000);
  if (existsSync(join(repoRoot, ".env"))) environment = environment.withEnvironmentFile(".env");

  const startedAt = Date.now();
  let started: StartedDockerComposeEnvironment;
  try {
    started = await environment.up();
  } catch (error) {
    const report = diagnose(["--project-name", project]);
    throw new Error(`the lab did not come up healthy: ${(error as Error).message}\n${report}`, { cause: error });
  }
  console.log(`[global-setup] lab ${wasRunning ? "reused" : "started"} and healthy in ${((Date.now() - startedAt) / 1000).toFixed(1)} s; API at ${apiBase}`);
  // The on-demand services (compose profiles: the diskless VM), created as ./l7lab up does, not started.
  const onDemand = topology.services.filter((s) => topology.isOnDemand(s.name));
  const profiles = [...new Set(onDemand.flatMap((s) => s.profiles ?? []))].flatMap((p) => ["--profile", p]);
  const compose = (args: string[]) => {
    const r = spawnSync("docker", ["compose", "--project-name", project, ...composeFiles().flatMap((f) => ["-f", f]), ...profiles, ...args], { cwd: repoRoot, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`docker compose ${args.join(" ")} failed: ${r.stderr}`);
  };
  if (onDemand.length > 0) compose(["create", ...onDemand.map((s) => s.name)]);

  return async () => {
    if (wasRunning) return;
    if (onDemand.length > 0) compose(["rm", "--force", "--stop", ...onDemand.map((s) => s.name)]);
    await started.down({ timeout: 10_000, removeVolumes: true });
  };
}
