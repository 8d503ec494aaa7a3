/**
 * A protocol transcript in the textbook's form: `C:` lines are what the client sent, `S:` lines what
 * the server answered, and `*` lines are notes (timeouts, retransmissions, a switch to TCP).
 */
export type TranscriptDirection = "C" | "S" | "*";

export interface TranscriptLine {
  dir: TranscriptDirection;
  /** The server this line was sent to or came from, as "address:port" or a host name. */
  peer: string;
  text: string;
  /** Milliseconds since the probe started. */
  atMs: number;
}

export class Transcript {
  readonly lines: TranscriptLine[] = [];
  readonly #startedAt: number;
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
    this.#startedAt = now();
  }

  client(peer: string, text: string): void {
    this.#add("C", peer, text);
  }

  server(peer: string, text: string): void {
    this.#add("S", peer, text);
  }

  note(peer: string, text: string): void {
    this.#add("*", peer, text);
  }

  #add(dir: TranscriptDirection, peer: string, text: string): void {
    for (const line of text.split(/\r?\n/)) {
      this.lines.push({ dir, peer, text: line, atMs: Math.round((this.#now() - this.#startedAt) * 10) / 10 });
    }
  }
}

/** Renders transcript lines as text, one `C: ...` / `S: ...` line each. */
export function formatTranscript(lines: readonly TranscriptLine[]): string {
  return lines.map((l) => `${l.dir === "*" ? "*" : l.dir + ":"} ${l.text}`).join("\n");
}
