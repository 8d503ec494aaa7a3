import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ensureToken, readToken, tokenFile, tokenReader } from "./api-token.ts";

describe("the API token file", () => {
  let dir = "";
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const fresh = () => (dir = mkdtempSync(join(tmpdir(), "l7lab-token-")));

  it("is made once, random, 0600 in a 0700 directory, and read back the same", () => {
    const file = join(fresh(), "state", "api-token");
    expect(readToken(file)).toBeUndefined();
    const token = ensureToken(file);
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, "state")).mode & 0o777).toBe(0o700);
    expect(ensureToken(file)).toBe(token);
    expect(readToken(file)).toBe(token);
    expect(ensureToken(join(fresh(), "api-token"))).not.toBe(token);
  });

  it("is read again by the server only when the file changes, and is unset while the file is gone or empty", () => {
    const file = join(fresh(), "api-token");
    const read = tokenReader(file);
    expect(read()).toBeUndefined();
    writeFileSync(file, "first\n");
    expect(read()).toBe("first");
    writeFileSync(file, "second-token\n");
    expect(read()).toBe("second-token");
    writeFileSync(file, "");
    expect(read()).toBeUndefined();
    rmSync(file);
    expect(read()).toBeUndefined();
  });

  it("lives in .l7lab/api-token in the repository unless L7LAB_TOKEN_FILE says otherwise", () => {
    expect(tokenFile({})).toMatch(/\/\.l7lab\/api-token$/);
    expect(tokenFile({ L7LAB_TOKEN_FILE: "/elsewhere/token" })).toBe("/elsewhere/token");
  });
});
