import type { TSchema } from "typebox";
import type { TLocalizedValidationError } from "typebox/error";
import { Settings } from "typebox/system";
import { listChoices } from "../common/errors.ts";
import { formatValue } from "./format.ts";
import { formatPath, type PathSegment } from "./path.ts";

/**
 * Turns typebox's validation errors into sentences that say which field is wrong and what it should
 * be. Union branches are folded into one sentence, and "unknown field" lists the valid fields.
 */

function pointerSegments(pointer: string): string[] {
  if (pointer === "" || pointer === "#") return [];
  return pointer.replace(/^#/, "").split("/").slice(1).map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function at(root: unknown, pointer: string): unknown {
  let current = root;
  for (const seg of pointerSegments(pointer)) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[seg];
  }
  return current;
}

/**
 * Runs `collect` with typebox's error limit raised (its default of 8 can cut off the error that
 * sums up a union), and puts the limit back before returning. Synchronous, so nothing else sees it.
 */
export function withAllErrors<T>(collect: () => T): T {
  const previous = Settings.Get().maxErrors;
  Settings.Set({ maxErrors: 200 });
  try {
    return collect();
  } finally {
    Settings.Set({ maxErrors: previous });
  }
}

export interface DescribeOptions {
  /** How to name the validated value itself, e.g. "the scenario", "the step", "with". */
  label: string;
  /** Prepended to field paths, e.g. ["with"] gives `with.mode`. */
  fieldPrefix?: readonly PathSegment[];
  /** Errors at or under these instance paths are left out (they are checked on their own). */
  skip?: (instancePath: string) => boolean;
}

function fieldName(instancePath: string, options: DescribeOptions): string | undefined {
  const segments: PathSegment[] = pointerSegments(instancePath).map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
  if (options.fieldPrefix) segments.unshift(...options.fieldPrefix);
  return segments.length === 0 ? undefined : formatPath(segments);
}

function describeUnion(schema: Record<string, unknown> | undefined): string {
  const branches = (schema?.["anyOf"] as Record<string, unknown>[] | undefined) ?? [];
  if (branches.length > 0 && branches.every((b) => "const" in b)) {
    return `must be one of ${branches.map((b) => formatValue(b["const"])).join(", ")}`;
  }
  if (typeof schema?.["description"] === "string") return `must be ${lowerFirst(schema["description"])}`;
  return `must be ${branches.map((b) => String(b["type"] ?? "something else")).join(" or ")}`;
}

/** "A duration: ...; or a number." as the end of "must be ...": lower-case start, no final period. */
const lowerFirst = (s: string) => (/^[A-Z](?![A-Z])/.test(s) ? s[0]!.toLowerCase() + s.slice(1) : s).replace(/\.$/, "");

/** Sentences for the errors `errors` found in `value` against `schema`. */
export function describeSchemaErrors(schema: TSchema, value: unknown, errors: readonly TLocalizedValidationError[], options: DescribeOptions): string[] {
  const unions = errors.filter((e) => e.keyword === "anyOf").map((e) => e.schemaPath + "/anyOf/");
  const problems: string[] = [];
  for (const e of errors) {
    if (options.skip?.(e.instancePath)) continue;
    if (e.keyword === "boolean") continue; // the additionalProperties error says it better
    if (unions.some((u) => e.schemaPath.startsWith(u))) continue; // folded into the anyOf error
    const field = fieldName(e.instancePath, options);
    const subject = field === undefined ? options.label : `field "${field}"`;
    const got = `; got ${formatValue(at(value, e.instancePath), 80)}`;
    const subschema = at(schema, e.schemaPath) as Record<string, unknown> | undefined;
    switch (e.keyword) {
      case "additionalProperties": {
        const valid = Object.keys((subschema?.["properties"] as Record<string, unknown> | undefined) ?? {});
        const list = valid.length > 0 ? `. Valid fields are ${listChoices(valid)}` : "";
        for (const extra of e.params.additionalProperties) {
          problems.push(`${field === undefined ? "" : `${subject} has `}unknown field "${extra}"${list}`);
        }
        break;
      }
      case "required":
        for (const missing of (e.params as { requiredProperties: string[] }).requiredProperties) {
          problems.push(`${field === undefined ? "" : `${subject} is `}missing required field "${missing}"`);
        }
        break;
      case "enum":
        problems.push(`${subject} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => formatValue(v)).join(", ")}${got}`);
        break;
      case "anyOf":
        problems.push(`${subject} ${describeUnion(subschema)}${got}`);
        break;
      case "pattern": {
        const description = typeof subschema?.["description"] === "string" ? ` (${subschema["description"]})` : "";
        problems.push(`${subject} ${e.message}${description}${got}`);
        break;
      }
      case "minItems": {
        const limit = (e.params as { limit: number }).limit;
        problems.push(`${subject} must have at least ${limit} item${limit === 1 ? "" : "s"}${got}`);
        break;
      }
      default:
        problems.push(`${subject} ${e.message}${got}`);
    }
  }
  return [...new Set(problems)];
}
