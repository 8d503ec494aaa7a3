/**
 * Checks an API's answer against its OpenAPI document, as Schemathesis' checks do: the status
 * code must be one the operation documents, and a documented JSON body must be JSON, sent as
 * application/json, and valid against the documented schema. Pure: the response is data.
 */
import type { DocumentedResponse, Operation, SchemaValidator } from "./openapi.ts";

export interface SeenResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface Violation {
  kind: "status" | "content-type" | "json" | "schema";
  message: string;
}

/** What the operation documents for `status`: the code itself, then its class ("4XX"), then "default". */
export function documentedResponse(op: Operation, status: number): DocumentedResponse | undefined {
  const code = String(status);
  return op.responses[code] ?? op.responses[`${code[0]}XX`] ?? op.responses[`${code[0]}xx`] ?? op.responses["default"];
}

/** What is wrong with `res` as an answer to `method` on `op`; [] when it is as documented. */
export function checkResponse(op: Operation, method: string, res: SeenResponse, validator: SchemaValidator): Violation[] {
  const documented = documentedResponse(op, res.status);
  if (!documented) {
    return [{ kind: "status", message: `status ${res.status} is not documented for ${op.method} ${op.path} (documented: ${Object.keys(op.responses).join(", ")})` }];
  }
  // A HEAD answer, a 204 and a 304 have no body to check.
  if (documented.schema === undefined || method === "HEAD" || res.status === 204 || res.status === 304) return [];
  const rawType = res.headers["content-type"];
  const type = (Array.isArray(rawType) ? rawType[0] : rawType) ?? "";
  if (!/^application\/(.+\+)?json\b/i.test(type)) {
    return [{ kind: "content-type", message: `status ${res.status} is documented as application/json, but the answer's Content-Type is ${type === "" ? "missing" : JSON.stringify(type)}` }];
  }
  let body: unknown;
  try {
    body = JSON.parse(res.body);
  } catch (error) {
    return [{ kind: "json", message: `the body of the ${res.status} answer is not JSON (${(error as Error).message}): ${JSON.stringify(res.body.slice(0, 200))}` }];
  }
  const problems = validator.problems(documented.schema, body);
  return problems.length === 0 ? [] : [{ kind: "schema", message: `the body of the ${res.status} answer does not match its documented schema: ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? ` (and ${problems.length - 5} more)` : ""}` }];
}
