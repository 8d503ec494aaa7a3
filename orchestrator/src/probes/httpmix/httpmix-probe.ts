import { randomBytes } from "node:crypto";
import { Type, type Static } from "typebox";
import { InvalidInputError } from "../../common/errors.ts";
import { httpProbe, labTargetProblems, paramProblems as httpParamProblems, type HttpResult } from "../http/http-probe.ts";
import type { Probe, ProbeContext, ProbeOutcome } from "../probe.ts";
import { Transcript } from "../transcript.ts";
import {
  compareWithModel,
  type LatencySummary,
  type ModelComparison,
  objectUrl,
  idealHitRate,
  type ObservedRequest,
  observedRepeats,
  prng,
  requestSequence,
  summarize,
} from "./workload.ts";

export { compareWithModel, idealHitRate, objectUrl, observedRepeats, percentile, prng, requestSequence, summarize } from "./workload.ts";

const WHAT = "HTTP mix probe parameters";
/** At most this many requests in one call, and this many listed one by one in the result. */
export const MAX_REQUESTS = 10_000;
export const MAX_LISTED = 500;
/** Hits of the LAN object that time the LAN delay, by default. */
export const DEFAULT_LAN_SAMPLES = 5;

export const httpmixParamsSchema = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      description: 'The objects\' URL with "{n}" for the object number, e.g. "http://www.someschool.edu/far/200/objects/100kbit/{n}.bin"',
    }),
    objects: Type.Integer({ minimum: 1, maximum: MAX_REQUESTS, description: "How many distinct objects: n runs from 1 to objects" }),
    requests: Type.Integer({
      minimum: 1,
      maximum: MAX_REQUESTS,
      description: "How many requests in all (at least objects): each object once, the rest repeats of objects already asked for, so a cache that keeps everything hits (requests - objects) / requests of them",
    }),
    pad: Type.Optional(Type.Integer({ minimum: 1, maximum: 9, description: "Digits of {n}, padded with zeros (default 3: 001)" })),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 4_294_967_295, description: "The seed of the request order (default 1)" })),
    fresh: Type.Optional(
      Type.Boolean({ description: "Add a query string unique to this call to every URL, so nothing cached by an earlier call counts (default true)" }),
    ),
    proxy: Type.Optional(Type.String({ minLength: 1, description: 'A forward proxy, "host:port"; without it the requests go straight to the origin' })),
    headers: Type.Optional(
      Type.Record(Type.String(), Type.String(), { description: 'Request headers for every request, e.g. {"Cache-Control": "no-cache"} to make a proxy fetch every object again' }),
    ),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 120_000, description: "Timeout of each request (default 10000)" })),
    concurrency: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 64, description: "How many requests are under way at once, each on its own connection (default 1: one after another, as the slides' model assumes)" }),
    ),
    arrivalsPerSecond: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 1000,
        description:
          "Open-loop load: start requests at random (Poisson) times at this mean rate, each on its own connection, whether or not earlier ones have been answered (as independent users do), instead of a fixed number under way; the times come from seed",
      }),
    ),
    model: Type.Optional(
      Type.Object(
        {
          internetDelayMs: Type.Number({ minimum: 0, description: "The delay from the access link to the origin and back (the origin's configured delay)" }),
          accessKbit: Type.Number({ exclusiveMinimum: 0, description: "The access link's rate in kbit/s" }),
          lanSamples: Type.Optional(
            Type.Integer({
              minimum: 1,
              maximum: 100,
              description: `Before the mix, object 1 under a URL of its own is fetched once through the proxy and then this many times more; the mean of those hits is the model's LAN delay (default ${DEFAULT_LAN_SAMPLES})`,
            }),
          ),
        },
        { additionalProperties: false, description: "Compare the mean with the slides' model: miss fraction x (Internet delay + access delay) + hit fraction x LAN delay, the LAN delay timed through the proxy before the mix" },
      ),
    ),
  },
  { additionalProperties: false },
);

export type HttpmixParams = Static<typeof httpmixParamsSchema>;

export interface HttpmixRequest {
  n: number;
  status: number;
  /** The proxy's verdict (X-Cache), e.g. "HIT from proxy" or "MISS from proxy". */
  cache?: string;
  totalMs: number;
  error?: string;
}

/** The LAN delay, timed apart from the mix: hits of an object the mix does not ask for. */
export interface LanMeasurement {
  /** The URL timed (object 1 with a query of its own). */
  url: string;
  /** The first fetch, which puts the object in the proxy's cache: its status and time. */
  prime: { status: number; cache?: string; totalMs: number };
  /** Fetches after the first, and how many of them the proxy answered from its cache. */
  requests: number;
  hits: number;
  /** The hits' times; their mean is the model's LAN delay. */
  hit: LatencySummary;
}

export interface HttpmixResult {
  requests: number;
  objects: number;
  /**
   * The hit rate a cache that keeps everything could have reached on the requests as they went
   * out: the share of answered requests whose URL had been answered before they were sent.
   */
  idealHitRate: number;
  /** Those answered requests for a URL answered before: the hits such a cache would give. */
  repeats: number;
  /** Requests the proxy answered from its cache (X-Cache says HIT). */
  hits: number;
  misses: number;
  hitRate: number;
  /** Requests without a 2xx or 304 answer, or with no answer at all. */
  failed: number;
  statuses: Record<string, number>;
  bytes: number;
  meanObjectBytes: number;
  all: LatencySummary;
  hit: LatencySummary;
  miss: LatencySummary;
  durationMs: number;
  /** Requests under way at once: the fixed number asked for, or with arrivalsPerSecond the most there were. */
  concurrency: number;
  /** With arrivalsPerSecond: the mean rate asked for, and the rate the requests actually started at. */
  arrivalsPerSecond?: number;
  startedPerSecond?: number;
  /** Answered requests per second over the whole call. */
  requestsPerSecond: number;
  /** The query string added to every URL (fresh), or "". */
  suffix: string;
  model?: ModelComparison;
  /** With a model and a proxy: the LAN delay, measured before the mix. */
  lan?: LanMeasurement;
  /** The first 500 requests, in order. */
  sequence: HttpmixRequest[];
}

export function paramProblems(params: HttpmixParams): string[] {
  const problems: string[] = [];
  if (!params.url.includes("{n}")) problems.push(`url "${params.url}" has no "{n}" for the object number`);
  const sample = objectUrl(params.url, 1, params.pad ?? 3);
  problems.push(...httpParamProblems({ url: sample, ...(params.headers ? { headers: params.headers } : {}), ...(params.proxy ? { proxy: params.proxy } : {}) }));
  if (params.requests < params.objects) problems.push(`requests (${params.requests}) must be at least objects (${params.objects}): each object is asked for once`);
  if (params.arrivalsPerSecond !== undefined && params.concurrency !== undefined) {
    problems.push("give concurrency (a fixed number of requests under way) or arrivalsPerSecond (requests started at random times), not both");
  }
  if (params.model !== undefined && params.arrivalsPerSecond !== undefined) {
    problems.push(`"model" is the one-request-at-a-time model; it does not apply to arrivalsPerSecond (the access link queues)`);
  }
  if (params.model !== undefined && (params.concurrency ?? 1) > 1) {
    problems.push(`"model" needs concurrency 1: the slides' model assumes one request at a time (no queue at the access link, no repeat racing its object's first fetch); got concurrency ${params.concurrency}`);
  }
  return problems;
}

const isHit = (cache: string | undefined) => cache !== undefined && /\bHIT\b/i.test(cache);
const answered = (status: number) => (status >= 200 && status < 300) || status === 304;

/**
 * Times the LAN: object 1, under a URL no other request uses, fetched once through the proxy (a
 * miss that puts it in the cache) and then `samples` times more. The hits cross only the LAN
 * between the client and the proxy. The call's own headers are left out: they may forbid the cache
 * (no-cache), and the LAN delay is what a hit costs.
 */
async function measureLan(params: HttpmixParams & { proxy: string }, samples: number, ctx: ProbeContext, transcript: Transcript): Promise<LanMeasurement> {
  const url = objectUrl(params.url, 1, params.pad ?? 3, `l7lab-lan=${randomBytes(6).toString("hex")}`);
  const get = async () => {
    const outcome = await httpProbe.run({ url, proxy: params.proxy, ...(params.timeoutMs ? { timeoutMs: params.timeoutMs } : {}) }, ctx);
    return { ok: outcome.ok && answered(outcome.data.status), status: outcome.data.status, cache: outcome.data.cache, totalMs: outcome.data.timing.totalMs };
  };
  const first = await get();
  const hitTimes: number[] = [];
  for (let i = 0; i < samples; i++) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    const r = await get();
    if (r.ok && isHit(r.cache)) hitTimes.push(r.totalMs);
  }
  const hit = summarize(hitTimes);
  transcript.note(params.proxy, `LAN delay: ${hit.count} of ${samples} fetches of ${url} after the first were hits, mean ${hit.meanMs} ms`);
  return {
    url,
    prime: { status: first.status, ...(first.cache !== undefined ? { cache: first.cache } : {}), totalMs: first.totalMs },
    requests: samples,
    hits: hitTimes.length,
    hit,
  };
}

async function run(params: HttpmixParams, ctx: ProbeContext): Promise<ProbeOutcome<HttpmixResult>> {
  const problems = paramProblems(params);
  if (problems.length > 0) throw new InvalidInputError(WHAT, problems);
  const pad = params.pad ?? 3;
  const sequence = requestSequence(params.objects, params.requests, params.seed ?? 1);
  const suffix = params.fresh === false ? "" : `l7lab-mix=${randomBytes(6).toString("hex")}`;
  const transcript = new Transcript();
  const peer = params.proxy ?? "origin";
  transcript.note(peer, `${params.requests} requests for ${params.objects} objects, ${Math.round(idealHitRate(sequence) * params.requests)} of them repeats${suffix ? `, URLs end in ?${suffix}` : ""}`);
  const lan = params.model && params.proxy ? await measureLan({ ...params, proxy: params.proxy }, params.model.lanSamples ?? DEFAULT_LAN_SAMPLES, ctx, transcript) : undefined;

  const listed: HttpmixRequest[] = [];
  const hitTimes: number[] = [];
  const missTimes: number[] = [];
  const statuses: Record<string, number> = {};
  let bytes = 0;
  let okCount = 0;
  let failed = 0;
  const concurrency = params.concurrency ?? 1;
  const listedAt = new Map<number, HttpmixRequest>();
  const observed: ObservedRequest[] = [];
  let next = 0;
  const one = async (index: number, n: number): Promise<void> => {
    const startMs = performance.now();
    const outcome = await httpProbe.run(
      {
        url: objectUrl(params.url, n, pad, suffix),
        ...(params.proxy ? { proxy: params.proxy } : {}),
        ...(params.headers ? { headers: params.headers } : {}),
        ...(params.timeoutMs ? { timeoutMs: params.timeoutMs } : {}),
      },
      ctx,
    );
    const r: HttpResult = outcome.data;
    observed.push({ key: r.url, startMs, endMs: performance.now(), answered: outcome.ok && answered(r.status) });
    const entry: HttpmixRequest = { n, status: r.status, ...(r.cache !== undefined ? { cache: r.cache } : {}), totalMs: r.timing.totalMs };
    if (!outcome.ok) entry.error = outcome.error?.message ?? "no answer";
    statuses[String(r.status)] = (statuses[String(r.status)] ?? 0) + 1;
    if (outcome.ok && answered(r.status)) {
      okCount++;
      bytes += r.bodyBytes;
      (isHit(r.cache) ? hitTimes : missTimes).push(r.timing.totalMs);
    } else {
      failed++;
      transcript.note(peer, `object ${n}: ${entry.error ?? `status ${r.status}`}`);
    }
    if (index < MAX_LISTED) listedAt.set(index, entry);
  };
  // Workers take the next request of the sequence until none is left; with concurrency 1 this is
  // the sequence in order, one request after another.
  const worker = async (): Promise<void> => {
    while (next < sequence.length) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      const index = next++;
      await one(index, sequence[index]!);
    }
  };
  const started = performance.now();
  let maxInFlight = 0;
  let lastStartMs = 0;
  if (params.arrivalsPerSecond !== undefined) {
    // Open loop: request i starts at the i-th point of a Poisson process (exponential gaps from its
    // own stream of the seed), whatever the ones before it are doing.
    const random = prng(((params.seed ?? 1) ^ 0x9e3779b9) >>> 0);
    const meanGapMs = 1000 / params.arrivalsPerSecond;
    const pending: Promise<void>[] = [];
    let inFlight = 0;
    let at = 0;
    for (let index = 0; index < sequence.length; index++) {
      if (index > 0) at += -Math.log(1 - random()) * meanGapMs;
      const wait = started + at - performance.now();
      if (wait > 0) await ctx.clock.sleep(wait, ctx.signal);
      if (ctx.signal.aborted) throw ctx.signal.reason;
      lastStartMs = performance.now() - started;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      pending.push(one(index, sequence[index]!).finally(() => inFlight--));
    }
    await Promise.all(pending);
  } else {
    await Promise.all(Array.from({ length: Math.min(concurrency, sequence.length) }, worker));
  }
  const elapsed = performance.now() - started;
  const durationMs = Math.round(elapsed);
  for (let i = 0; i < Math.min(sequence.length, MAX_LISTED); i++) {
    const entry = listedAt.get(i);
    if (entry) listed.push(entry);
  }
  const all = summarize([...hitTimes, ...missTimes]);
  const hits = hitTimes.length;
  const ideal = observedRepeats(observed);
  const data: HttpmixResult = {
    requests: sequence.length,
    objects: params.objects,
    idealHitRate: ideal.rate,
    repeats: ideal.repeats,
    hits,
    misses: missTimes.length,
    hitRate: okCount === 0 ? 0 : Math.round((hits / okCount) * 1000) / 1000,
    failed,
    statuses,
    bytes,
    meanObjectBytes: okCount === 0 ? 0 : Math.round(bytes / okCount),
    all,
    hit: summarize(hitTimes),
    miss: summarize(missTimes),
    durationMs,
    concurrency: params.arrivalsPerSecond !== undefined ? maxInFlight : concurrency,
    ...(params.arrivalsPerSecond !== undefined
      ? { arrivalsPerSecond: params.arrivalsPerSecond, startedPerSecond: lastStartMs === 0 ? 0 : Math.round(((sequence.length - 1) / lastStartMs) * 1000 * 10) / 10 }
      : {}),
    requestsPerSecond: elapsed === 0 ? 0 : Math.round((okCount / elapsed) * 1000 * 10) / 10,
    suffix,
    sequence: listed,
  };
  if (lan) data.lan = lan;
  if (params.model) {
    // The LAN delay comes from the hits timed before the mix; without a proxy nothing can hit, and it is 0.
    const { internetDelayMs, accessKbit } = params.model;
    data.model = compareWithModel({ internetDelayMs, accessKbit }, { hitFraction: data.hitRate, meanObjectBytes: data.meanObjectBytes, lanDelayMs: lan?.hit.meanMs ?? 0, measuredMeanMs: all.meanMs });
  }
  transcript.note(peer, `${hits} hits of ${ideal.repeats} repeats, ${data.misses} misses, ${failed} failed; mean ${all.meanMs} ms (hits ${data.hit.meanMs} ms, misses ${data.miss.meanMs} ms), p95 ${all.p95Ms} ms`);
  if (data.model) transcript.note(peer, `model: ${data.model.predictedMeanMs} ms predicted, ${data.model.measuredMeanMs} ms measured (${data.model.errorPercent}%)`);
  return { ok: true, data, transcript: transcript.lines };
}

/**
 * The HTTP request-mix probe: replays a sequence of GETs for numbered objects, one at a time (or a
 * fixed number at a time, or open-loop at random times with arrivalsPerSecond), each on its own
 * connection (as the http probe makes them), and reports the cache's hits and misses,
 * the hit rate against the ideal one (computed from the requests as they were answered), the
 * latency of hits and of misses, and, given the access link's rate and the Internet delay, the
 * slides' model of the mean next to the measured mean, its LAN delay timed apart before the mix.
 */
export const httpmixProbe: Probe<typeof httpmixParamsSchema, HttpmixResult> = {
  name: "httpmix",
  description: "Replays a request mix (N objects, M requests, repeats of objects already asked for) one request at a time, directly or through a proxy; reports hits, misses, hit rate, latency percentiles and the slides' caching model.",
  paramsSchema: httpmixParamsSchema,
  check(params, ctx) {
    return [...paramProblems(params), ...labTargetProblems(WHAT, objectUrl(params.url, 1, params.pad ?? 3), params.proxy, ctx.topology)];
  },
  run,
};
