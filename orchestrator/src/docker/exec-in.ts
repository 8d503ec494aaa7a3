import { PassThrough } from "node:stream";
import type Docker from "dockerode";
import { L7labError } from "../common/errors.ts";
import type { ExecResult } from "./docker-adapter.ts";

/** Runs a command in a container (by id) and collects its output and exit code, within timeoutMs. */
export async function execIn(docker: Docker, id: string, command: readonly string[], timeoutMs: number, where: string): Promise<ExecResult> {
  const exec = await docker.getContainer(id).exec({ Cmd: [...command], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (b: Buffer) => out.push(b));
  stderr.on("data", (b: Buffer) => err.push(b));
  docker.modem.demuxStream(stream, stdout, stderr);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new L7labError("EXEC_TIMEOUT", 504, `"${command.join(" ")}" in ${where} did not finish within ${timeoutMs} ms`, { where }));
    }, timeoutMs);
    stream.on("end", () => { clearTimeout(timer); resolve(); });
    stream.on("close", () => { clearTimeout(timer); resolve(); });
    stream.on("error", (e: Error) => { clearTimeout(timer); reject(e); });
  });
  // The stream can end a moment before Docker records the exit code.
  let info = await exec.inspect();
  for (let i = 0; i < 20 && (info.Running || info.ExitCode === null); i++) {
    await new Promise((r) => setTimeout(r, 50));
    info = await exec.inspect();
  }
  return { exitCode: info.ExitCode ?? -1, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") };
}
