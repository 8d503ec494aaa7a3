import type { Transcript } from "../transcript.ts";

/**
 * basic-ftp reports what goes over the control connection through `FTPContext.log`: "> USER bob"
 * for each command it sends ("> PASS ###" for the password), "< ..." for each chunk it reads (whole
 * lines or not), and a few sentences of its own ("Connected to 10.0.0.42:21 (No encryption)").
 * This recorder turns them into transcript lines, C: for commands (passwords masked), S: for each
 * server line, and notices a server that does not speak FTP.
 */

/** Server lines longer than this are cut in the transcript, saying how much was left out. */
export const MAX_TRANSCRIPT_LINE = 1000;

/** A command line as the transcript shows it: the argument of PASS and ACCT hidden. */
export function maskCommand(line: string): string {
  return line.replace(/^(PASS|ACCT)(\s.*)?$/i, (_m, verb: string) => `${verb} ****`);
}

const cut = (line: string) => (line.length > MAX_TRANSCRIPT_LINE ? `${line.slice(0, MAX_TRANSCRIPT_LINE)}... (${line.length - MAX_TRANSCRIPT_LINE} more characters)` : line);

export interface FtpLogRecorderOptions {
  transcript: Transcript;
  /** The control connection's peer, "address:port". */
  peer: string;
  /** Whether basic-ftp has closed the connection: the QUIT it writes while closing is not shown. */
  isClosed: () => boolean;
  /** Called once, with the first server line that cannot belong to an FTP reply. */
  onProtocolError?: (line: string) => void;
}

export class FtpLogRecorder {
  /** The last command sent, masked. */
  lastCommand: string | undefined;
  /** How many complete server lines have been read. */
  serverLines = 0;
  /** The first server line that is not part of an FTP reply, if one came. */
  protocolError: string | undefined;
  readonly #options: FtpLogRecorderOptions;
  #partial = "";
  /** The code of the multi-line reply being read ("211" after "211-Features:"). */
  #multiline: string | undefined;

  constructor(options: FtpLogRecorderOptions) {
    this.#options = options;
  }

  /** The function to put in place of `client.ftp.log`. */
  readonly log = (message: string): void => {
    const { transcript, peer } = this.#options;
    if (message.startsWith("> ")) {
      if (this.#options.isClosed()) return;
      const text = maskCommand(message.slice(2));
      this.lastCommand = text;
      transcript.client(peer, text);
    } else if (message.startsWith("< ")) {
      this.#chunk(message.slice(2));
    } else if (message.startsWith("Connected to ")) {
      transcript.note(peer, `connected to ${message.slice("Connected to ".length).replace(/ \(No encryption\)$/, "")}`);
    }
  };

  /** Writes out a last line the server did not end. */
  flush(): void {
    if (this.#partial !== "") this.#line(this.#partial);
    this.#partial = "";
  }

  #chunk(chunk: string): void {
    const lines = (this.#partial + chunk).split("\n");
    this.#partial = lines.pop() ?? "";
    for (const line of lines) this.#line(line.replace(/\r$/, ""));
  }

  #line(line: string): void {
    if (line.trim() === "") return;
    this.serverLines++;
    this.#options.transcript.server(this.#options.peer, cut(line));
    if (this.#multiline !== undefined) {
      if (line.startsWith(`${this.#multiline} `) || line === this.#multiline) this.#multiline = undefined;
      return;
    }
    const m = /^(\d{3})(-| |$)/.exec(line);
    if (m) {
      if (m[2] === "-") this.#multiline = m[1];
      return;
    }
    if (this.protocolError === undefined) {
      this.protocolError = line;
      this.#options.onProtocolError?.(line);
    }
  }
}
