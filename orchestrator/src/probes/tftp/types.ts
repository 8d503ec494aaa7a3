/**
 * The shapes the TFTP client and probe return. Plain data only (JSON-serialisable, except the
 * `data` Buffer of a get), exported for the scenario engine, the API and the PXE-boot probe.
 */

export const TFTP_PORT = 69;

/** Transfer modes (RFC 1350); "mail" is obsolete and not offered. */
export const TFTP_MODES = ["octet", "netascii"] as const;
export type TftpMode = (typeof TFTP_MODES)[number];

export const TFTP_ACTIONS = ["get", "put"] as const;
export type TftpAction = (typeof TFTP_ACTIONS)[number];

/** blksize limits (RFC 2348) and the block size without the option (RFC 1350). */
export const MIN_BLKSIZE = 8;
export const MAX_BLKSIZE = 65464;
export const DEFAULT_BLKSIZE = 512;
/** The timeout option's limits in seconds (RFC 2349). */
export const MIN_TIMEOUT_S = 1;
export const MAX_TIMEOUT_S = 255;

/** A TFTP ERROR that ended a transfer: sent by the server, or by this client (then `from: "client"`). */
export interface TftpErrorInfo {
  /** The ERROR code, 0-8 defined (RFC 1350, 8 by RFC 2347). */
  code: number;
  /** The code's textbook meaning, such as "File not found". */
  name: string;
  /** The ERROR's message text as sent. */
  message: string;
  from: "server" | "client";
}

/** What one transfer (get or put) did. A refusal by the server is a result with `ok: false` and `error`. */
export interface TftpTransferResult {
  /** Whether the whole file was transferred. */
  ok: boolean;
  filename: string;
  mode: TftpMode;
  /** Where the request was sent, "address:port". */
  server: string;
  /** The server's transfer ID: the port its first answer came from (undefined when none came). */
  serverTid: number | undefined;
  /** The options sent with the request, name → value as on the wire ({} when none). */
  requestedOptions: Record<string, string>;
  /** The options the server's OACK acknowledged; null when it sent none (it ignored the options). */
  oack: Record<string, string> | null;
  /** The block size in use: the OACK's blksize, else 512. */
  blksize: number;
  /** get: the transfer size the OACK announced; put: the tsize the OACK confirmed. */
  tsize?: number;
  /** Octets of the file: after netascii decoding (get), before netascii encoding (put). */
  bytes: number;
  /** Octets carried in DATA packets (differs from `bytes` in netascii mode). */
  wireBytes: number;
  /** Hex SHA-256 of exactly the `bytes` octets. */
  sha256: string;
  /** DATA blocks transferred, counted from 1 across block-number rollovers (a final empty block counts). */
  blocks: number;
  /** How many times the block number wrapped (65535 → 0). */
  rollovers: number;
  /** Packets re-sent because no answer came within the timeout. */
  retransmissions: number;
  /** Timeouts waiting for an answer (each led to a retransmission, except a last one that gave up). */
  timeouts: number;
  /** Duplicate packets received from the server (re-sent DATA or OACK, repeated ACK). */
  duplicates: number;
  /** Packets from another address or port than the server's TID (each answered with ERROR 5). */
  strayPackets: number;
  durationMs: number;
  error?: TftpErrorInfo;
}

export interface TftpGetResult extends TftpTransferResult {
  /** The file's content, when the transfer completed. */
  data?: Buffer;
}

export type TftpPutResult = TftpTransferResult;

/** What the `tftp` probe returns: the client's result without the Buffer. */
export interface TftpProbeResult extends Omit<TftpTransferResult, "ok"> {
  action: TftpAction;
  /** Whether the transfer finished (false after a server ERROR, a refused OACK, a timeout). */
  completed: boolean;
  /** get with `includeContent`: the file as UTF-8 text. */
  content?: string;
  /** get with `includeContent`: why `content` is absent (file too large, transfer not complete). */
  contentOmitted?: string;
}
