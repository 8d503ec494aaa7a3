import type { Ref } from "./schema.ts";
import { lookupPath, parsePath, type Lookup } from "./path.ts";

/** Whether an expected value is a `{ ref: "<stepId>.<path>" }` rather than a literal. */
export function isRef(value: unknown): value is Ref {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as { ref?: unknown }).ref === "string"
  );
}

/** The step id a ref or an assert-step path starts with. Throws when the path cannot be read. */
export function leadingStepId(path: string): string {
  const first = parsePath(path)[0];
  return String(first);
}

/** Resolves a ref against the results of earlier steps, keyed by step id. */
export function resolveRef(ref: Ref, results: unknown): Lookup {
  return lookupPath(results, ref.ref);
}
