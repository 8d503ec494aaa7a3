import { linearRegex } from "../../common/linear-regex.ts";
import { Type } from "typebox";
import { InvalidInputError, listChoices } from "../../common/errors.ts";
import { retryUntil } from "../../common/retry.ts";
import type { Probe, ProbeOutcome } from "../probe.ts";
import { Transcript } from "../transcript.ts";

const Params = Type.Object(
  {
    services: Type.Array(Type.String({ minLength: 1, maxLength: 63 }), { minItems: 1, maxItems: 64, description: "compose services whose logs are read" }),
    pattern: Type.String({ minLength: 1, description: "a line counts when it contains this text (or matches it, with regex: true: RE2 syntax, run in linear time, no backreferences or lookaround; its capture groups are in each line's `groups`)" }),
    regex: Type.Optional(Type.Boolean({ default: false })),
    since: Type.Optional(Type.String({ description: "count only lines logged after this earlier step of the run started" })),
    maxLines: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 50 })),
    waitMs: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 600_000, description: "keep reading, every 250 ms, until at least `atLeast` lines match or this long has passed" }),
    ),
    atLeast: Type.Optional(Type.Integer({ minimum: 1, default: 1, description: "with waitMs: how many matching lines to wait for" })),
    settleMs: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 60_000, default: 500, description: "wait this long first: a daemon's line reaches Docker's log a moment after the event" }),
    ),
  },
  { additionalProperties: false },
);

export interface LogMatch {
  service: string;
  at: string;
  text: string;
  /** With regex: the pattern's capture groups in this line ("" for one that took part in no match), for later steps' templates. */
  groups?: string[];
}

export interface LogsResult {
  /** Matching lines across all services. */
  count: number;
  byService: Record<string, number>;
  /** The first `maxLines` matching lines, oldest first. */
  lines: LogMatch[];
}

/**
 * Counts the lines of services' own logs (what `docker compose logs` shows) that match a pattern:
 * evidence such as an authoritative server's query log, a transfer message, a cache's access log.
 */
export const logsProbe: Probe<typeof Params, LogsResult> = {
  name: "logs",
  description: "count matching lines in services' logs, optionally since an earlier step",
  paramsSchema: Params,
  check(params, ctx) {
    const problems: string[] = [];
    for (const service of params.services) {
      try {
        ctx.topology.service(service);
      } catch (error) {
        problems.push((error as Error).message);
      }
    }
    if (params.since !== undefined && !ctx.earlierStepIds.includes(params.since)) {
      problems.push(`"since" names step "${params.since}", which is not an earlier step; earlier steps are ${listChoices(ctx.earlierStepIds)}`);
    }
    if (params.regex) {
      try {
        linearRegex(params.pattern);
      } catch (error) {
        problems.push(`"pattern" is not a valid regular expression: ${(error as Error).message}`);
      }
    }
    return problems;
  },
  async run(params, ctx): Promise<ProbeOutcome<LogsResult>> {
    const transcript = new Transcript();
    let sinceMs: number | undefined;
    if (params.since !== undefined) {
      sinceMs = ctx.stepStartedAt(params.since);
      if (sinceMs === undefined) throw new InvalidInputError("logs probe", [`"since" names step "${params.since}", which has not run yet`]);
    }
    await ctx.clock.sleep(params.settleMs ?? 500, ctx.signal);
    const matcher = params.regex ? linearRegex(params.pattern) : undefined;
    const matches = (text: string) => (matcher ? matcher.test(text) : text.includes(params.pattern));
    const read = async (note: boolean) => {
      const found: LogMatch[] = [];
      const byService: Record<string, number> = {};
      for (const service of params.services) {
        ctx.topology.service(service); // an unknown service is an error that lists the valid ones
        if (note) transcript.client(service, `logs ${service}${sinceMs !== undefined ? ` since ${new Date(sinceMs).toISOString()}` : ""} | grep ${JSON.stringify(params.pattern)}`);
        const lines = (await ctx.docker.logs(service, sinceMs !== undefined ? { sinceMs } : {})).filter((l) => matches(l.text));
        byService[service] = lines.length;
        for (const l of lines) {
          const groups = matcher?.groups(l.text)?.map((g) => g ?? "");
          found.push({ service, at: new Date(l.at).toISOString(), text: l.text, ...(groups && groups.length > 0 ? { groups } : {}) });
        }
      }
      return { found, byService };
    };
    // With waitMs: the event (a delivery, a transfer) may not have happened yet; read until it has.
    const wanted = params.atLeast ?? 1;
    let last = await read(true);
    if (params.waitMs !== undefined && last.found.length < wanted) {
      try {
        const attempt = async () => {
          last = await read(false);
          return last.found.length >= wanted ? last : undefined;
        };
        await retryUntil(attempt, "waiting for log lines", { timeoutMs: params.waitMs, intervalMs: 250, clock: ctx.clock, signal: ctx.signal });
      } catch (error) {
        if (ctx.signal.aborted) throw error;
        // A read that failed (Docker) is an error; only running out of time is an answer.
        if ((error as Error).cause !== undefined) throw (error as Error).cause;
        transcript.note(params.services.join(","), `waited ${params.waitMs} ms for ${wanted} matching line(s)`);
      }
    }
    const { found, byService } = last;
    for (const [service, n] of Object.entries(byService)) transcript.server(service, `${n} matching line(s)`);
    found.sort((a, b) => a.at.localeCompare(b.at));
    return {
      ok: true,
      data: { count: found.length, byService, lines: found.slice(0, params.maxLines ?? 50) },
      transcript: transcript.lines,
    };
  },
};
