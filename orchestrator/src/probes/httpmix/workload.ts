/**
 * Pure parts of the HTTP request-mix probe: the request sequence (each object once, then repeats
 * of objects already asked for, so that a cache that keeps everything has a known hit rate), the
 * latency statistics, and the slides' caching model. No network here.
 */
import { mulberry32 } from "../../common/prng.ts";

/** A deterministic PRNG giving numbers in [0, 1) (mulberry32), so a seed gives the same sequence everywhere. */
export function prng(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

/**
 * The order in which objects 1..objects are requested, `requests` requests in all: every object
 * once, plus (requests - objects) repeats, each of an object already requested before it. A cache
 * that keeps every object answers exactly the repeats, so the ideal hit rate is
 * (requests - objects) / requests.
 */
export function requestSequence(objects: number, requests: number, seed: number): number[] {
  if (!Number.isInteger(objects) || objects < 1) throw new RangeError(`objects must be a whole number >= 1; got ${objects}`);
  if (!Number.isInteger(requests) || requests < objects) throw new RangeError(`requests must be a whole number >= objects (${objects}); got ${requests}`);
  const random = prng(seed);
  // First the order of first requests; then each repeat is placed after its object's first request.
  const firsts = Array.from({ length: objects }, (_, i) => i + 1);
  for (let i = firsts.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [firsts[i], firsts[j]] = [firsts[j]!, firsts[i]!];
  }
  const sequence = [...firsts];
  for (let r = 0; r < requests - objects; r++) {
    // A repeat of one of the objects already in the sequence, at a random later position.
    const at = 1 + Math.floor(random() * sequence.length); // insert after at least one request
    const seen = new Set(sequence.slice(0, at));
    const choices = [...seen];
    const object = choices[Math.floor(random() * choices.length)]!;
    sequence.splice(at, 0, object);
  }
  return sequence;
}

/** The ideal hit rate of a sequence: the share of requests for an object asked for before. */
export function idealHitRate(sequence: readonly number[]): number {
  const seen = new Set<number>();
  let repeats = 0;
  for (const n of sequence) {
    if (seen.has(n)) repeats++;
    seen.add(n);
  }
  return sequence.length === 0 ? 0 : repeats / sequence.length;
}

/** One request of a mix as it went out: what it asked for, when it was sent and answered, and whether it got an object. */
export interface ObservedRequest {
  /** What a cache keys the object by: the URL as sent. */
  key: string;
  startMs: number;
  endMs: number;
  answered: boolean;
}

/**
 * The hit rate that a cache keeping everything could have reached on the requests as they were
 * observed: an answered request is a repeat when an earlier request for the same URL had been
 * answered before it was sent (a request that failed put nothing in the cache, and a request still
 * under way cannot be hit yet). The rate is repeats / answered requests, as the measured hit rate is.
 */
export function observedRepeats(requests: readonly ObservedRequest[]): { answered: number; repeats: number; rate: number } {
  // Per URL, the two earliest answers (a request may not count its own answer).
  const earliest = new Map<string, { first: number; firstIndex: number; second: number }>();
  requests.forEach((r, index) => {
    if (!r.answered) return;
    const e = earliest.get(r.key);
    if (e === undefined) earliest.set(r.key, { first: r.endMs, firstIndex: index, second: Infinity });
    else if (r.endMs < e.first) earliest.set(r.key, { first: r.endMs, firstIndex: index, second: e.first });
    else if (r.endMs < e.second) e.second = r.endMs;
  });
  let answered = 0;
  let repeats = 0;
  requests.forEach((r, index) => {
    if (!r.answered) return;
    answered++;
    const e = earliest.get(r.key)!;
    const before = e.firstIndex === index ? e.second : e.first;
    if (before <= r.startMs) repeats++;
  });
  return { answered, repeats, rate: answered === 0 ? 0 : Math.round((repeats / answered) * 1000) / 1000 };
}

/** The URL of object n: "{n}" in the template becomes n, left-padded with zeros to `pad` digits. */
export function objectUrl(template: string, n: number, pad: number, suffix = ""): string {
  const url = template.replaceAll("{n}", String(n).padStart(pad, "0"));
  if (suffix === "") return url;
  return url + (url.includes("?") ? "&" : "?") + suffix;
}

const round = (x: number) => Math.round(x * 10) / 10;

export interface LatencySummary {
  count: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The p-th percentile (0..100) by the nearest-rank method of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1]!;
}

export function summarize(values: readonly number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.length === 0 ? 0 : sorted.reduce((s, v) => s + v, 0) / sorted.length;
  return {
    count: sorted.length,
    meanMs: round(mean),
    p50Ms: round(percentile(sorted, 50)),
    p95Ms: round(percentile(sorted, 95)),
    p99Ms: round(percentile(sorted, 99)),
    maxMs: round(sorted.at(-1) ?? 0),
  };
}

/** The slides' inputs: the Internet delay (origin to the access link) and the access link's rate. */
export interface ModelInputs {
  internetDelayMs: number;
  accessKbit: number;
}

/**
 * The slides' model of an institutional cache: total delay = miss fraction x (Internet delay +
 * access delay) + hit fraction x LAN delay. Here the access delay is the time to send the mean
 * object over the access link (size / rate; with one request at a time there is no queue), and
 * the LAN delay is measured apart from the mix (the probe times hits of an object of its own
 * before the mix), so that the model does not take its hit term from the requests it predicts.
 */
export interface ModelComparison extends ModelInputs {
  hitFraction: number;
  missFraction: number;
  accessDelayMs: number;
  lanDelayMs: number;
  predictedMeanMs: number;
  measuredMeanMs: number;
  /** (measured - predicted) / predicted, in percent. */
  errorPercent: number;
}

export function compareWithModel(inputs: ModelInputs, m: { hitFraction: number; meanObjectBytes: number; lanDelayMs: number; measuredMeanMs: number }): ModelComparison {
  const accessDelayMs = (m.meanObjectBytes * 8) / inputs.accessKbit; // bits / (kbit/s) = ms
  const missFraction = 1 - m.hitFraction;
  const predicted = missFraction * (inputs.internetDelayMs + accessDelayMs) + m.hitFraction * m.lanDelayMs;
  return {
    ...inputs,
    hitFraction: Math.round(m.hitFraction * 1000) / 1000,
    missFraction: Math.round(missFraction * 1000) / 1000,
    accessDelayMs: round(accessDelayMs),
    lanDelayMs: round(m.lanDelayMs),
    predictedMeanMs: round(predicted),
    measuredMeanMs: round(m.measuredMeanMs),
    errorPercent: predicted === 0 ? 0 : round(((m.measuredMeanMs - predicted) / predicted) * 100),
  };
}
