import type { EhloInfo, SmtpReply } from "./types.ts";

/**
 * SMTP replies (RFC 5321 section 4.2), pure: no sockets here. A reply is one or more lines, each
 * starting with the same three-digit code; "-" after the code says more lines follow, a space (or
 * nothing) marks the last line. Many servers put an RFC 3463 enhanced status code ("5.7.1") at the
 * start of each line's text.
 */

/** One reply line: "250-PIPELINING" is `{ code: 250, last: false, text: "PIPELINING" }`. */
export interface ReplyLine {
  code: number;
  last: boolean;
  text: string;
}

/** Parses one line (without its CRLF); undefined when it is not an SMTP reply line. */
export function parseReplyLine(line: string): ReplyLine | undefined {
  const m = /^(\d{3})(?:([ -])(.*))?$/s.exec(line);
  if (!m) return undefined;
  return { code: Number(m[1]), last: m[2] !== "-", text: m[3] ?? "" };
}

/**
 * The enhanced status code at the start of `text` and the text after it, when its class (2, 4 or
 * 5) is the reply code's first digit, as RFC 3463 requires; otherwise the text as it is.
 */
export function splitEnhanced(code: number, text: string): { enhanced?: string; text: string } {
  const m = /^([245])\.(\d{1,3})\.(\d{1,3})(?:\s+|$)/.exec(text);
  if (!m || Number(m[1]) !== Math.floor(code / 100)) return { text };
  return { enhanced: `${m[1]}.${m[2]}.${m[3]}`, text: text.slice(m[0].length) };
}

/** Puts the lines of one reply together; the code is the last line's. */
export function assemble(lines: readonly ReplyLine[]): SmtpReply {
  const last = lines[lines.length - 1];
  if (!last) throw new Error("a reply has at least one line");
  let enhanced: string | undefined;
  const texts = lines.map((l) => {
    const split = splitEnhanced(last.code, l.text);
    enhanced ??= split.enhanced;
    return split.text;
  });
  return { code: last.code, ...(enhanced ? { enhanced } : {}), lines: texts, text: texts.join("\n") };
}

/** Parses a whole reply from its text ("250-a\r\n250 b"); throws when a line is not a reply line or the last has "-". */
export function parseReply(text: string): SmtpReply {
  const lines = text.replace(/\r?\n$/, "").split(/\r?\n/).map((line) => {
    const parsed = parseReplyLine(line);
    if (!parsed) throw new Error(`not an SMTP reply line: "${line}"`);
    return parsed;
  });
  if (!lines[lines.length - 1]?.last) throw new Error("the reply's last line continues (\"-\" after the code)");
  return assemble(lines);
}

/**
 * The extensions a 250 reply to EHLO lists: the first line names the server, every other line is a
 * keyword and its parameters. Postfix's old-style "AUTH=PLAIN LOGIN" line counts as AUTH when there
 * is no proper AUTH line.
 */
export function parseEhlo(reply: SmtpReply): EhloInfo {
  if (reply.code !== 250) return { code: reply.code, domain: "", keywords: [], extensions: {} };
  const [first = "", ...rest] = reply.lines;
  const extensions: Record<string, string[]> = {};
  const keywords: string[] = [];
  let oldAuth: string[] | undefined;
  for (const line of rest) {
    const [word = "", ...params] = line.trim().split(/\s+/);
    const keyword = word.toUpperCase();
    if (keyword === "") continue;
    if (keyword.startsWith("AUTH=")) {
      oldAuth ??= [keyword.slice("AUTH=".length), ...params].filter((p) => p !== "").map((p) => p.toUpperCase());
      continue;
    }
    if (keyword in extensions) continue;
    keywords.push(keyword);
    extensions[keyword] = keyword === "AUTH" ? params.map((p) => p.toUpperCase()) : params;
  }
  if (oldAuth && !("AUTH" in extensions)) {
    keywords.push("AUTH");
    extensions["AUTH"] = oldAuth;
  }
  return { code: reply.code, domain: first.trim().split(/\s+/)[0] ?? "", keywords, extensions };
}

/**
 * The queue id in the reply to the message data: Postfix "Ok: queued as 4F1D81234", Exim
 * "OK id=1uXyZa-000123-AB", Sendmail "5AMH2a3b012345 Message accepted for delivery".
 */
export function queueIdOf(text: string): string | undefined {
  const m = /\bqueued as\s+([0-9A-Za-z]+)/i.exec(text) ?? /\bid=([\w.-]+)/.exec(text) ?? /^(\w+) Message accepted for delivery/i.exec(text);
  return m?.[1];
}
