/**
 * The API's token, the way Jupyter and Docker keep theirs: a random secret in a file only its owner
 * reads (mode 0600, in a 0700 directory), outside git. `./l7lab up` makes it before the lab starts
 * (scripts/lab-up.ts); `./l7lab token` prints it. The orchestrator reads the same file through a
 * read-only mount (docker-compose.yml); the CLI, the benchmarks and the tests read it on the host.
 * Node built-ins only: scripts/lab-up.ts uses it before `npm ci` may have run.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the token is on the host: L7LAB_TOKEN_FILE, or .l7lab/api-token in the repository. */
export function tokenFile(env: NodeJS.ProcessEnv = process.env): string {
  return env["L7LAB_TOKEN_FILE"] ?? join(fileURLToPath(new URL("../../..", import.meta.url)), ".l7lab", "api-token");
}

/** A token: 32 random bytes, base64url (43 characters). */
export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** The token in `file`, made first (0600, its directory 0700) when there is none. */
export function ensureToken(file: string): string {
  const existing = readToken(file);
  if (existing !== undefined) return existing;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const token = newToken();
  // "wx": never overwrite a token another process made meanwhile.
  try {
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    return readToken(file) ?? token;
  }
  chmodSync(file, 0o600); // whatever the umask
  return token;
}

/** The token in `file`, or undefined when the file is missing or empty. */
export function readToken(file: string): string | undefined {
  try {
    const token = readFileSync(file, "utf8").trim();
    return token === "" ? undefined : token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * A reader of `file` for the server: the token as the file holds it now (it is read again only
 * when the file's size or modification time changes), or undefined while there is none.
 */
export function tokenReader(file: string): () => string | undefined {
  let seen = "";
  let token: string | undefined;
  return () => {
    let stamp: string;
    try {
      const s = statSync(file);
      stamp = `${s.mtimeMs}:${s.size}`;
    } catch {
      seen = "";
      return (token = undefined);
    }
    if (stamp !== seen) {
      token = readToken(file);
      seen = stamp;
    }
    return token;
  };
}
