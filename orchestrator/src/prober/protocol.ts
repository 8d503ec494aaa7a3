/**
 * What the controller and the prober say to each other (issue 11: the orchestrator split in two).
 *
 * The controller holds the Docker socket, the API, the scenarios and the faults, on the management
 * network only. The prober runs the protocol probes on the lab networks, as a user with no
 * privileges and no socket. The controller starts the prober's process itself, as a `docker exec`
 * session in the prober's container (orchestrator/src/prober/link.ts), and they talk over that
 * session's stdin and stdout: so the prober listens on no port, and takes work from nobody but the
 * holder of the Docker socket.
 *
 * One message per line: a marker, then JSON. JSON, not a richer encoding: the prober parses
 * hostile protocol data, so what it sends back is read by the one parser the controller trusts
 * most, and probe results are JSON already (the API sends them as JSON). A line without the marker
 * is not a message (a library that printed something): the controller logs it and goes on.
 */
import { L7labError } from "../common/errors.ts";
import type { ProbeOutcome } from "../probes/probe.ts";

export const MARKER = "l7lab-prober/1 ";

/** An error as it crosses: enough to raise the same API answer (code, status, details) on the other side. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  status?: number;
  details?: Record<string, unknown>;
}

export type ToProber =
  | { t: "run"; id: number; probe: string; params: unknown }
  | { t: "abort"; id: number; reason: WireError };

export type FromProber =
  | { t: "ready"; probes: string[] }
  | { t: "done"; id: number; outcome: ProbeOutcome }
  | { t: "fail"; id: number; error: WireError };

/** One message as a line (newline included). */
export function encode(message: ToProber | FromProber): string {
  return `${MARKER}${JSON.stringify(message)}\n`;
}

/** A line's message, or undefined for a line that is not one. Throws on a marked line that is not valid JSON. */
export function decode(line: string): unknown {
  if (!line.startsWith(MARKER)) return undefined;
  return JSON.parse(line.slice(MARKER.length));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Checks, without trusting it, that a message from the prober has the shape the controller acts on. */
export function asFromProber(v: unknown): FromProber | undefined {
  if (!isObject(v)) return undefined;
  if (v["t"] === "ready" && Array.isArray(v["probes"]) && v["probes"].every((p) => typeof p === "string")) return v as FromProber;
  if (typeof v["id"] !== "number" || !Number.isSafeInteger(v["id"])) return undefined;
  if (v["t"] === "done" && isOutcome(v["outcome"])) return v as FromProber;
  if (v["t"] === "fail" && isObject(v["error"]) && typeof v["error"]["message"] === "string") return v as FromProber;
  return undefined;
}

const DIRECTIONS = new Set(["C", "S", "*"]);

/** A probe outcome in the shape the API's schema promises: ok, data, an optional {code, message} error, transcript lines. */
function isOutcome(v: unknown): boolean {
  if (!isObject(v) || typeof v["ok"] !== "boolean" || !("data" in v) || !Array.isArray(v["transcript"])) return false;
  const error = v["error"];
  if (error !== undefined && !(isObject(error) && typeof error["code"] === "string" && typeof error["message"] === "string")) return false;
  return v["transcript"].every((l) => isObject(l) && typeof l["dir"] === "string" && DIRECTIONS.has(l["dir"]) && typeof l["peer"] === "string" && typeof l["text"] === "string" && typeof l["atMs"] === "number");
}

/** Checks a message from the controller. */
export function asToProber(v: unknown): ToProber | undefined {
  if (!isObject(v) || typeof v["id"] !== "number" || !Number.isSafeInteger(v["id"])) return undefined;
  if (v["t"] === "run" && typeof v["probe"] === "string") return v as ToProber;
  if (v["t"] === "abort" && isObject(v["reason"])) return v as ToProber;
  return undefined;
}

export function toWire(error: unknown): WireError {
  if (error instanceof L7labError) return { name: error.name, message: error.message, code: error.code, status: error.status, details: error.details };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: "Error", message: String(error) };
}

/**
 * The statuses a probe's errors have (bad parameters 400, an unknown name 404, a conflict 409, the
 * client gone 499, no exchange with the server 502, a timeout 504). An error from the prober with
 * any other status, or a code that is not an upper-case word, becomes PROBER_ERROR (502): a prober
 * that was broken into cannot make the API answer as it likes.
 */
const PROBE_ERROR_STATUSES = new Set([400, 404, 409, 499, 502, 504]);
/** What the controller keeps of an error's details: plain values, and never API directives such as retryAfterS. */
const KEPT_DETAIL = (key: string, value: unknown) => key !== "retryAfterS" && /^[a-zA-Z]{1,40}$/.test(key) && (value === null || ["string", "number", "boolean"].includes(typeof value) || (Array.isArray(value) && value.every((x) => typeof x === "string")));

/**
 * The error again: an L7labError with the same code, status and details when it was one a probe
 * throws, so that the API answers as it would have with the probe in its own process.
 */
export function fromWire(w: WireError): Error {
  const message = (typeof w.message === "string" ? w.message : "the prober reported an error without a message").slice(0, 4000);
  let error: Error;
  if (typeof w.code === "string" && /^[A-Z][A-Z0-9_]{0,40}$/.test(w.code) && typeof w.status === "number" && PROBE_ERROR_STATUSES.has(w.status)) {
    const details = isObject(w.details) ? Object.fromEntries(Object.entries(w.details).filter(([k, v]) => KEPT_DETAIL(k, v))) : {};
    error = new L7labError(w.code, w.status, message, details);
    if (typeof w.name === "string" && /^[A-Za-z]{1,60}$/.test(w.name)) error.name = w.name;
  } else if (typeof w.code === "string" || typeof w.status === "number") {
    error = new L7labError("PROBER_ERROR", 502, `the prober reported an error the controller does not take as it is: ${message}`, {});
  } else {
    error = new Error(message);
    if (typeof w.name === "string" && /^[A-Za-z]{1,60}$/.test(w.name)) error.name = w.name;
  }
  return error;
}
