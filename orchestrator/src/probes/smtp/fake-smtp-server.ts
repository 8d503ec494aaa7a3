import net from "node:net";
import tls from "node:tls";
import { once } from "node:events";
import { decodeData, endOfData } from "./data.ts";

/**
 * Test support (not used by the probe): a fake SMTP server on 127.0.0.1, a small state machine
 * that answers the way Postfix does (the same codes and texts), records what it received, and can
 * be scripted: refuse recipients, check AUTH credentials, offer STARTTLS or implicit TLS, stay silent.
 */

export interface FakeMessage {
  from: string;
  to: string[];
  /** The data exactly as received after the 354, dot-stuffing and the CRLF.CRLF terminator included. */
  wire: string;
  /** The message the data carries: the stuffing undone, the terminator gone. */
  text: string;
}

export interface FakeSmtpSession {
  /** Every command line received, as received (AUTH tokens included). */
  commands: string[];
  messages: FakeMessage[];
  tls: boolean;
  /** The user who authenticated. */
  user?: string;
}

/**
 * A hook asked first for every command: a reply ("250 ok", several lines joined with "\r\n"),
 * `null` to say nothing at all, or undefined for the usual answer.
 */
export type FakeSmtpHandler = (command: string, session: FakeSmtpSession) => string | null | undefined;

export interface FakeSmtpOptions {
  /** The greeting; default "220 mail.test ESMTP Postfix". `null`: accept the connection and never say anything. */
  greeting?: string | null;
  /** The EHLO keywords; default PIPELINING, SIZE, VRFY, ETRN, STARTTLS (with `tls`, before TLS), AUTH PLAIN LOGIN, ENHANCEDSTATUSCODES, 8BITMIME, DSN, SMTPUTF8. */
  extensions?: string[];
  /** Key and certificate: offer STARTTLS (or, with `implicitTls`, TLS from the start). */
  tls?: { key: string; cert: string };
  implicitTls?: boolean;
  /** Recipients refused with 550 5.1.1. */
  rejectRecipients?: string[];
  /** Users and passwords AUTH accepts. */
  users?: Record<string, string>;
  /** Default "4F1D81234". */
  queueId?: string;
  handle?: FakeSmtpHandler;
}

export interface FakeSmtpServer {
  port: number;
  sessions: FakeSmtpSession[];
  close(): Promise<void>;
}

const HOST = "mail.test";

function defaultExtensions(options: FakeSmtpOptions, session: FakeSmtpSession): string[] {
  return ["PIPELINING", "SIZE 10240000", "VRFY", "ETRN", ...(options.tls && !session.tls ? ["STARTTLS"] : []), "AUTH PLAIN LOGIN", "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8"];
}

const b64 = (s: string) => Buffer.from(s, "base64").toString("utf8");
const addressIn = (arg: string) => /<([^>]*)>/.exec(arg)?.[1] ?? arg.trim();

function serve(socket: net.Socket, options: FakeSmtpOptions, sessions: FakeSmtpSession[]): void {
  const session: FakeSmtpSession = { commands: [], messages: [], tls: options.implicitTls === true };
  sessions.push(session);
  let stream: net.Socket = socket;
  let received = "";
  let helo = false;
  let from: string | undefined;
  let to: string[] = [];
  let inData = false;
  /** The AUTH exchange under way: which answer comes next. */
  let auth: { step: "plain" | "login-user" | "login-pass"; user?: string } | undefined;

  const say = (reply: string) => stream.write(reply + "\r\n");
  const reset = () => {
    from = undefined;
    to = [];
  };
  const login = (user: string, pass: string) => {
    if (options.users?.[user] === pass) {
      session.user = user;
      return "235 2.7.0 Authentication successful";
    }
    return "535 5.7.8 Error: authentication failed: authentication failure";
  };

  const answerAuth = (line: string): string => {
    const step = auth!;
    auth = undefined;
    if (line === "*") return "501 5.7.0 Authentication aborted";
    if (step.step === "plain") {
      const [, user = "", pass = ""] = b64(line).split("\0");
      return login(user, pass);
    }
    if (step.step === "login-user") {
      auth = { step: "login-pass", user: b64(line) };
      return "334 UGFzc3dvcmQ6";
    }
    return login(step.user ?? "", b64(line));
  };

  const answer = (line: string): string | "starttls" | "quit" => {
    const [verb = "", ...args] = line.split(" ");
    const arg = args.join(" ");
    switch (verb.toUpperCase()) {
      case "HELO":
        helo = true;
        reset();
        return `250 ${HOST}`;
      case "EHLO": {
        helo = true;
        reset();
        const lines = [HOST, ...(options.extensions ?? defaultExtensions(options, session))];
        return lines.map((l, i) => `250${i === lines.length - 1 ? " " : "-"}${l}`).join("\r\n");
      }
      case "STARTTLS":
        if (session.tls) return "554 5.5.1 Error: TLS already active";
        if (!options.tls) return "502 5.5.1 Error: command not implemented";
        return "starttls";
      case "AUTH": {
        if (!helo) return "503 5.5.1 Error: send HELO/EHLO first";
        if (session.user) return "503 5.5.1 Error: already authenticated";
        const [mechanism = "", initial] = args;
        if (mechanism.toUpperCase() === "PLAIN") {
          auth = { step: "plain" };
          return initial ? answerAuth(initial) : "334 ";
        }
        if (mechanism.toUpperCase() === "LOGIN") {
          auth = { step: "login-user" };
          return initial ? answerAuth(initial) : "334 VXNlcm5hbWU6";
        }
        return "535 5.7.8 Error: authentication failed: Invalid authentication mechanism";
      }
      case "MAIL":
        if (!helo) return "503 5.5.1 Error: send HELO/EHLO first";
        if (from !== undefined) return "503 5.5.1 Error: nested MAIL command";
        from = addressIn(arg);
        return "250 2.1.0 Ok";
      case "RCPT": {
        if (from === undefined) return "503 5.5.1 Error: need MAIL command";
        const address = addressIn(arg);
        if (options.rejectRecipients?.includes(address)) return `550 5.1.1 <${address}>: Recipient address rejected: User unknown in local recipient table`;
        to.push(address);
        return "250 2.1.5 Ok";
      }
      case "DATA":
        if (to.length === 0) return "503 5.5.1 Error: need RCPT command";
        inData = true;
        return "354 End data with <CR><LF>.<CR><LF>";
      case "RSET":
        reset();
        return "250 2.0.0 Ok";
      case "NOOP":
        return "250 2.0.0 Ok";
      case "VRFY":
        return `252 2.0.0 ${arg}`;
      case "QUIT":
        return "quit";
      default:
        return "502 5.5.2 Error: command not recognized";
    }
  };

  const upgrade = () => {
    stream.off("data", onData);
    received = "";
    const secure = new tls.TLSSocket(socket, { isServer: true, key: options.tls!.key, cert: options.tls!.cert });
    secure.on("error", () => undefined);
    secure.on("data", onData);
    stream = secure;
    session.tls = true;
    helo = false;
    reset();
  };

  const pump = () => {
    for (;;) {
      if (inData) {
        const end = endOfData(received);
        if (end < 0) return;
        const wire = received.slice(0, end);
        received = received.slice(end);
        inData = false;
        session.messages.push({ from: from ?? "", to, wire, text: decodeData(wire) });
        reset();
        say(`250 2.0.0 Ok: queued as ${options.queueId ?? "4F1D81234"}`);
        continue;
      }
      const nl = received.indexOf("\n");
      if (nl < 0) return;
      const line = received.slice(0, nl).replace(/\r$/, "");
      received = received.slice(nl + 1);
      session.commands.push(line);
      const scripted = options.handle?.(line, session);
      if (scripted === null) continue;
      if (scripted !== undefined) {
        say(scripted);
        continue;
      }
      const reply = auth ? answerAuth(line) : answer(line);
      if (reply === "quit") {
        stream.end("221 2.0.0 Bye\r\n");
        return;
      }
      if (reply === "starttls") {
        say("220 2.0.0 Ready to start TLS");
        upgrade();
        return;
      }
      say(reply);
    }
  };
  const onData = (chunk: Buffer) => {
    received += chunk.toString("utf8");
    pump();
  };

  socket.on("error", () => undefined);
  stream.on("data", onData);
  const greeting = options.greeting === undefined ? `220 ${HOST} ESMTP Postfix` : options.greeting;
  if (greeting !== null) say(greeting);
}

/** Starts a fake SMTP server on a random port of 127.0.0.1. */
export async function startFakeSmtpServer(options: FakeSmtpOptions = {}): Promise<FakeSmtpServer> {
  const sessions: FakeSmtpSession[] = [];
  const sockets = new Set<net.Socket>();
  const onConnection = (socket: net.Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    serve(socket, options, sessions);
  };
  const server = options.implicitTls && options.tls ? tls.createServer({ key: options.tls.key, cert: options.tls.cert }, onConnection) : net.createServer(onConnection);
  if (options.implicitTls) server.on("tlsClientError", () => undefined);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    port: (server.address() as net.AddressInfo).port,
    sessions,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (it was free a moment ago): for "connection refused". */
export async function unusedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}
