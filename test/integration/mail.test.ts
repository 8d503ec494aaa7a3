import { beforeAll, describe, expect, it } from "vitest";
import { api, explain, runScenario, type Run, type RunStep } from "./lab.ts";

type Service = { service: string; state: string; health: string };

describe("scenario mail-alice-to-bob", () => {
  let run: Run;
  let step: (id: string) => RunStep;
  beforeAll(async () => {
    ({ run, step } = await runScenario("mail-alice-to-bob"));
  });

  it("passes", () => {
    expect(run.status, explain(run)).toBe("passed");
  });

  it("delivers the message intact: the same octets over POP3 and IMAP, the attachment's checksum, the dotted lines", () => {
    const pop = step("pop-read").result as { messages: { sha256: string; messageId: string }[] };
    const imap = step("imap-read").result as { last: { sha256: string; text: string; attachments: { sha256: string; size: number }[]; envelope: { messageId: string } } };
    expect(imap.last.sha256).toBe(pop.messages[0]?.sha256);
    expect(imap.last.envelope.messageId).toBe(`<a2b-${run.id}@crepes.fr>`);
    expect(imap.last.attachments[0]).toMatchObject({ size: 1024, sha256: "785b0751fc2c53dc14a4ce3d800e69ef9ce1009eb327ccf458afe09c242c26c9" });
    expect(imap.last.text).toContain("\n.this line begins with a dot");
  });

  it("shows the SMTP dialogue in the textbook's C:/S: form, with the password masked", () => {
    const lines = step("submit").transcript.map((l) => `${l.dir}: ${l.text}`);
    expect(lines).toContain("C: STARTTLS");
    expect(lines).toContain("C: AUTH PLAIN ****");
    expect(lines.some((l) => /^S: 250 2\.0\.0 Ok: queued as [0-9A-F]+$/.test(l))).toBe(true);
    expect(lines.join("\n")).not.toContain("ketchup");
  });

  it("deletes the second message over POP3, and it stays gone", () => {
    expect(step("pop-delete").result?.["deleted"]).toEqual([2]);
    expect((step("pop-gone").result?.["stat"] as { count: number }).count).toBe(1);
  });
});

describe("scenario smtp-errors", () => {
  it("passes: 550 with the other recipient served, 503, 500, 554 5.7.1, 551, and a bounce in Alice's mailbox", async () => {
    const { run, step } = await runScenario("smtp-errors");
    expect(run.status, explain(run)).toBe("passed");
    const recipients = step("green-and-brown").result?.["recipients"] as { address: string; code: number }[];
    expect(recipients.map((r) => [r.address, r.code])).toEqual([["bob@hamburger.edu", 250], ["brown@hamburger.edu", 550]]);
    expect((step("out-of-sequence").result?.["codes"] as number[]).slice(0, 7)).toEqual([220, 250, 503, 503, 500, 252, 500]);
    const bounce = (step("bounce-read").result?.["messages"] as { subject: string }[])[0];
    expect(bounce?.subject).toBe("Undelivered Mail Returned to Sender");
  });
});

describe("scenario mail-queue-outage", () => {
  let run: Run;
  let step: (id: string) => RunStep;
  beforeAll(async () => {
    ({ run, step } = await runScenario("mail-queue-outage"));
  });

  it("loses, invents and duplicates nothing of 20 messages sent while the MX was down", () => {
    expect(run.status, explain(run)).toBe("passed");
    expect(step("check").result).toMatchObject({ sent: 20, received: 20, lostCount: 0, unexpectedCount: 0, duplicatedCount: 0 });
    expect(step("queued").result?.["stdout"]).toContain("in 20 Requests.");
  });

  it("undid its fault: Bob's MTA is running and healthy again", async () => {
    const mta = await api<Service>("GET", "/services/mail-hamburger");
    expect(mta.body).toMatchObject({ state: "running", health: "healthy" });
  });
});
