/**
 * The message data after DATA (RFC 5321 section 4.5.2), pure: lines end in CRLF, a line that
 * starts with "." gets one more "." (dot-stuffing), and a line holding just "." ends the data, so
 * the server sees CRLF "." CRLF at the end.
 */

/** Every line break (CRLF, a bare LF or a bare CR) as CRLF. */
export function normalizeCrlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, "\r\n");
}

/** The text with CRLF line breaks and a "." in front of every line that starts with ".". */
export function dotStuff(text: string): string {
  return normalizeCrlf(text).replace(/(^|\r\n)\./g, "$1..");
}

/** What goes on the wire after the 354: the dot-stuffed text, ending in CRLF, then ".\r\n". */
export function encodeData(text: string): string {
  const stuffed = dotStuff(text);
  if (stuffed === "") return ".\r\n";
  return (stuffed.endsWith("\r\n") ? stuffed : stuffed + "\r\n") + ".\r\n";
}

/**
 * Where the data ends in what a server received after its 354: the offset just past the
 * terminating ".\r\n" (the CRLF before it belongs to the last line), or -1 when it has not come yet.
 */
export function endOfData(received: string): number {
  if (received.startsWith(".\r\n")) return 3;
  const at = received.indexOf("\r\n.\r\n");
  return at < 0 ? -1 : at + 5;
}

/** The message a server takes from the data up to and including the terminator: one "." less per stuffed line. */
export function decodeData(wire: string): string {
  const end = endOfData(wire);
  const body = end < 0 ? wire : wire.slice(0, end - 3);
  return body.replace(/(^|\r\n)\./g, "$1");
}
