import { linearRegex } from "../common/linear-regex.ts";
import { Compile } from "typebox/compile";
import { Value } from "typebox/value";
import type { TSchema } from "typebox";
import { listChoices, UnknownNameError } from "../common/errors.ts";
import { SERVICE_ACTIONS, type ServiceAction } from "../docker/docker-adapter.ts";
import { netFaultChoiceProblems, netFaultProblems, netFaultSpec } from "../faults/net-fault-args.ts";
import { netFaultTargetProblems } from "../faults/targets.ts";
import type { Topology } from "../lab/topology.ts";
import type { Probe } from "../probes/probe.ts";
import type { ProbeRegistry } from "../probes/registry.ts";
import { normalizeAssertion, operatorsIn } from "./assertions.ts";
import { parseDuration } from "./duration.ts";
import { FAULT_ACTIONS } from "../faults/ledger.ts";
import { formatValue } from "./format.ts";
import { parsePath, type PathSegment } from "./path.ts";
import { isRef, leadingStepId } from "./refs.ts";
import { templateStepIds } from "./templates.ts";
import { planCapture, touchedServices, type CaptureSpec } from "../capture/plan.ts";
import { describeSchemaErrors, withAllErrors } from "./schema-errors.ts";
import {
  ASSERTION_OPERATORS,
  ASSERTION_SCHEMAS,
  STEP_KINDS,
  STEP_SCHEMAS,
  ScenarioHeaderSchema,
  type Assertion,
  type Scenario,
  type Step,
  type StepKind,
} from "./schema.ts";

/** What a scenario is checked against besides its schema. */
export interface ValidationContext {
  registry: ProbeRegistry;
  topology: Topology;
  /** The file name without its extension, which the scenario's `name` must equal. */
  expectedName?: string;
}

export type ValidationResult = { ok: true; scenario: Scenario } | { ok: false; problems: string[] };

const HEALTH_ACTIONS: readonly ServiceAction[] = ["start", "restart", "unpause"];

const headerValidator = Compile(ScenarioHeaderSchema);
const stepValidators = Object.fromEntries(STEP_KINDS.map((k) => [k, Compile(STEP_SCHEMAS[k])])) as Record<StepKind, ReturnType<typeof Compile>>;
const assertionValidators = Object.fromEntries(ASSERTION_OPERATORS.map((op) => [op, Compile(ASSERTION_SCHEMAS[op])])) as Record<string, ReturnType<typeof Compile>>;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === "object" && !Array.isArray(v);
const under = (prefix: string) => (path: string) => path.startsWith(prefix + "/");

export function schemaProblems(schema: TSchema, validator: ReturnType<typeof Compile> | undefined, value: unknown, label: string, fieldPrefix: PathSegment[] = [], skip?: (p: string) => boolean): string[] {
  const errors = withAllErrors(() => (validator ? validator.Errors(value) : Value.Errors(schema, value)));
  return describeSchemaErrors(schema, value, errors, { label, fieldPrefix, ...(skip ? { skip } : {}) });
}

/** Step ids by their first position, for checks that a step refers only to earlier steps. */
type StepIndex = Map<string, number>;

function earlierStep(target: string, what: string, position: number, ids: StepIndex): string | undefined {
  const earlier = [...ids].filter(([, i]) => i < position).map(([id]) => id);
  const index = ids.get(target);
  const choices = earlier.length === 0 ? ", and there are none before this one" : `: ${listChoices(earlier)}`;
  if (index === undefined) return `${what} refers to step "${target}", which is not known; only earlier steps can be referred to${choices}`;
  if (index === position) return `${what} refers to step "${target}", which is this step itself; only earlier steps can be referred to${choices}`;
  if (index > position) return `${what} refers to step "${target}", which runs later (step ${index + 1}); only earlier steps can be referred to${choices}`;
  return undefined;
}

function checkAssertion(raw: unknown, field: PathSegment[], kind: StepKind, position: number, ids: StepIndex): { assertion?: Assertion; problems: string[] } {
  const label = field.map((s) => (typeof s === "number" ? `[${s}]` : s)).join("");
  const example = '{ path: "answers[0].ttl", atMost: 300 }';
  if (!isObject(raw)) return { problems: [`${label} must be a mapping with a path and one operator, such as ${example}; got ${formatValue(raw, 80)}`] };
  const ops = operatorsIn(raw);
  const unknown = Object.keys(raw).filter((k) => k !== "path" && k !== "message" && !ops.includes(k as never));
  if (unknown.length > 0 || ops.length === 0) {
    const what = unknown.length > 0 ? `unknown field${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")}` : "no operator";
    return { problems: [`${label} has ${what}. An assertion has "path", an optional "message" and exactly one operator: ${ASSERTION_OPERATORS.join(", ")}`] };
  }
  if (ops.length > 1) {
    return { problems: [`${label} has ${ops.length} operators (${ops.join(", ")}); use exactly one per assertion, and write one assertion for each check`] };
  }
  const op = ops[0]!;
  const problems = schemaProblems(ASSERTION_SCHEMAS[op], assertionValidators[op], raw, label, field);
  if (problems.length > 0) return { problems };
  const assertion = normalizeAssertion(raw);
  try {
    const segments = parsePath(assertion.path);
    if (kind === "assert") {
      const p = earlierStep(String(segments[0]), `${label}: path "${assertion.path}"`, position, ids);
      if (p) problems.push(p + ' (in an assert step a path starts with the id of an earlier step, as in "first.answers[0].ttl")');
    }
  } catch (error) {
    problems.push(`${label}: ${(error as Error).message}`);
  }
  if (isRef(assertion.expected)) {
    try {
      const p = earlierStep(leadingStepId(assertion.expected.ref), `${label}: ref "${assertion.expected.ref}"`, position, ids);
      if (p) problems.push(p);
    } catch (error) {
      problems.push(`${label}: ref ${(error as Error).message}`);
    }
  } else if (op === "matches" && typeof assertion.expected === "string") {
    try {
      linearRegex(assertion.expected);
    } catch (error) {
      problems.push(`${label}: matches has an invalid regular expression: ${(error as Error).message}`);
    }
  }
  return problems.length > 0 ? { problems } : { assertion, problems };
}

function checkAssertions(list: unknown, name: "expect" | "assert", kind: StepKind, position: number, ids: StepIndex, problems: string[]): Assertion[] {
  if (!Array.isArray(list)) return [];
  const out: Assertion[] = [];
  list.forEach((raw, k) => {
    const checked = checkAssertion(raw, [name, k], kind, position, ids);
    problems.push(...checked.problems);
    if (checked.assertion) out.push(checked.assertion);
  });
  return out;
}

function checkService(name: unknown, topology: Topology, problems: string[]): void {
  if (typeof name !== "string") return;
  try {
    const reason = topology.protectedReason(name);
    if (reason) problems.push(reason);
  } catch (error) {
    problems.push((error as Error).message);
  }
}

function checkProbe(step: Json, registry: ProbeRegistry, topology: Topology, earlierStepIds: string[], problems: string[]): void {
  if (typeof step["probe"] !== "string") return;
  let probe: Probe;
  try {
    probe = registry.get(step["probe"]);
  } catch (error) {
    problems.push((error as Error).message);
    return;
  }
  const schema: TSchema = probe.paramsSchema;
  if (step["with"] !== undefined && !isObject(step["with"])) return; // the step schema reports it
  const params = Value.Default(schema, structuredClone(step["with"] ?? {}));
  const found = schemaProblems(schema, undefined, params, `the parameters ("with") of probe "${step["probe"]}"`, ["with"]);
  problems.push(...found.map((p) => `${p} (probe "${step["probe"]}" parameters)`));
  if (found.length === 0 && probe.check) {
    problems.push(...probe.check(params, { topology, earlierStepIds }).map((p) => `${p} (probe "${step["probe"]}" parameters)`));
  }
}

function checkStep(raw: unknown, position: number, ctx: ValidationContext, ids: StepIndex, duplicateOf: number | undefined, faultIds: ReadonlySet<string>): { step?: Step; problems: string[] } {
  const problems: string[] = [];
  const kinds = isObject(raw) ? STEP_KINDS.filter((k) => Object.hasOwn(raw, k)) : [];
  const kindList = STEP_KINDS.join(", ");
  if (!isObject(raw)) return { problems: [`must be a mapping with an id and one of ${kindList}; got ${formatValue(raw, 80)}`] };
  if (kinds.length === 0) return { problems: [`has none of the keys ${kindList}; a step needs exactly one of them to say what it does`] };
  if (kinds.length > 1) return { problems: [`has ${kinds.map((k) => `"${k}"`).join(" and ")}; a step needs exactly one of ${kindList} (split it into ${kinds.length} steps)`] };
  const kind = kinds[0]!;

  if (duplicateOf !== undefined) problems.push(`the id "${String(raw["id"])}" is already used by step ${duplicateOf + 1}; step ids must be unique`);
  const action = raw["action"];
  const badAction = kind === "service" && typeof action === "string" && !(SERVICE_ACTIONS as readonly string[]).includes(action);
  if (badAction) problems.push(new UnknownNameError("action", action, SERVICE_ACTIONS).message);
  const skip = (p: string) => under("/expect")(p) || under("/assert")(p) || (badAction && p === "/action");
  const beforeSchema = problems.length;
  problems.push(...schemaProblems(STEP_SCHEMAS[kind], stepValidators[kind], raw, "the step", [], skip));
  const schemaFound = problems.length > beforeSchema;

  switch (kind) {
    case "probe":
      checkProbe(raw, ctx.registry, ctx.topology, [...ids].filter(([, i]) => i < position).map(([id]) => id), problems);
      break;
    case "service":
      checkService(raw["service"], ctx.topology, problems);
      if (raw["waitHealthy"] !== undefined && typeof action === "string" && FAULT_ACTIONS.includes(action as ServiceAction)) {
        problems.push(`waitHealthy applies only to ${HEALTH_ACTIONS.join(", ")}, not to "${action}"; remove it`);
      }
      break;
    case "exec":
      checkService(raw["exec"], ctx.topology, problems);
      break;
    case "fault":
      if (isObject(raw["fault"])) {
        checkService(raw["fault"]["service"], ctx.topology, problems);
        // The schema checks each value; which of them go together, and what only the fault's own
        // checks see (microsecond steps, a peer twice), are checked here, then the names it uses.
        const choice = netFaultChoiceProblems(raw["fault"]);
        problems.push(...(choice.length > 0 || schemaFound ? choice : netFaultProblems(raw["fault"])));
        if (typeof raw["fault"]["service"] === "string") problems.push(...netFaultTargetProblems(raw["fault"]["service"], raw["fault"], ctx.topology));
      }
      break;
    case "heal": {
      const target = raw["heal"];
      if (typeof target !== "string") break;
      const p = earlierStep(target, `heal "${target}"`, position, ids);
      if (p) problems.push(p);
      else if (!faultIds.has(target)) problems.push(`heal "${target}" must name an earlier fault step; step "${target}" is not one`);
      break;
    }
    case "reconcile":
      for (const side of ["sent", "received"] as const) {
        const path = isObject(raw["reconcile"]) ? raw["reconcile"][side] : undefined;
        if (typeof path !== "string") continue;
        try {
          const p = earlierStep(leadingStepId(path), `reconcile.${side} "${path}"`, position, ids);
          if (p) problems.push(p);
        } catch (error) {
          problems.push(`reconcile.${side}: ${(error as Error).message}`);
        }
      }
      break;
    default:
      break;
  }
  // Templates in a probe's parameters, a command or expected values (${run.id}, ${step.path}) name
  // earlier steps.
  const templated = [kind === "probe" ? raw["with"] : kind === "exec" ? raw["command"] : undefined, raw["expect"], raw["assert"]];
  for (const target of templateStepIds(templated)) {
    const p = earlierStep(target, `template \${${target}...}`, position, ids);
    if (p) problems.push(p);
  }
  const expect = checkAssertions(raw["expect"], "expect", kind, position, ids, problems);
  const assert = checkAssertions(raw["assert"], "assert", kind, position, ids, problems);
  if (problems.length > 0) return { problems };

  const base = { id: String(raw["id"]), ...(typeof raw["title"] === "string" ? { title: raw["title"] } : {}) };
  switch (kind) {
    case "probe":
      return {
        problems,
        step: { ...base, kind, probe: String(raw["probe"]), with: (raw["with"] as Json | undefined) ?? {}, ...(typeof raw["repeat"] === "number" ? { repeat: raw["repeat"] } : {}), expect },
      };
    case "service":
      return {
        problems,
        step: { ...base, kind, service: String(raw["service"]), action: action as ServiceAction, ...(typeof raw["waitHealthy"] === "boolean" ? { waitHealthy: raw["waitHealthy"] } : {}) },
      };
    case "exec":
      return {
        problems,
        step: { ...base, kind, exec: String(raw["exec"]), command: raw["command"] as string[], ...(typeof raw["timeoutMs"] === "number" ? { timeoutMs: raw["timeoutMs"] } : {}), expect },
      };
    case "wait": {
      // The schema checked the form; the length ("25h" has the right form) is checked here.
      let waitMs = 0;
      try {
        waitMs = parseDuration(raw["wait"] as string | number);
      } catch (error) {
        problems.push((error as Error).message);
      }
      return { problems, step: { ...base, kind, wait: raw["wait"] as string | number, waitMs } };
    }
    case "assert":
      return { problems, step: { ...base, kind, assert } };
    case "reconcile": {
      const r = raw["reconcile"] as { sent: string; received: string };
      return { problems, step: { ...base, kind, reconcile: { sent: r.sent, received: r.received }, expect } };
    }
    case "fault": {
      const f = raw["fault"] as Json;
      return { problems, step: { ...base, kind, fault: { service: String(f["service"]), ...netFaultSpec(f) } } };
    }
    case "heal":
      return { problems, step: { ...base, kind, heal: String(raw["heal"]), expect } };
  }
}

/**
 * A network fault lives in its service's network namespace, which a stop, kill or restart of the
 * container replaces: the fault would silently stop applying, and a second fault on the same
 * service would be refused while the first holds it. Both are refused at load time.
 */
function faultOrderProblems(steps: readonly Step[]): string[] {
  const problems: string[] = [];
  const active = new Map<string, string>(); // service -> fault step id
  const byStep = new Map<string, string>(); // fault step id -> service
  for (const step of steps) {
    if (step.kind === "fault") {
      const held = active.get(step.fault.service);
      if (held) problems.push(`step "${step.id}": service "${step.fault.service}" already has the fault of step "${held}"; heal it first (one network fault per service at a time)`);
      active.set(step.fault.service, step.id);
      byStep.set(step.id, step.fault.service);
    } else if (step.kind === "heal") {
      const service = byStep.get(step.heal);
      if (service !== undefined && active.get(service) === step.heal) active.delete(service);
    } else if (step.kind === "service" && ["stop", "kill", "restart"].includes(step.action)) {
      const held = active.get(step.service);
      if (held) problems.push(`step "${step.id}": ${step.action} of "${step.service}" would replace its network namespace and silently end the fault of step "${held}"; heal it first`);
    }
  }
  return problems;
}

/**
 * Checks a parsed scenario file: its shape (the schema, piece by piece) and its meaning (probe,
 * service and action names, probe parameters, unique step ids, refs only to earlier steps). Pure.
 */
export function validateScenario(raw: unknown, ctx: ValidationContext): ValidationResult {
  if (!isObject(raw)) {
    return { ok: false, problems: [`the file must hold one scenario: a mapping with name, title and steps; got ${formatValue(raw, 80)}`] };
  }
  const problems = schemaProblems(ScenarioHeaderSchema, headerValidator, raw, "the scenario", [], under("/steps"));
  if (ctx.expectedName !== undefined && typeof raw["name"] === "string" && raw["name"] !== ctx.expectedName) {
    problems.push(`name "${raw["name"]}" must equal the file name "${ctx.expectedName}"; rename the file or change the name`);
  }
  const rawSteps = Array.isArray(raw["steps"]) ? (raw["steps"] as unknown[]) : [];
  const ids: StepIndex = new Map();
  const duplicates = new Map<number, number>();
  rawSteps.forEach((s, i) => {
    const id = isObject(s) ? s["id"] : undefined;
    if (typeof id !== "string") return;
    const first = ids.get(id);
    if (first === undefined) ids.set(id, i);
    else duplicates.set(i, first);
  });
  const faultIds = new Set(rawSteps.filter((s) => isObject(s) && Object.hasOwn(s, "fault") && typeof s["id"] === "string").map((s) => (s as Json)["id"] as string));
  const steps: Step[] = [];
  rawSteps.forEach((s, i) => {
    const id = isObject(s) && typeof s["id"] === "string" ? s["id"] : undefined;
    const label = id === undefined ? `step ${i + 1}` : `step "${id}"`;
    const checked = checkStep(s, i, ctx, ids, duplicates.get(i), faultIds);
    problems.push(...checked.problems.map((p) => `${label}: ${p}`));
    if (checked.step) steps.push(checked.step);
  });
  problems.push(...faultOrderProblems(steps));
  if (problems.length > 0) return { ok: false, problems };
  const scenario: Scenario = { name: String(raw["name"]), title: String(raw["title"]), steps };
  if (typeof raw["description"] === "string") scenario.description = raw["description"];
  if (typeof raw["timeoutMs"] === "number") scenario.timeoutMs = raw["timeoutMs"];
  if (raw["capture"] !== undefined && raw["capture"] !== false) {
    const capture = raw["capture"] as CaptureSpec;
    try {
      planCapture(capture, ctx.topology, touchedServices(steps, ctx.topology));
    } catch (error) {
      return { ok: false, problems: [`capture: ${(error as Error).message}`] };
    }
    scenario.capture = capture;
  }
  return { ok: true, scenario };
}
