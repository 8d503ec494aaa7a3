import { createHash } from "node:crypto";
import { parseList } from "basic-ftp";
import { generatedChunks } from "./content.ts";
import type { DataChannel, DataFailure, DataOptions, FtpControl, TransferSpec } from "./control.ts";
import type { FtpAction } from "./params.ts";
import { isCompletion, isPositive, parseFeatures, parseMdtm, parsePathname, parseSize } from "./reply.ts";
import type { FtpActionKind, FtpActionResult, FtpReply, FtpResult, FtpTransferPart } from "./types.ts";

/**
 * One FTP session on a control connection: the greeting, USER/PASS, SYST and FEAT, the actions in
 * order, then QUIT. Every reply, refusals included, lands in `data`, which is filled in as the
 * session goes so that a session cut short (timeout, closed connection) still reports what it saw.
 */

export interface SessionOptions {
  user: string;
  pass: string;
  data: DataOptions;
  actions: readonly FtpAction[];
}

/** A transfer that did not happen: its data connection or REST was refused or failed. */
interface NotTransferred {
  failed: FtpActionResult;
}

const isFailure = (opened: DataChannel | DataFailure): opened is DataFailure => !("mode" in opened);
const listText = (chunks: Buffer[]) => Buffer.concat(chunks).toString("utf8");
const linesOf = (text: string) => text.split(/\r?\n/).filter((l) => l !== "");

/** The names in a LIST listing, when basic-ftp can read its style (Unix, DOS, MLSD). */
function listNames(text: string): string[] | undefined {
  try {
    return parseList(text).map((f) => f.name);
  } catch {
    return undefined;
  }
}

export class FtpSession {
  readonly #control: FtpControl;
  readonly #options: SessionOptions;
  readonly data: FtpResult;

  constructor(control: FtpControl, options: SessionOptions, data: FtpResult) {
    this.#control = control;
    this.#options = options;
    this.data = data;
  }

  async run(): Promise<void> {
    const data = this.data;
    const greeting = await this.#control.greet();
    data.greeting = greeting;
    if (!isCompletion(greeting.code)) {
      // 421 and the like: the server refuses service and closes; nothing is sent.
      data.login.text = `not attempted: the greeting was ${greeting.code}`;
      return;
    }
    const login = await this.#control.login(this.#options.user, this.#options.pass);
    data.login = { ok: login.ok, user: this.#options.user, codes: login.codes, text: login.reply.text };
    data.loggedIn = login.ok;
    if (login.ok) {
      const syst = await this.#control.command("SYST");
      if (isCompletion(syst.code)) data.system = syst.text;
      const feat = await this.#control.command("FEAT");
      if (isCompletion(feat.code)) data.features = parseFeatures(feat);
      for (const action of this.#options.actions) data.actions.push(await this.#act(action));
    }
    data.quit = await this.#control.quit();
  }

  async #simple(action: FtpActionKind, command: string, extra: (reply: FtpReply) => Partial<FtpActionResult> = () => ({})): Promise<FtpActionResult> {
    const reply = await this.#control.command(command);
    return { action, command, code: reply.code, text: reply.text, ok: isPositive(reply.code), ...extra(reply) };
  }

  #act(action: FtpAction): Promise<FtpActionResult> {
    const pathOf = (reply: FtpReply) => {
      const path = reply.code === 257 ? parsePathname(reply.text) : undefined;
      return path === undefined ? {} : { path };
    };
    // put first: its "size" (of generated content) is not the SIZE action.
    if ("put" in action) return this.#put(action.put, action.content, action.size, action.seed);
    if ("pwd" in action) return this.#simple("pwd", "PWD", pathOf);
    if ("cwd" in action) return this.#simple("cwd", `CWD ${action.cwd}`);
    if ("cdup" in action) return this.#simple("cdup", "CDUP");
    if ("type" in action) return this.#simple("type", `TYPE ${action.type}`);
    if ("mode" in action) return this.#simple("mode", `MODE ${action.mode}`);
    if ("stru" in action) return this.#simple("stru", `STRU ${action.stru}`);
    if ("mkd" in action) return this.#simple("mkd", `MKD ${action.mkd}`, pathOf);
    if ("rmd" in action) return this.#simple("rmd", `RMD ${action.rmd}`);
    if ("dele" in action) return this.#simple("dele", `DELE ${action.dele}`);
    if ("raw" in action) return this.#simple("raw", action.raw.trim());
    if ("size" in action) {
      return this.#simple("size", `SIZE ${action.size}`, (r) => {
        const size = r.code === 213 ? parseSize(r.text) : undefined;
        return size === undefined ? {} : { size };
      });
    }
    if ("mdtm" in action) {
      return this.#simple("mdtm", `MDTM ${action.mdtm}`, (r) => {
        const modified = r.code === 213 ? parseMdtm(r.text) : undefined;
        return modified === undefined ? {} : { modified };
      });
    }
    if ("list" in action) return this.#listing("list", action.list === true ? "LIST" : `LIST ${action.list}`);
    if ("nlst" in action) return this.#listing("nlst", action.nlst === true ? "NLST" : `NLST ${action.nlst}`);
    if ("get" in action) return this.#get(action.get, action.offset);
    return this.#resume(action.resume, action.splitAt, action.abort ?? "close");
  }

  /**
   * One transfer: the data connection, REST when `rest` is given, the transfer command. The
   * result of the action when something before the transfer command was refused or failed.
   */
  async #part(action: FtpActionKind, spec: TransferSpec, rest?: number): Promise<FtpTransferPart | NotTransferred> {
    const dataMode = this.#options.data.mode;
    const base = { action, command: spec.command, dataMode };
    const opened = await this.#control.openData(this.#options.data);
    if (isFailure(opened)) {
      const { command: dataCommand, reply, error } = opened;
      return {
        failed: {
          ...base,
          dataCommand,
          ...(reply ? { dataReply: reply } : {}),
          code: reply?.code ?? 0,
          text: reply?.text ?? "",
          ok: false,
          ...(error !== undefined ? { error } : {}),
        },
      };
    }
    const channel = { dataMode, dataCommand: opened.command, dataReply: opened.reply };
    let restReply: FtpReply | undefined;
    if (rest !== undefined) {
      try {
        restReply = await this.#control.command(`REST ${rest}`);
      } finally {
        if (restReply === undefined || Math.floor(restReply.code / 100) !== 3) this.#control.closeData(opened);
      }
      if (Math.floor(restReply.code / 100) !== 3) {
        return { failed: { ...base, ...channel, offset: rest, rest: restReply, code: restReply.code, text: restReply.text, ok: false } };
      }
    }
    const out = await this.#control.transfer(opened, spec);
    return {
      command: spec.command,
      ...channel,
      code: out.reply.code,
      text: out.reply.text,
      ...(out.dataPeer !== undefined ? { dataPeer: out.dataPeer } : {}),
      bytes: out.bytes,
      sha256: out.sha256,
      durationMs: out.durationMs,
      ...(restReply ? { rest: restReply } : {}),
      ...(spec.stopAfter !== undefined ? { aborted: out.aborted } : {}),
      ...(out.abor ? { abor: out.abor } : {}),
      ...(out.error !== undefined ? { error: out.error } : {}),
    };
  }

  /** The action's result for one transfer part. */
  #resultOf(action: FtpActionKind, part: FtpTransferPart): FtpActionResult {
    const { aborted: _aborted, abor: _abor, ...fields } = part;
    return { action, ...fields, ok: isPositive(part.code) && part.error === undefined };
  }

  async #listing(action: "list" | "nlst", command: string): Promise<FtpActionResult> {
    const chunks: Buffer[] = [];
    const part = await this.#part(action, { command, onData: (c) => chunks.push(c) });
    if ("failed" in part) return part.failed;
    const result = this.#resultOf(action, part);
    if (!part.code || part.code >= 400) return result;
    const text = listText(chunks);
    const lines = linesOf(text);
    const names = action === "nlst" ? lines : listNames(text);
    return { ...result, lines, ...(names !== undefined ? { names } : {}) };
  }

  async #put(path: string, content: string | undefined, size: number | undefined, seed: number | undefined): Promise<FtpActionResult> {
    const upload: Iterable<Buffer> = content !== undefined ? [Buffer.from(content, "utf8")] : size !== undefined ? generatedChunks(size, seed ?? 1) : [];
    const part = await this.#part("put", { command: `STOR ${path}`, upload });
    return "failed" in part ? part.failed : this.#resultOf("put", part);
  }

  async #get(path: string, offset: number | undefined): Promise<FtpActionResult> {
    const part = await this.#part("get", { command: `RETR ${path}` }, offset);
    if ("failed" in part) return part.failed;
    return { ...this.#resultOf("get", part), ...(offset !== undefined ? { offset } : {}) };
  }

  /**
   * A resumed download: RETR stopped after `splitAt` octets, then REST (at the octets received)
   * and RETR of the rest. bytes and sha256 are of both parts together, the whole file when the
   * server resumed correctly.
   */
  async #resume(path: string, splitAt: number, abort: "close" | "abor"): Promise<FtpActionResult> {
    const whole = createHash("sha256");
    const onData = (c: Buffer) => whole.update(c);
    const command = `RETR ${path}`;
    const first = await this.#part("resume", { command, onData, stopAfter: splitAt, abort });
    if ("failed" in first) return { ...first.failed, splitAt };
    const parts: FtpTransferPart[] = [first];
    const stopped = { action: "resume" as const, command, splitAt, parts };
    if (!first.aborted && !isPositive(first.code)) return { ...this.#resultOf("resume", first), ...stopped };
    const second = await this.#part("resume", { command, onData }, first.bytes);
    if ("failed" in second) return { ...second.failed, ...stopped };
    parts.push(second);
    const error = first.error ?? second.error;
    return {
      ...this.#resultOf("resume", second),
      ok: isPositive(second.code) && error === undefined,
      ...(error !== undefined ? { error } : {}),
      bytes: first.bytes + second.bytes,
      sha256: whole.digest("hex"),
      durationMs: Math.round((first.durationMs + second.durationMs) * 10) / 10,
      offset: first.bytes,
      ...stopped,
    };
  }
}
