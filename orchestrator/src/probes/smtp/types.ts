/**
 * The shapes the SMTP probe returns. Plain data only (JSON-serialisable), shared by the reply
 * parser, the client, the dialogues and the probe, and exported for the scenario engine and the API.
 */

/** One complete reply: "250-..." continuation lines and the "250 ..." last line, taken together. */
export interface SmtpReply {
  code: number;
  /** The RFC 3463 enhanced status code of the first line that has one: "2.0.0", "5.7.1". */
  enhanced?: string;
  /** The text of each line, without the reply code and without the enhanced status code. */
  lines: string[];
  /** The lines joined with "\n". */
  text: string;
}

/** What EHLO told about the server. */
export interface EhloInfo {
  code: number;
  /** The domain the server names on the first line ("mail.hamburger.edu"); "" without a 250. */
  domain: string;
  /** The extension keywords, upper case, in the order the server listed them: "PIPELINING", "SIZE", "STARTTLS", "AUTH", ... */
  keywords: string[];
  /** The parameters of each keyword: `{ AUTH: ["PLAIN", "LOGIN"], SIZE: ["10240000"], STARTTLS: [] }`. */
  extensions: Record<string, string[]>;
}

/** One command and the reply to it. The message data counts as one command, ".". */
export interface SmtpExchange {
  /** The command as sent, credentials masked ("AUTH PLAIN ****"). */
  command: string;
  code: number;
  enhanced?: string;
  text: string;
}

/** The reply to one RCPT TO. */
export interface SmtpRecipientResult {
  address: string;
  code: number;
  enhanced?: string;
  /** A 2xx reply: the server takes mail for this recipient. */
  accepted: boolean;
  text: string;
}

/** The TLS session, once one is up. */
export interface SmtpTlsInfo {
  /** "TLSv1.3". */
  protocol: string;
  cipher: string;
  /** The server's certificate chains to a trusted CA and names the server. */
  authorized: boolean;
  /** Why it is not authorized ("DEPTH_ZERO_SELF_SIGNED_CERT"), when rejectUnauthorized is false. */
  authorizationError?: string;
  /** The certificate's subject CN, when it has one. */
  subject?: string;
}

export interface SmtpProbeResult {
  mode: "send" | "commands";
  /** The server's address. */
  server: string;
  port: number;
  /** The 220 greeting (or the refusal); missing only when no greeting came (then `ok` is false). */
  greeting?: { code: number; enhanced?: string; text: string };
  /** The latest EHLO reply (after STARTTLS, the second one). */
  ehlo?: EhloInfo;
  /** The session ran over TLS (implicit, or STARTTLS that succeeded). */
  tls: boolean;
  tlsInfo?: SmtpTlsInfo;
  /** Present when AUTH was asked for: whether it succeeded (235). */
  authenticated?: boolean;
  /** Every command and its reply, in order (the greeting is not one). */
  exchanges: SmtpExchange[];
  /** Send mode: the reply to each RCPT TO, in order. */
  recipients?: SmtpRecipientResult[];
  /** The message data was answered with 250. */
  accepted: boolean;
  /** The queue id in the reply to the message data: Postfix's "250 2.0.0 Ok: queued as ABC123". */
  queueId?: string;
  /** The Message-ID header of the message sent. */
  messageId?: string;
  /** Every reply code in order, the greeting's first. */
  codes: number[];
}
