import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { PcapStore } from "./store.ts";

let root: string;
let dir: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), "pcap-store-"));
  dir = join(root, "captures");
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Puts a run's capture, then dates its file `ageS` seconds back, so that every file has its own mtime. */
async function putAged(store: PcapStore, runId: string, ageS: number): Promise<void> {
  await store.put(runId, Buffer.from(`pcapng of ${runId}`));
  const when = new Date(Date.now() - ageS * 1000);
  await utimes(store.path(runId), when, when);
}

describe("PcapStore", () => {
  it("keeps a run's file in a directory it makes, readable by its owner only, and finds it by run id", async () => {
    const store = new PcapStore(dir);
    expect(await store.find("a1b2c3d4")).toBeUndefined();
    await store.put("a1b2c3d4", Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]));
    const file = await store.find("a1b2c3d4");
    expect(file).toBe(join(dir, "a1b2c3d4.pcapng"));
    expect(await readFile(file!)).toEqual(Buffer.from([0x0a, 0x0d, 0x0d, 0x0a]));
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(file!)).mode & 0o777).toBe(0o600);
    expect(await store.find("run-2")).toBeUndefined();
  });

  it("keeps only the newest files, deleting the oldest as new ones come", async () => {
    const store = new PcapStore(dir, 3);
    await putAged(store, "run-1", 400);
    await putAged(store, "run-2", 300);
    await putAged(store, "run-3", 200);
    expect((await readdir(dir)).sort()).toEqual(["run-1.pcapng", "run-2.pcapng", "run-3.pcapng"]);

    await putAged(store, "run-4", 100);
    expect(await store.find("run-1")).toBeUndefined();
    expect((await readdir(dir)).sort()).toEqual(["run-2.pcapng", "run-3.pcapng", "run-4.pcapng"]);

    await store.put("run-5", Buffer.from("newest"));
    expect((await readdir(dir)).sort()).toEqual(["run-3.pcapng", "run-4.pcapng", "run-5.pcapng"]);
    expect(await readFile((await store.find("run-5"))!, "utf8")).toBe("newest");
  });

  it("goes by the files' age, not their names, and leaves other files alone", async () => {
    const store = new PcapStore(dir, 2);
    await putAged(store, "zzz", 300);
    await writeFile(join(dir, "notes.txt"), "mine");
    const old = new Date(Date.now() - 10_000_000);
    await utimes(join(dir, "notes.txt"), old, old);
    await putAged(store, "aaa", 200);
    await putAged(store, "mmm", 100);
    expect((await readdir(dir)).sort()).toEqual(["aaa.pcapng", "mmm.pcapng", "notes.txt"]);
  });

  it("replaces the file of a run put again, and keeps it as the newest", async () => {
    const store = new PcapStore(dir, 2);
    await putAged(store, "run-1", 300);
    await putAged(store, "run-2", 200);
    await store.put("run-1", Buffer.from("again"));
    expect((await readdir(dir)).sort()).toEqual(["run-1.pcapng", "run-2.pcapng"]);
    expect(await readFile(join(dir, "run-1.pcapng"), "utf8")).toBe("again");
  });

  it.each(["../escape", "a/b", "..", "", "run.1", "run 1", "run-1\n"])("refuses %j as a run id, writing and reading nothing", async (runId) => {
    const store = new PcapStore(dir);
    expect(() => store.path(runId)).toThrow(`not a run id: ${runId}`);
    await expect(store.put(runId, Buffer.from("x"))).rejects.toThrow("not a run id");
    await expect(store.find(runId)).rejects.toThrow("not a run id");
    // Nothing beside the store's directory (where "../escape" would have gone), and nothing in it.
    expect((await readdir(root)).filter((f) => f !== "captures")).toEqual([]);
    expect(await readdir(dir).catch(() => [])).toEqual([]);
  });
});
