import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./lab.ts";

/** The tests' tools image (services/tools: Debian's tshark and chromium; no entrypoint), never part of the lab. */
export const TOOLS_IMAGE = "l7lab/tools:dev";

/**
 * Builds the tools image (Docker's cache makes it instant when nothing changed), from the same
 * base image as the lab's (.env's BASE_IMAGE, written by scripts/prepare-host.sh).
 */
export function ensureTools(): void {
  const env = join(repoRoot, ".env");
  const base = (existsSync(env) ? /^BASE_IMAGE=(.+)$/m.exec(readFileSync(env, "utf8"))?.[1]?.trim() : undefined) ?? "debian:bookworm-slim";
  execFileSync("docker", ["build", "-q", "-t", TOOLS_IMAGE, "--build-arg", `BASE_IMAGE=${base}`, join(repoRoot, "services/tools")], { stdio: ["ignore", "ignore", "pipe"], timeout: 600_000 });
}

/**
 * tshark over a capture, in a container with no network (the capture on its stdin), as a user's
 * Wireshark would read it: the rows of `-T fields` for the packets the display filter keeps.
 */
export function tsharkFields(pcapng: Buffer, display: string, fields: readonly string[], extra: readonly string[] = []): string[][] {
  const r = spawnSync("docker", ["run", "--rm", "-i", "--network", "none", TOOLS_IMAGE, "tshark", "-r", "-", ...extra, "-Y", display, "-T", "fields", "-E", "separator=\t", ...fields.flatMap((f) => ["-e", f])], { input: pcapng, maxBuffer: 64 * 2 ** 20, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`tshark -Y '${display}' failed (exit ${r.status ?? r.signal}): ${r.stderr.toString()}`);
  return r.stdout.toString().split("\n").filter((l) => l !== "").map((l) => l.split("\t"));
}
