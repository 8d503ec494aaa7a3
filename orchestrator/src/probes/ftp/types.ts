/**
 * The shapes the FTP probe returns. Plain data only (JSON-serialisable), exported for the
 * scenario engine and the API.
 */

export const FTP_PORT = 21;
export const DEFAULT_TIMEOUT_MS = 10_000;
/** The password sent for an anonymous login when none is given (RFC 1635 suggests an address-like one). */
export const ANONYMOUS_PASSWORD = "l7lab@";

export const FTP_DATA_MODES = ["passive", "active"] as const;
export type FtpDataMode = (typeof FTP_DATA_MODES)[number];
export const FTP_PASSIVE_COMMANDS = ["EPSV", "PASV"] as const;
export type FtpPassiveCommand = (typeof FTP_PASSIVE_COMMANDS)[number];
export const FTP_ACTIVE_COMMANDS = ["PORT", "EPRT"] as const;
export type FtpActiveCommand = (typeof FTP_ACTIVE_COMMANDS)[number];
export type FtpDataCommand = FtpPassiveCommand | FtpActiveCommand;
/** How a resume action stops its first RETR: close the data connection, or close it and send ABOR. */
export const FTP_ABORT_MODES = ["close", "abor"] as const;
export type FtpAbortMode = (typeof FTP_ABORT_MODES)[number];

/** A reply on the control connection. */
export interface FtpReply {
  code: number;
  /** The text after the code; the lines of a multi-line reply joined with "\n", without their codes. */
  text: string;
}

export type FtpActionKind = "pwd" | "cwd" | "cdup" | "list" | "nlst" | "type" | "mode" | "stru" | "size" | "mdtm" | "put" | "get" | "resume" | "mkd" | "rmd" | "dele" | "raw";

/** One transfer (a RETR, STOR, LIST or NLST with its data connection). */
export interface FtpTransfer {
  dataMode: FtpDataMode;
  /** The command that set up the data connection. */
  dataCommand: FtpDataCommand;
  /** Its reply (227/229, or 200 for PORT/EPRT). */
  dataReply: FtpReply;
  /** The other end of the data connection, "address:port", when there was one. */
  dataPeer?: string;
  /** Octets that went over the data connection (received, or sent for a put). */
  bytes: number;
  /** Hex SHA-256 of exactly those octets. */
  sha256: string;
  /** From sending the transfer command to its final reply and the end of the data. */
  durationMs: number;
}

/** One of the two RETRs of a resume action. */
export interface FtpTransferPart extends FtpTransfer {
  /** The transfer command, "RETR file". */
  command: string;
  code: number;
  text: string;
  /** The answer to REST (the second part only). */
  rest?: FtpReply;
  /** The probe closed the data connection itself after `splitAt` octets (the first part only). */
  aborted?: boolean;
  /** The answer to ABOR, with `abort: "abor"`. */
  abor?: FtpReply;
  /** A data connection that broke (not counting one the probe closed itself). */
  error?: string;
}

/**
 * What one action did. `code` and `text` are the final reply to the action's command (for a
 * transfer: to RETR/STOR/LIST/NLST, or to whichever command before it was refused: EPSV, PASV,
 * PORT, EPRT, REST). A refusal (530, 550, 553...) is a result like any other. code is 0 and
 * text "" only when no command could be sent (EPRT/PORT without a usable local address).
 */
export interface FtpActionResult extends Partial<FtpTransfer> {
  action: FtpActionKind;
  /** The command line the action is about ("CWD pub", "RETR f.bin"); "PASS ****" never appears here. */
  command: string;
  code: number;
  text: string;
  /** The final reply was 2xx or 3xx and nothing went wrong on the data connection. */
  ok: boolean;
  /** What went wrong besides the reply: a data connection that could not be made, or broke. */
  error?: string;
  /** pwd and mkd: the directory named in the 257 reply. */
  path?: string;
  /** size: the size from the 213 reply. */
  size?: number;
  /** mdtm: the time from the 213 reply, ISO 8601 (UTC). */
  modified?: string;
  /** list and nlst: the listing's lines, as sent. */
  lines?: string[];
  /** list and nlst: the names in them (list: parsed from Unix or DOS style lines). */
  names?: string[];
  /** get: the REST offset; resume: where the first part was cut. */
  offset?: number;
  /** get with an offset: the answer to REST. */
  rest?: FtpReply;
  /** resume: where the first RETR was stopped, as asked. */
  splitAt?: number;
  /** resume: the two RETRs; bytes and sha256 above are of the parts concatenated. */
  parts?: FtpTransferPart[];
}

export interface FtpLogin {
  ok: boolean;
  user: string;
  /** The codes of the replies to USER and PASS, e.g. [331, 230]; [] when not attempted. */
  codes: number[];
  /** The text of the last of those replies, or why login was not attempted. */
  text: string;
}

export interface FtpResult {
  /** The server's address. */
  server: string;
  port: number;
  /** The greeting; absent when none came. */
  greeting?: FtpReply;
  login: FtpLogin;
  loggedIn: boolean;
  /** The text of the 215 reply to SYST ("UNIX Type: L8"). */
  system?: string;
  /** The lines of the reply to FEAT ("EPSV", "REST STREAM"); absent when FEAT was refused. */
  features?: string[];
  actions: FtpActionResult[];
  /** The answer to QUIT; absent when the session ended early. */
  quit?: FtpReply;
}
