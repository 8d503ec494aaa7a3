/**
 * `./l7lab up`: build the images, start the lab, and wait until every service is healthy. When a
 * service fails (it exits, or its health check fails once its start period is over) or the wait
 * runs out, names each service that is not up, with its last health-check output and the last 20
 * lines of its log, and exits 1.
 *
 *   node scripts/lab-up.ts [--timeout SECONDS] [compose up options]
 *
 * --timeout: how long to wait for health after the images are built (default 300 s: the first
 * start on a loaded machine, with 2 minutes of health-check grace per service, fits well inside).
 * The compose project is the one in this directory, or COMPOSE_FILE / COMPOSE_PROJECT_NAME's.
 * Node built-ins only.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { diagnose, waitHealthy } from "./lab-health.ts";
import { ensureToken, tokenFile } from "../orchestrator/src/common/api-token.ts";

const args = process.argv.slice(2);
let timeout = 300;
const at = args.indexOf("--timeout");
if (at >= 0) {
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`l7lab up: --timeout wants a whole number of seconds, got "${args[at + 1] ?? ""}"`);
    process.exit(2);
  }
  timeout = value;
  args.splice(at, 2);
}

function compose(composeArgs: string[]): number {
  const r = spawnSync("docker", ["compose", ...composeArgs], { stdio: "inherit" });
  return r.status ?? 1;
}

// Every service's image, those of the on-demand services (compose profiles: the diskless VM) too.
console.log("[l7lab] building images");
if (compose(["--profile", "*", "build"]) !== 0) {
  console.error("\n[l7lab] the images did not build: see the build output above");
  process.exit(1);
}

// The on-demand services (compose profiles: the diskless VM): not started, not waited for.
const config = spawnSync("docker", ["compose", "--profile", "*", "config", "--format", "json"], { encoding: "utf8", maxBuffer: 16 * 1024 * 1024 });
const services = config.status === 0 ? (JSON.parse(config.stdout) as { services: Record<string, { profiles?: string[] }> }).services : {};
const onDemand = Object.entries(services).filter(([, s]) => (s.profiles?.length ?? 0) > 0).map(([name, s]) => ({ name, profiles: s.profiles ?? [] }));

// The API's token, before the orchestrator starts: it reads the file through a read-only mount.
ensureToken(tokenFile());
console.log(`[l7lab] starting the lab and waiting up to ${timeout} s until every service is healthy`);
const startedAt = Date.now();
let status = compose(["up", "--detach", ...args]);
if (status === 0) {
  const outcome = await waitHealthy({
    ignore: onDemand.map((s) => s.name),
    sinceMs: startedAt,
    timeoutMs: timeout * 1000,
    progress: (pending) => console.log(`[l7lab] still starting after ${((Date.now() - startedAt) / 1000).toFixed(0)} s: ${pending.join(", ")}`),
  });
  if (!outcome.ok) {
    console.error(`\n[l7lab] ${outcome.reason}`);
    status = 1;
  }
}
const seconds = ((Date.now() - startedAt) / 1000).toFixed(1);
if (status !== 0) {
  const report = diagnose();
  console.error(`\n[l7lab] the lab did not come up (after ${seconds} s).`);
  console.error(report === "" ? "Every container is up now; see compose's message above." : report);
  console.error("\nFix the service named above, then run ./l7lab up again (the healthy services are left running).");
  process.exit(1);
}
console.log(`[l7lab] the lab is up and healthy (${seconds} s)`);

// The on-demand services get their containers, created but not started: a scenario starts one
// (pxe-boot-vm starts the diskless VM), or `docker compose --profile boot up pxe-client`.
if (onDemand.length > 0) {
  const profiles = [...new Set(onDemand.flatMap((s) => s.profiles))].flatMap((p) => ["--profile", p]);
  if (compose([...profiles, "create", ...onDemand.map((s) => s.name)]) !== 0) {
    console.error(`[l7lab] could not create the containers of the on-demand services ${onDemand.map((s) => s.name).join(", ")} (see above); the rest of the lab is up`);
    process.exit(1);
  }
  console.log(`[l7lab] on demand, created but not started: ${onDemand.map((s) => s.name).join(", ")}`);
}

// A lab made before the per-server key volumes kept every key (the CA's too, and the servers' at
// 0644) in the volumes lab-ca and lab-ca-public, which nothing mounts any more: remove them.
const project = /^name:\s*([\w.-]+)/m.exec(readFileSync("docker-compose.yml", "utf8"))?.[1] ?? "l7lab";
for (const legacy of [`${project}_lab-ca`, `${project}_lab-ca-public`]) {
  if (spawnSync("docker", ["volume", "inspect", legacy], { stdio: "ignore" }).status !== 0) continue;
  const rm = spawnSync("docker", ["volume", "rm", legacy], { encoding: "utf8" });
  console.log(rm.status === 0 ? `[l7lab] removed the old key volume ${legacy} (the keys now sit in lab-ca-key and one tls-* volume per server)` : `[l7lab] could not remove the old key volume ${legacy}: ${rm.stderr.trim()}`);
}
