import type { SearchObject } from "imapflow";
import { describe, expect, it } from "vitest";
import { searchQuery } from "./search.ts";
import type { ImapSearchCriteria } from "./types.ts";

describe("searchQuery", () => {
  it.each<{ title: string; input: ImapSearchCriteria; expected: SearchObject }>([
    { title: "no criteria: every message", input: {}, expected: { all: true } },
    { title: "all: true", input: { all: true }, expected: { all: true } },
    { title: "subject", input: { subject: "Hello Bob" }, expected: { subject: "Hello Bob" } },
    { title: "from and to", input: { from: "alice@crepes.fr", to: "bob" }, expected: { from: "alice@crepes.fr", to: "bob" } },
    { title: "a header with a text", input: { header: ["Message-ID", "<m1@crepes.fr>"] }, expected: { header: { "Message-ID": "<m1@crepes.fr>" } } },
    { title: "a header with no text: the header is there", input: { header: ["X-Spam-Flag", ""] }, expected: { header: { "X-Spam-Flag": true } } },
    { title: "seen", input: { seen: true }, expected: { seen: true } },
    { title: "unseen", input: { seen: false }, expected: { seen: false } },
    { title: "since a day", input: { since: "2024-05-01" }, expected: { since: new Date("2024-05-01T00:00:00.000Z") } },
    {
      title: "every criterion together",
      input: { subject: "s", from: "f", to: "t", header: ["H", "v"], seen: false, since: "2024-05-01T10:00:00Z", all: true },
      expected: { subject: "s", from: "f", to: "t", header: { H: "v" }, seen: false, since: new Date("2024-05-01T10:00:00Z"), all: true },
    },
  ])("$title", ({ input, expected }) => {
    expect(searchQuery(input)).toEqual(expected);
  });
});
