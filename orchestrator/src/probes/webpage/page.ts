/**
 * The pure parts of the web page probe: the objects a base page references, and the slides'
 * response-time model for each way of fetching them.
 */

export const PAGE_MODES = ["non-persistent", "persistent", "pipelined"] as const;
export type PageMode = (typeof PAGE_MODES)[number];

/** At most this many referenced objects are fetched. */
export const MAX_OBJECTS = 100;

/** The tags whose src a browser fetches with the page, and link, whose href it fetches for these rel values. */
const TAG = /<(img|script|iframe|embed|source|audio|video|input|link)\b([^>]*)>/gi;
const ATTRIBUTE = /\s([a-zA-Z][a-zA-Z0-9-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g;
const FETCHED_LINKS = new Set(["stylesheet", "icon", "preload", "modulepreload"]);

/** A tag's attributes, names in lower case (the first of a repeated one). */
function attributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(ATTRIBUTE)) {
    const name = m[1]!.toLowerCase();
    if (!out.has(name)) out.set(name, m[2] ?? m[3] ?? m[4] ?? "");
  }
  return out;
}

export interface PageReferences {
  /** Same-origin objects, in page order, each once: request targets (path and query). */
  objects: string[];
  /** References to other hosts or schemes, which the probe does not fetch. */
  skipped: string[];
}

/**
 * The objects `html` (the page at `base`) references, as a browser would fetch them: src of img,
 * script and the like, href of a stylesheet, icon or preload link; resolved against the page's URL; those on the page's own
 * host and port only (the probe talks to one server), each once.
 */
export function pageReferences(html: string, base: string): PageReferences {
  const baseUrl = new URL(base);
  const objects: string[] = [];
  const skipped: string[] = [];
  for (const m of html.matchAll(TAG)) {
    const attrs = attributes(" " + (m[2] ?? ""));
    const isLink = m[1]!.toLowerCase() === "link";
    if (isLink && !(attrs.get("rel") ?? "").toLowerCase().split(/\s+/).some((r) => FETCHED_LINKS.has(r))) continue;
    const raw = attrs.get(isLink ? "href" : "src");
    if (raw === undefined) continue;
    const ref = decodeEntities(raw).trim();
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
