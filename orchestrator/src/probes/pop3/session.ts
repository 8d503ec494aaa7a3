import type { Pop3Client } from "./client.ts";
import { bodyLineCount, summarizeHeaders, summarizeMessage } from "./message.ts";
import type { Pop3Action } from "./params.ts";
import type { Pop3Reply } from "./reader.ts";
import { joinLines, parseCapabilities, parseEntries, parseListEntry, parseStat, parseUidlEntry } from "./response.ts";
import type { Pop3Result, Pop3TlsMode } from "./types.ts";

/**
 * One POP3 session on a connected client: CAPA, STLS if asked, USER/PASS, the actions in order,
 * then QUIT. Every answer, -ERR included, lands in `data`, which is filled in as the session goes
 * so that a session cut short (timeout, closed connection) still reports what it saw.
 */

export interface SessionOptions {
  user: string;
  pass: string;
  tls: Pop3TlsMode;
  actions: readonly Pop3Action[];
  /** Send QUIT at the end (default true); false closes without it, so deletions are not committed. */
  quit: boolean;
  includeRaw: boolean;
}

const lines = (reply: Pop3Reply): string[] => (reply.body ?? []).map((l) => l.toString("utf8"));

export class Pop3Session {
  readonly #client: Pop3Client;
  readonly #options: SessionOptions;
  readonly data: Pop3Result;
  /** Message number to unique id, from the UIDL commands of this session. */
  readonly #uids = new Map<number, string>();
  /** Whether a UIDL of every message has been read (numbers and ids do not change within a session). */
  #uidlComplete = false;

  constructor(client: Pop3Client, options: SessionOptions, data: Pop3Result) {
    this.#client = client;
    this.#options = options;
    this.data = data;
  }

  async run(): Promise<void> {
    const client = this.#client;
    const data = this.data;
    data.responses = client.responses;
    data.greeting = client.greeting?.text ?? "";
    if (!client.greeting?.ok) {
      data.login = { ok: false, text: "not attempted: the greeting was -ERR" };
      client.close("closing the connection: the server greeted with -ERR");
      return;
    }
    data.tls = client.tls;
    if (client.tlsInfo) data.tlsInfo = client.tlsInfo;
    await this.#capa();
    if (this.#options.tls === "stls" && !(await this.#stls())) return this.#end();
    await this.#login();
    if (data.loggedIn) {
      for (const action of this.#options.actions) await this.#act(action);
    }
    await this.#end();
  }

  async #capa(): Promise<void> {
    const reply = await this.#client.capa();
    if (reply.ok) this.data.capabilities = parseCapabilities(lines(reply));
    else delete this.data.capabilities;
  }

  /** STLS, then CAPA again over TLS (RFC 2595 4: what was learnt before TLS is forgotten). */
  async #stls(): Promise<boolean> {
    const reply = await this.#client.stls();
    if (!reply.ok) {
      this.data.login = { ok: false, text: `not attempted: STLS was refused (${reply.text})` };
      return false;
    }
    this.data.tls = true;
    if (this.#client.tlsInfo) this.data.tlsInfo = this.#client.tlsInfo;
    await this.#capa();
    return true;
  }

  async #login(): Promise<void> {
    const user = await this.#client.user(this.#options.user);
    if (!user.ok) {
      this.data.login = { ok: false, text: user.text };
      return;
    }
    const pass = await this.#client.pass(this.#options.pass);
    this.data.login = { ok: pass.ok, text: pass.text };
    this.data.loggedIn = pass.ok;
  }

  async #end(): Promise<void> {
    if (!this.#options.quit) {
      this.#client.close("closing the connection without QUIT: the server does not commit deletions");
      return;
    }
    const reply = await this.#client.quit();
    this.data.quit = { ok: reply.ok, text: reply.text };
  }

  async #act(action: Pop3Action): Promise<void> {
    const client = this.#client;
    if ("stat" in action) {
      const reply = await client.stat();
      const stat = reply.ok ? parseStat(reply.text) : undefined;
      if (stat) this.data.stat = stat;
    } else if ("list" in action) {
      await this.#list(action.list === true ? undefined : action.list);
    } else if ("uidl" in action) {
      await this.#uidl(action.uidl === true ? undefined : action.uidl);
    } else if ("retr" in action) {
      for (const n of action.retr === "all" ? await this.#allNumbers() : [action.retr]) await this.#retr(n);
    } else if ("retrByUid" in action) {
      const n = await this.#numberOf(action.retrByUid, "retrieved");
      if (n !== undefined) await this.#retr(n);
    } else if ("top" in action) {
      await this.#top(action.top, action.lines);
    } else if ("dele" in action) {
      for (const n of action.dele === "all" ? await this.#allNumbers() : [action.dele]) await this.#dele(n);
    } else if ("deleByUid" in action) {
      const n = await this.#numberOf(action.deleByUid, "deleted");
      if (n !== undefined) await this.#dele(n);
    } else if ("rset" in action) {
      if ((await client.rset()).ok) this.data.deleted = [];
    } else if ("noop" in action) {
      await client.noop();
    } else {
      await client.command(action.raw.trim());
    }
  }

  async #list(n?: number): Promise<void> {
    const reply = await this.#client.list(n);
    if (!reply.ok) return;
    this.data.list = n === undefined ? parseEntries(lines(reply), parseListEntry) : parseEntries([reply.text], parseListEntry);
  }

  async #uidl(n?: number): Promise<void> {
    const reply = await this.#client.uidl(n);
    if (!reply.ok) return;
    const entries = n === undefined ? parseEntries(lines(reply), parseUidlEntry) : parseEntries([reply.text], parseUidlEntry);
    this.data.uidl = entries;
    for (const e of entries) this.#uids.set(e.n, e.uid);
    if (n === undefined) this.#uidlComplete = true;
  }

  /** The numbers of the messages not marked deleted, from a fresh LIST. */
  async #allNumbers(): Promise<number[]> {
    await this.#list();
    return (this.data.list ?? []).map((e) => e.n).filter((n) => !this.data.deleted.includes(n));
  }

  /** The number of the message with this unique id, from UIDL (read once a session). */
  async #numberOf(uid: string, what: string): Promise<number | undefined> {
    if (!this.#uidlComplete) await this.#uidl();
    for (const [n, u] of this.#uids) if (u === uid) return n;
    (this.data.unknownUids ??= []).push(uid);
    this.#client.transcript.note(this.#client.peer, `no message with UID ${uid} in UIDL; nothing ${what}`);
    return undefined;
  }

  #uidOf(n: number): { uid?: string } {
    const uid = this.#uids.get(n);
    return uid === undefined ? {} : { uid };
  }

  async #retr(n: number): Promise<void> {
    const reply = await this.#client.retr(n);
    if (!reply.ok) return;
    const { octets, ...summary } = await summarizeMessage(reply.body ?? []);
    this.data.messages.push({ n, ...this.#uidOf(n), ...summary, ...(this.#options.includeRaw ? { raw: octets.toString("utf8") } : {}) });
  }

  async #top(n: number, count: number): Promise<void> {
    const reply = await this.#client.top(n, count);
    if (!reply.ok) return;
    const body = reply.body ?? [];
    const headers = await summarizeHeaders(body);
    (this.data.top ??= []).push({
      n,
      ...this.#uidOf(n),
      ...headers,
      bodyLines: bodyLineCount(body),
      ...(this.#options.includeRaw ? { raw: joinLines(body).toString("utf8") } : {}),
    });
  }

  async #dele(n: number): Promise<void> {
    const reply = await this.#client.dele(n);
    if (reply.ok && !this.data.deleted.includes(n)) this.data.deleted.push(n);
  }
}
