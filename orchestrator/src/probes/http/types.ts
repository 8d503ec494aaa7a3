/** What the HTTP probe returns. */

export const HTTP_METHODS = ["GET", "HEAD"] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** The largest body (in bytes) that `includeBody` puts in the result. */
export const MAX_INCLUDED_BODY_BYTES = 64 * 1024;

export interface HttpTiming {
  /** From sending the request to the arrival of the status line. */
  ttfbMs: number;
  /** From sending the request to the end of the body. */
  totalMs: number;
  /**
   * The body's bits over totalMs, in kbit/s (1000 bit/s): the goodput a user sees, from asking to
   * having it all. Absent when no body came or no time passed.
   */
  goodputKbit?: number;
}

export interface HttpResult {
  /** The URL asked for (without a fragment). */
  url: string;
  method: HttpMethod;
  /** Whether the request went straight to the origin server or through a forward proxy. */
  via: "direct" | "proxy";
  /** The proxy's address and port, "addr:port", when via is "proxy". */
  proxy?: string;
  /** The HTTP status; 0 when no response came. */
  status: number;
  statusText?: string;
  /** "1.1" or "1.0", from the status line. */
  httpVersion?: string;
  /** Response headers, lower-case names; repeated ones joined with ", ". */
  headers: Record<string, string>;
  bodyBytes: number;
  /** Hex SHA-256 of the body (of the empty body for HEAD, 304 and 204). */
  sha256: string;
  /** The body as UTF-8 text, with includeBody and at most 64 KiB. */
  body?: string;
  /** Why the body is not in the result although includeBody asked for it. */
  bodyOmitted?: string;
  timing: HttpTiming;
  /** The proxy's cache verdict, from X-Cache or X-Cache-Status, as sent. */
  cache?: string;
  /** The Age header, in seconds. */
  age?: number;
  lastModified?: string;
  etag?: string;
}
