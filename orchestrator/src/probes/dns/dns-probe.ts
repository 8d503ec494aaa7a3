import { Type, type Static } from "typebox";
import { InvalidInputError, ProbeNetworkError, ProbeTimeoutError } from "../../common/errors.ts";
import type { Topology } from "../../lab/topology.ts";
import { labServerAddress, serverProblems } from "../lab-server.ts";
import type { Probe, ProbeContext, ProbeOutcome } from "../probe.ts";
import { Transcript } from "../transcript.ts";
import { absoluteName, reverseName } from "./names.ts";
import { addressesOf } from "./records.ts";
import { traceIterative } from "./trace.ts";
import { DNS_PORT, queryServer } from "./transport.ts";
import { DNS_QUERY_TYPES, type DnsLookupResult, type DnsMode, type DnsNoAnswer, type DnsProbeResult, type DnsQueryType, type DnsTraceResult } from "./types.ts";

export type * from "./types.ts";
export { DNS_QUERY_TYPES } from "./types.ts";

export const DNS_MODES = ["recursive", "iterative", "direct"] as const;

export const dnsParamsSchema = Type.Object(
  {
    mode: Type.Optional(
      Type.Enum([...DNS_MODES], {
        default: "recursive",
        description: "recursive: ask a resolver with RD=1; direct: ask `server` with RD=0; iterative: follow referrals from the root like dig +trace",
      }),
    ),
    name: Type.String({ minLength: 1, description: "The name to look up; for PTR an IP address is turned into its reverse name" }),
    type: Type.Optional(Type.Enum([...DNS_QUERY_TYPES], { default: "A" })),
    server: Type.Optional(
      Type.String({
        minLength: 1,
        description: "A compose service, lab host name or address; default the lab resolver (recursive) or root (iterative)",
      }),
    ),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: "The port of every server asked; default 53" })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: 60_000, description: "Per-attempt timeout; default 2000" })),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 10, description: "UDP retransmissions; default 2" })),
    tcp: Type.Optional(Type.Boolean({ description: "Ask over TCP instead of UDP" })),
  },
  { additionalProperties: false },
);

export type DnsProbeParams = Static<typeof dnsParamsSchema>;

/** The name to put in the question: absolute, and for PTR an IP address becomes its reverse name. */
export function questionName(name: string, type: DnsQueryType): string {
  const trimmed = name.trim();
  return (type === "PTR" ? reverseName(trimmed) : undefined) ?? absoluteName(trimmed);
}

/** The address of the server to ask, from a service name, a lab host name or an address. */
export function serverAddress(mode: DnsMode, server: string | undefined, topology: Topology): string {
  if (server === undefined) {
    if (mode === "direct") throw new InvalidInputError("DNS probe parameters", ['mode "direct" needs a server (the authoritative server to ask)']);
    return topology.addressOfRole(mode === "iterative" ? "dns-root" : "dns-resolver");
  }
  return labServerAddress("DNS probe parameters", server, topology);
}

async function lookup(params: DnsProbeParams, mode: "recursive" | "direct", ctx: ProbeContext): Promise<ProbeOutcome<DnsLookupResult | DnsNoAnswer>> {
  const transcript = new Transcript();
  const type = params.type ?? "A";
  const name = questionName(params.name, type);
  const server = serverAddress(mode, params.server, ctx.topology);
  try {
    const response = await queryServer({
      server,
      port: params.port,
      name,
      type,
      rd: mode === "recursive",
      timeoutMs: params.timeoutMs,
      retries: params.retries,
      tcp: params.tcp,
      signal: ctx.signal,
      clock: ctx.clock,
      transcript,
    });
    const first = response.answers[0];
    const data: DnsLookupResult = { ...response, mode, name, type, addresses: addressesOf(response.answers), ...(first ? { ttl: first.ttl } : {}) };
    return { ok: true, data, transcript: transcript.lines };
  } catch (err) {
    if (!(err instanceof ProbeTimeoutError || err instanceof ProbeNetworkError)) throw err;
    return {
      ok: false,
      data: { mode, name, type, server, port: params.port ?? DNS_PORT, answered: false },
      error: { code: err.code, message: err.message },
      transcript: transcript.lines,
    };
  }
}

async function trace(params: DnsProbeParams, ctx: ProbeContext): Promise<ProbeOutcome<DnsTraceResult>> {
  const transcript = new Transcript();
  const type = params.type ?? "A";
  const data = await traceIterative({
    name: questionName(params.name, type),
    type,
    root: serverAddress("iterative", params.server, ctx.topology),
    port: params.port,
    timeoutMs: params.timeoutMs,
    retries: params.retries,
    tcp: params.tcp,
    signal: ctx.signal,
    clock: ctx.clock,
    transcript,
    allowAddress: (address) => ctx.topology.isLabAddress(address),
  });
  if (data.servers.length > 0) return { ok: true, data, transcript: transcript.lines };
  const timedOut = data.hops.length > 0 && data.hops.every((h) => h.kind === "timeout");
  const why = data.hops.map((h) => h.error).find((e) => e !== undefined);
  return {
    ok: false,
    data,
    error: { code: timedOut ? "PROBE_TIMEOUT" : "PROBE_NETWORK", message: `no server answered${why ? `: ${why}` : ""}` },
    transcript: transcript.lines,
  };
}

/**
 * The DNS probe: one recursive or direct query, or an iterative resolution from the root. Any DNS
 * answer (NXDOMAIN, SERVFAIL, REFUSED included) is `ok: true`; `ok: false` means no server answered.
 */
export const dnsProbe: Probe<typeof dnsParamsSchema, DnsProbeResult> = {
  name: "dns",
  description: "Looks a name up: through the lab resolver, directly at one server, or iteratively from the root (dig +trace).",
  paramsSchema: dnsParamsSchema,
  check(params, ctx) {
    if ((params.mode ?? "recursive") === "direct" && params.server === undefined) return ['mode "direct" needs a server (the authoritative server to ask)'];
    return serverProblems("DNS probe parameters", params.server, ctx.topology);
  },
  run(params, ctx) {
    const mode = params.mode ?? "recursive";
    return mode === "iterative" ? trace(params, ctx) : lookup(params, mode, ctx);
  },
};
