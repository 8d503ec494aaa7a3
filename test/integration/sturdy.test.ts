import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, describe, expect, it } from "vitest";
import { longRunning, repoRoot, sh, topology } from "./lab.ts";

const docker = new Docker();

/** The lab's running containers, by compose service name. */
async function labContainers(): Promise<Map<string, Docker.ContainerInfo>> {
  const list = await docker.listContainers({ filters: { label: [`com.docker.compose.project=${topology.project}`] } });
  return new Map(list.map((c) => [c.Labels["com.docker.compose.service"] ?? c.Names[0] ?? c.Id, c]));
}

/**
 * The zombies (state Z) among a host process's descendants, from the host's /proc: `docker top`
 * cannot show them, as a zombie has already left its cgroup.
 */
function zombiesUnder(pid: number): string[] {
  const found: string[] = [];
  const walk = (p: number) => {
    const children: number[] = [];
    try {
      for (const task of readdirSync(`/proc/${p}/task`)) {
        children.push(...readFileSync(`/proc/${p}/task/${task}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number));
      }
    } catch {
      return; // the process has gone
    }
    for (const c of children) {
      try {
        const stat = readFileSync(`/proc/${c}/stat`, "utf8");
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const state = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
        if (state === "Z") found.push(`${c} ${name} <defunct>`);
      } catch {
        continue;
      }
      walk(c);
    }
  };
  walk(pid);
  return found;
}

describe("a quiet lab", () => {
  it("runs an init as PID 1 in every container, so nothing is left unreaped", async () => {
    const containers = await labContainers();
    // Every long-running service (the one-shots that set a host's routes have exited, as they should;
    // the diskless VM runs only when a scenario boots it).
    expect([...containers.keys()].sort()).toEqual(topology.serviceNames().filter(longRunning).sort());
    const withoutInit: string[] = [];
    for (const [service, c] of containers) {
      const info = await docker.getContainer(c.Id).inspect();
      if (info.HostConfig.Init !== true) withoutInit.push(service);
    }
    expect(withoutInit, "services whose container has no init").toEqual([]);
  });

  it("leaves no zombie when a process's parent dies before it (as a timed-out health check's children do)", async () => {
    const services = topology.serviceNames().filter(longRunning);
    // In every container: a shell starts a short sleep in the background and exits at once, so the
    // sleep is orphaned to PID 1, which must reap it when it ends.
    await Promise.all(services.map((s) => sh(s, "sleep 0.2 & exit 0")));
    await new Promise((r) => setTimeout(r, 1_500));
    const zombies: string[] = [];
    for (const [service, c] of await labContainers()) {
      const pid = (await docker.getContainer(c.Id).inspect()).State.Pid;
      zombies.push(...zombiesUnder(pid).map((z) => `${service}: ${z}`));
    }
    expect(zombies, "zombie processes (state Z) in the lab's containers").toEqual([]);
  });

  it("checks health every 0.5 s or more often while a service starts and every 120 s or less often after, with 2 minutes of grace", async () => {
    const offenders: string[] = [];
    for (const [service, c] of await labContainers()) {
      const hc = (await docker.getContainer(c.Id).inspect()).Config.Healthcheck as
        | { Test?: string[]; Interval?: number; StartInterval?: number; StartPeriod?: number; Timeout?: number }
        | undefined;
      const s = (ns = 0) => ns / 1e9;
      if (!hc?.Test || hc.Test[0] === "NONE") offenders.push(`${service}: no health check`);
      else if (s(hc.Interval) < 120 || s(hc.StartInterval) > 0.5 || s(hc.StartPeriod) < 120 || s(hc.Timeout) < 10)
        offenders.push(`${service}: interval ${s(hc.Interval)} s, start_interval ${s(hc.StartInterval)} s, start_period ${s(hc.StartPeriod)} s, timeout ${s(hc.Timeout)} s`);
    }
    expect(offenders, "health-check timing (want interval >= 120 s, start_interval <= 0.5 s, start_period >= 120 s, timeout >= 10 s)").toEqual([]);
  });
});

describe("./l7lab up when a service fails", () => {
  const project = `l7lab-uptest-${process.pid}`;
  const env = {
    ...process.env,
    COMPOSE_FILE: join(repoRoot, "test/integration/fixtures/broken-lab.compose.yml"),
    COMPOSE_PROJECT_NAME: project,
    // An image the lab has built already; the fixture's services only need sh and sleep.
    FIXTURE_IMAGE: topology.settings.faultHelperImage ?? "l7lab/router:dev",
  };

  afterAll(() => {
    spawnSync("docker", ["compose", "down", "--timeout", "0"], { env, encoding: "utf8" });
  });

  const up = (...services: string[]) => {
    spawnSync("docker", ["compose", "down", "--timeout", "0"], { env, encoding: "utf8" });
    const r = spawnSync(process.execPath, [join(repoRoot, "scripts/lab-up.ts"), "--timeout", "60", ...services], { env, encoding: "utf8", timeout: 120_000 });
    return { status: r.status, out: r.stdout + r.stderr };
  };

  it("names a service whose health check fails, with the check's last output, and not the healthy one", () => {
    const { status, out } = up("fine", "sick");
    expect(status, out).toBe(1);
    expect(out).toContain("the lab did not come up");
    expect(out).toMatch(/service sick \(container [^)]+\) is unhealthy/);
    expect(out).toMatch(/last health check \(exit 1\):\n\s+no daemon answers on port 25/);
    expect(out).not.toMatch(/service fine /);
  });

  it("names a service that exits at start, with its exit code and the end of its log", () => {
    const { status, out } = up("fine", "dead");
    expect(status, out).toBe(1);
    expect(out).toMatch(/service dead \(container [^)]+\) is exited \(exit code 3\)/);
    expect(out).toMatch(/last 20 lines of its log:\n\s+fatal: no configuration found/);
    expect(out).not.toMatch(/service fine /);
  });

  it("refuses a --timeout that is not a number of seconds, before touching Docker", () => {
    const r = spawnSync(process.execPath, [join(repoRoot, "scripts/lab-up.ts"), "--timeout", "soon"], { env, encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--timeout wants a whole number of seconds, got "soon"');
  });
});
