import { beforeAll, describe, expect, it } from "vitest";
import { DockerodeAdapter } from "../../orchestrator/src/docker/dockerode-adapter.ts";
import { api, explain, runScenario, topology, type Run, type RunStep } from "./lab.ts";

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
  let run: Run;
  let step: (id: string) => RunStep;
  beforeAll(async () => {
    ({ run, step } = await runScenario("smtp-errors"));
  });

  it("passes: 550 with the other recipient served, 503, 500, 554 5.7.1, 551, and a bounce in Alice's mailbox", () => {
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

describe("by hand, from Bob's workstation", () => {
  const lab = new DockerodeAdapter(topology.project);

  it("a user of one domain cannot log in at the other's mail servers, nor send as someone else", async () => {
    const crossLogin = await api<{ data: { loggedIn: boolean } }>("POST", "/probes/pop3/calls", { server: "pop.hamburger.edu", user: "alice@crepes.fr", pass: "ketchup" });
    expect(crossLogin.body.data.loggedIn).toBe(false);
    const crossAuth = await api<{ data: { authenticated?: boolean } }>("POST", "/probes/smtp/calls", {
      server: "mail.hamburger.edu", port: 587, tls: "starttls", auth: { user: "alice@crepes.fr", pass: "ketchup" },
      send: { from: "alice@crepes.fr", to: ["bob@hamburger.edu"], subject: "x", text: "x" },
    });
    expect(crossAuth.body.data.authenticated).toBe(false);
    const spoof = await api<{ data: { accepted: boolean; exchanges: { command: string; code: number }[] } }>("POST", "/probes/smtp/calls", {
      server: "mail.crepes.fr", port: 587, tls: "starttls", auth: { user: "alice", pass: "ketchup" },
      send: { from: "bob@hamburger.edu", to: ["bob@hamburger.edu"], subject: "x", text: "x" },
    });
    expect(spoof.body.data.accepted).toBe(false);
    expect(spoof.body.data.exchanges.find((e) => e.command.startsWith("RCPT"))?.code).toBe(553);
  });

  it("telnet mail.hamburger.edu 25 gives the textbook dialogue", async () => {
    const id = `telnet-${Date.now()}`;
    const lines = ["HELO crepes.fr", "MAIL FROM:<alice@crepes.fr>", "RCPT TO:<bob@hamburger.edu>", "DATA",
      `Message-ID: <${id}@crepes.fr>`, "Subject: by hand", "", "Do you like ketchup?", "How about pickles?", ".", "QUIT"];
    // One line at a time, as a person types, so that each reply comes before the next command.
    const typed = lines.map((l) => `sleep 0.3; printf '%s\\n' '${l}'`).join("; "); // telnet sends a typed newline as CRLF
    const r = await lab.exec("bob", ["sh", "-c", `{ sleep 0.5; ${typed}; sleep 1; } | telnet mail.hamburger.edu 25`]);
    const out = r.stdout.replace(/\r/g, "");
    expect(out).toContain("Connected to mail.hamburger.edu.");
    expect(out).toMatch(/^220 mail\.hamburger\.edu ESMTP$/m);
    expect(out).toMatch(/^250 mail\.hamburger\.edu$/m);
    expect(out).toMatch(/^354 End data with <CR><LF>\.<CR><LF>$/m);
    expect(out).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-F]+$/m);
    expect(out).toMatch(/^221 2\.0\.0 Bye$/m);
    const saved = await api<{ data: { count: number } }>("POST", "/probes/logs/calls", {
      services: ["mailbox-hamburger"], pattern: `msgid=<${id}@crepes.fr>: saved mail to INBOX`, waitMs: 30000,
    });
    expect(saved.body.data.count).toBe(1);
  });
});
