/**
 * What the benchmark scripts share: calls to the orchestrator's API on the host's loopback, a
 * probe call, a scenario run, and the line that says when and on what machine figures were taken.
 */
import { request } from "node:http";
import { cpus, totalmem } from "node:os";
import { ensureToken, tokenFile } from "../orchestrator/src/common/api-token.ts";
import type { RunRecord } from "../orchestrator/src/engine/run-record.ts";

export const apiBase = `http://127.0.0.1:${process.env["L7LAB_API_PORT"] ?? "8080"}/api`;

/**
 * One API call. node:http rather than fetch: a long probe call or scenario run takes longer than
 * fetch's fixed 300 s wait for response headers.
 */
export function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  // With the lab's token; a request that changes something sends a JSON body, {} when it has none.
  const payload = method === "GET" ? undefined : JSON.stringify(body ?? {});
  // With its length: node:http sends no chunked framing for a DELETE body, and without a length
  // the server would read the body as the start of the next request (400).
  const headers = {
    authorization: `Bearer ${ensureToken(tokenFile())}`,
    ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": String(Buffer.byteLength(payload)) }),
  };
  return new Promise((resolve, reject) => {
    const req = request(`${apiBase}${path}`, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        try {
          const json = JSON.parse(Buffer.concat(chunks).toString("utf8")) as T & { message?: string };
          if ((res.statusCode ?? 500) >= 300) reject(new Error(`${method} ${path}: ${res.statusCode} ${json.message ?? ""}`));
          else resolve(json);
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    req.on("error", reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** One probe call; its data, or an error when the probe could not do its exchange. */
export async function probe<T>(name: string, params: Record<string, unknown>): Promise<T> {
  const r = await call<{ ok: boolean; data: T; error?: { message: string } }>("POST", `/probes/${name}/calls`, params);
  if (!r.ok) throw new Error(`${name} probe: ${r.error?.message ?? "failed"}`);
  return r.data;
}

/** The run record, as the API answers it (one schema: orchestrator/src/engine/run-record.ts). */
export type { RunRecord };

/** Runs a scenario and waits for its end. */
export function runScenario(name: string): Promise<RunRecord> {
  return call<RunRecord>("POST", `/scenarios/${name}/runs?wait=true`);
}

/** "2026-11-22T..., 2 cores, 24 GiB": when and where the figures were taken. */
export function machine(): string {
  return `${new Date().toISOString()}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export const opt = (args: readonly string[], name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
