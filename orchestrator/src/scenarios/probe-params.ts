import { Value } from "typebox/value";
import { InvalidInputError } from "../common/errors.ts";
import type { Probe } from "../probes/probe.ts";
import { describeSchemaErrors, withAllErrors } from "./schema-errors.ts";

/**
 * A probe's parameters with the schema's defaults filled in, checked against its schema; throws
 * InvalidInputError naming every bad field (as `<label>.<field>`). Used by scenario steps and by
 * calls by hand through the API alike.
 */
export function probeParams(probe: Probe, raw: unknown, where: { what: string; label: string; fieldPrefix: string[] }): unknown {
  const params = Value.Default(probe.paramsSchema, structuredClone(raw)) as unknown;
  if (!Value.Check(probe.paramsSchema, params)) {
    const problems = describeSchemaErrors(probe.paramsSchema, params, withAllErrors(() => Value.Errors(probe.paramsSchema, params)), {
      label: where.label,
      fieldPrefix: where.fieldPrefix,
    });
    throw new InvalidInputError(where.what, problems);
  }
  return params;
}
