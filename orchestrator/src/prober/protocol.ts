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
  if (v["t"] === "done" && isObject(v["outcome"]) && typeof v["outcome"]["ok"] === "boolean" && Array.isArray(v["outcome"]["transcript"])) return v as FromProber;
  if (v["t"] === "fail" && isObject(v["error"]) && typeof v["error"]["message"] === "string") return v as FromProber;
  return undefined;
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
 * The error again: an L7labError with the same code, status and details when it was one, so that
 * the API answers as it would have with the probe in its own process.
 */
export function fromWire(w: WireError): Error {
  const message = typeof w.message === "string" ? w.message : "the prober reported an error without a message";
  let error: Error;
  if (typeof w.code === "string" && typeof w.status === "number" && Number.isInteger(w.status) && w.status >= 400 && w.status <= 599) {
    error = new L7labError(w.code, w.status, message, isObject(w.details) ? w.details : {});
  } else {
    error = new Error(message);
  }
  if (typeof w.name === "string") error.name = w.name;
  return error;
}
