import { once } from "node:events";
import net from "node:net";
import { posix } from "node:path";
import { PATIENT_TIMEOUT_MS } from "../../common/testing/timing.ts";

/**
 * Test support (not used by the probe): an FTP server on 127.0.0.1 that answers as vsftpd 3.0.3
 * does (texts, codes, and connecting before 150 in active mode), with an in-memory file tree,
 * passive (PASV, EPSV) and active (PORT, EPRT) data connections, REST, ABOR, and an anonymous
 * user who may read but not write. It records every command line it hears.
 */

export interface FakeFtpOptions {
  /** Named users and their passwords; default { bob: "secret" }. anonymous and ftp always log in, read-only. */
  users?: Record<string, string>;
  /** Files by absolute path ("/pub/hello.txt"); their directories are made too. */
  files?: Record<string, string | Buffer>;
  /** More (empty) directories, absolute. */
  dirs?: string[];
  /** The greeting line; default "220 (vsFTPd 3.0.3)". */
  greeting?: string;
  /** Accept connections and never say anything. */
  silent?: boolean;
  /** Greet like an SSH server instead: "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3". */
  notFtp?: boolean;
  /** Verbs never answered (the command is recorded). */
  ignore?: string[];
  /** Verbs answered "500 Unknown command." (e.g. EPSV, to see PASV used instead). */
  refuse?: string[];
  /** Active mode: send 150 before connecting (vsftpd connects first). */
  activeConnectAfter150?: boolean;
  /** The address PASV names; default 127.0.0.1. */
  pasvAddress?: string;
  /** PASV and EPSV name a port where nothing listens. */
  brokenPassive?: boolean;
  /** RETR sends 150 and then nothing on the data connection, which it keeps open. */
  stallData?: boolean;
  /** Active mode: send 150 and never connect. */
  neverConnect?: boolean;
  /** RETR and LIST write their data in pieces of this size (default 64 KiB)... */
  dataChunkSize?: number;
  /** ...waiting this long between pieces (default: one event-loop turn). */
  dataChunkDelayMs?: number;
}

export interface FakeFtpServer {
  port: number;
  /** Every command line received, in order (passwords included). */
  commands: string[];
  /** The file tree, by absolute path; STOR writes here. */
  files: Map<string, Buffer>;
  dirs: Set<string>;
  /** Each data connection: how it came about and the client's end of it. */
  dataConnections: { mode: "passive" | "active"; peer: string }[];
  /** Control connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/** The modification time every file has, as MDTM says it. */
export const FAKE_MDTM = "20240315120000";

const FEATURES = ["EPRT", "EPSV", "MDTM", "PASV", "REST STREAM", "SIZE", "TVFS"];
const ANONYMOUS = /^(anonymous|ftp)$/i;
const PRELOGIN = new Set(["USER", "PASS", "QUIT", "FEAT", "ABOR"]);

type Pending = { kind: "passive"; server: net.Server; socket: Promise<net.Socket | undefined> } | { kind: "active"; host: string; port: number };

const plain = (a: string | undefined) => (a ?? "").replace(/^::ffff:/, "");

function listLine(name: string, size: number, dir: boolean): string {
  const mode = dir ? "drwxr-xr-x" : "-rw-r--r--";
  return `${mode}    ${dir ? 2 : 1} 1000     1000     ${String(size).padStart(8)} Mar 15 12:00 ${name}`;
}

export async function startFakeFtpServer(options: FakeFtpOptions = {}): Promise<FakeFtpServer> {
  const users = options.users ?? { bob: "secret" };
  const ignore = new Set((options.ignore ?? []).map((v) => v.toUpperCase()));
  const refuse = new Set((options.refuse ?? []).map((v) => v.toUpperCase()));
  const chunkSize = options.dataChunkSize ?? 64 * 1024;
  const sockets = new Set<net.Socket>();
  const servers = new Set<net.Server>();
  const files = new Map<string, Buffer>();
  const dirs = new Set<string>(["/"]);
  const mkdirs = (dir: string) => {
    for (let d = dir; !dirs.has(d); d = posix.dirname(d)) dirs.add(d);
  };
  for (const [path, content] of Object.entries(options.files ?? {})) {
    files.set(path, Buffer.isBuffer(content) ? content : Buffer.from(content));
    mkdirs(posix.dirname(path));
  }
  for (const d of options.dirs ?? []) mkdirs(d);

  const state: FakeFtpServer = {
    port: 0,
    commands: [],
    files,
    dirs,
    dataConnections: [],
    connections: 0,
    close: async () => {
      for (const s of sockets) s.destroy();
      for (const s of servers) s.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };

  const track = (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    return s;
  };

  /** A passive listener on 127.0.0.1 and the first connection to it (none within PATIENT_TIMEOUT_MS: undefined). */
  const listenPassive = async (): Promise<Pending & { kind: "passive" }> => {
    const listener = net.createServer();
    servers.add(listener);
    listener.listen(0, "127.0.0.1");
    await once(listener, "listening");
    const socket = new Promise<net.Socket | undefined>((resolve) => {
      const timer = setTimeout(() => resolve(undefined), PATIENT_TIMEOUT_MS);
      listener.once("connection", (s) => {
        clearTimeout(timer);
        state.dataConnections.push({ mode: "passive", peer: `${plain(s.remoteAddress)}:${s.remotePort}` });
        resolve(track(s));
        listener.close();
      });
      listener.once("close", () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
    return { kind: "passive", server: listener, socket };
  };

  const serve = (control: net.Socket) => {
    state.connections += 1;
    track(control);
    control.setNoDelay(true);
    if (options.silent) return;
    const write = (line: string) => {
      if (!control.destroyed) control.write(line + "\r\n");
    };
    if (options.notFtp) {
      write("SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3");
      return;
    }
    let user: string | undefined;
    let loggedIn = false;
    let anonymous = false;
    let cwd = "/";
    let restart = 0;
    let pending: Pending | undefined;
    /** The transfer in progress: ABOR is handled at once while there is one. */
    let transfer: { abor(): void } | undefined;
    const resolve = (arg: string) => posix.resolve(cwd, arg || ".");

    const clearPending = () => {
      if (pending?.kind === "passive") pending.server.close();
      pending = undefined;
    };

    /** The data connection of the pending PASV/EPSV/PORT/EPRT, or undefined (and the 425 said). */
    const openData = async (before150: () => void): Promise<net.Socket | undefined> => {
      const p = pending;
      pending = undefined;
      if (p === undefined) {
        write("425 Use PORT or PASV first.");
        return undefined;
      }
      if (p.kind === "passive") {
        const s = await p.socket;
        if (!s) write("425 Failed to establish connection.");
        else before150();
        return s;
      }
      if (options.activeConnectAfter150 || options.neverConnect) before150();
      if (options.neverConnect) return undefined;
      const s = await new Promise<net.Socket | undefined>((done) => {
        const c = net.connect({ host: p.host, port: p.port, localAddress: "127.0.0.1" });
        c.once("connect", () => done(track(c)));
        c.once("error", () => done(undefined));
      });
      if (!s) {
        write("425 Failed to establish connection.");
        return undefined;
      }
      state.dataConnections.push({ mode: "active", peer: `${p.host}:${p.port}` });
      if (!options.activeConnectAfter150) before150();
      return s;
    };

    /** Writes data in pieces; false when the client closed the connection or ABOR came first. */
    const send = async (s: net.Socket, data: Buffer, flags: { abor: boolean }): Promise<boolean> => {
      let broken = false;
      s.on("close", () => (broken = true));
      s.on("error", () => (broken = true));
      for (let i = 0; i < data.length; i += chunkSize) {
        if (broken || flags.abor) break;
        if (!s.write(data.subarray(i, i + chunkSize))) {
          await new Promise<void>((r) => {
            s.once("drain", r);
            s.once("close", r);
          });
        }
        await new Promise((r) => (options.dataChunkDelayMs ? setTimeout(r, options.dataChunkDelayMs) : setImmediate(r)));
      }
      if (broken || flags.abor) {
        s.destroy();
        return false;
      }
      s.end();
      await new Promise<void>((r) => {
        s.once("close", r);
        s.once("finish", r);
      });
      return !broken;
    };

    /** RETR, LIST and NLST: data to the client, with 426 (and 226 for ABOR) when cut short. */
    const download = async (data: Buffer, opening: string, done: string) => {
      const s = await openData(() => write(opening));
      if (!s || options.stallData) return;
      const flags = { abor: false };
      transfer = { abor: () => (flags.abor = true) };
      const complete = await send(s, data, flags);
      transfer = undefined;
      write(complete ? done : "426 Failure writing network stream.");
      if (flags.abor) write("226 ABOR successful.");
    };

    const listing = (arg: string, namesOnly: boolean): Buffer => {
      const path = resolve(arg.split(" ").filter((a) => !a.startsWith("-")).join(" "));
      const entries: [string, number, boolean][] = [];
      if (files.has(path)) entries.push([namesOnly ? arg : posix.basename(path), files.get(path)!.length, false]);
      else if (dirs.has(path)) {
        for (const d of [...dirs].sort()) if (d !== "/" && posix.dirname(d) === path) entries.push([posix.basename(d), 4096, true]);
        for (const [f, c] of [...files].sort()) if (posix.dirname(f) === path) entries.push([posix.basename(f), c.length, false]);
      }
      const lines = entries.map(([name, size, dir]) => (namesOnly ? name : listLine(name, size, dir)));
      return Buffer.from(lines.map((l) => l + "\r\n").join(""));
    };

    const handle = async (line: string): Promise<void> => {
      const space = line.indexOf(" ");
      const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
      const arg = space < 0 ? "" : line.slice(space + 1);
      if (ignore.has(verb)) return;
      if (refuse.has(verb)) return write("500 Unknown command.");
      if (!loggedIn && !PRELOGIN.has(verb)) return write("530 Please login with USER and PASS.");
      const denied = () => write("550 Permission denied.");
      switch (verb) {
        case "USER":
          if (loggedIn) return write("530 Can't change to another user.");
          user = arg;
          return write("331 Please specify the password.");
        case "PASS":
          if (loggedIn) return write("230 Already logged in.");
          if (user === undefined) return write("503 Login with USER first.");
          if (ANONYMOUS.test(user) || (Object.hasOwn(users, user) && users[user] === arg)) {
            loggedIn = true;
            anonymous = ANONYMOUS.test(user);
            return write("230 Login successful.");
          }
          user = undefined;
          return write("530 Login incorrect.");
        case "QUIT":
          write("221 Goodbye.");
          control.end();
          return;
        case "FEAT":
          return write(["211-Features:", ...FEATURES.map((f) => " " + f), "211 End"].join("\r\n"));
        case "SYST":
          return write("215 UNIX Type: L8");
        case "NOOP":
          return write("200 NOOP ok.");
        case "PWD":
          return write(`257 "${cwd.replace(/"/g, '""')}" is the current directory`);
        case "CWD":
        case "CDUP": {
          const dir = resolve(verb === "CDUP" ? ".." : arg);
          if (!dirs.has(dir)) return write("550 Failed to change directory.");
          cwd = dir;
          return write("250 Directory successfully changed.");
        }
        case "TYPE":
          if (/^A( N)?$/i.test(arg)) return write("200 Switching to ASCII mode.");
          if (/^(I|L 8)$/i.test(arg)) return write("200 Switching to Binary mode.");
          return write("500 Unrecognised TYPE command.");
        case "MODE":
          return write(/^S$/i.test(arg) ? "200 Mode set to S." : "504 Bad MODE command.");
        case "STRU":
          return write(/^F$/i.test(arg) ? "200 Structure set to F." : "504 Bad STRU command.");
        case "SIZE": {
          const f = files.get(resolve(arg));
          return write(f ? `213 ${f.length}` : "550 Could not get file size.");
        }
        case "MDTM":
          return write(files.has(resolve(arg)) ? `213 ${FAKE_MDTM}` : "550 Could not get file modification time.");
        case "MKD": {
          if (anonymous) return denied();
          const dir = resolve(arg);
          if (dirs.has(dir) || files.has(dir) || !dirs.has(posix.dirname(dir))) return write("550 Create directory operation failed.");
          dirs.add(dir);
          return write(`257 "${dir}" created`);
        }
        case "RMD": {
          if (anonymous) return denied();
          const dir = resolve(arg);
          const busy = [...dirs, ...files.keys()].some((p) => p !== dir && posix.dirname(p) === dir);
          if (dir === "/" || !dirs.has(dir) || busy) return write("550 Remove directory operation failed.");
          dirs.delete(dir);
          return write("250 Remove directory operation successful.");
        }
        case "DELE": {
          if (anonymous) return denied();
          if (!files.delete(resolve(arg))) return write("550 Delete operation failed.");
          return write("250 Delete operation successful.");
        }
        case "REST": {
          const n = Number(arg);
          restart = Number.isSafeInteger(n) && n >= 0 ? n : 0;
          return write(`350 Restart position accepted (${restart}).`);
        }
        case "PASV":
        case "EPSV": {
          clearPending();
          const p = await listenPassive();
          let port = (p.server.address() as net.AddressInfo).port;
          if (options.brokenPassive) {
            p.server.close();
            const spare = net.createServer().listen(0, "127.0.0.1");
            await once(spare, "listening");
            port = (spare.address() as net.AddressInfo).port;
            await new Promise((r) => spare.close(r));
          }
          pending = p;
          if (verb === "EPSV") return write(`229 Entering Extended Passive Mode (|||${port}|)`);
          const host = (options.pasvAddress ?? "127.0.0.1").replace(/\./g, ",");
          return write(`227 Entering Passive Mode (${host},${Math.floor(port / 256)},${port % 256}).`);
        }
        case "PORT": {
          const n = arg.split(",").map(Number);
          if (n.length !== 6 || n.some((x) => !Number.isInteger(x) || x < 0 || x > 255)) return write("500 Illegal PORT command.");
          const host = n.slice(0, 4).join(".");
          if (host !== plain(control.remoteAddress)) return write("500 Illegal PORT command.");
          clearPending();
          pending = { kind: "active", host, port: n[4]! * 256 + n[5]! };
          return write("200 PORT command successful. Consider using PASV.");
        }
        case "EPRT": {
          const m = /^(.)([12])\1([^|]+)\1(\d+)\1$/.exec(arg);
          if (!m) return write("500 Bad EPRT command.");
          if (m[2] !== "1" || m[3] !== plain(control.remoteAddress)) return write("500 Illegal EPRT command.");
          clearPending();
          pending = { kind: "active", host: m[3]!, port: Number(m[4]) };
          return write("200 EPRT command successful. Consider using EPSV.");
        }
        case "LIST":
        case "NLST":
          return download(listing(arg, verb === "NLST"), "150 Here comes the directory listing.", "226 Directory send OK.");
        case "RETR": {
          const path = resolve(arg);
          const f = files.get(path);
          const offset = restart;
          restart = 0;
          if (!f) {
            clearPending();
            return write("550 Failed to open file.");
          }
          return download(f.subarray(Math.min(offset, f.length)), `150 Opening BINARY mode data connection for ${posix.basename(path)} (${f.length} bytes).`, "226 Transfer complete.");
        }
        case "STOR": {
          const path = resolve(arg);
          restart = 0;
          if (anonymous || !dirs.has(posix.dirname(path)) || dirs.has(path)) {
            clearPending();
            return write("553 Could not create file.");
          }
          const s = await openData(() => write("150 Ok to send data."));
          if (!s) return;
          const chunks: Buffer[] = [];
          s.on("data", (c: Buffer) => chunks.push(c));
          await new Promise<void>((r) => s.once("close", () => r()));
          files.set(path, Buffer.concat(chunks));
          return write("226 Transfer complete.");
        }
        case "ABOR":
          return write("225 No transfer to ABOR.");
        default:
          return write("500 Unknown command.");
      }
    };

    let queue = Promise.resolve();
    let partial = "";
    control.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split("\r\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        state.commands.push(line);
        if (/^ABOR$/i.test(line) && transfer) {
          transfer.abor();
          continue;
        }
        queue = queue.then(() => handle(line));
      }
    });
    control.on("close", clearPending);
    write(options.greeting ?? "220 (vsFTPd 3.0.3)");
  };

  const server = net.createServer(serve);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  state.port = (server.address() as net.AddressInfo).port;
  return state;
}
