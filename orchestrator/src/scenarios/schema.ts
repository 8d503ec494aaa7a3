import { Type, type Static, type TSchema } from "typebox";
import { SERVICE_ACTIONS, type ServiceAction } from "../docker/docker-adapter.ts";
import type { NetFaultSpec } from "../faults/net-fault-args.ts";
import { RangedNetFaultRequestSchema } from "../faults/schema.ts";
import { CaptureSpecSchema, type CaptureSpec } from "../capture/plan.ts";
import { MAX_WAIT_MS } from "./duration.ts";

/**
 * The scenario file format, as typebox schemas (plain JSON Schema). `ScenarioSchema` is the whole
 * file, and is what `scenarios/scenario.schema.json` holds for editors. The loader validates a file
 * piece by piece with the smaller schemas below (the scenario's own fields, then each step by its
 * kind, then each assertion by its operator), so that every error names the step and field at fault.
 */

export const STEP_ID_PATTERN = "^[a-z0-9-]+$";
export const SCENARIO_NAME_PATTERN = STEP_ID_PATTERN;
/** "500ms", "2s", "1.5s", "1m", "1h". A number in a scenario file is taken as milliseconds. */
export const DURATION_PATTERN = "^[0-9]+(\\.[0-9]+)?(ms|s|m|h)$";
/** The most steps in a scenario, and the most assertions in one list. */
export const MAX_STEPS = 500;
export const MAX_ASSERTIONS = 100;
/** The longest command an exec step may wait for: 1 hour. */
export const MAX_EXEC_TIMEOUT_MS = 3_600_000;
/** The longest a whole run may be given: 24 hours (under Node's timer limit of 2^31-1 ms). */
export const MAX_RUN_TIMEOUT_MS = 86_400_000;

const StepId = Type.String({
  pattern: STEP_ID_PATTERN,
  maxLength: 63,
  description: "Unique within the scenario: lower-case letters, digits and dashes. Later steps refer to this step's result by it.",
});

export const RefSchema = Type.Object(
  { ref: Type.String({ minLength: 1, description: 'An earlier step\'s result: "<stepId>.<path>", for example "first.answers[0].ttl".' }) },
  { additionalProperties: false, description: "A value taken from an earlier step's result." },
);
export type Ref = Static<typeof RefSchema>;

const Comparable = Type.Union([Type.Number(), Type.String(), RefSchema], {
  description: "A number (or a string, compared as text), or a { ref } to an earlier step's result.",
});

/**
 * The operators, each with the schema of its expected value. Exactly one per assertion. A union's
 * description is a noun phrase: validation messages say "must be <description>".
 */
export const OPERATOR_SCHEMAS = {
  equals: Type.Unknown({ description: "Deep equality with this value (or a { ref })." }),
  notEquals: Type.Unknown({ description: "Not deeply equal to this value (or a { ref })." }),
  contains: Type.Unknown({ description: "A string that contains this substring, or an array that has an element deeply equal to this value." }),
  notContains: Type.Unknown({ description: "The opposite of contains." }),
  matches: Type.Union([Type.String(), RefSchema], { description: "A regular expression that the string must match somewhere (RE2 syntax, run in linear time: no backreferences or lookaround), or a { ref }." }),
  exists: Type.Boolean({ description: "true: the path must exist; false: it must not." }),
  lessThan: Comparable,
  atMost: Comparable,
  greaterThan: Comparable,
  atLeast: Comparable,
  oneOf: Type.Union([Type.Array(Type.Unknown(), { maxItems: 1000 }), RefSchema], { description: "An array of choices (1000 at most), one of which the value must deeply equal; or a { ref }." }),
  length: Type.Union([Type.Integer({ minimum: 0 }), RefSchema], { description: "An integer (0 or more), the length the array or string must have; or a { ref }." }),
} as const;

export type AssertionOperator = keyof typeof OPERATOR_SCHEMAS;
export const ASSERTION_OPERATORS = Object.keys(OPERATOR_SCHEMAS) as AssertionOperator[];

const assertionPath = Type.String({
  minLength: 1,
  description: 'Where the value is: "a.b[0].c" or "a.b.0.c". In an assert step it starts with an earlier step id.',
});
const assertionMessage = Type.String({ description: "Text shown when the assertion fails." });

function assertionWith(op: AssertionOperator): TSchema {
  const properties: Record<string, TSchema> = { path: assertionPath, [op]: OPERATOR_SCHEMAS[op], message: Type.Optional(assertionMessage) };
  return Type.Object(properties, { additionalProperties: false });
}

/** One schema per operator: an assertion with exactly that operator. */
export const ASSERTION_SCHEMAS = Object.fromEntries(ASSERTION_OPERATORS.map((op) => [op, assertionWith(op)])) as Record<AssertionOperator, TSchema>;

export const AssertionSchema = Type.Union(
  ASSERTION_OPERATORS.map((op) => ASSERTION_SCHEMAS[op]),
  { description: `A check on a value: a path and exactly one of ${ASSERTION_OPERATORS.join(", ")}.` },
);

/** The form the engine works with: the one operator taken out of its key. */
export interface Assertion {
  path: string;
  op: AssertionOperator;
  expected: unknown;
  message?: string;
}

const Expect = Type.Array(AssertionSchema, { maxItems: MAX_ASSERTIONS, description: "Assertions on this step's result (100 at most)." });
const Title = Type.String({ description: "One line for people." });
const DurationSchema = Type.Union([Type.String({ pattern: DURATION_PATTERN }), Type.Number({ minimum: 0, maximum: MAX_WAIT_MS })], {
  description: 'A duration: "500ms", "2s", "1m", "1h", or a number of milliseconds; 1h at most.',
});

export const ProbeStepSchema = Type.Object(
  {
    id: StepId,
    title: Type.Optional(Title),
    probe: Type.String({ minLength: 1, description: "The name of a probe in the probe registry." }),
    with: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: "The probe's parameters, checked against its own schema." })),
    repeat: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1000,
        description: "Call the probe this many times, with ${i} = 1, 2, ... in its parameters; the result is { count, results: [each result] }.",
      }),
    ),
    expect: Type.Optional(Expect),
  },
  { additionalProperties: false, description: "Calls a protocol probe; expect paths start at the probe's result data." },
);

export const ServiceStepSchema = Type.Object(
  {
    id: StepId,
    title: Type.Optional(Title),
    service: Type.String({ minLength: 1, description: "A service name from docker-compose.yml." }),
    action: Type.Union(
      SERVICE_ACTIONS.map((a) => Type.Literal(a)),
      { description: `What to do to the service: ${SERVICE_ACTIONS.join(", ")}. Faults (stop, kill, pause) are undone when the run ends.` },
    ),
    waitHealthy: Type.Optional(Type.Boolean({ description: "For start, restart and unpause: wait until Docker says the service is healthy (default true)." })),
  },
  { additionalProperties: false, description: "Changes the state of a service's container." },
);

export const ExecStepSchema = Type.Object(
  {
    id: StepId,
    title: Type.Optional(Title),
    exec: Type.String({ minLength: 1, description: "The service whose container runs the command." }),
    command: Type.Array(Type.String({ maxLength: 65_536 }), { minItems: 1, maxItems: 1000, description: "The command and its arguments (no shell; 1000 at most)." }),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_EXEC_TIMEOUT_MS, description: "Give up on the command after this long (1 hour at most)." })),
    expect: Type.Optional(Type.Array(AssertionSchema, { maxItems: MAX_ASSERTIONS, description: "Assertions on { exitCode, stdout, stderr } (100 at most)." })),
  },
  { additionalProperties: false, description: "Runs a command in a service's container." },
);

export const WaitStepSchema = Type.Object(
  { id: StepId, title: Type.Optional(Title), wait: DurationSchema },
  { additionalProperties: false, description: "Waits." },
);

export const AssertStepSchema = Type.Object(
  {
    id: StepId,
    title: Type.Optional(Title),
    assert: Type.Array(AssertionSchema, { minItems: 1, maxItems: MAX_ASSERTIONS, description: "Assertions whose paths start with an earlier step id (100 at most)." }),
  },
  { additionalProperties: false, description: "Checks the results of earlier steps." },
);

export const ReconcileStepSchema = Type.Object(
  {
    id: StepId,
    title: Type.Optional(Title),
    reconcile: Type.Object(
      {
        sent: Type.String({ minLength: 1, description: 'The list of items sent (accepted), as "<stepId>.<path>".' }),
        received: Type.String({ minLength: 1, description: 'The list of items received, as "<stepId>.<path>".' }),
      },
      { additionalProperties: false },
    ),
    expect: Type.Optional(
      Type.Array(AssertionSchema, { maxItems: MAX_ASSERTIONS, description: "Assertions on { sent, received, lost, unexpected, duplicated, lostCount, unexpectedCount, duplicatedCount } (100 at most)." }),
    ),
  },
  {
    additionalProperties: false,
    description: "Compares two lists from earlier steps like a set checker: what was lost, unexpected or duplicated.",
  },
);

export const FaultStepSchema = Type.Object(
  {
    id: StepId,
    title: Type.Optional(Title),
    fault: RangedNetFaultRequestSchema,
  },
  {
    additionalProperties: false,
    description:
      "Applies a network fault to a service, from a helper container in its network namespace: a link profile (loss, rateKbit, delayMs with jitterMs, duplicate, reorder, windowSegments; optionally narrowed to one peer with to), a partition from other services, a disconnect from a network, or a link down. One fault per service at a time. A heal step removes it; the end of the run always does.",
  },
);

export const HealStepSchema = Type.Object(
  {
    id: StepId,
    title: Type.Optional(Title),
    heal: Type.String({ pattern: STEP_ID_PATTERN, description: "The id of an earlier fault step whose fault to remove." }),
    expect: Type.Optional(
      Type.Array(AssertionSchema, {
        maxItems: MAX_ASSERTIONS,
        description:
          "Assertions on { fault, service, heldMs, counters } and the fault's own fields. counters holds the groups of the fault's kinds: loss { ingressSeen, ingressDropped, egressSeen, egressDropped, measuredPercent }; rate { sentBytes, sentPackets, dropped, overlimits } (dropped: packets the full queue refused; overlimits: times the rate held a packet back); the delay line (delay, jitter, duplicate, reorder) { delayedPackets, releasedPackets, delayDropped, duplicated, reordered, heldMax }; partition and disconnect { cutInDropped, cutOutDropped }. counters is null when they could not be read.",
      }),
    ),
  },
  { additionalProperties: false, description: "Removes a network fault applied by an earlier fault step, and reports its counters." },
);

/** The step kinds, each named by the key that marks it. */
export const STEP_SCHEMAS = {
  probe: ProbeStepSchema,
  service: ServiceStepSchema,
  exec: ExecStepSchema,
  wait: WaitStepSchema,
  assert: AssertStepSchema,
  reconcile: ReconcileStepSchema,
  fault: FaultStepSchema,
  heal: HealStepSchema,
} as const;
export type StepKind = keyof typeof STEP_SCHEMAS;
export const STEP_KINDS = Object.keys(STEP_SCHEMAS) as StepKind[];

export const StepSchema = Type.Union(STEP_KINDS.map((k) => STEP_SCHEMAS[k]));

type RawProbeStep = Static<typeof ProbeStepSchema>;
type RawExecStep = Static<typeof ExecStepSchema>;
type RawAssertStep = Static<typeof AssertStepSchema>;
type RawReconcileStep = Static<typeof ReconcileStepSchema>;

/** Steps as the engine sees them: assertions in their normal form, `kind` spelled out. */
export type ProbeStep = Omit<RawProbeStep, "expect" | "with"> & { kind: "probe"; with: Record<string, unknown>; expect: Assertion[] };
export type ServiceStep = Omit<Static<typeof ServiceStepSchema>, "action"> & { kind: "service"; action: ServiceAction };
export type ExecStep = Omit<RawExecStep, "expect"> & { kind: "exec"; expect: Assertion[] };
export type WaitStep = Static<typeof WaitStepSchema> & { kind: "wait"; waitMs: number };
export type AssertStep = Omit<RawAssertStep, "assert"> & { kind: "assert"; assert: Assertion[] };
export type ReconcileStep = Omit<RawReconcileStep, "expect"> & { kind: "reconcile"; expect: Assertion[] };
export type FaultStep = Omit<Static<typeof FaultStepSchema>, "fault"> & { kind: "fault"; fault: { service: string } & NetFaultSpec };
export type HealStep = Omit<Static<typeof HealStepSchema>, "expect"> & { kind: "heal"; expect: Assertion[] };
export type Step = ProbeStep | ServiceStep | ExecStep | WaitStep | AssertStep | ReconcileStep | FaultStep | HealStep;

/** The fields of a scenario other than its steps. */
const scenarioFields = {
  $schema: Type.Optional(Type.String({ description: "For editors: the path of scenario.schema.json." })),
  name: Type.String({ pattern: SCENARIO_NAME_PATTERN, maxLength: 63, description: "Must equal the file name without its extension." }),
  title: Title,
  description: Type.Optional(Type.String({ description: "Longer text: what the scenario shows and why." })),
  timeoutMs: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_RUN_TIMEOUT_MS, description: "A limit on the whole run (24 hours at most); when it passes the run is stopped and its faults undone." }),
  ),
  capture: Type.Optional(CaptureSpecSchema),
};

/** The scenario with its steps only checked to be a list of objects; each step is checked on its own. */
export const ScenarioHeaderSchema = Type.Object(
  { ...scenarioFields, steps: Type.Array(Type.Record(Type.String(), Type.Unknown()), { minItems: 1, maxItems: MAX_STEPS }) },
  { additionalProperties: false },
);

export const ScenarioSchema = Type.Object(
  { ...scenarioFields, steps: Type.Array(StepSchema, { minItems: 1, maxItems: MAX_STEPS, description: "Run in order; the first failure skips the rest (500 steps at most)." }) },
  { additionalProperties: false, title: "l7lab scenario", description: "An end-to-end scenario run against the lab." },
);

/** A validated scenario, ready for the engine. */
export interface Scenario {
  name: string;
  title: string;
  description?: string;
  timeoutMs?: number;
  /** Record the run's packets (pcapng). */
  capture?: CaptureSpec;
  steps: Step[];
}

/** The JSON Schema document written to scenarios/scenario.schema.json. */
export function scenarioJsonSchema(): Record<string, unknown> {
  return { $schema: "http://json-schema.org/draft-07/schema#", ...(JSON.parse(JSON.stringify(ScenarioSchema)) as Record<string, unknown>) };
}

/** The property names an object schema allows, for "valid fields are ..." messages. */
export function fieldsOf(schema: TSchema): string[] {
  const properties = (schema as { properties?: Record<string, unknown> }).properties;
  return properties ? Object.keys(properties) : [];
}
