/**
 * A step's transcript as a ladder diagram (a message sequence chart), pure: one lifeline per host
 * (the client, which is the prober, on the left; then each distinct `peer` in the order it first
 * appears), time going down, and one arrow per transcript line: C from the client to its peer,
 * S from the peer back; `*` lines are notes across the lifelines. The UI draws what this lays out
 * (orchestrator/ui/views/ladder.tsx); the geometry is in SVG user units.
 */
import type { TranscriptLineRecord } from "../engine/run-record.ts";

export const CLIENT_LABEL = "client (prober)";
/** The most lines drawn; the rest are counted in a note, and the text view shows them all. */
export const MAX_LADDER_LINES = 400;
/** Labels longer than this are cut, with an ellipsis; the full text is the arrow's title. */
export const MAX_LABEL_CHARS = 70;

/** The width of a character of the labels' monospace font (11 px), to size the gaps to the labels. */
export const CHAR_WIDTH = 6.7;
/** The same for the lifelines' headings (12 px, bold, sans-serif). */
export const HEADING_CHAR_WIDTH = 7.6;
const HEADING_PAD = 16;
const GUTTER = 64; // the time labels, left of the client's lifeline
const FIRST_X = GUTTER + 64; // half the client's label fits left of its lifeline
const MIN_GAP = 150;
const LABEL_PAD = 24;
const HEADER = 52;
export const ROW_HEIGHT = 26;

export interface LadderColumn {
  /** The transcript's peer this lifeline is; undefined for the client. */
  peer: string | undefined;
  label: string;
  /** What the lab calls the peer (a service and host name), when known. */
  sublabel?: string;
  x: number;
}

interface RowBase {
  /** The label, cut at MAX_LABEL_CHARS. */
  label: string;
  /** The line's full text. */
  title: string;
  truncated: boolean;
  atMs: number;
  y: number;
}
export interface LadderArrow extends RowBase {
  kind: "arrow";
  dir: "C" | "S";
  /** Column indices: the sender and the receiver. */
  from: number;
  to: number;
  x1: number;
  x2: number;
}
export interface LadderNote extends RowBase {
  kind: "note";
  /** The column of the note's peer. */
  column: number;
  x1: number;
  x2: number;
}
export type LadderRow = LadderArrow | LadderNote;

export interface Ladder {
  columns: LadderColumn[];
  rows: LadderRow[];
  /** Lines past MAX_LADDER_LINES, not drawn. */
  hidden: number;
  width: number;
  height: number;
  /** Where the lifelines start and end. */
  top: number;
  bottom: number;
}

export interface LadderOptions {
  maxLines?: number;
  maxLabel?: number;
  /** Names of peers: by "address:port", host name or bare address. */
  names?: ReadonlyMap<string, string>;
}

/** The text cut to `max` characters, the last of them an ellipsis, when it is longer. */
export function truncateLabel(text: string, max = MAX_LABEL_CHARS): string {
  const flat = text.replace(/[\r\n\t]+/g, " ");
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** What the lab calls a peer ("10.0.0.10:53" → the name given for 10.0.0.10), if anything. */
export function peerName(peer: string, names: ReadonlyMap<string, string> | undefined): string | undefined {
  if (!names) return undefined;
  const bare = peer.replace(/^\[(.*)\]:\d+$/, "$1").replace(/^([^:]+):\d+$/, "$1");
  return names.get(peer) ?? names.get(bare);
}

/** Lays out the first `maxLines` lines of a transcript as a ladder diagram. */
export function ladderLayout(lines: readonly TranscriptLineRecord[], options: LadderOptions = {}): Ladder {
  const maxLines = options.maxLines ?? MAX_LADDER_LINES;
  const maxLabel = options.maxLabel ?? MAX_LABEL_CHARS;
  const shown = lines.slice(0, maxLines);

  const peers: string[] = [];
  const columnOf = new Map<string, number>();
  for (const l of shown) {
    if (!columnOf.has(l.peer)) {
      peers.push(l.peer);
      columnOf.set(l.peer, peers.length);
    }
  }

  const texts = shown.map((l) => {
    const label = truncateLabel(l.text, maxLabel);
    return { label, truncated: label !== l.text.replace(/[\r\n\t]+/g, " ") };
  });

  const sublabels = peers.map((peer) => peerName(peer, options.names));
  const labels = [CLIENT_LABEL, ...peers];
  /** Half the width of a lifeline's heading: its label (bold) or what the lab calls it, whichever is wider. */
  const half = (k: number) => Math.max(labels[k]!.length * HEADING_CHAR_WIDTH, (sublabels[k - 1]?.length ?? 0) * CHAR_WIDTH) / 2;

  // Each gap between neighbouring lifelines is as wide as their headings need, and as the labels of
  // the arrows that end at its right-hand lifeline need, less what the gaps before it give them.
  const gaps: number[] = [];
  for (let k = 1; k <= peers.length; k++) {
    const before = gaps.reduce((a, b) => a + b, 0);
    let need = Math.max(MIN_GAP, half(k - 1) + half(k) + HEADING_PAD);
    shown.forEach((l, i) => {
      if (l.dir !== "*" && columnOf.get(l.peer) === k) need = Math.max(need, texts[i]!.label.length * CHAR_WIDTH + LABEL_PAD - before);
    });
    gaps.push(Math.ceil(need));
  }
  const xs = [FIRST_X];
  for (const g of gaps) xs.push(xs[xs.length - 1]! + g);

  const columns: LadderColumn[] = [
    { peer: undefined, label: CLIENT_LABEL, x: xs[0]! },
    ...peers.map((peer, i) => {
      const sublabel = sublabels[i];
      return { peer, label: peer, ...(sublabel !== undefined && sublabel !== peer ? { sublabel } : {}), x: xs[i + 1]! };
    }),
  ];

  const left = xs[0]!;
  const right = xs[xs.length - 1]!;
  const rows: LadderRow[] = shown.map((l, i) => {
    const base = { label: texts[i]!.label, title: l.text, truncated: texts[i]!.truncated, atMs: l.atMs, y: HEADER + ROW_HEIGHT * (i + 1) };
    const peer = columnOf.get(l.peer)!;
    if (l.dir === "*") return { kind: "note", ...base, column: peer, x1: left - 40, x2: Math.max(right + 40, left + base.label.length * CHAR_WIDTH) };
    return l.dir === "C"
      ? { kind: "arrow", dir: "C", ...base, from: 0, to: peer, x1: left, x2: xs[peer]! }
      : { kind: "arrow", dir: "S", ...base, from: peer, to: 0, x1: xs[peer]!, x2: left };
  });

  const hidden = lines.length - shown.length;
  const bottom = HEADER + ROW_HEIGHT * (shown.length + 1) + (hidden > 0 ? ROW_HEIGHT : 0);
  const widest = Math.max(
    right + 12 + half(columns.length - 1),
    ...rows.map((r) => (r.kind === "note" ? r.x2 : 0) + 8),
  );
  return { columns, rows, hidden, width: Math.ceil(widest), height: bottom + 12, top: HEADER - 8, bottom };
}

/** The label of a line's time, in the gutter: "7.6 ms". */
export function timeLabel(atMs: number): string {
  return `${atMs < 100 ? atMs.toFixed(1) : Math.round(atMs)} ms`;
}

export const TIME_GUTTER = GUTTER;
