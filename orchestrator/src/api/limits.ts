import type { FastifyInstance } from "fastify";

/** How deep a request body's JSON may nest: far more than any route's parameters need. */
export const MAX_BODY_DEPTH = 32;

/**
 * The depth of a JSON value (a scalar is 0, `[]` or `{}` is 1), counted without recursion and
 * only up to `limit + 1`: a body nested 100,000 levels deep is refused, not walked.
 */
export function depthBeyond(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    if (deepest > limit) return deepest;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) stack.push([child, here]);
  }
  return deepest;
}

/** Refuses, before validation, a body nested deeper than MAX_BODY_DEPTH: 400 naming the limit. */
export function registerBodyLimits(app: FastifyInstance): void {
  app.addHook("preValidation", async (request, reply) => {
    if (request.body === undefined || request.body === null || typeof request.body !== "object") return;
    const depth = depthBeyond(request.body, MAX_BODY_DEPTH);
    if (depth > MAX_BODY_DEPTH) {
      return reply.code(400).send({
        statusCode: 400,
        error: "INVALID_INPUT",
        message: `The body nests more than ${MAX_BODY_DEPTH} levels deep (arrays and objects inside each other); the most is ${MAX_BODY_DEPTH}.`,
        details: { limit: MAX_BODY_DEPTH },
      });
    }
  });
}
