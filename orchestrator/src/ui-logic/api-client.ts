/**
 * The web UI's access to the API, on the same origin as the page: the browser sends its session
 * cookie (set by /login), so there is no Authorization header. Every request that changes
 * something sends a JSON body ({} when it has nothing to say), as the API wants (api/access.ts).
 * Pure apart from the fetch it is given, so that tests can hand it a fake one.
 */

/** What the page says when the API answers 401: the browser has no (valid) session. */
export const NOT_LOGGED_IN = "Not logged in: open the login link that ./l7lab up prints (or ./l7lab token)";

/** An answer that was not a success, with the API's error code and its message (written for people). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

/** The parts of fetch's Response the client reads. */
export interface ResponseLike {
  ok: boolean;
  status: number;
  statusText: string;
  text(): Promise<string>;
}

export interface RequestInitLike {
  method: string;
  credentials: "same-origin";
  headers: Record<string, string>;
  body?: string;
}

export type FetchLike = (url: string, init: RequestInitLike) => Promise<ResponseLike>;

export interface ApiClient {
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  del<T>(path: string, body?: unknown): Promise<T>;
}

/** A path with its parameters percent-encoded: apiPath`/api/runs/${id}`. */
export function apiPath(strings: TemplateStringsArray, ...params: (string | number)[]): string {
  return strings.reduce((out, s, i) => out + s + (i < params.length ? encodeURIComponent(String(params[i])) : ""), "");
}

async function errorOf(response: ResponseLike): Promise<ApiError> {
  if (response.status === 401) return new ApiError(401, "NOT_LOGGED_IN", NOT_LOGGED_IN);
  const text = await response.text().catch(() => "");
  try {
    const reply = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof reply.message === "string") return new ApiError(response.status, typeof reply.error === "string" ? reply.error : "ERROR", reply.message);
  } catch {
    // not the API's JSON error: say what HTTP said
  }
  return new ApiError(response.status, "HTTP_ERROR", `The orchestrator answered ${response.status} ${response.statusText}`.trim());
}

export function apiClient(fetchFn: FetchLike): ApiClient {
  const request = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const init: RequestInitLike =
      method === "GET"
        ? { method, credentials: "same-origin", headers: { accept: "application/json" } }
        : { method, credentials: "same-origin", headers: { accept: "application/json", "content-type": "application/json" }, body: JSON.stringify(body ?? {}) };
    let response: ResponseLike;
    try {
      response = await fetchFn(path, init);
    } catch (error) {
      throw new ApiError(0, "UNREACHABLE", `The orchestrator does not answer (${(error as Error).message}): is the lab up? (./l7lab up)`);
    }
    if (!response.ok) throw await errorOf(response);
    const text = await response.text();
    return (text === "" ? undefined : JSON.parse(text)) as T;
  };
  return {
    get: (path) => request("GET", path),
    post: (path, body) => request("POST", path, body),
    del: (path, body) => request("DELETE", path, body),
  };
}
