import { describe, expect, it } from "vitest";
import { ActionFailure, baseOf, failureOf } from "./actions.ts";
import type { ImapRefusal } from "./transcript-log.ts";
import type { ImapAction } from "./types.ts";

const noSuchBox: ImapRefusal = { response: "NO", responseCode: "NONEXISTENT", text: "Mailbox doesn't exist: Nope" };

describe("failureOf", () => {
  it.each<{ title: string; input: [unknown, ImapRefusal[]]; expected: unknown }>([
    {
      title: "a NO that imapflow threw",
      input: [Object.assign(new Error("Command failed"), { responseStatus: "NO", responseText: "Mailbox already exists", serverResponseCode: "ALREADYEXISTS" }), []],
      expected: { error: "Mailbox already exists", response: "NO", responseCode: "ALREADYEXISTS" },
    },
    {
      title: "a BAD without text or code",
      input: [Object.assign(new Error("Command failed"), { responseStatus: "BAD" }), []],
      expected: { error: "BAD", response: "BAD" },
    },
    {
      title: "an imapflow error after a refusal: the server's words",
      input: [Object.assign(new Error("Mailbox doesn't exist: Nope"), { code: "NotFound" }), [noSuchBox]],
      expected: { error: "Mailbox doesn't exist: Nope", response: "NO", responseCode: "NONEXISTENT" },
    },
    { title: "the probe's own failure", input: [new ActionFailure("INBOX has no messages"), [noSuchBox]], expected: { error: "INBOX has no messages" } },
    { title: "a failure built from a refusal", input: [new ActionFailure("the server refused STORE", { response: "NO", text: "" }), []], expected: { error: "NO", response: "NO" } },
    { title: "any other error", input: [new Error("odd"), []], expected: { error: "odd" } },
  ])("$title", ({ input: [err, refusals], expected }) => {
    expect(failureOf(err, refusals)).toEqual(expected);
  });
});

describe("baseOf", () => {
  it.each<{ title: string; input: [ImapAction, string | undefined]; expected: unknown }>([
    { title: "a message action in a known mailbox", input: [{ kind: "fetch", which: "last", includeRaw: false }, "Archive"], expected: { action: "fetch", ok: false, mailbox: "Archive" } },
    { title: "a message action in no known mailbox", input: [{ kind: "expunge", uid: 3 }, undefined], expected: { action: "expunge", ok: false } },
    { title: "a mailbox action names its own", input: [{ kind: "status", mailbox: "Sent" }, "INBOX"], expected: { action: "status", ok: false, mailbox: "Sent" } },
    { title: "append names its own", input: [{ kind: "append", mailbox: "Drafts", message: "x", flags: [] }, "INBOX"], expected: { action: "append", ok: false, mailbox: "Drafts" } },
    { title: "rename", input: [{ kind: "rename", from: "A", to: "B" }, "INBOX"], expected: { action: "rename", ok: false, from: "A", to: "B" } },
    { title: "list", input: [{ kind: "list" }, "INBOX"], expected: { action: "list", ok: false } },
  ])("$title", ({ input: [action, target], expected }) => {
    expect(baseOf(action, target)).toEqual(expected);
  });
});
