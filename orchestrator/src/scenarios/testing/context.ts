/** The probes and topology the loader and validation tests check scenario files against. */
import { Type } from "typebox";
import { ProbeRegistry } from "../../probes/registry.ts";
import type { LoaderContext } from "../loader.ts";
import { constantProbe, fakeProbe, testTopology } from "./fakes.ts";

/** Parameters shaped like the real DNS probe's. */
export const DnsParams = Type.Object(
  {
    mode: Type.Union([Type.Literal("iterative"), Type.Literal("recursive")]),
    name: Type.String({ minLength: 1 }),
    type: Type.Optional(Type.String({ default: "A" })),
  },
  { additionalProperties: false },
);

export function testContext(): LoaderContext {
  const registry = new ProbeRegistry([
    fakeProbe("dns", () => Promise.resolve({ ok: true, data: {}, transcript: [] }), DnsParams),
    constantProbe("smtp", {}),
  ]);
  return { registry, topology: testTopology() };
}
