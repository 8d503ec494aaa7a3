import { describe, expect, it } from "vitest";
import { formatTranscript, Transcript } from "../transcript.ts";
import { connectionNote, ImapLogRecorder, type ImapLogEntry, maskCredentials, MAX_TRANSCRIPT_LINE, parseRefusal, protocolLineText } from "./transcript-log.ts";

describe("maskCredentials", () => {
  it.each([
    { title: "LOGIN as imapflow logs it", input: '2 LOGIN "bob" "(* value hidden *)"', expected: "2 LOGIN bob ****" },
    { title: "LOGIN in the clear", input: "a1 LOGIN bob secret", expected: "a1 LOGIN bob ****" },
    { title: "LOGIN with a quoted password with spaces", input: 'a1 login "bob" "my secret pass"', expected: "a1 login bob ****" },
    { title: "a user name that must stay quoted", input: 'a1 LOGIN "bob smith" "x"', expected: 'a1 LOGIN "bob smith" ****' },
    { title: "a user name with an escaped quote", input: 'a1 LOGIN "b\\"ob" "x"', expected: 'a1 LOGIN "b\\"ob" ****' },
    { title: "an e-mail address as user", input: 'a1 LOGIN "bob@hamburger.edu" "x"', expected: "a1 LOGIN bob@hamburger.edu ****" },
    { title: "AUTHENTICATE with an initial response", input: "3 AUTHENTICATE PLAIN AGJvYgBzZWNyZXQ=", expected: "3 AUTHENTICATE PLAIN ****" },
    { title: "AUTHENTICATE without one", input: "3 AUTHENTICATE PLAIN", expected: "3 AUTHENTICATE PLAIN" },
    { title: "another command", input: "7 SELECT INBOX", expected: "7 SELECT INBOX" },
    { title: "LOGIN as a mailbox name is no login", input: "7 SELECT LOGIN", expected: "7 SELECT LOGIN" },
  ])("$title", ({ input, expected }) => {
    expect(maskCredentials(input)).toBe(expected);
  });
});

describe("protocolLineText", () => {
  it.each([
    { title: "a client line with a literal", input: ["c", 'B APPEND INBOX (\\Seen) "(* 212B literal *)"'] as const, expected: "B APPEND INBOX (\\Seen) (literal of 212 octets)" },
    { title: "a literal continuation", input: ["c", "(* 2345B continuation *)"] as const, expected: "(literal of 2345 octets)" },
    { title: "a login", input: ["c", '2 LOGIN "bob" "(* value hidden *)"'] as const, expected: "2 LOGIN bob ****" },
    {
      title: "a FETCH response with the body",
      input: ["s", '* 2 FETCH (UID 2 RFC822.SIZE 2345 BODY[] "(* 2345B literal *)")'] as const,
      expected: "* 2 FETCH (UID 2 RFC822.SIZE 2345 BODY[] (literal of 2345 octets))",
    },
    { title: "a long string", input: ["s", '* 1 FETCH (ENVELOPE (NIL "(* 180B string *)"))'] as const, expected: "* 1 FETCH (ENVELOPE (NIL (string of 180 octets)))" },
    { title: "a server LOGIN-looking line is left alone", input: ["s", "* OK LOGIN ready"] as const, expected: "* OK LOGIN ready" },
    { title: "a line break stays on one line", input: ["s", "* OK a\r\nb"] as const, expected: "* OK a\\r\\nb" },
    {
      title: "a line too long is cut",
      input: ["s", "* OK " + "x".repeat(MAX_TRANSCRIPT_LINE)] as const,
      expected: `* OK ${"x".repeat(MAX_TRANSCRIPT_LINE - 5)}... (5 more characters)`,
    },
  ])("$title", ({ input: [src, msg], expected }) => {
    expect(protocolLineText(src, msg)).toBe(expected);
  });
});

describe("parseRefusal", () => {
  it.each([
    { title: "NO with a code", input: "5 NO [NONEXISTENT] Mailbox doesn't exist: Nope", expected: { response: "NO", responseCode: "NONEXISTENT", text: "Mailbox doesn't exist: Nope" } },
    { title: "NO with a code with arguments", input: "A1 NO [BADCHARSET (UTF-8)] Unsupported", expected: { response: "NO", responseCode: "BADCHARSET", text: "Unsupported" } },
    { title: "BAD without a code", input: "7 BAD Error in IMAP command", expected: { response: "BAD", text: "Error in IMAP command" } },
    { title: "lower case", input: "7 no Denied", expected: { response: "NO", text: "Denied" } },
    { title: "NO with nothing after it", input: "7 NO", expected: { response: "NO", text: "" } },
    { title: "a tagged OK", input: "7 OK done", expected: undefined },
    { title: "an untagged NO (a warning, not a refusal)", input: "* NO Disk almost full", expected: undefined },
    { title: "a continuation", input: "+ NO", expected: undefined },
  ])("$title", ({ input, expected }) => {
    expect(parseRefusal(input)).toEqual(expected);
  });
});

describe("connectionNote", () => {
  it.each<{ title: string; input: ImapLogEntry; expected: string | undefined }>([
    { title: "a cleartext connection", input: { src: "connection", msg: "Established TCP connection", secure: false, address: "10.0.0.25", port: 143 }, expected: "connected to 10.0.0.25:143" },
    {
      title: "an implicit TLS connection",
      input: { src: "connection", msg: "Established secure TCP connection", secure: true, address: "10.0.0.25", port: 993, authorized: true, version: "TLSv1.3", algo: "TLS_AES_256_GCM_SHA384" },
      expected: "connected to 10.0.0.25:993, TLS TLSv1.3 TLS_AES_256_GCM_SHA384, certificate verified",
    },
    {
      title: "a STARTTLS upgrade",
      input: { src: "tls", msg: "Established TLS session", authorized: false, version: "TLSv1.3", algo: "TLS_AES_128_GCM_SHA256" },
      expected: "TLS established: TLSv1.3 TLS_AES_128_GCM_SHA256, certificate not verified",
    },
    { title: "anything else", input: { src: "auth", msg: "User authenticated" }, expected: undefined },
  ])("$title", ({ input, expected }) => {
    expect(connectionNote(input)).toBe(expected);
  });
});

describe("ImapLogRecorder", () => {
  it("writes protocol lines and notes, and keeps refusals, warnings, the last command and connection errors", () => {
    let now = 0;
    const transcript = new Transcript(() => now);
    const recorder = new ImapLogRecorder(transcript, "10.0.0.25:143");
    const log = recorder.logger;
    log.info({ src: "connection", msg: "Established TCP connection", secure: false, address: "10.0.0.25", port: 143 });
    now = 1.25;
    log.debug({ src: "s", msg: "* OK ready" });
    log.debug({ src: "c", msg: '2 LOGIN "bob" "(* value hidden *)"' });
    log.debug({ src: "s", msg: "2 OK Logged in" });
    log.debug({ src: "c", msg: "3 DELETE Nope" });
    log.debug({ src: "s", msg: "3 NO [NONEXISTENT] Mailbox doesn't exist: Nope" });
    log.trace!({ src: "s", msg: "read from socket", data: "KiBPSw0K" });
    log.warn({ msg: "Dropped flags the mailbox does not accept", dropped: ["\\Foo"] });
    log.warn({ err: new Error("Command failed") });
    log.error({ err: Object.assign(new Error("Command failed"), { responseStatus: "NO" }) });
    expect(recorder.connectionError).toBeUndefined();
    log.error({ err: Object.assign(new Error("Socket timeout"), { code: "ETIMEOUT" }) });
    log.debug({ msg: "Connection closed" });

    expect(formatTranscript(transcript.lines)).toBe(
      [
        "* connected to 10.0.0.25:143",
        "S: * OK ready",
        "C: 2 LOGIN bob ****",
        "S: 2 OK Logged in",
        "C: 3 DELETE Nope",
        "S: 3 NO [NONEXISTENT] Mailbox doesn't exist: Nope",
      ].join("\n"),
    );
    expect(transcript.lines.map((l) => l.atMs)).toEqual([0, 1.3, 1.3, 1.3, 1.3, 1.3]);
    expect(transcript.lines.every((l) => l.peer === "10.0.0.25:143")).toBe(true);
    expect(recorder.refusals).toEqual([{ response: "NO", responseCode: "NONEXISTENT", text: "Mailbox doesn't exist: Nope" }]);
    expect(recorder.warnings).toEqual(["Dropped flags the mailbox does not accept: \\Foo"]);
    expect(recorder.lastCommand).toBe("3 DELETE Nope");
    expect(recorder.serverLines).toBe(3);
    expect(recorder.connectionError?.message).toBe("Socket timeout");
  });

  it("ignores entries that are not objects", () => {
    const transcript = new Transcript();
    const recorder = new ImapLogRecorder(transcript, "p");
    recorder.logger.debug("a string");
    recorder.logger.debug(null);
    recorder.noteConnectionError("not an error");
    expect(transcript.lines).toEqual([]);
    expect(recorder.connectionError).toBeUndefined();
  });
});
