import { once } from "node:events";
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import { LineReader } from "./reader.ts";
import { stuff } from "./response.ts";

/**
 * Test support (not used by the probe): a scripted POP3 server on 127.0.0.1 with a small mailbox,
 * speaking enough of RFC 1939, CAPA and STLS to exercise the client, and recording what it heard.
 */

export interface FakeMessage {
  uid: string;
  /** The message with CRLF line endings, ending in CRLF. */
  content: string;
}

export interface FakePop3Options {
  /** Default { alice: "secret" }. */
  users?: Record<string, string>;
  messages?: FakeMessage[];
  /** The greeting line; default "+OK fake POP3 server ready". */
  greeting?: string;
  /** CAPA's lines; default TOP, UIDL, USER, RESP-CODES, and STLS with `tls`. `null` answers CAPA with -ERR. */
  capabilities?: string[] | null;
  /** Key and certificate (PEM): STLS is offered, or with `implicitTls` TLS starts at once. */
  tls?: { key: string; cert: string };
  implicitTls?: boolean;
  /** Accept connections and never say anything. */
  silent?: boolean;
  /** Write every answer in pieces of this many octets, one piece per event-loop turn. */
  chunkSize?: number;
  /** Plaintext sent right after +OK to STLS, before TLS (the client must drop it). */
  afterStls?: string;
  /** Answer a command line differently: return the whole answer (CRLFs included), or undefined for the default. */
  override?: (line: string) => string | undefined;
}

export interface FakePop3Server {
  port: number;
  /** Every command line received, in order (passwords included). */
  commands: string[];
  /** How many commands had arrived when TLS began (STLS), if it did. */
  tlsStartedAt: number | undefined;
  /** The messages still in the mailbox (deletions are committed by QUIT). */
  mailbox: FakeMessage[];
  /** UIDs whose deletion a QUIT committed. */
  committed: string[];
  /** Connections that have closed (by either end). */
  closed: number;
  close(): Promise<void>;
}

const FIXTURES = new URL("./fixtures/", import.meta.url);

/** The self-signed test certificate for CN=localhost (also IP 127.0.0.1), and its key. */
export function testCertificate(): { key: string; cert: string } {
  return { key: readFileSync(new URL("localhost-key.pem", FIXTURES), "utf8"), cert: readFileSync(new URL("localhost-cert.pem", FIXTURES), "utf8") };
}

export const TEST_CA_FILE = fileURLToPath(new URL("localhost-cert.pem", FIXTURES));

/** A multi-line answer: dot-stuffed lines and the terminating ".". */
export function multiLine(status: string, content: string): string {
  const body = content === "" ? [] : content.replace(/\r\n$/, "").split("\r\n");
  return [status, ...body.map(stuff), "."].join("\r\n") + "\r\n";
}

/** The first `lines` body lines of a message, after its headers and the empty line. */
function topOf(content: string, lines: number): string {
  const all = content.replace(/\r\n$/, "").split("\r\n");
  const blank = all.indexOf("");
  const keep = blank < 0 ? all : all.slice(0, blank + 1 + lines);
  return keep.join("\r\n") + "\r\n";
}

export async function startFakePop3Server(options: FakePop3Options = {}): Promise<FakePop3Server> {
  const users = options.users ?? { alice: "secret" };
  const capabilities = options.capabilities === undefined ? ["TOP", "UIDL", "USER", "RESP-CODES", ...(options.tls ? ["STLS"] : [])] : options.capabilities;
  const sockets = new Set<net.Socket>();
  const state: FakePop3Server = {
    port: 0,
    commands: [],
    tlsStartedAt: undefined,
    mailbox: [...(options.messages ?? [])],
    committed: [],
    closed: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const serve = (plain: net.Socket) => {
    sockets.add(plain);
    plain.on("close", () => {
      sockets.delete(plain);
      state.closed += 1;
    });
    plain.on("error", () => undefined);
    if (options.silent) return;
    let socket: net.Socket = plain;
    let user: string | undefined;
    let loggedIn = false;
    const deleted = new Set<number>();
    let queue = Promise.resolve();
    const send = (text: string) => {
      const buf = Buffer.from(text);
      const size = options.chunkSize ?? buf.length;
      const out = socket;
      queue = queue.then(async () => {
        for (let i = 0; i < buf.length; i += size) {
          out.write(buf.subarray(i, i + size));
          if (size < buf.length) await new Promise((r) => setImmediate(r));
        }
      });
    };
    const message = (arg: string | undefined): [number, FakeMessage] | undefined => {
      const n = Number(arg);
      const m = Number.isInteger(n) && n >= 1 ? state.mailbox[n - 1] : undefined;
      return m && !deleted.has(n) ? [n, m] : undefined;
    };
    const live = () => state.mailbox.map((m, i) => [i + 1, m] as const).filter(([n]) => !deleted.has(n));
    const size = (m: FakeMessage) => Buffer.byteLength(m.content);

    const answer = (line: string): string | "STLS" | "QUIT" => {
      const overridden = options.override?.(line);
      if (overridden !== undefined) return overridden;
      const [verb = "", ...args] = line.split(" ");
      const arg = args[0];
      switch (verb.toUpperCase()) {
        case "CAPA":
          return capabilities === null ? "-ERR no CAPA here\r\n" : multiLine("+OK capability list follows", capabilities.map((c) => c + "\r\n").join(""));
        case "STLS":
          return options.tls && !options.implicitTls && socket === plain && !loggedIn ? "STLS" : "-ERR STLS not available\r\n";
        case "QUIT":
          return "QUIT";
        case "NOOP":
          return "+OK\r\n";
      }
      if (!loggedIn) {
        switch (verb.toUpperCase()) {
          case "USER":
            user = arg;
            return arg !== undefined && Object.hasOwn(users, arg) ? `+OK ${arg} is known\r\n` : "-ERR [AUTH] no such user\r\n";
          case "PASS":
            if (user !== undefined && users[user] === args.join(" ")) {
              loggedIn = true;
              return `+OK ${user} has ${state.mailbox.length} message(s)\r\n`;
            }
            return "-ERR [AUTH] invalid user name or password\r\n";
          default:
            return "-ERR unknown command or not logged in\r\n";
        }
      }
      const found = message(arg);
      switch (verb.toUpperCase()) {
        case "STAT": {
          const msgs = live();
          return `+OK ${msgs.length} ${msgs.reduce((a, [, m]) => a + size(m), 0)}\r\n`;
        }
        case "LIST":
          if (arg !== undefined) return found ? `+OK ${found[0]} ${size(found[1])}\r\n` : "-ERR no such message\r\n";
          return multiLine(`+OK ${live().length} messages`, live().map(([n, m]) => `${n} ${size(m)}\r\n`).join(""));
        case "UIDL":
          if (arg !== undefined) return found ? `+OK ${found[0]} ${found[1].uid}\r\n` : "-ERR no such message\r\n";
          return multiLine("+OK unique-id listing follows", live().map(([n, m]) => `${n} ${m.uid}\r\n`).join(""));
        case "RETR":
          return found ? multiLine(`+OK ${size(found[1])} octets`, found[1].content) : "-ERR no such message\r\n";
        case "TOP": {
          const lines = Number(args[1]);
          if (!found || !Number.isInteger(lines) || lines < 0) return "-ERR no such message or bad line count\r\n";
          return multiLine("+OK top of message follows", topOf(found[1].content, lines));
        }
        case "DELE":
          if (!found) return "-ERR no such message\r\n";
          deleted.add(found[0]);
          return `+OK message ${found[0]} deleted\r\n`;
        case "RSET":
          deleted.clear();
          return `+OK maildrop has ${state.mailbox.length} messages\r\n`;
        default:
          return "-ERR unknown command\r\n";
      }
    };

    const reader = new LineReader();
    const onData = (chunk: Buffer) => {
      reader.push(chunk);
      for (let raw = reader.nextLine(); raw !== undefined; raw = reader.nextLine()) {
        const line = raw.toString("utf8");
        state.commands.push(line);
        const reply = answer(line);
        if (reply === "QUIT") {
          if (loggedIn) {
            const gone = new Set([...deleted].map((n) => state.mailbox[n - 1]));
            state.committed.push(...[...gone].map((m) => m!.uid));
            state.mailbox = state.mailbox.filter((m) => !gone.has(m));
          }
          send("+OK bye\r\n");
          const out = socket;
          queue = queue.then(() => void out.end());
          return;
        }
        if (reply === "STLS") {
          socket.off("data", onData);
          void queue.then(() => {
            plain.write("+OK begin TLS negotiation\r\n" + (options.afterStls ?? ""));
            state.tlsStartedAt = state.commands.length;
            socket = new tls.TLSSocket(plain, { isServer: true, ...options.tls! });
            socket.on("error", () => undefined);
            socket.on("data", onData);
          });
          return;
        }
        send(reply);
      }
    };
    socket.on("data", onData);
    send((options.greeting ?? "+OK fake POP3 server ready") + "\r\n");
  };

  const server = options.implicitTls && options.tls ? tls.createServer({ ...options.tls }, serve) : net.createServer(serve);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  state.port = (server.address() as net.AddressInfo).port;
  return state;
}
