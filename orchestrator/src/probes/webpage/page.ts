/**
 * The pure parts of the web page probe: the objects a base page references, and the slides'
 * response-time model for each way of fetching them.
 */

export const PAGE_MODES = ["non-persistent", "persistent", "pipelined"] as const;
export type PageMode = (typeof PAGE_MODES)[number];

/** At most this many referenced objects are fetched. */
export const MAX_OBJECTS = 100;

/** An element attribute that makes a browser fetch an object with the page: img/script/... src, link href. */
const REFERENCE = /<(?:img|script|iframe|embed|source|audio|video|input)\b[^>]*?\bsrc\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))|<link\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/gi;

export interface PageReferences {
  /** Same-origin objects, in page order, each once: request targets (path and query). */
  objects: string[];
  /** References to other hosts or schemes, which the probe does not fetch. */
  skipped: string[];
}

/**
 * The objects `html` (the page at `base`) references, as a browser would fetch them: src of img,
 * script and the like, href of link; resolved against the page's URL; those on the page's own
 * host and port only (the probe talks to one server), each once.
 */
export function pageReferences(html: string, base: string): PageReferences {
  const baseUrl = new URL(base);
  const objects: string[] = [];
  const skipped: string[] = [];
  for (const m of html.matchAll(REFERENCE)) {
    const ref = decodeEntities(m.slice(1).find((g) => g !== undefined) ?? "").trim();
    if (ref === "" || ref.startsWith("#")) continue;
    let url: URL;
    try {
      url = new URL(ref, baseUrl);
    } catch {
      skipped.push(ref);
      continue;
    }
    if (url.protocol !== "http:" || url.host !== baseUrl.host) {
      skipped.push(url.href);
      continue;
    }
    const target = url.pathname + url.search;
    if (!objects.includes(target)) objects.push(target);
  }
  return { objects, skipped };
}

const decodeEntities = (s: string) => s.replace(/&amp;/g, "&").replace(/&quot;/g, '"').replace(/&#39;/g, "'");

/**
 * The slides' response time for a base page and n small objects, in round trips (transmission
 * times left out): non-persistent, one connection per object, 2 RTT each, 2 (1 + n); persistent
 * without pipelining, one handshake and then one round trip per request, 2 + n; persistent with
 * pipelining, one handshake, the base page, and every object in one round trip, 3 (2 with no
 * object).
 */
export function modelRoundTrips(mode: PageMode, objects: number): number {
  switch (mode) {
    case "non-persistent":
      return 2 * (1 + objects);
    case "persistent":
      return 2 + objects;
    case "pipelined":
      return objects > 0 ? 3 : 2;
  }
}
