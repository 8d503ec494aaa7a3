import { describe, expect, it } from "vitest";
import { SchemaValidator, type Operation } from "./openapi.ts";
import { checkResponse, documentedResponse } from "./response-check.ts";

const validator = new SchemaValidator();
const ERROR = { type: "object", required: ["statusCode", "error", "message"], properties: { statusCode: { type: "integer" }, error: { type: "string" }, message: { type: "string" }, details: { type: "object", additionalProperties: {} } } };
const FAULT = { type: "object", required: ["id", "service"], properties: { id: { type: "string" }, service: { type: "string" }, loss: { type: "number" } } };
const OP: Operation = { method: "POST", path: "/api/faults", parameters: [], responses: { "201": { schema: FAULT }, "400": { schema: ERROR }, "404": { schema: ERROR }, "204": {} }, secured: true };
const json = { "content-type": "application/json; charset=utf-8" };

describe("checkResponse", () => {
  it("takes an answer whose status is documented and whose body matches its schema", () => {
    expect(checkResponse(OP, "POST", { status: 201, headers: json, body: '{"id":"f1","service":"router","loss":10}' }, validator)).toEqual([]);
    expect(checkResponse(OP, "POST", { status: 404, headers: json, body: '{"statusCode":404,"error":"UNKNOWN_SERVICE","message":"..."}' }, validator)).toEqual([]);
  });

  it("flags a status the operation does not document", () => {
    expect(checkResponse(OP, "POST", { status: 401, headers: json, body: '{"statusCode":401,"error":"UNAUTHORIZED","message":"..."}' }, validator)).toEqual([
      { kind: "status", message: "status 401 is not documented for POST /api/faults (documented: 201, 204, 400, 404)" },
    ]);
    expect(checkResponse(OP, "POST", { status: 500, headers: json, body: "{}" }, validator).map((v) => v.kind)).toEqual(["status"]);
  });

  it("flags a body outside the documented schema: a missing field, a wrong type", () => {
    const missing = checkResponse(OP, "POST", { status: 201, headers: json, body: '{"id":"f1"}' }, validator);
    expect(missing).toHaveLength(1);
    expect(missing[0]!.kind).toBe("schema");
    expect(missing[0]!.message).toMatch(/the body of the 201 answer does not match its documented schema: \/ must have required property 'service'/);
    const wrongType = checkResponse(OP, "POST", { status: 400, headers: json, body: '{"statusCode":"400","error":"X","message":"m"}' }, validator);
    expect(wrongType[0]!.message).toMatch(/\/statusCode must be integer/);
  });

  it("flags a documented JSON body that is not JSON, or not sent as JSON", () => {
    expect(checkResponse(OP, "POST", { status: 201, headers: json, body: "{oops" }, validator).map((v) => v.kind)).toEqual(["json"]);
    expect(checkResponse(OP, "POST", { status: 201, headers: { "content-type": "text/html" }, body: '{"id":"f1","service":"r"}' }, validator).map((v) => v.kind)).toEqual(["content-type"]);
    expect(checkResponse(OP, "POST", { status: 201, headers: {}, body: '{"id":"f1","service":"r"}' }, validator)[0]!.message).toMatch(/Content-Type is missing/);
  });

  it("checks no body for HEAD, for a 204, or where the document gives no content", () => {
    expect(checkResponse(OP, "HEAD", { status: 201, headers: json, body: "" }, validator)).toEqual([]);
    expect(checkResponse(OP, "POST", { status: 204, headers: {}, body: "" }, validator)).toEqual([]);
  });
});

describe("documentedResponse", () => {
  it("finds the status, then its class, then default", () => {
    const op: Operation = { ...OP, responses: { "200": { schema: { type: "object" } }, "4XX": { schema: ERROR }, default: {} } };
    expect(documentedResponse(op, 200)).toEqual({ schema: { type: "object" } });
    expect(documentedResponse(op, 418)).toEqual({ schema: ERROR });
    expect(documentedResponse(op, 503)).toEqual({});
    expect(documentedResponse(OP, 503)).toBeUndefined();
  });
});
