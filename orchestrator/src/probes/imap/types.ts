/**
 * The shapes the IMAP probe returns. Plain data only (JSON-serialisable), shared by the action
 * runner, the message shaping and the probe, and exported for the scenario engine and the API.
 */

export const IMAP_TLS_MODES = ["none", "starttls", "implicit"] as const;
export type ImapTlsMode = (typeof IMAP_TLS_MODES)[number];

/** Search criteria as a scenario gives them; every given criterion must match. */
export interface ImapSearchCriteria {
  subject?: string;
  from?: string;
  to?: string;
  /** [header name, text the header contains]; an empty text matches any message with the header. */
  header?: [string, string];
  /** true: \Seen messages only; false: unseen messages only. */
  seen?: boolean;
  /** An ISO date ("2024-05-01"); IMAP compares the day (UTC) of the message's internal date. */
  since?: string;
  all?: true;
}

/**
 * One action after normalisation: defaults filled in. `mailbox` undefined on a message action
 * means "the mailbox an earlier action selected, else INBOX".
 */
export type ImapAction =
  | { kind: "select"; mailbox: string }
  | { kind: "search"; mailbox?: string; criteria: ImapSearchCriteria; waitMs: number }
  | { kind: "fetch"; mailbox?: string; which: "last" | "all" | number; includeRaw: boolean }
  | { kind: "store"; mailbox?: string; uid: number | "last"; add: string[]; remove: string[] }
  | { kind: "append"; mailbox: string; message: string; flags: string[] }
  | { kind: "create"; mailbox: string }
  | { kind: "rename"; from: string; to: string }
  | { kind: "delete"; mailbox: string }
  | { kind: "list" }
  | { kind: "expunge"; mailbox?: string; uid: number | "last" | "all-deleted" }
  | { kind: "status"; mailbox: string };

export type ImapActionKind = ImapAction["kind"];

/** An attachment of a fetched message, as mailparser found it. */
export interface ImapAttachment {
  filename?: string;
  contentType: string;
  /** Decoded size in octets. */
  size: number;
  /** SHA-256 of the decoded content, hex. */
  sha256: string;
}

/** One fetched message. */
export interface ImapMessage {
  uid: number;
  flags: string[];
  /** RFC822.SIZE: octets of the message as stored. */
  size: number;
  envelope: {
    subject?: string;
    /** The addresses ("alice@crepes.fr"), without display names. */
    from: string[];
    to: string[];
    messageId?: string;
    /** ISO date-time of the Date header, when it parses. */
    date?: string;
  };
  headers: {
    /** Every Received header, unfolded, top (newest) first, as in the message. */
    received: string[];
    "message-id"?: string;
  };
  /** SHA-256 of the raw RFC 822 source, hex. */
  sha256: string;
  /** The plain-text body (mailparser's `text`). */
  text?: string;
  /** The text was longer than 100 000 characters and was cut. */
  textTruncated?: true;
  attachments: ImapAttachment[];
  /** The raw source, only when the fetch action asked for it (`includeRaw`). */
  raw?: string;
}

/** Fields every action result has. The others are there when the action succeeded. */
export interface ImapActionBase {
  ok: boolean;
  /** Why the action failed: the server's text for a NO or BAD, or what was wrong. */
  error?: string;
  /** "NO" or "BAD" when the server refused the action. */
  response?: string;
  /** The response code of a refusal (NONEXISTENT, ALREADYEXISTS, ...). */
  responseCode?: string;
}

export interface ImapSelectResult extends ImapActionBase {
  action: "select";
  mailbox: string;
  exists?: number;
  uidNext?: number;
  uidValidity?: number;
  flags?: string[];
}

export interface ImapSearchResult extends ImapActionBase {
  action: "search";
  /** The mailbox acted in; absent when the action did not run. */
  mailbox?: string;
  uids?: number[];
  count?: number;
  /** How many times the search ran (more than once while waiting for a match). */
  attempts?: number;
  waitedMs?: number;
}

export interface ImapFetchResult extends ImapActionBase {
  action: "fetch";
  /** The mailbox acted in; absent when the action did not run. */
  mailbox?: string;
  messages?: ImapMessage[];
  count?: number;
}

export interface ImapStoreResult extends ImapActionBase {
  action: "store";
  /** The mailbox acted in; absent when the action did not run. */
  mailbox?: string;
  uid?: number;
  /** The message's flags after the store. */
  flags?: string[];
}

export interface ImapAppendResult extends ImapActionBase {
  action: "append";
  mailbox: string;
  /** The new message's UID, when the server says it (UIDPLUS). */
  uid?: number;
  uidValidity?: number;
}

export interface ImapCreateResult extends ImapActionBase {
  action: "create";
  mailbox: string;
  /** false when the server said the mailbox already exists (ALREADYEXISTS). */
  created?: boolean;
}

export interface ImapRenameResult extends ImapActionBase {
  action: "rename";
  from: string;
  to: string;
}

export interface ImapDeleteResult extends ImapActionBase {
  action: "delete";
  mailbox: string;
}

export interface ImapListResult extends ImapActionBase {
  action: "list";
  mailboxes?: string[];
}

export interface ImapExpungeResult extends ImapActionBase {
  action: "expunge";
  /** The mailbox acted in; absent when the action did not run. */
  mailbox?: string;
  /** The UIDs expunged. */
  expunged?: number[];
}

export interface ImapStatusResult extends ImapActionBase {
  action: "status";
  mailbox: string;
  messages?: number;
  unseen?: number;
  uidNext?: number;
}

/** One action's outcome. */
export type ImapActionResult =
  | ImapSelectResult
  | ImapSearchResult
  | ImapFetchResult
  | ImapStoreResult
  | ImapAppendResult
  | ImapCreateResult
  | ImapRenameResult
  | ImapDeleteResult
  | ImapListResult
  | ImapExpungeResult
  | ImapStatusResult;

export interface ImapProbeResult {
  /** The address the probe connected to. */
  server: string;
  port: number;
  /** Whether the session ran over TLS (implicit, or after STARTTLS). */
  tls: boolean;
  loggedIn: boolean;
  /** The server's capabilities, as last announced (after login when it logged in). */
  capabilities: string[];
  /** The login's failure, when the server refused it. */
  loginError?: string;
  actions: ImapActionResult[];
  /** The mailbox names of the last `list` action. */
  mailboxes?: string[];
  /** The last message fetched. */
  last?: ImapMessage;
}
