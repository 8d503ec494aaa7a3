import { chooseAuthMethod, loginAnswers, plainToken } from "./auth.ts";
import type { SmtpClient, SmtpTlsOptions } from "./client.ts";
import { headerValue, isEightBit } from "./message.ts";
import { envelopeAddress, type SmtpCommandItem, type SmtpProbeParams, type SmtpSendSpec, type SmtpTlsMode } from "./params.ts";
import { parseEhlo, queueIdOf } from "./reply.ts";
import type { SmtpProbeResult, SmtpReply } from "./types.ts";

/**
 * The two dialogues of the SMTP probe over an SmtpClient. Both fill in `result` as they go, so that
 * when the connection fails halfway the result still says what happened up to then.
 *
 * send: the dialogue of a mail client (EHLO, STARTTLS, EHLO, AUTH, MAIL, RCPT..., DATA, QUIT),
 * which stops the way a real client does when the server refuses a step.
 * commands: raw commands one by one, never stopping at an error reply.
 */

export interface SessionSetup {
  helo: string;
  tls: SmtpTlsMode;
  tlsOptions: SmtpTlsOptions;
  auth?: SmtpProbeParams["auth"];
  /** How long to wait for the server to close the connection after its 221 or 421. */
  closeWaitMs: number;
}

/** The result before anything happened; `exchanges` and `codes` are the client's own lists. */
export function newResult(mode: SmtpProbeResult["mode"], client: SmtpClient, server: string, port: number): SmtpProbeResult {
  return { mode, server, port, tls: false, exchanges: client.exchanges, accepted: false, codes: client.codes };
}

/** The server closed the session (421, or the connection went away after a complete reply). */
class SessionOver extends Error {}

const isPositive = (reply: SmtpReply) => reply.code >= 200 && reply.code < 300;
const verbOf = (command: string) => command.trim().split(/\s+/, 1)[0]!.toUpperCase();

/** A command whose 421 ("closing the channel") ends the session. */
async function ask(client: SmtpClient, command: string, setup: SessionSetup): Promise<SmtpReply> {
  const reply = await client.command(command);
  if (reply.code === 421) {
    await client.waitClosed(setup.closeWaitMs);
    throw new SessionOver();
  }
  return reply;
}

async function greet(client: SmtpClient, result: SmtpProbeResult, setup: SessionSetup): Promise<SmtpReply> {
  const greeting = await client.connect();
  result.greeting = { code: greeting.code, ...(greeting.enhanced ? { enhanced: greeting.enhanced } : {}), text: greeting.text };
  if (setup.tls === "implicit") {
    result.tls = true;
    result.tlsInfo = client.tlsInfo;
  }
  if (greeting.code === 421) await client.waitClosed(setup.closeWaitMs);
  return greeting;
}

/** EHLO, and HELO when the server does not know EHLO; whether one of them got 250. */
async function hello(client: SmtpClient, result: SmtpProbeResult, setup: SessionSetup): Promise<boolean> {
  const ehlo = await ask(client, `EHLO ${setup.helo}`, setup);
  result.ehlo = parseEhlo(ehlo);
  if (ehlo.code === 250) return true;
  client.note(`EHLO got ${ehlo.code}; trying HELO`);
  return (await ask(client, `HELO ${setup.helo}`, setup)).code === 250;
}

/** STARTTLS and the handshake; false when the server does not agree (then no more is sent in plaintext). */
async function startTls(client: SmtpClient, result: SmtpProbeResult, setup: SessionSetup): Promise<boolean> {
  const reply = await ask(client, "STARTTLS", setup);
  if (reply.code !== 220) {
    client.note(`STARTTLS got ${reply.code}, not 220: TLS was asked for, so nothing more is sent in plaintext`);
    return false;
  }
  await client.startTls(setup.tlsOptions);
  result.tls = true;
  result.tlsInfo = client.tlsInfo;
  return true;
}

/** AUTH PLAIN or AUTH LOGIN; whether the server said 235. */
async function authenticate(client: SmtpClient, result: SmtpProbeResult, setup: SessionSetup, auth: NonNullable<SessionSetup["auth"]>): Promise<boolean> {
  const method = chooseAuthMethod(auth.method, result.ehlo?.extensions["AUTH"] ?? []);
  let reply: SmtpReply;
  if (method === "PLAIN") {
    reply = await ask(client, `AUTH PLAIN ${plainToken(auth.user, auth.pass)}`, setup);
  } else {
    reply = await ask(client, "AUTH LOGIN", setup);
    for (const answer of loginAnswers(auth.user, auth.pass)) {
      if (reply.code !== 334) break;
      reply = await ask(client, answer, setup);
    }
  }
  // A challenge nobody expects: cancel the exchange (RFC 4954 section 4).
  if (reply.code === 334) reply = await ask(client, "*", setup);
  result.authenticated = reply.code === 235;
  return result.authenticated;
}

/** QUIT, then wait for the server to close; a failure here only ends the session a bit early. */
async function quit(client: SmtpClient, setup: SessionSetup): Promise<void> {
  if (client.closed) return;
  try {
    const reply = await client.command("QUIT");
    if (reply.code === 221 || reply.code === 421) await client.waitClosed(setup.closeWaitMs);
  } catch {
    // Already in the transcript (a timeout or the connection closing); the dialogue is over anyway.
  }
}

/** The MAIL FROM parameters the message needs and the server offers. */
function mailParameters(send: SmtpSendSpec, message: string, result: SmtpProbeResult): string {
  const offered = result.ehlo?.extensions ?? {};
  const params: string[] = [];
  if (isEightBit(message) && "8BITMIME" in offered) params.push("BODY=8BITMIME");
  if (isEightBit([send.from, ...send.to].join("")) && "SMTPUTF8" in offered) params.push("SMTPUTF8");
  return params.map((p) => " " + p).join("");
}

async function sendDialogue(client: SmtpClient, result: SmtpProbeResult, setup: SessionSetup, send: SmtpSendSpec, message: string): Promise<void> {
  const greeting = await greet(client, result, setup);
  if (greeting.code !== 220) {
    client.note(`the greeting is ${greeting.code}, not 220: the server does not offer service`);
    return;
  }
  if (!(await hello(client, result, setup))) return;
  if (setup.tls === "starttls" && !((await startTls(client, result, setup)) && (await hello(client, result, setup)))) return;
  if (setup.auth && !(await authenticate(client, result, setup, setup.auth))) {
    client.note("authentication failed: the message is not sent");
    return;
  }
  const mail = await ask(client, `MAIL FROM:<${envelopeAddress(send.from)}>${mailParameters(send, message, result)}`, setup);
  result.recipients = [];
  if (!isPositive(mail)) {
    client.note(`MAIL FROM got ${mail.code}: no transaction, the message is not sent`);
    return;
  }
  for (const to of send.to) {
    const address = envelopeAddress(to);
    const reply = await ask(client, `RCPT TO:<${address}>`, setup);
    result.recipients.push({ address, code: reply.code, ...(reply.enhanced ? { enhanced: reply.enhanced } : {}), accepted: isPositive(reply), text: reply.text });
  }
  if (!result.recipients.some((r) => r.accepted)) {
    client.note("no recipient was accepted: RSET instead of DATA");
    await ask(client, "RSET", setup);
    return;
  }
  const data = await ask(client, "DATA", setup);
  if (data.code !== 354) {
    client.note(`DATA got ${data.code}, not 354: the message is not sent`);
    await ask(client, "RSET", setup);
    return;
  }
  const end = await client.data(message);
  result.accepted = end.code === 250;
  const queueId = queueIdOf(end.text);
  if (queueId !== undefined) result.queueId = queueId;
}

/** The send dialogue, closed with QUIT unless the server ended it. */
export async function runSend(client: SmtpClient, result: SmtpProbeResult, setup: SessionSetup, send: SmtpSendSpec, message: string): Promise<void> {
  try {
    await sendDialogue(client, result, setup, send, message);
  } catch (err) {
    if (!(err instanceof SessionOver)) throw err;
  }
  await quit(client, setup);
}

/** STARTTLS and AUTH before the raw commands, when the parameters ask for them; false to stop. */
async function prepareCommands(client: SmtpClient, result: SmtpProbeResult, setup: SessionSetup): Promise<boolean> {
  if (setup.tls === "starttls") {
    result.ehlo = parseEhlo(await ask(client, `EHLO ${setup.helo}`, setup));
    if (!(await startTls(client, result, setup))) {
      await quit(client, setup);
      return false;
    }
  }
  if (setup.auth && (await hello(client, result, setup))) await authenticate(client, result, setup, setup.auth);
  return true;
}

/** The raw commands one by one, whatever the replies; a { data } item is the message after a DATA that got 354. */
export async function runCommands(client: SmtpClient, result: SmtpProbeResult, setup: SessionSetup, commands: readonly SmtpCommandItem[]): Promise<void> {
  await greet(client, result, setup);
  try {
    if (!(await prepareCommands(client, result, setup))) return;
  } catch (err) {
    if (!(err instanceof SessionOver)) throw err;
  }
  let challenged = false;
  for (let i = 0; i < commands.length; i++) {
    const item = commands[i]!;
    if (client.closed) {
      client.note(`the connection is closed: ${commands.length - i} more item(s) not sent`);
      return;
    }
    if (typeof item !== "string") {
      client.note("message data ({ data }) not sent: the DATA before it did not get 354");
      continue;
    }
    const verb = verbOf(item);
    const inAuth = verb === "AUTH" || challenged;
    let reply = await client.command(item);
    challenged = reply.code === 334;
    if (verb === "EHLO" && !inAuth) result.ehlo = parseEhlo(reply);
    if (inAuth && reply.code !== 334) result.authenticated = reply.code === 235;
    if (verb === "STARTTLS" && !inAuth && reply.code === 220) {
      await client.startTls(setup.tlsOptions);
      result.tls = true;
      result.tlsInfo = client.tlsInfo;
    }
    if (verb === "DATA" && !inAuth && reply.code === 354) {
      const next = commands[i + 1];
      let message = "";
      if (next !== undefined && typeof next !== "string") {
        message = next.data;
        i++;
      } else {
        client.note("DATA got 354 but no { data } follows: sending an empty message");
      }
      reply = await client.data(message);
      if (reply.code === 250) {
        result.accepted = true;
        const queueId = queueIdOf(reply.text);
        if (queueId !== undefined) result.queueId = queueId;
        const messageId = headerValue(message, "Message-ID");
        if (messageId !== undefined) result.messageId = messageId;
      }
    }
    if (reply.code === 221 || reply.code === 421) await client.waitClosed(setup.closeWaitMs);
  }
}
