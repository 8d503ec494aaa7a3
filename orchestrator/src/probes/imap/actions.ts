import type { FetchQueryObject, ImapFlow, MailboxObject } from "imapflow";
import type { Clock } from "../../common/clock.ts";
import type { Transcript } from "../transcript.ts";
import { parseParts, shapeMessage } from "./message.ts";
import { SEARCH_POLL_MS } from "./params.ts";
import { searchQuery } from "./search.ts";
import type { ImapRefusal, ImapLogRecorder } from "./transcript-log.ts";
import type { ImapAction, ImapActionBase, ImapActionResult, ImapMessage } from "./types.ts";

/** What running actions needs: the logged-in client and the probe's means. */
export interface ActionContext {
  client: ImapFlow;
  recorder: ImapLogRecorder;
  transcript: Transcript;
  peer: string;
  clock: Clock;
  signal: AbortSignal;
}

/** The fields of an action's result besides `action` and `ok`, for each kind of action. */
type ResultFields = ImapActionResult extends infer T ? (T extends ImapActionResult ? Omit<T, "action" | "ok"> : never) : never;

type Failure = Pick<ImapActionBase, "error" | "response" | "responseCode">;

const fromRefusal = (r: ImapRefusal): Failure => ({
  error: r.text || r.response,
  response: r.response,
  ...(r.responseCode !== undefined ? { responseCode: r.responseCode } : {}),
});

/** An action that could not be done, for a reason the probe states itself or the server gave. */
export class ActionFailure extends Error {
  readonly failure: Failure;

  constructor(message: string, refusal?: ImapRefusal) {
    super(refusal ? refusal.text || refusal.response : message);
    this.failure = refusal ? fromRefusal(refusal) : { error: message };
  }
}

/** The fields an error from imapflow may carry. */
interface ImapErrorLike {
  message?: string;
  code?: string;
  responseStatus?: string;
  responseText?: string;
  serverResponseCode?: string;
}

/** Why an action failed, from the error it threw and the server's refusals during it. */
export function failureOf(err: unknown, refusals: readonly ImapRefusal[]): Failure {
  if (err instanceof ActionFailure) return err.failure;
  const e = (err ?? {}) as ImapErrorLike;
  if (e.responseStatus === "NO" || e.responseStatus === "BAD") {
    return {
      error: e.responseText || e.responseStatus,
      response: e.responseStatus,
      ...(e.serverResponseCode ? { responseCode: e.serverResponseCode } : {}),
    };
  }
  const last = refusals.at(-1);
  if (last) return fromRefusal(last);
  return { error: e.message ?? String(err) };
}

const currentMailbox = (client: ImapFlow): string | undefined => (client.mailbox ? client.mailbox.path : undefined);

/** The mailbox a message action acts in: the one it names, else the selected one, else INBOX. */
export const targetMailbox = (action: { mailbox?: string }, client: ImapFlow): string => action.mailbox ?? currentMailbox(client) ?? "INBOX";

const sameMailbox = (a: string, b: string) => a === b || (a.toUpperCase() === "INBOX" && b.toUpperCase() === "INBOX");

/** Selects `path` unless it is selected already. */
async function open(client: ImapFlow, path: string): Promise<MailboxObject> {
  const selected = client.mailbox;
  if (selected && sameMailbox(selected.path, path)) return selected;
  return await client.mailboxOpen(path);
}

const exists = (client: ImapFlow): number => (client.mailbox ? client.mailbox.exists : 0);

/** The UID a store or expunge acts on; "last" is the message with the highest sequence number. */
async function resolveUid(client: ImapFlow, uid: number | "last", path: string): Promise<number> {
  if (uid === "last") {
    if (exists(client) === 0) throw new ActionFailure(`${path} has no messages`);
    const last = await client.fetchOne("*", { uid: true });
    if (!last) throw new ActionFailure(`the last message of ${path} could not be fetched`);
    return last.uid;
  }
  const found = await client.fetchOne(String(uid), { uid: true }, { uid: true });
  if (!found) throw new ActionFailure(`${path} has no message with UID ${uid}`);
  return uid;
}

/**
 * The fields that say what an action was about, for its result whatever the outcome. `target` is
 * the mailbox a message action acts in (unknown, for an action that did not run, unless it names one).
 */
export function baseOf(action: ImapAction, target: string | undefined): ImapActionResult {
  switch (action.kind) {
    case "search":
    case "fetch":
    case "store":
    case "expunge":
      return { action: action.kind, ok: false, ...(target !== undefined ? { mailbox: target } : {}) };
    case "select":
    case "append":
    case "create":
    case "delete":
    case "status":
      return { action: action.kind, ok: false, mailbox: action.mailbox };
    case "rename":
      return { action: action.kind, ok: false, from: action.from, to: action.to };
    case "list":
      return { action: action.kind, ok: false };
  }
}

const FETCH_QUERY: FetchQueryObject = { uid: true, flags: true, size: true, envelope: true, source: true };

async function fetchMessages(ctx: ActionContext, which: "last" | "all" | number, path: string, includeRaw: boolean): Promise<ImapMessage[]> {
  const { client } = ctx;
  let fetched;
  if (which === "all") {
    fetched = exists(client) === 0 ? [] : await client.fetchAll("1:*", FETCH_QUERY);
  } else if (which === "last") {
    if (exists(client) === 0) throw new ActionFailure(`${path} has no messages`);
    const one = await client.fetchOne("*", FETCH_QUERY);
    if (!one) throw new ActionFailure(`the last message of ${path} could not be fetched`);
    fetched = [one];
  } else {
    const one = await client.fetchOne(String(which), FETCH_QUERY, { uid: true });
    if (!one) throw new ActionFailure(`${path} has no message with UID ${which}`);
    fetched = [one];
  }
  const messages: ImapMessage[] = [];
  for (const m of fetched) {
    const source = m.source ?? Buffer.alloc(0);
    messages.push(shapeMessage({ ...m, source }, await parseParts(source), includeRaw));
  }
  return messages;
}

/**
 * Searches, and with `waitMs` searches again (after a NOOP, every SEARCH_POLL_MS) until something
 * matches or the time is up. Of the repeated attempts only the last stays in the transcript, after
 * a note saying how many were left out.
 */
async function search(ctx: ActionContext, action: ImapAction & { kind: "search" }, refused: (what: string) => ActionFailure) {
  const { client, clock, transcript } = ctx;
  const query = searchQuery(action.criteria);
  const started = clock.now();
  let attempts = 0;
  let retryLinesFrom: number | undefined;
  for (;;) {
    attempts++;
    const uids = await client.search(query, { uid: true });
    if (uids === false || uids === undefined) throw refused("SEARCH");
    const waited = clock.now() - started;
    if (uids.length > 0 || waited >= action.waitMs) {
      if (retryLinesFrom !== undefined && attempts > 2) {
        const at = transcript.lines[retryLinesFrom]?.atMs ?? 0;
        transcript.lines.splice(retryLinesFrom, 0, { dir: "*", peer: ctx.peer, text: `(${attempts - 2} more NOOP and SEARCH attempts, every ${SEARCH_POLL_MS} ms, left out)`, atMs: at });
      }
      return { uids, count: uids.length, attempts, waitedMs: Math.round(waited) };
    }
    await clock.sleep(Math.min(SEARCH_POLL_MS, action.waitMs - waited), ctx.signal);
    // Keep the first attempt and the latest one in the transcript; drop the ones between.
    if (retryLinesFrom === undefined) retryLinesFrom = transcript.lines.length;
    else transcript.lines.splice(retryLinesFrom);
    await client.noop();
  }
}

async function perform(ctx: ActionContext, action: ImapAction, refused: (what: string) => ActionFailure): Promise<ResultFields> {
  const { client } = ctx;
  switch (action.kind) {
    case "select": {
      const mb = await client.mailboxOpen(action.mailbox);
      return { mailbox: mb.path, exists: mb.exists, uidNext: mb.uidNext, uidValidity: Number(mb.uidValidity), flags: [...mb.flags] };
    }
    case "search": {
      const path = targetMailbox(action, client);
      await open(client, path);
      return { mailbox: path, ...(await search(ctx, action, refused)) };
    }
    case "fetch": {
      const path = targetMailbox(action, client);
      await open(client, path);
      return { mailbox: path, messages: await fetchMessages(ctx, action.which, path, action.includeRaw) };
    }
    case "store": {
      const path = targetMailbox(action, client);
      await open(client, path);
      const uid = await resolveUid(client, action.uid, path);
      if (action.add.length > 0 && !(await client.messageFlagsAdd(String(uid), action.add, { uid: true }))) throw refused("STORE");
      if (action.remove.length > 0 && !(await client.messageFlagsRemove(String(uid), action.remove, { uid: true }))) throw refused("STORE");
      const after = await client.fetchOne(String(uid), { uid: true, flags: true }, { uid: true });
      if (!after) throw new ActionFailure(`${path} has no message with UID ${uid}`);
      return { mailbox: path, uid, flags: [...(after.flags ?? [])] };
    }
    case "append": {
      const appended = await client.append(action.mailbox, action.message, action.flags);
      if (!appended) throw refused("APPEND");
      return {
        mailbox: action.mailbox,
        ...(appended.uid !== undefined ? { uid: appended.uid } : {}),
        ...(appended.uidValidity !== undefined ? { uidValidity: Number(appended.uidValidity) } : {}),
      };
    }
    case "create": {
      const created = await client.mailboxCreate(action.mailbox);
      // imapflow answers an ALREADYEXISTS refusal with created: false; it is the server's NO all the same.
      if (!created.created) throw refused("CREATE");
      return { mailbox: action.mailbox, created: true };
    }
    case "rename":
      await client.mailboxRename(action.from, action.to);
      return { from: action.from, to: action.to };
    case "delete":
      await client.mailboxDelete(action.mailbox);
      return { mailbox: action.mailbox };
    case "list": {
      const boxes = await client.list();
      return { mailboxes: boxes.map((b) => b.path) };
    }
    case "expunge": {
      const path = targetMailbox(action, client);
      await open(client, path);
      let uids: number[];
      if (action.uid === "all-deleted") {
        const found = await client.search({ deleted: true }, { uid: true });
        if (found === false || found === undefined) throw refused("SEARCH DELETED");
        uids = found;
      } else {
        uids = [await resolveUid(client, action.uid, path)];
      }
      if (uids.length > 0 && !(await client.messageDelete(uids.join(","), { uid: true }))) throw refused("EXPUNGE");
      return { mailbox: path, expunged: uids };
    }
    case "status": {
      const status = await client.status(action.mailbox, { messages: true, unseen: true, uidNext: true });
      if (!status) throw refused("STATUS");
      return {
        mailbox: action.mailbox,
        ...(status.messages !== undefined ? { messages: status.messages } : {}),
        ...(status.unseen !== undefined ? { unseen: status.unseen } : {}),
        ...(status.uidNext !== undefined ? { uidNext: status.uidNext } : {}),
      };
    }
  }
}

/**
 * Runs one action. A refusal by the server (NO, BAD) or a missing message is the action's result,
 * with `ok: false`; an error that cost the connection (or an abort) is thrown, for the probe to end
 * the session.
 */
export async function runAction(ctx: ActionContext, action: ImapAction): Promise<ImapActionResult> {
  const { client, recorder } = ctx;
  const base = baseOf(action, targetMailbox(action as { mailbox?: string }, client));
  const refusalMark = recorder.refusals.length;
  const warningMark = recorder.warnings.length;
  const refused = (what: string) => {
    const refusal = recorder.refusals.slice(refusalMark).at(-1);
    const warning = recorder.warnings.slice(warningMark).at(-1);
    return new ActionFailure(warning ?? `the server refused ${what}`, refusal);
  };
  try {
    const fields = await perform(ctx, action, refused);
    return { ...base, ...fields, ok: true } as ImapActionResult;
  } catch (err) {
    if (ctx.signal.aborted || !client.usable) throw err;
    return { ...base, ok: false, ...failureOf(err, recorder.refusals.slice(refusalMark)) };
  }
}
