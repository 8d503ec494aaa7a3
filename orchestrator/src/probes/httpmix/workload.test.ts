import { describe, expect, it } from "vitest";
import { compareWithModel, idealHitRate, objectUrl, observedRepeats, percentile, prng, requestSequence, summarize } from "./workload.ts";

describe("requestSequence", () => {
  it("asks for every object once and places each repeat after its object's first request", () => {
    const seq = requestSequence(30, 50, 1);
    expect(seq).toHaveLength(50);
    expect(new Set(seq).size).toBe(30);
    const seen = new Set<number>();
    let repeats = 0;
    for (const n of seq) {
      if (seen.has(n)) repeats++;
      seen.add(n);
      expect(n).toBeGreaterThanOrEqual(1);
      expect(n).toBeLessThanOrEqual(30);
    }
    expect(repeats).toBe(20);
    expect(idealHitRate(seq)).toBeCloseTo(0.4, 10);
  });

  it("is the same for the same seed and differs for another", () => {
    expect(requestSequence(20, 40, 7)).toEqual(requestSequence(20, 40, 7));
    expect(requestSequence(20, 40, 7)).not.toEqual(requestSequence(20, 40, 8));
  });

  it("with requests = objects has no repeats", () => {
    const seq = requestSequence(10, 10, 3);
    expect([...seq].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(idealHitRate(seq)).toBe(0);
  });

  it("refuses fewer requests than objects, and no objects", () => {
    expect(() => requestSequence(10, 9, 1)).toThrow(/requests must be a whole number >= objects \(10\)/);
    expect(() => requestSequence(0, 5, 1)).toThrow(/objects must be/);
  });
});

describe("observedRepeats", () => {
  const at = (key: string, startMs: number, endMs: number, answered = true) => ({ key, startMs, endMs, answered });

  it("counts, one request after another, the requests for a URL answered before", () => {
    expect(observedRepeats([at("a", 0, 1), at("b", 1, 2), at("a", 2, 3), at("a", 3, 4)])).toEqual({ answered: 4, repeats: 2, rate: 0.5 });
  });

  it("leaves out failed requests: a repeat of an object never answered is none, and a failure is not in the rate", () => {
    expect(observedRepeats([at("a", 0, 1, false), at("a", 1, 2), at("b", 2, 3, false), at("a", 3, 4)])).toEqual({ answered: 2, repeats: 1, rate: 0.5 });
  });

  it("does not count a request sent before the first answer for its URL came (racing requests)", () => {
    expect(observedRepeats([at("a", 0, 10), at("a", 5, 12), at("a", 10, 11)])).toEqual({ answered: 3, repeats: 1, rate: 0.333 });
  });

  it("is 0 with nothing answered", () => {
    expect(observedRepeats([])).toEqual({ answered: 0, repeats: 0, rate: 0 });
    expect(observedRepeats([at("a", 0, 1, false)])).toEqual({ answered: 0, repeats: 0, rate: 0 });
  });
});

describe("prng", () => {
  it("gives numbers in [0, 1) and repeats with its seed", () => {
    const a = prng(42);
    const b = prng(42);
    for (let i = 0; i < 100; i++) {
      const x = a();
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
      expect(b()).toBe(x);
    }
  });
});

describe("objectUrl", () => {
  it("pads the number and adds the suffix as a query", () => {
    expect(objectUrl("http://www/far/200/objects/100kbit/{n}.bin", 7, 3)).toBe("http://www/far/200/objects/100kbit/007.bin");
    expect(objectUrl("http://www/o/{n}", 12, 1, "l7lab-mix=ab")).toBe("http://www/o/12?l7lab-mix=ab");
    expect(objectUrl("http://www/o?id={n}", 5, 2, "x=1")).toBe("http://www/o?id=05&x=1");
  });
});

describe("percentile and summarize", () => {
  it("uses the nearest rank", () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([5], 99)).toBe(5);
    expect(percentile([], 50)).toBe(0);
  });
  it("summarizes unsorted values", () => {
    expect(summarize([30, 10, 20])).toEqual({ count: 3, meanMs: 20, p50Ms: 20, p95Ms: 30, p99Ms: 30, maxMs: 30 });
    expect(summarize([])).toEqual({ count: 0, meanMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, maxMs: 0 });
  });
});

describe("compareWithModel", () => {
  it("computes the slides' total delay from the miss fraction, the delays and the object size", () => {
    // 12,500 octets = 100 kbit over 1,500 kbit/s: 66.7 ms access delay.
    const m = compareWithModel({ internetDelayMs: 200, accessKbit: 1500 }, { hitFraction: 0.4, meanObjectBytes: 12_500, lanDelayMs: 5, measuredMeanMs: 170 });
    expect(m.accessDelayMs).toBe(66.7);
    expect(m.missFraction).toBe(0.6);
    // 0.6 x (200 + 66.67) + 0.4 x 5 = 162
    expect(m.predictedMeanMs).toBe(162);
    expect(m.errorPercent).toBe(4.9);
  });
  it("with no hits is the Internet delay plus the access delay", () => {
    const m = compareWithModel({ internetDelayMs: 100, accessKbit: 800 }, { hitFraction: 0, meanObjectBytes: 1000, lanDelayMs: 0, measuredMeanMs: 110 });
    expect(m.predictedMeanMs).toBe(110);
    expect(m.errorPercent).toBe(0);
  });
});
