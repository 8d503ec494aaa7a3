/**
 * Splits a byte stream into lines (LF; a CR before it is dropped) with a bound on a line's length,
 * so that a peer that never sends a newline cannot make the reader hold unbounded memory.
 */
export class LineSplitter {
  readonly #maxBytes: number;
  readonly #onLine: (line: string) => void;
  #parts: Buffer[] = [];
  #size = 0;

  /** `onLine` gets each complete line; push() throws LineTooLongError past `maxBytes` without a newline. */
  constructor(maxBytes: number, onLine: (line: string) => void) {
    this.#maxBytes = maxBytes;
    this.#onLine = onLine;
  }

  push(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.#add(chunk.subarray(start, nl));
      const line = Buffer.concat(this.#parts).toString("utf8");
      this.#parts = [];
      this.#size = 0;
      this.#onLine(line.endsWith("\r") ? line.slice(0, -1) : line);
      start = nl + 1;
    }
    if (start < chunk.length) this.#add(chunk.subarray(start));
  }

  #add(piece: Buffer): void {
    this.#size += piece.length;
    if (this.#size > this.#maxBytes) throw new LineTooLongError(this.#maxBytes);
    if (piece.length > 0) this.#parts.push(Buffer.from(piece));
  }
}

export class LineTooLongError extends Error {
  constructor(maxBytes: number) {
    super(`a line longer than ${maxBytes} bytes`);
    this.name = "LineTooLongError";
  }
}
