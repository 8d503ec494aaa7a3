import Fastify from "fastify";
import swagger from "@fastify/swagger";
import { Value } from "typebox/value";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { TranscriptLine } from "../probes/transcript.ts";
import type { AssertionRecord as JudgedAssertion } from "../scenarios/assertions.ts";
import type { StepKind } from "../scenarios/schema.ts";
import { RunRecordSchema, type AssertionRecord, type RunRecord, type StepRecord, type TranscriptLineRecord } from "./run-record.ts";

const RUN: RunRecord = {
  id: "ab12cd34",
  scenario: "dns-resolution",
  status: "failed",
  createdAt: "2025-01-01T00:00:00.000Z",
  startedAt: "2025-01-01T00:00:00.010Z",
  finishedAt: "2025-01-01T00:00:02.010Z",
  durationMs: 2000,
  steps: [
    {
      id: "lookup",
      kind: "probe",
      title: "a lookup",
      status: "failed",
      startedAt: "2025-01-01T00:00:00.010Z",
      durationMs: 12.5,
      result: { rcode: "SERVFAIL", answers: [] },
      assertions: [{ path: "rcode", op: "equals", expected: "NOERROR", actual: "SERVFAIL", passed: false, message: "rcode equals NOERROR: got SERVFAIL" }],
      transcript: [{ dir: "C", peer: "10.0.0.10:53", text: "www.example. A?", atMs: 0.4 }],
    },
    { id: "later", kind: "wait", status: "skipped", assertions: [], transcript: [] },
  ],
  cleanup: [{ service: "dns-root", action: "start", ok: true, message: "started dns-root; it is healthy" }],
  capture: { services: ["dns-resolver"], filter: "udp port 53", packets: 4, bytes: 512, limitBytes: 1_000_000, truncated: false, pcap: true, errors: [] },
  error: { code: "ASSERTION_FAILED", message: 'step "lookup": rcode equals NOERROR: got SERVFAIL' },
};

describe("the run record", () => {
  it("has the types of what fills it in: probes' transcript lines, judged assertions, step kinds", () => {
    expectTypeOf<TranscriptLineRecord>().toEqualTypeOf<TranscriptLine>();
    expectTypeOf<JudgedAssertion>().toExtend<AssertionRecord>();
    expectTypeOf<StepRecord["kind"]>().toEqualTypeOf<StepKind>();
  });

  it("validates a whole record, capture included, and refuses an unknown status or step kind", () => {
    expect(Value.Errors(RunRecordSchema, RUN)).toEqual([]);
    expect(Value.Check(RunRecordSchema, { ...RUN, status: "done" })).toBe(false);
    expect(Value.Check(RunRecordSchema, { ...RUN, steps: [{ ...RUN.steps[0], kind: "sleep" }] })).toBe(false);
    expect(Value.Check(RunRecordSchema, { ...RUN, capture: { ...RUN.capture, packets: 1.5 } })).toBe(false);
  });

  it("goes through Fastify's response serialiser whole, and is documented in the OpenAPI document", async () => {
    const app = Fastify();
    await app.register(swagger, { openapi: { info: { title: "t", version: "0" } } });
    app.get("/run", { schema: { response: { 200: RunRecordSchema } } }, async () => RUN);
    await app.ready();
    const res = await app.inject({ method: "GET", url: "/run" });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual(RUN);
    const doc = app.swagger() as { paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: Record<string, unknown> }> }> } }> };
    const schema = doc.paths["/run"]!.get.responses["200"]!.content["application/json"]!.schema as { properties: Record<string, { description?: string; enum?: string[] }> };
    expect(schema.properties["status"]!.enum).toEqual(["queued", "running", "passed", "failed", "error", "aborted"]);
    expect(schema.properties["capture"]!.description).toMatch(/packet capture/);
    await app.close();
  });
});
