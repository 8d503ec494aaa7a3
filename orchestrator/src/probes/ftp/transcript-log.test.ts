import { describe, expect, it } from "vitest";
import { formatTranscript, Transcript } from "../transcript.ts";
import { FtpLogRecorder, maskCommand, MAX_TRANSCRIPT_LINE } from "./transcript-log.ts";

function recorder(closed = { value: false }) {
  const transcript = new Transcript();
  const errors: string[] = [];
  const r = new FtpLogRecorder({ transcript, peer: "10.0.0.42:21", isClosed: () => closed.value, onProtocolError: (l) => errors.push(l) });
  return { r, transcript, errors, text: () => formatTranscript(transcript.lines) };
}

describe("maskCommand", () => {
  it.each([
    { input: "PASS secret", expected: "PASS ****" },
    { input: "PASS ###", expected: "PASS ****" },
    { input: "pass secret words", expected: "pass ****" },
    { input: "PASS", expected: "PASS ****" },
    { input: "ACCT billing", expected: "ACCT ****" },
    { input: "USER bob", expected: "USER bob" },
    { input: "PASSWORD-RESET x", expected: "PASSWORD-RESET x" },
  ])("$input", ({ input, expected }) => {
    expect(maskCommand(input)).toBe(expected);
  });
});

describe("FtpLogRecorder", () => {
  it("turns basic-ftp's log into C:/S: lines, masking the password", () => {
    const { r, text } = recorder();
    r.log("Connected to 10.0.0.42:21 (No encryption)");
    r.log("< 220 (vsFTPd 3.0.3)\r\n");
    r.log("> USER bob");
    r.log("< 331 Please specify the password.\r\n");
    r.log("> PASS ###");
    r.log("< 230 Login successful.\r\n");
    r.log("Trying to find optimal transfer strategy...");
    expect(text()).toBe(
      ["* connected to 10.0.0.42:21", "S: 220 (vsFTPd 3.0.3)", "C: USER bob", "S: 331 Please specify the password.", "C: PASS ****", "S: 230 Login successful."].join("\n"),
    );
    expect(r.lastCommand).toBe("PASS ****");
    expect(r.serverLines).toBe(3);
  });

  it("puts lines together across chunks, and a multi-line reply is one S: line per line", () => {
    const { r, text, errors } = recorder();
    r.log("< 211-Feat");
    r.log("< ures:\r\n EPSV\r\n RE");
    r.log("< ST STREAM\r\n211 End\r\n150 Here");
    expect(text()).toBe(["S: 211-Features:", "S:  EPSV", "S:  REST STREAM", "S: 211 End"].join("\n"));
    r.flush();
    expect(text().split("\n").at(-1)).toBe("S: 150 Here");
    expect(errors).toEqual([]);
  });

  it("a line that is no FTP reply outside a multi-line reply is a protocol error, reported once", () => {
    const { r, errors } = recorder();
    r.log("< 220-Welcome\r\nanything goes here\r\n220 ready\r\n");
    expect(errors).toEqual([]);
    r.log("< SSH-2.0-OpenSSH_9.2\r\nmore junk\r\n");
    expect(errors).toEqual(["SSH-2.0-OpenSSH_9.2"]);
    expect(r.protocolError).toBe("SSH-2.0-OpenSSH_9.2");
  });

  it("what basic-ftp sends while closing (its own QUIT) is not shown", () => {
    const closed = { value: false };
    const { r, text } = recorder(closed);
    r.log("> NOOP");
    closed.value = true;
    r.log("> QUIT");
    expect(text()).toBe("C: NOOP");
  });

  it("cuts very long server lines", () => {
    const { r, transcript } = recorder();
    r.log(`< 200 ${"x".repeat(MAX_TRANSCRIPT_LINE)}\r\n`);
    expect(transcript.lines[0]?.text).toBe(`200 ${"x".repeat(MAX_TRANSCRIPT_LINE - 4)}... (4 more characters)`);
  });
});
