/**
 * Errors carry a stable `code`, the HTTP status an API answer should use, and structured fields.
 * The constructor writes the message, so every place that throws one says the same thing.
 */
export class L7labError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details: Record<string, unknown>;

  constructor(code: string, status: number, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.status = status;
    this.details = details;
  }
}

/** Formats a list of choices the way every "unknown X" message does: `"a", "b" and "c"`. */
export function listChoices(choices: readonly string[]): string {
  const quoted = [...choices].sort().map((c) => `"${c}"`);
  if (quoted.length === 0) return "(none)";
  if (quoted.length === 1) return quoted[0]!;
  return `${quoted.slice(0, -1).join(", ")} and ${quoted[quoted.length - 1]}`;
}

/** A name that is not one of the valid choices: a service, a scenario, a probe, an action. */
export class UnknownNameError extends L7labError {
  constructor(kind: string, name: string, valid: readonly string[]) {
    super("UNKNOWN_" + kind.toUpperCase().replace(/[^A-Z]+/g, "_"), 404,
      `${kind} "${name}" is not known. Valid ${kind}s are ${listChoices(valid)}.`, { kind, name, valid: [...valid].sort() });
  }
}

/** Input that does not have the required shape. `problems` name what to fix, one per line. */
export class InvalidInputError extends L7labError {
  constructor(what: string, problems: readonly string[]) {
    super("INVALID_INPUT", 400, `${what} is invalid: ${problems.join("; ")}`, { what, problems: [...problems] });
  }
}

/** A failure to talk to a server at all (no answer, connection refused), as opposed to a refusal. */
export class ProbeNetworkError extends L7labError {
  constructor(protocol: string, server: string, what: string, options?: ErrorOptions) {
    super("PROBE_NETWORK", 502, `${protocol} probe could not talk to ${server}: ${what}`, { protocol, server }, options);
  }
}

/** A probe called by hand through the API that ran past the call's deadline; the probe was stopped. */
export class ProbeCallDeadlineError extends L7labError {
  constructor(probe: string, deadlineMs: number) {
    super("PROBE_CALL_DEADLINE", 504, `probe "${probe}" was stopped after ${deadlineMs} ms, the deadline of a probe call; a probe's own timeouts and waits fit well inside it`, { probe, deadlineMs });
  }
}

/** A timeout of one protocol exchange. */
export class ProbeTimeoutError extends L7labError {
  constructor(protocol: string, server: string, timeoutMs: number, what: string) {
    super("PROBE_TIMEOUT", 504, `${protocol} probe got no answer from ${server} to ${what} within ${timeoutMs} ms`, { protocol, server, timeoutMs });
  }
}

/** A Docker operation that failed. */
export class DockerError extends L7labError {
  constructor(operation: string, target: string, options?: ErrorOptions) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : "";
    super("DOCKER", 502, `Docker could not ${operation} ${target}${why}`, { operation, target }, options);
  }
}
