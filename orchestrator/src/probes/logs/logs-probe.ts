import { Type } from "typebox";
import { InvalidInputError, listChoices } from "../../common/errors.ts";
import type { Probe, ProbeOutcome } from "../probe.ts";
import { Transcript } from "../transcript.ts";

const Params = Type.Object(
  {
    services: Type.Array(Type.String({ minLength: 1 }), { minItems: 1, description: "compose services whose logs are read" }),
    pattern: Type.String({ minLength: 1, description: "a line counts when it contains this text (or matches it, with regex: true)" }),
    regex: Type.Optional(Type.Boolean({ default: false })),
    since: Type.Optional(Type.String({ description: "count only lines logged after this earlier step of the run started" })),
    maxLines: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000, default: 50 })),
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
        new RegExp(params.pattern);
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
    const matcher = params.regex ? new RegExp(params.pattern) : undefined;
    const matches = (text: string) => (matcher ? matcher.test(text) : text.includes(params.pattern));
    const found: LogMatch[] = [];
    const byService: Record<string, number> = {};
    for (const service of params.services) {
      ctx.topology.service(service); // an unknown service is an error that lists the valid ones
      transcript.client(service, `logs ${service}${sinceMs !== undefined ? ` since ${new Date(sinceMs).toISOString()}` : ""} | grep ${JSON.stringify(params.pattern)}`);
      const lines = (await ctx.docker.logs(service, sinceMs !== undefined ? { sinceMs } : {})).filter((l) => matches(l.text));
      byService[service] = lines.length;
      for (const l of lines) found.push({ service, at: new Date(l.at).toISOString(), text: l.text });
      transcript.server(service, `${lines.length} matching line(s)`);
    }
    found.sort((a, b) => a.at.localeCompare(b.at));
    return {
      ok: true,
      data: { count: found.length, byService, lines: found.slice(0, params.maxLines ?? 50) },
      transcript: transcript.lines,
    };
  },
};
