import net from "node:net";
import tls from "node:tls";
import { once } from "node:events";

/**
 * Test support (not used by the probe): a minimal IMAP4rev1 server on 127.0.0.1 that speaks just
 * enough for imapflow: greeting, CAPABILITY, LOGIN, ID, ENABLE, NAMESPACE, LIST/LSUB,
 * (UN)SUBSCRIBE, SELECT/EXAMINE, STATUS, (UID) SEARCH, (UID) FETCH, (UID) STORE, (UID) EXPUNGE,
 * CREATE, RENAME, DELETE, APPEND, CLOSE/UNSELECT, NOOP and LOGOUT, over one shared message store;
 * with a certificate, also STARTTLS or TLS from the first byte.
 */

const PRE_AUTH_CAPABILITIES = "IMAP4rev1 LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ AUTH=PLAIN";
const POST_AUTH_CAPABILITIES = "IMAP4rev1 LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ UIDPLUS NAMESPACE";

export interface FakeMessage {
  uid: number;
  flags: Set<string>;
  raw: Buffer;
  internalDate: Date;
}

export interface FakeMailbox {
  uidValidity: number;
  uidNext: number;
  messages: FakeMessage[];
  subscribed: boolean;
}

export interface FakeImapOptions {
  /** user → password; default `{ bob: "secret" }`. */
  users?: Record<string, string>;
  /** Mailboxes and their messages (raw RFC 822 text); default an INBOX with no messages. */
  mailboxes?: Record<string, string[]>;
  /** Accept connections but never say anything (no greeting). */
  silent?: boolean;
  /** Stop answering (but keep the connection open) once a command with this name arrives. */
  hangOn?: string;
  /** Close the connection once a command with this name arrives, without answering it. */
  dropOn?: string;
  /** TLS: offered with STARTTLS, or spoken from the first byte (implicit, as on port 993). */
  tls?: { mode: "starttls" | "implicit"; key: string; cert: string };
}

export interface FakeImapServer {
  port: number;
  /** Every command line received, tags included; literals appear as `{n}` and passwords as `****`. */
  commands: string[];
  mailboxes: Map<string, FakeMailbox>;
  /** Puts a message into a mailbox, as a delivery agent would. */
  deliver(mailbox: string, raw: string, flags?: string[]): number;
  close(): Promise<void>;
}

/** A parsed command argument: an atom or string, or a parenthesised list. */
type Arg = string | Arg[];

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** IMAP string: quoted when it can be, a literal otherwise; NIL for undefined. */
function str(value: string | undefined): string {
  if (value === undefined) return "NIL";
  if (/[\r\n]/.test(value) || /[^\x20-\x7e]/.test(value)) return `{${Buffer.byteLength(value)}}\r\n${value}`;
  return `"${value.replace(/["\\]/g, (c) => "\\" + c)}"`;
}

function imapDate(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${pad(d.getUTCDate())}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** The header fields of a raw message, unfolded, names lowercased, in order. */
function headerFields(raw: Buffer): { name: string; value: string; line: string }[] {
  const text = raw.toString("latin1");
  const end = text.search(/\r?\n\r?\n/);
  const head = end < 0 ? text : text.slice(0, end);
  const fields: { name: string; value: string; line: string }[] = [];
  for (const line of head.split(/\r?\n/)) {
    const last = fields[fields.length - 1];
    if (/^[ \t]/.test(line) && last) {
      last.value += " " + line.trim();
      last.line += "\r\n" + line;
      continue;
    }
    const colon = line.indexOf(":");
    if (colon > 0) fields.push({ name: line.slice(0, colon).trim().toLowerCase(), value: line.slice(colon + 1).trim(), line });
  }
  return fields;
}

const header = (m: FakeMessage, name: string): string | undefined => headerFields(m.raw).find((f) => f.name === name)?.value;

function addressList(value: string | undefined): string {
  if (value === undefined || value.trim() === "") return "NIL";
  const parts = value.match(/("[^"]*"|<[^>]*>|[^,])+/g) ?? [];
  const addresses = parts.map((part) => {
    const angle = /^(.*)<([^>]*)>\s*$/.exec(part.trim());
    const name = angle ? angle[1]!.trim().replace(/^"|"$/g, "") : "";
    const address = (angle ? angle[2]! : part).trim();
    const at = address.lastIndexOf("@");
    return `(${name ? str(name) : "NIL"} NIL ${str(at < 0 ? address : address.slice(0, at))} ${at < 0 ? "NIL" : str(address.slice(at + 1))})`;
  });
  return `(${addresses.join("")})`;
}

function envelope(m: FakeMessage): string {
  const from = addressList(header(m, "from"));
  return `(${[
    str(header(m, "date")),
    str(header(m, "subject")),
    from,
    from,
    header(m, "reply-to") ? addressList(header(m, "reply-to")) : from,
    addressList(header(m, "to")),
    addressList(header(m, "cc")),
    addressList(header(m, "bcc")),
    str(header(m, "in-reply-to")),
    str(header(m, "message-id")),
  ].join(" ")})`;
}

const flagList = (flags: Iterable<string>) => `(${[...flags].join(" ")})`;

/** Splits a command's arguments; literal contents are given in order in `literals`. */
function parseArgs(text: string, literals: string[]): Arg[] {
  let i = 0;
  let nextLiteral = 0;
  const list = (): Arg[] => {
    const out: Arg[] = [];
    while (i < text.length) {
      const c = text[i]!;
      if (c === " ") {
        i++;
      } else if (c === "(") {
        i++;
        out.push(list());
      } else if (c === ")") {
        i++;
        return out;
      } else if (c === '"') {
        let s = "";
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === "\\") i++;
          s += text[i++] ?? "";
        }
        i++;
        out.push(s);
      } else if (c === "\0") {
        i++;
        out.push(literals[nextLiteral++] ?? "");
      } else {
        let s = "";
        let depth = 0;
        while (i < text.length && (depth > 0 || !" ()".includes(text[i]!))) {
          if (text[i] === "[") depth++;
          if (text[i] === "]") depth--;
          s += text[i++];
        }
        out.push(s);
      }
    }
    return out;
  };
  return list();
}

/** The numbers of a sequence set ("1:3,7,9:*"), `max` standing for "*". */
function inSet(set: string, n: number, max: number): boolean {
  return set.split(",").some((part) => {
    const [a, b] = part.split(":").map((x) => (x === "*" ? max : Number(x)));
    if (a === undefined) return false;
    const lo = Math.min(a, b ?? a);
    const hi = Math.max(a, b ?? a);
    return n >= lo && n <= hi;
  });
}

function parseSearchDate(s: string): Date {
  const m = /^(\d{1,2})-(\w{3})-(\d{4})$/.exec(s);
  return m ? new Date(Date.UTC(Number(m[3]), MONTHS.indexOf(m[2]!), Number(m[1]))) : new Date(NaN);
}

const contains = (haystack: string | undefined, needle: string) => (haystack ?? "").toLowerCase().includes(needle.toLowerCase());

/** Compiles SEARCH criteria into a predicate over (message, sequence number). */
function searchPredicate(args: Arg[], mailbox: FakeMailbox): (m: FakeMessage, seq: number) => boolean {
  let i = 0;
  const maxUid = () => mailbox.messages.reduce((a, m) => Math.max(a, m.uid), 0);
  const one = (): ((m: FakeMessage, seq: number) => boolean) => {
    const arg = args[i++];
    if (Array.isArray(arg)) return searchPredicate(arg, mailbox);
    const key = (arg ?? "").toUpperCase();
    const text = () => String(args[i++] ?? "");
    switch (key) {
      case "ALL":
        return () => true;
      case "SEEN":
      case "UNSEEN":
      case "DELETED":
      case "UNDELETED":
      case "FLAGGED":
      case "UNFLAGGED":
      case "ANSWERED":
      case "UNANSWERED": {
        const negate = key.startsWith("UN");
        const flag = "\\" + key.replace(/^UN/, "").charAt(0) + key.replace(/^UN/, "").slice(1).toLowerCase();
        return (m) => m.flags.has(flag) !== negate;
      }
      case "SUBJECT":
      case "FROM":
      case "TO":
      case "CC": {
        const needle = text();
        return (m) => contains(header(m, key.toLowerCase()), needle);
      }
      case "HEADER": {
        const name = text().toLowerCase();
        const needle = text();
        return (m) => headerFields(m.raw).some((f) => f.name === name && contains(f.value, needle));
      }
      case "BODY":
      case "TEXT": {
        const needle = text();
        return (m) => contains(m.raw.toString("utf8"), needle);
      }
      case "SINCE": {
        const day = parseSearchDate(text()).getTime();
        return (m) => m.internalDate.getTime() >= day;
      }
      case "BEFORE": {
        const day = parseSearchDate(text()).getTime();
        return (m) => m.internalDate.getTime() < day;
      }
      case "UID": {
        const set = text();
        return (m) => inSet(set, m.uid, maxUid());
      }
      case "NOT": {
        const inner = one();
        return (m, seq) => !inner(m, seq);
      }
      case "OR": {
        const a = one();
        const b = one();
        return (m, seq) => a(m, seq) || b(m, seq);
      }
      case "CHARSET":
        i++;
        return () => true;
      default:
        if (/^[\d*:,]+$/.test(key)) return (_m, seq) => inSet(key, seq, mailbox.messages.length);
        throw new Error(`unsupported search key ${key}`);
    }
  };
  const all: ((m: FakeMessage, seq: number) => boolean)[] = [];
  while (i < args.length) all.push(one());
  return (m, seq) => all.every((p) => p(m, seq));
}

/** The data items of one FETCH response for a message. */
function fetchItems(m: FakeMessage, items: Arg[], byUid: boolean, readOnly: boolean): string {
  const wanted = items.flatMap((it) => (Array.isArray(it) ? it : [it])).map((it) => String(it));
  const out: string[] = [];
  if (byUid && !wanted.some((w) => w.toUpperCase() === "UID")) wanted.unshift("UID");
  for (const item of wanted) {
    const upper = item.toUpperCase();
    if (upper === "UID") out.push(`UID ${m.uid}`);
    else if (upper === "FLAGS") out.push(`FLAGS ${flagList(m.flags)}`);
    else if (upper === "RFC822.SIZE") out.push(`RFC822.SIZE ${m.raw.length}`);
    else if (upper === "INTERNALDATE") out.push(`INTERNALDATE "${imapDate(m.internalDate)}"`);
    else if (upper === "ENVELOPE") out.push(`ENVELOPE ${envelope(m)}`);
    else {
      const section = /^BODY(\.PEEK)?\[(.*)\]$/i.exec(item);
      if (!section) continue;
      const spec = section[2]!.toUpperCase();
      let data = m.raw;
      if (spec.startsWith("HEADER.FIELDS")) {
        const names = (/\((.*)\)/.exec(spec)?.[1] ?? "").toLowerCase().split(/\s+/);
        const lines = headerFields(m.raw).filter((f) => names.includes(f.name)).map((f) => f.line + "\r\n");
        data = Buffer.from(lines.join("") + "\r\n", "latin1");
      } else if (spec === "HEADER") {
        const end = m.raw.indexOf("\r\n\r\n");
        data = end < 0 ? m.raw : m.raw.subarray(0, end + 4);
      }
      if (!section[1] && !readOnly) m.flags.add("\\Seen");
      out.push(`BODY[${section[2]}] {${data.length}}\r\n${data.toString("latin1")}`);
    }
  }
  return out.join(" ");
}

interface Connection {
  socket: net.Socket;
  secure: boolean;
  /** Switches the connection to TLS (after the OK to STARTTLS). */
  startTls(): void;
  user?: string;
  selected?: string;
  readOnly: boolean;
  announced: number;
  hung: boolean;
}

/** Starts a fake IMAP server on 127.0.0.1, on a random port. */
export async function startFakeImapServer(options: FakeImapOptions = {}): Promise<FakeImapServer> {
  const users = options.users ?? { bob: "secret" };
  const commands: string[] = [];
  const mailboxes = new Map<string, FakeMailbox>();
  let uidValidity = 1_700_000_000;
  const newMailbox = (): FakeMailbox => ({ uidValidity: uidValidity++, uidNext: 1, messages: [], subscribed: true });
  const addMessage = (box: FakeMailbox, raw: string, flags: string[] = [], date = new Date()) => {
    const uid = box.uidNext++;
    box.messages.push({ uid, flags: new Set(flags), raw: Buffer.from(raw.replace(/\r?\n/g, "\r\n"), "utf8"), internalDate: date });
    return uid;
  };
  for (const [name, raws] of Object.entries(options.mailboxes ?? { INBOX: [] })) {
    const box = newMailbox();
    for (const raw of raws) addMessage(box, raw, [], new Date(Date.UTC(2024, 4, 1, 12, 0, 0)));
    mailboxes.set(name, box);
  }
  if (!mailboxes.has("INBOX")) mailboxes.set("INBOX", newMailbox());

  const boxName = (name: string) => (name.toUpperCase() === "INBOX" ? "INBOX" : name);
  const sockets = new Set<net.Socket>();

  const handle = (conn: Connection, tag: string, command: string, args: Arg[]): void => {
    const send = (line: string): void => {
      conn.socket.write(line + "\r\n");
    };
    const byUid = command.toUpperCase() === "UID";
    const upper = byUid ? String(args[0] ?? "").toUpperCase() : command.toUpperCase();
    if (byUid) args = args.slice(1);
    const ok = (text = `${byUid ? "UID " : ""}${upper} completed`) => send(`${tag} OK ${text}`);
    const no = (text: string) => send(`${tag} NO ${text}`);
    const bad = (text: string) => send(`${tag} BAD ${text}`);
    const arg = (n: number) => String(args[n] ?? "");
    const selected = conn.selected === undefined ? undefined : mailboxes.get(conn.selected);

    if (selected && selected.messages.length !== conn.announced) {
      send(`* ${selected.messages.length} EXISTS`);
      conn.announced = selected.messages.length;
    }
    const capabilities = () =>
      conn.user !== undefined ? POST_AUTH_CAPABILITIES : PRE_AUTH_CAPABILITIES + (options.tls?.mode === "starttls" && !conn.secure ? " STARTTLS" : "");
    const needAuth = !["CAPABILITY", "LOGIN", "LOGOUT", "NOOP", "ID", "AUTHENTICATE", "STARTTLS"].includes(upper);
    if (needAuth && conn.user === undefined) return bad("Not authenticated");
    const needSelected = ["SEARCH", "FETCH", "STORE", "EXPUNGE", "CLOSE", "UNSELECT"].includes(upper);
    if (needSelected && !selected) return bad("No mailbox selected");

    const setFor = (set: string) =>
      selected!.messages
        .map((m, index) => ({ m, seq: index + 1 }))
        .filter(({ m, seq }) => (byUid ? inSet(set, m.uid, selected!.messages.at(-1)?.uid ?? 0) : inSet(set, seq, selected!.messages.length)));
    const expunge = (keep: (m: FakeMessage) => boolean) => {
      for (let seq = selected!.messages.length; seq >= 1; seq--) {
        const m = selected!.messages[seq - 1]!;
        if (m.flags.has("\\Deleted") && !keep(m)) {
          selected!.messages.splice(seq - 1, 1);
          send(`* ${seq} EXPUNGE`);
        }
      }
      conn.announced = selected!.messages.length;
    };
    const listLine = (kind: string, name: string) => `* ${kind} (\\HasNoChildren) "/" ${str(name)}`;
    const matches = (pattern: string, name: string) => {
      const re = new RegExp("^" + pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/%/g, "[^/]*") + "$", pattern.toUpperCase() === "INBOX" ? "i" : "");
      return re.test(name);
    };

    switch (upper) {
      case "CAPABILITY":
        send(`* CAPABILITY ${capabilities()}`);
        return ok();
      case "STARTTLS":
        if (options.tls?.mode !== "starttls" || conn.secure || conn.user !== undefined) return bad("STARTTLS is not available");
        ok("Begin TLS negotiation now.");
        return conn.startTls();
      case "NOOP":
        return ok();
      case "LOGIN":
        if (users[arg(0)] !== undefined && users[arg(0)] === arg(1)) {
          conn.user = arg(0);
          return ok(`[CAPABILITY ${POST_AUTH_CAPABILITIES}] Logged in`);
        }
        return no("[AUTHENTICATIONFAILED] Authentication failed.");
      case "ID":
        send('* ID ("name" "fake-imap")');
        return ok();
      case "ENABLE":
        send("* ENABLED");
        return ok();
      case "NAMESPACE":
        send('* NAMESPACE (("" "/")) NIL NIL');
        return ok();
      case "LIST":
      case "LSUB": {
        if (arg(1) === "") {
          send('* LIST (\\Noselect) "/" ""');
          return ok();
        }
        for (const [name, box] of mailboxes) {
          if (matches(arg(1), name) && (upper === "LIST" || box.subscribed)) send(listLine(upper, name));
        }
        return ok();
      }
      case "SUBSCRIBE":
      case "UNSUBSCRIBE": {
        const box = mailboxes.get(boxName(arg(0)));
        if (box) box.subscribed = upper === "SUBSCRIBE";
        return ok();
      }
      case "SELECT":
      case "EXAMINE": {
        const name = boxName(arg(0));
        const box = mailboxes.get(name);
        conn.selected = undefined;
        if (!box) return no("[NONEXISTENT] Mailbox doesn't exist: " + arg(0));
        conn.selected = name;
        conn.readOnly = upper === "EXAMINE";
        conn.announced = box.messages.length;
        send("* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)");
        send("* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.");
        send(`* ${box.messages.length} EXISTS`);
        send("* 0 RECENT");
        send(`* OK [UIDVALIDITY ${box.uidValidity}] UIDs valid`);
        send(`* OK [UIDNEXT ${box.uidNext}] Predicted next UID`);
        return ok(`[${conn.readOnly ? "READ-ONLY" : "READ-WRITE"}] ${upper} completed`);
      }
      case "CLOSE":
      case "UNSELECT":
        if (upper === "CLOSE" && !conn.readOnly) {
          for (let i = selected!.messages.length - 1; i >= 0; i--) if (selected!.messages[i]!.flags.has("\\Deleted")) selected!.messages.splice(i, 1);
        }
        conn.selected = undefined;
        return ok();
      case "STATUS": {
        const name = boxName(arg(0));
        const box = mailboxes.get(name);
        if (!box) return no("[NONEXISTENT] Mailbox doesn't exist: " + arg(0));
        const items = (Array.isArray(args[1]) ? args[1] : []).map((x) => String(x).toUpperCase());
        const values: Record<string, number> = {
          MESSAGES: box.messages.length,
          UIDNEXT: box.uidNext,
          UIDVALIDITY: box.uidValidity,
          UNSEEN: box.messages.filter((m) => !m.flags.has("\\Seen")).length,
          RECENT: 0,
        };
        send(`* STATUS ${str(name)} (${items.filter((k) => k in values).map((k) => `${k} ${values[k]}`).join(" ")})`);
        return ok();
      }
      case "SEARCH": {
        let matchesFn: (m: FakeMessage, seq: number) => boolean;
        try {
          matchesFn = searchPredicate(args, selected!);
        } catch (err) {
          return bad((err as Error).message);
        }
        const found = selected!.messages.map((m, i) => ({ m, seq: i + 1 })).filter(({ m, seq }) => matchesFn(m, seq));
        send(`* SEARCH${found.map(({ m, seq }) => " " + (byUid ? m.uid : seq)).join("")}`);
        return ok();
      }
      case "FETCH": {
        const items = Array.isArray(args[1]) ? args[1] : args.slice(1);
        for (const { m, seq } of setFor(arg(0))) send(`* ${seq} FETCH (${fetchItems(m, items, byUid, conn.readOnly)})`);
        return ok();
      }
      case "STORE": {
        const op = arg(1).toUpperCase();
        const flags = (Array.isArray(args[2]) ? args[2] : args.slice(2)).map(String);
        for (const { m, seq } of setFor(arg(0))) {
          if (op.startsWith("+")) for (const f of flags) m.flags.add(f);
          else if (op.startsWith("-")) for (const f of flags) m.flags.delete(f);
          else m.flags = new Set(flags);
          if (!op.endsWith(".SILENT")) send(`* ${seq} FETCH (${byUid ? `UID ${m.uid} ` : ""}FLAGS ${flagList(m.flags)})`);
        }
        return ok();
      }
      case "EXPUNGE": {
        const set = byUid ? arg(0) : undefined;
        const maxUid = selected!.messages.at(-1)?.uid ?? 0;
        expunge((m) => set !== undefined && !inSet(set, m.uid, maxUid));
        return ok();
      }
      case "CREATE": {
        const name = boxName(arg(0));
        if (mailboxes.has(name)) return no("[ALREADYEXISTS] Mailbox already exists");
        mailboxes.set(name, { ...newMailbox(), subscribed: false });
        return ok();
      }
      case "RENAME": {
        const from = boxName(arg(0));
        const to = boxName(arg(1));
        const box = mailboxes.get(from);
        if (!box) return no("[NONEXISTENT] Mailbox doesn't exist: " + arg(0));
        if (mailboxes.has(to)) return no("[ALREADYEXISTS] Mailbox already exists");
        mailboxes.delete(from);
        mailboxes.set(to, box);
        return ok();
      }
      case "DELETE": {
        const name = boxName(arg(0));
        if (name === "INBOX") return no("INBOX can't be deleted.");
        if (!mailboxes.has(name)) return no("[NONEXISTENT] Mailbox doesn't exist: " + arg(0));
        mailboxes.delete(name);
        return ok();
      }
      case "APPEND": {
        const name = boxName(arg(0));
        const box = mailboxes.get(name);
        if (!box) return no("[TRYCREATE] Mailbox doesn't exist: " + arg(0));
        const flags = Array.isArray(args[1]) ? args[1].map(String) : [];
        const raw = String(args[args.length - 1] ?? "");
        const uid = box.uidNext++;
        box.messages.push({ uid, flags: new Set(flags), raw: Buffer.from(raw, "latin1"), internalDate: new Date() });
        if (conn.selected === name) {
          send(`* ${box.messages.length} EXISTS`);
          conn.announced = box.messages.length;
        }
        return ok(`[APPENDUID ${box.uidValidity} ${uid}] Append completed.`);
      }
      case "LOGOUT":
        send("* BYE Logging out");
        ok();
        conn.socket.end();
        return;
      default:
        return bad(`Unknown command ${command}`);
    }
  };

  const onConnection = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => undefined);
    // Many small writes per command: without this, Nagle and delayed ACKs add 40 ms to each.
    socket.setNoDelay(true);
    if (options.silent) return;
    let buffered = Buffer.alloc(0);
    let text = "";
    let logged = "";
    const literals: string[] = [];
    let literalBytes: number | undefined;
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      for (;;) {
        if (literalBytes !== undefined) {
          if (buffered.length < literalBytes) return;
          literals.push(buffered.subarray(0, literalBytes).toString("latin1"));
          buffered = buffered.subarray(literalBytes);
          literalBytes = undefined;
          continue;
        }
        const eol = buffered.indexOf("\r\n");
        if (eol < 0) return;
        const line = buffered.subarray(0, eol).toString("latin1");
        buffered = buffered.subarray(eol + 2);
        const literal = /\{(\d+)(\+?)\}$/.exec(line);
        if (literal) {
          text += line.slice(0, literal.index) + "\0";
          logged += line;
          literalBytes = Number(literal[1]);
          if (!literal[2]) conn.socket.write("+ Ready for literal data\r\n");
          continue;
        }
        text += line;
        logged += line;
        const [tag = "", command = "", ...rest] = text.split(" ");
        const args = parseArgs(rest.join(" "), literals.splice(0));
        commands.push(command.toUpperCase() === "LOGIN" ? `${tag} LOGIN ${String(args[0] ?? "")} ****` : logged);
        text = "";
        logged = "";
        if (conn.hung) continue;
        if (options.dropOn !== undefined && command.toUpperCase() === options.dropOn.toUpperCase()) {
          conn.socket.destroy();
          return;
        }
        if (options.hangOn !== undefined && command.toUpperCase() === options.hangOn.toUpperCase()) {
          conn.hung = true;
          continue;
        }
        const before = conn.socket;
        handle(conn, tag, command, args);
        if (conn.socket !== before) return; // STARTTLS: what follows is the TLS handshake
      }
    };
    const conn: Connection = {
      socket,
      secure: socket instanceof tls.TLSSocket,
      readOnly: false,
      announced: 0,
      hung: false,
      startTls() {
        const plain = conn.socket;
        plain.removeListener("data", onData);
        const secure = new tls.TLSSocket(plain, { isServer: true, key: options.tls!.key, cert: options.tls!.cert });
        secure.on("error", () => undefined);
        secure.on("data", onData);
        buffered = Buffer.alloc(0);
        conn.socket = secure;
        conn.secure = true;
      },
    };
    socket.on("data", onData);
    const preAuth = PRE_AUTH_CAPABILITIES + (options.tls?.mode === "starttls" ? " STARTTLS" : "");
    socket.write(`* OK [CAPABILITY ${preAuth}] ready\r\n`);
  };
  const server =
    options.tls?.mode === "implicit" ? tls.createServer({ key: options.tls.key, cert: options.tls.cert }, onConnection) : net.createServer(onConnection);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("fake IMAP server has no port");
  return {
    port: address.port,
    commands,
    mailboxes,
    deliver(mailbox, raw, flags = []) {
      const box = mailboxes.get(mailbox);
      if (!box) throw new Error(`no mailbox ${mailbox}`);
      return addMessage(box, raw, flags);
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
