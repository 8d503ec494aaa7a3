import { isIP } from "node:net";
import type { FtpReply } from "./types.ts";

/**
 * Reading FTP replies (RFC 959 4.2) and writing the arguments of PORT and EPRT (RFC 2428).
 * basic-ftp hands a reply over as its code and its whole text, lines joined with "\n".
 */

/** The reply's code and its text without the code: "550 No such file." is { 550, "No such file." }. */
export function replyOf(code: number, message: string): FtpReply {
  const lines = message.split("\n").map((l) => l.replace(/\r$/, ""));
  const strip = (line: string) => line.replace(/^\d{3}[ -]?/, "");
  if (lines.length === 1) return { code, text: strip(lines[0]!) };
  const last = lines.length - 1;
  return { code, text: lines.map((l, i) => (i === 0 || i === last ? strip(l) : l)).join("\n") };
}

/** 2xx: positive completion. */
export const isCompletion = (code: number): boolean => code >= 200 && code < 300;
/** 1xx: positive preliminary (a transfer is starting). */
export const isPreliminary = (code: number): boolean => code >= 100 && code < 200;
/** 2xx or 3xx: not a refusal. */
export const isPositive = (code: number): boolean => code >= 200 && code < 400;

/** The lines of a reply to FEAT between its first and last line, trimmed (RFC 2389). */
export function parseFeatures(reply: FtpReply): string[] {
  const lines = reply.text.split("\n");
  if (lines.length < 2) return [];
  return lines.slice(1, -1).map((l) => l.trim()).filter((l) => l !== "");
}

/** The directory in a 257 reply: `"/pub/my ""quoted"" dir" is current` is `/pub/my "quoted" dir`. */
export function parsePathname(text: string): string | undefined {
  const m = /"((?:[^"]|"")*)"/.exec(text);
  return m ? m[1]!.replace(/""/g, '"') : undefined;
}

/** The size in a 213 reply to SIZE (RFC 3659 4). */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+)/.exec(text);
  const n = m ? Number(m[1]) : NaN;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** The time in a 213 reply to MDTM (RFC 3659 3: YYYYMMDDHHMMSS[.sss], UTC) as ISO 8601. */
export function parseMdtm(text: string): string | undefined {
  const m = /^\s*(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.(\d{1,3}))?/.exec(text);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac] = m;
  const ms = frac === undefined ? 0 : Number(frac.padEnd(3, "0"));
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms));
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The address and port in a 227 reply to PASV: "Entering Passive Mode (10,0,0,42,156,64)." */
export function parsePasv(text: string): { host: string; port: number } | undefined {
  const m = /(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})/.exec(text);
  if (!m) return undefined;
  const n = m.slice(1).map(Number);
  if (n.some((x) => x > 255)) return undefined;
  const port = n[4]! * 256 + n[5]!;
  return port === 0 ? undefined : { host: n.slice(0, 4).join("."), port };
}

/** The port in a 229 reply to EPSV: "Entering Extended Passive Mode (|||40064|)" (RFC 2428 3). */
export function parseEpsv(text: string): number | undefined {
  const m = /\((.)\1\1(\d{1,5})\1\)/.exec(text);
  const port = m ? Number(m[2]) : NaN;
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** An address without the IPv4-mapped prefix: "::ffff:10.0.0.250" is "10.0.0.250". */
export const plainAddress = (address: string): string => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");

/** The argument of PORT for an IPv4 address and port: "10,0,0,250,156,64" (RFC 959 4.1.2). */
export function portArgument(address: string, port: number): string {
  const host = plainAddress(address);
  if (isIP(host) !== 4) throw new Error(`PORT needs an IPv4 address, and the control connection's local address is ${address}`);
  return [...host.split("."), String(Math.floor(port / 256)), String(port % 256)].join(",");
}

/** The argument of EPRT: "|1|10.0.0.250|40064|" or "|2|fd00::250|40064|" (RFC 2428 2). */
export function eprtArgument(address: string, port: number): string {
  const host = plainAddress(address);
  const family = isIP(host);
  if (family === 0) throw new Error(`EPRT needs an IP address, not ${address}`);
  return `|${family === 4 ? 1 : 2}|${host}|${port}|`;
}

/** "address:port", with brackets around an IPv6 address. */
export const hostPort = (address: string, port: number): string => (isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`);
