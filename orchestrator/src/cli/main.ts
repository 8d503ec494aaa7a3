/**
 * The l7lab CLI: the API's operations from a terminal. A thin client: every command is one or a
 * few calls to the orchestrator's API (http://127.0.0.1:8080/api, or L7LAB_API_URL).
 *
 *   l7lab status                      services, addresses and health
 *   l7lab scenarios                   scenario files, valid or with what to fix
 *   l7lab run <scenario> [--transcript] [--pcap FILE [--filter BPF]] [--junit FILE]
 *                                     run a scenario, showing each step as it finishes; --pcap keeps
 *                                     its packets (pcapng), --junit writes a JUnit XML report
 *   l7lab capture <service> | --network <name> [--filter BPF] [--seconds N] > file.pcapng
 *                                     capture live (or | wireshark -k -i -) until Ctrl-C
 *   l7lab show <run-id> [--transcript]    a run's record
 *   l7lab service <name> <action>     stop, start, restart, pause, unpause or kill a service
 *   l7lab fault loss|rate|delay|duplicate|reorder|window <service> <value> [options]   a link profile
 *   l7lab fault partition <service> <peer>[,<peer>] [--one-way] | disconnect|link-down <service> <network>
 *   l7lab fault list | heal <id> | heal --all | capabilities   (FAULT_USAGE in faults.ts says it all)
 *   l7lab experiment list | run <name> [--quick] [--out DIR]   sweeps against a model: data.csv, report.md, plot.svg
 */
import { SERVICE_ACTIONS } from "../docker/docker-adapter.ts";
import { FINISHED_RUN_STATUSES, type RunStatus } from "../engine/run-types.ts";
import { faultRow, faultText, healedLine, parseFaultCommand, type FaultView, type HealedView } from "./faults.ts";
import { mkdir, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { join, resolve } from "node:path";
import type { ExperimentRun } from "../experiments/runner.ts";
import { dataCsv, plotSpec, reportMd } from "../experiments/report.ts";
import { parseExperimentCommand, pointLine } from "./experiments.ts";
import { renderSvg } from "./plot.ts";
import { captureQuery, parseCaptureCommand, parseRunCommand } from "./run-args.ts";
import { runJunit } from "../report/junit.ts";
import { helpText, runSummary, stepLine, table, transcriptText, type RunView } from "./format.ts";
import { readToken, tokenFile } from "../common/api-token.ts";

const base = (process.env["L7LAB_API_URL"] ?? `http://127.0.0.1:${process.env["L7LAB_API_PORT"] ?? "8080"}/api`).replace(/\/$/, "");
const COMMANDS = ["status", "scenarios", "run", "show", "capture", "service", "fault", "experiment", "help"];

class CliError extends Error {}

/** A command's arguments parsed, or a CliError with the parser's message (the usage). */
function parsed<T>(parse: (argv: string[]) => T, argv: string[]): T {
  try {
    return parse(argv);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

function bearer(): string {
  const file = tokenFile();
  const token = readToken(file);
  if (token === undefined) throw new CliError(`no API token in ${file}: ./l7lab up makes one, or ./l7lab token`);
  return `Bearer ${token}`;
}

/** A GET whose answer is not JSON (a pcapng): the response, or a CliError with the API's message. */
async function getRaw(path: string, signal?: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(base + path, { headers: { authorization: bearer() }, ...(signal ? { signal } : {}) });
  } catch (error) {
    throw new CliError(`cannot reach the orchestrator at ${base} (${(error as Error).cause ?? (error as Error).message}). Is the lab up? Try ./l7lab up`);
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => ({}))) as { message?: string };
    throw new CliError(`${res.status}: ${body.message ?? res.statusText}`);
  }
  return res;
}

async function call<T>(method: string, path: string, payload?: unknown): Promise<T> {
  const token = bearer().slice("Bearer ".length);
  // A request that changes something sends a JSON body, {} when it has nothing to say (the API
  // refuses any other with 415).
  const sent = method === "GET" ? undefined : JSON.stringify(payload ?? {});
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, ...(sent === undefined ? {} : { "content-type": "application/json" }) };
  let res: Response;
  try {
    res = await fetch(base + path, { method, headers, ...(sent === undefined ? {} : { body: sent }) });
  } catch (error) {
    throw new CliError(`cannot reach the orchestrator at ${base} (${(error as Error).cause ?? (error as Error).message}). Is the lab up? Try ./l7lab up`);
  }
  const body = (await res.json()) as T & { message?: string };
  if (!res.ok) throw new CliError(`${res.status}: ${body.message ?? JSON.stringify(body)}`);
  return body;
}

async function status(): Promise<void> {
  const t = await call<{ services: { name: string; role: string; description: string; hostnames: string[]; networks: { ipv4: string }[]; profiles?: string[]; state: string; health: string }[] }>("GET", "/topology");
  // A one-shot (it sets a host's routes) has exited when all is well, and an on-demand service (the
  // diskless VM) runs only when a scenario starts it: say what they are for.
  const names = (s: (typeof t.services)[number]) =>
    s.role === "net-init" ? `(${s.description})` : s.profiles?.length ? `(on demand, profile ${s.profiles.join(", ")}: ${s.description})` : s.hostnames.join(" ");
  console.log(table(["service", "state", "health", "addresses", "names"], t.services.map((s) => [s.name, s.state, s.health, s.networks.map((n) => n.ipv4).filter(Boolean).join(" "), names(s)])));
}

async function scenarios(): Promise<void> {
  const list = await call<{ name: string; valid: boolean; title?: string; errors: string[] }[]>("GET", "/scenarios");
  for (const s of list) {
    console.log(`${s.valid ? "  " : "! "}${s.name}${s.title ? `: ${s.title}` : ""}`);
    for (const e of s.errors) console.log(`    ${e}`);
  }
}

function printRun(run: RunView, transcripts: boolean): void {
  for (const step of run.steps) {
    console.log(stepLine(step));
    if (transcripts && step.transcript.length) console.log(transcriptText(step));
  }
  console.log(runSummary(run));
}

async function run(argv: string[]): Promise<number> {
  const options = parsed(parseRunCommand, argv);
  const { name, transcripts } = options;
  const body = options.pcap === undefined ? {} : { capture: options.filter === undefined ? true : { filter: options.filter } };
  let record = await call<RunView>("POST", `/scenarios/${encodeURIComponent(name)}/runs`, body);
  console.log(`run ${record.id} of ${name}: ${record.status}${record.capture ? ` (capturing ${record.capture.services.join(", ")})` : ""}`);
  let shown = 0;
  for (;;) {
    while (shown < record.steps.length && !["pending", "running"].includes(record.steps[shown]!.status)) {
      const step = record.steps[shown]!;
      console.log(stepLine(step));
      if (transcripts && step.transcript.length) console.log(transcriptText(step));
      shown += 1;
    }
    if (FINISHED_RUN_STATUSES.includes(record.status as RunStatus)) break;
    await new Promise((r) => setTimeout(r, 300));
    record = await call<RunView>("GET", `/runs/${record.id}`);
  }
  console.log(runSummary(record));
  if (options.junit !== undefined) {
    await writeFile(options.junit, runJunit(record));
    console.log(`wrote ${options.junit} (JUnit XML, a test case per step)`);
  }
  if (options.pcap !== undefined) {
    const c = record.capture;
    if (c?.pcap) {
      await writeFile(options.pcap, Buffer.from(await (await getRaw(`/runs/${record.id}/pcap`)).arrayBuffer()));
      console.log(`wrote ${options.pcap}: ${c.packets} packets from ${c.services.join(", ")}${c.truncated ? ` (truncated at ${c.limitBytes / 2 ** 20} MiB)` : ""}`);
    } else {
      console.log(`no capture was kept: ${c?.errors.join("; ") || "the run did not start"}`);
      return 1;
    }
    for (const e of c.errors) console.log(`  capture: ${e}`);
  }
  return record.status === "passed" ? 0 : 1;
}

async function capture(argv: string[]): Promise<number> {
  const command = parsed(parseCaptureCommand, argv);
  if (process.stdout.isTTY) throw new CliError("a capture is binary (pcapng): redirect it to a file (> capture.pcapng) or pipe it to wireshark -k -i -");
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  // The reader went away (| head, Wireshark closed): a normal end, not a crash.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") console.error(`l7lab: cannot write the capture: ${error.message}`);
    controller.abort();
  });
  let res: Response;
  try {
    res = await getRaw(`/capture?${captureQuery(command)}`, controller.signal);
  } catch (error) {
    if (controller.signal.aborted) {
      console.error("l7lab: capture cancelled");
      return 0;
    }
    throw error;
  }
  console.error(`l7lab: capturing ${command.service ?? `network ${command.network}`}${command.filter ? ` (${command.filter})` : ""}; Ctrl-C to stop`);
  let bytes = 0;
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      bytes += chunk.length;
      if (controller.signal.aborted) break;
      if (!process.stdout.write(chunk)) {
        await new Promise<void>((r) => {
          process.stdout.once("drain", r);
          controller.signal.addEventListener("abort", () => r(), { once: true });
        });
      }
    }
  } catch (error) {
    if (!controller.signal.aborted) throw new CliError(`the capture stream broke off: ${(error as Error).message}`);
  }
  console.error(`l7lab: capture ended, ${bytes} bytes written`);
  return 0;
}

async function fault(args: string[]): Promise<number> {
  const command = parsed(parseFaultCommand, args);
  switch (command.op) {
    case "apply": {
      const f = await call<FaultView>("POST", "/faults", command.body);
      const { id, service, helper, appliedAt: _at, ...spec } = f as FaultView & { appliedAt?: string };
      console.log(`${id}: ${faultText(spec)} on ${service} (helper ${helper}); remove it with: ./l7lab fault heal ${id}`);
      return 0;
    }
    case "list": {
      const list = await call<FaultView[]>("GET", "/faults");
      if (list.length === 0) console.log("no faults applied by hand");
      else console.log(table(["id", "service", "fault", "helper"], list.map(faultRow)));
      return 0;
    }
    case "heal": {
      console.log(healedLine(await call<HealedView>("DELETE", `/faults/${encodeURIComponent(command.id)}`)));
      return 0;
    }
    case "heal-all": {
      const list = await call<FaultView[]>("GET", "/faults");
      if (list.length === 0) console.log("no faults applied by hand");
      for (const f of list) console.log(`${f.id}: ${healedLine(await call<HealedView>("DELETE", `/faults/${encodeURIComponent(f.id)}`))}`);
      return 0;
    }
    case "capabilities": {
      const caps = await call<{ kinds: Record<string, { backend: string; available: boolean }> }>("GET", "/capabilities");
      console.log(table(["kind", "available", "how"], Object.entries(caps.kinds).map(([kind, k]) => [kind, k.available ? "yes" : "no", k.backend])));
      return 0;
    }
  }
}

async function experiment(args: string[]): Promise<number> {
  const command = parsed(parseExperimentCommand, args);
  if (command.op === "list") {
    const list = await call<{ name: string; valid: boolean; title?: string; errors: string[] }[]>("GET", "/experiments");
    if (list.length === 0) console.log("no experiments (experiments/*.yaml)");
    for (const e of list) console.log(e.valid ? `  ${e.name}: ${e.title ?? ""}` : `! ${e.name}\n    ${e.errors.join("\n    ")}`);
    return 0;
  }
  const path = `/experiments/${encodeURIComponent(command.name)}/runs`;
  let run = await call<ExperimentRun>("POST", path, command.quick ? { quick: true } : {});
  console.log(`experiment run ${run.id} of ${run.name}${run.quick ? " (quick)" : ""}: ${run.points.length} points, ${run.repetitions} repetition(s) each`);
  const stop = () => void call("POST", `${path}/${run.id}/abort`).catch(() => undefined);
  process.once("SIGINT", stop);
  const shown = new Set<number>();
  for (;;) {
    run.points.forEach((p, i) => {
      if (!shown.has(i) && p.status !== "waiting" && p.status !== "running") {
        shown.add(i);
        console.log(pointLine(p, i, run.points.length, run.metric.unit));
      }
    });
    if (run.status !== "running") break;
    await new Promise((r) => setTimeout(r, 500));
    run = await call<ExperimentRun>("GET", `${path}/${run.id}`);
  }
  process.removeListener("SIGINT", stop);
  const out = resolve(command.out ?? join("results", `${run.name}-${run.id}`));
  await mkdir(out, { recursive: true });
  await writeFile(join(out, "data.csv"), dataCsv(run));
  await writeFile(join(out, "report.md"), reportMd(run, `${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`));
  await writeFile(join(out, "plot.svg"), await renderSvg(plotSpec(run)));
  console.log(`${run.name} (run ${run.id}): ${run.status.toUpperCase()}; wrote ${join(out, "data.csv")}, report.md and plot.svg`);
  return run.status === "passed" ? 0 : 1;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const transcripts = rest.includes("--transcript");
  const args = rest.filter((a) => !a.startsWith("--"));
  switch (command) {
    case "status":
      await status();
      return 0;
    case "scenarios":
      await scenarios();
      return 0;
    case "run":
      return run(rest);
    case "capture":
      return capture(rest);
    case "show":
      if (!args[0]) throw new CliError("usage: l7lab show <run-id> [--transcript]");
      printRun(await call<RunView>("GET", `/runs/${encodeURIComponent(args[0])}`), transcripts);
      return 0;
    case "service": {
      const [name, action] = args;
      if (!name || !action) throw new CliError(`usage: l7lab service <name> <${SERVICE_ACTIONS.join("|")}>`);
      const s = await call<{ service: string; state: string; health: string }>("POST", `/services/${encodeURIComponent(name)}/${encodeURIComponent(action)}`);
      console.log(`${s.service}: ${s.state}${s.health !== "none" ? ` (${s.health})` : ""}`);
      return 0;
    }
    case "fault":
      return fault(rest.filter((a) => a !== "--transcript"));
    case "experiment":
      return experiment(rest);
    case undefined:
    case "help":
      console.log(helpText((await import("node:fs")).readFileSync(new URL(import.meta.url), "utf8")));
      return 0;
    default:
      throw new CliError(`unknown command "${command}". Valid commands are ${COMMANDS.join(", ")}.`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof CliError ? `l7lab: ${error.message}` : error);
    process.exit(error instanceof CliError ? 2 : 1);
  },
);
