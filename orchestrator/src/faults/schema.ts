/**
 * A network fault's fields as a TypeBox schema: one declaration for scenario files (fault steps),
 * the API (POST /api/faults, and what GET and DELETE show) and the OpenAPI document. The cross-field
 * rules (one family per fault, what needs what) are netFaultProblems's, which every entry point calls.
 */
import { Type } from "typebox";
import { DELAY_MS_MAX, DISTRIBUTIONS, LOSS_DIRECTIONS, PARTITION_PEERS_MAX, RATE_KBIT_MAX, RATE_KBIT_MIN, WINDOW_SEGMENTS_MAX, WINDOW_SEGMENTS_MIN } from "./net-fault-args.ts";

/**
 * The fields, with their ranges for scenario files (and the editors that read their schema). The
 * API takes the types alone (NetFaultProperties) and lets netFaultProblems check the values, whose
 * messages say what was given and what is accepted.
 */
function properties(ranged: boolean) {
  const range = <T extends object>(limits: T) => (ranged ? limits : {});
  const percent = (description: string) => Type.Optional(Type.Number({ ...range({ exclusiveMinimum: 0, maximum: 100 }), description }));
  const choice = (values: readonly string[], description: string) =>
    ranged ? Type.Union(values.map((v) => Type.Literal(v)), { description }) : Type.String({ description: `${description} One of: ${values.join(", ")}.` });
  const ms = (description: string) => Type.Optional(Type.Number({ ...range({ minimum: 0, maximum: DELAY_MS_MAX }), description }));
  return {
  loss: percent("Random packet loss in percent: each packet is dropped with this probability (iptables statistic match)."),
  direction: Type.Optional(
    choice(LOSS_DIRECTIONS, "Only with loss: which packets, both (default), ingress (arriving at the service) or egress (sent by it). Loopback is never touched."),
  ),
  rateKbit: Type.Optional(
    (ranged ? Type.Integer : Type.Number)({
      ...range({ minimum: RATE_KBIT_MIN, maximum: RATE_KBIT_MAX }),
      description:
        "A rate limit in kbit/s (1000 bit/s), like an access link: a token bucket (tc tbf, 100 ms of queue) on the egress of each of the service's interfaces, so it slows what the service sends; on the campus router it shapes both directions of the access link. With to, only what it sends that peer (an htb class of its own).",
    }),
  ),
  delayMs: ms("A fixed delay, in ms, on everything the service sends (netem's semantics: a round trip to it grows by this much). Through a userspace delay line (NFQUEUE) on kernels without sch_netem; see GET /api/capabilities."),
  jitterMs: ms("With delayMs: a random part of the delay, in ms (uniform on ±jitterMs, or normal with this standard deviation). Packets keep their order."),
  distribution: Type.Optional(choice(DISTRIBUTIONS, "With jitterMs: uniform (default) or normal.")),
  duplicate: percent("Percent of the packets the service sends that are sent twice."),
  reorder: percent("Percent of the packets the service sends that are held back gapMs, so that later ones overtake them."),
  gapMs: ms("With reorder: how long a reordered packet is held back, in ms (default 10)."),
  windowSegments: Type.Optional(
    (ranged ? Type.Integer : Type.Number)({
      ...range({ minimum: WINDOW_SEGMENTS_MIN, maximum: WINDOW_SEGMENTS_MAX }),
      description:
        "A fixed TCP window on what the service sends: each connection has at most this many segments in flight (a route's locked cwnd), so it sends at most windowSegments x MSS per round trip. The kernel applies it once a connection to that peer has closed normally (its TCP metrics cache, flushed when the window is set, takes the lock from the route when a connection closes; a reset does not count): the first connection to a peer starts at windowSegments but may grow.",
    }),
  ),
  to: Type.Optional(Type.String({ minLength: 1, description: "Narrows the profile (loss, rate, delay, duplicate, reorder, window) to traffic to this service (and, for ingress loss, from it)." })),
  partition: Type.Optional(
    Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1, maxItems: PARTITION_PEERS_MAX })], {
      description: "A partition: the service(s) this one is cut off from. Nothing passes between them, either way unless oneWay.",
    }),
  ),
  oneWay: Type.Optional(Type.Boolean({ description: "With partition: only what this service sends to them is lost; what they send still arrives." })),
  disconnect: Type.Optional(Type.String({ minLength: 1, description: "A network this service is cut from: nothing passes on its interface there (the link stays up)." })),
  linkDown: Type.Optional(Type.String({ minLength: 1, description: "A network whose interface on this service goes down; it comes back up, with its routes, when healed." })),
  };
}

export const NetFaultProperties = properties(false);

const requestOptions = {
  additionalProperties: false,
  description:
    "One of: a link profile (any of loss with direction, rateKbit, delayMs with jitterMs and distribution, duplicate, reorder with gapMs, windowSegments; optionally narrowed to one peer with to), a partition (with oneWay), disconnect, or linkDown. One network fault per service at a time.",
};
const service = Type.String({ minLength: 1, description: "The service whose network traffic suffers the fault." });

/** A fault as given: { service, ...one family of fields }; the API's body. */
export const NetFaultRequestSchema = Type.Object({ service, ...NetFaultProperties }, requestOptions);
/** The same with each value's range: a scenario's fault step. */
export const RangedNetFaultRequestSchema = Type.Object({ service, ...properties(true) }, requestOptions);

const count = () => Type.Optional(Type.Integer({ minimum: 0 }));

/** A removed fault's counters: the groups of its kinds, in one flat object; null when they could not be read. */
export const FaultCountersSchema = Type.Union([
  Type.Object(
    {
      ingressSeen: count(),
      ingressDropped: count(),
      egressSeen: count(),
      egressDropped: count(),
      measuredPercent: Type.Optional(Type.Number({ description: "loss: dropped / seen over both directions, in percent" })),
      sentBytes: count(),
      sentPackets: count(),
      dropped: Type.Optional(Type.Integer({ minimum: 0, description: "rate: packets the full queue refused" })),
      overlimits: Type.Optional(Type.Integer({ minimum: 0, description: "rate: times the rate held a packet back" })),
      delayedPackets: count(),
      releasedPackets: count(),
      delayDropped: Type.Optional(Type.Integer({ minimum: 0, description: "delay line: packets dropped because it held 10000 already" })),
      duplicated: count(),
      reordered: count(),
      heldMax: Type.Optional(Type.Integer({ minimum: 0, description: "delay line: the most packets held at once" })),
      sendFailed: Type.Optional(Type.Integer({ minimum: 0, description: "delay line: packets due that its socket could not take at once (lost)" })),
      cutInDropped: Type.Optional(Type.Integer({ minimum: 0, description: "partition or disconnect: packets dropped as they arrived" })),
      cutOutDropped: Type.Optional(Type.Integer({ minimum: 0, description: "partition or disconnect: packets dropped as they left (sent or forwarded)" })),
    },
    { additionalProperties: false, description: "loss: ingress*/egress*/measuredPercent; rate: sentBytes, sentPackets, dropped, overlimits; delay line: delayedPackets … heldMax; partition and disconnect: cutInDropped, cutOutDropped; a link down has none" },
  ),
  Type.Null(),
]);
