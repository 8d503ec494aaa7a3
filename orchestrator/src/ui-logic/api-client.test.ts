import { describe, expect, it } from "vitest";
import { apiClient, ApiError, apiPath, NOT_LOGGED_IN, type RequestInitLike, type ResponseLike } from "./api-client.ts";

function fakeFetch(answer: Partial<ResponseLike> & { body?: string } = {}) {
  const calls: { url: string; init: RequestInitLike }[] = [];
  const fetch = async (url: string, init: RequestInitLike): Promise<ResponseLike> => {
    calls.push({ url, init });
    const status = answer.status ?? 200;
    return { ok: status >= 200 && status < 300, status, statusText: answer.statusText ?? "", text: async () => answer.body ?? "{}" };
  };
  return { fetch, calls };
}

async function failure(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error("the request did not fail");
}

describe("the UI's API client", () => {
  it("sends GETs with the session cookie and no Authorization header or body", async () => {
    const { fetch, calls } = fakeFetch({ body: '[{"id":"a"}]' });
    expect(await apiClient(fetch).get("/api/runs")).toEqual([{ id: "a" }]);
    expect(calls).toEqual([{ url: "/api/runs", init: { method: "GET", credentials: "same-origin", headers: { accept: "application/json" } } }]);
  });

  it("sends POST and DELETE as JSON, {} when there is nothing to say", async () => {
    const { fetch, calls } = fakeFetch();
    const api = apiClient(fetch);
    await api.post("/api/runs/x/abort");
    await api.post("/api/scenarios/dns/runs", { capture: true });
    await api.del("/api/faults/f1");
    expect(calls.map((c) => [c.init.method, c.init.headers["content-type"], c.init.body, c.init.credentials])).toEqual([
      ["POST", "application/json", "{}", "same-origin"],
      ["POST", "application/json", '{"capture":true}', "same-origin"],
      ["DELETE", "application/json", "{}", "same-origin"],
    ]);
    for (const c of calls) expect(Object.keys(c.init.headers).map((h) => h.toLowerCase())).not.toContain("authorization");
  });

  it("says how to log in when the API answers 401", async () => {
    const { fetch } = fakeFetch({ status: 401, body: '{"statusCode":401,"error":"UNAUTHORIZED","message":"Send the lab\'s token"}' });
    const error = await failure(apiClient(fetch).get("/api/topology"));
    expect(error.status).toBe(401);
    expect(error.message).toBe(NOT_LOGGED_IN);
    expect(error.message).toBe("Not logged in: open the login link that ./l7lab up prints (or ./l7lab token)");
  });

  it("passes on the API's own message and code", async () => {
    const { fetch } = fakeFetch({ status: 409, body: '{"statusCode":409,"error":"RUN_ACTIVE","message":"a run is under way: wait for it"}' });
    const error = await failure(apiClient(fetch).post("/api/faults", { service: "www", loss: 5 }));
    expect([error.status, error.code, error.message]).toEqual([409, "RUN_ACTIVE", "a run is under way: wait for it"]);
  });

  it("says what HTTP said when the answer is not the API's JSON", async () => {
    const { fetch } = fakeFetch({ status: 502, statusText: "Bad Gateway", body: "<html>" });
    expect((await failure(apiClient(fetch).get("/api/runs"))).message).toBe("The orchestrator answered 502 Bad Gateway");
  });

  it("says the orchestrator does not answer when fetch itself fails", async () => {
    const api = apiClient(async () => {
      throw new TypeError("Failed to fetch");
    });
    const error = await failure(api.get("/api/runs"));
    expect([error.status, error.code]).toEqual([0, "UNREACHABLE"]);
    expect(error.message).toContain("Failed to fetch");
  });

  it("encodes the parameters of a path", () => {
    expect(apiPath`/api/runs/${"a/b c"}/abort`).toBe("/api/runs/a%2Fb%20c/abort");
    expect(apiPath`/api/experiments/${"dns-latency"}/runs`).toBe("/api/experiments/dns-latency/runs");
  });
});
