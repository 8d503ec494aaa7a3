import { mkdir, readdir, rm, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** How many runs' captures are kept on disk; older ones are deleted as new ones come. */
export const DEFAULT_KEPT_CAPTURES = 20;

/**
 * The runs' pcapng files, one per run id, in a directory of the orchestrator's container (never in
 * the repository). Only the newest `keep` stay.
 */
export class PcapStore {
  readonly dir: string;
  readonly #keep: number;

  constructor(dir: string, keep = DEFAULT_KEPT_CAPTURES) {
    this.dir = dir;
    this.#keep = keep;
  }

  path(runId: string): string {
    if (!/^[A-Za-z0-9-]+$/.test(runId)) throw new Error(`not a run id: ${runId}`);
    return join(this.dir, `${runId}.pcapng`);
  }

  async put(runId: string, pcapng: Buffer): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(this.path(runId), pcapng, { mode: 0o600 });
    const files = await Promise.all(
      (await readdir(this.dir)).filter((f) => f.endsWith(".pcapng")).map(async (f) => ({ f, t: (await stat(join(this.dir, f))).mtimeMs })),
    );
    // Newest first, the one just written first of all (a coarse clock may give others its mtime).
    const own = `${runId}.pcapng`;
    files.sort((a, b) => (a.f === own ? -1 : b.f === own ? 1 : b.t - a.t));
    await Promise.all(files.slice(this.#keep).map((x) => rm(join(this.dir, x.f), { force: true })));
  }

  /** The file's path when the run's capture is still kept, else undefined. */
  async find(runId: string): Promise<string | undefined> {
    const p = this.path(runId);
    return (await stat(p).then(() => true, () => false)) ? p : undefined;
  }
}
