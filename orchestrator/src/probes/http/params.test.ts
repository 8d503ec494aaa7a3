import { Value } from "typebox/value";
import { describe, expect, it } from "vitest";
import { httpParamsSchema, paramProblems, parseProxy, parseTarget } from "./params.ts";

describe("parseTarget", () => {
  it("splits an http URL into host, port, Host header, path and absolute form", () => {
    expect(parseTarget("http://www.someschool.edu/x?y=1#frag")).toEqual({
      hostname: "www.someschool.edu", port: 80, hostHeader: "www.someschool.edu", path: "/x?y=1", absolute: "http://www.someschool.edu/x?y=1",
    });
    expect(parseTarget("http://web:8080")).toMatchObject({ hostname: "web", port: 8080, hostHeader: "web:8080", path: "/", absolute: "http://web:8080/" });
    expect(parseTarget("http://[::1]:81/a")).toMatchObject({ hostname: "::1", port: 81, hostHeader: "[::1]:81" });
  });

  it("names what is wrong", () => {
    expect(parseTarget("www.someschool.edu/x")).toMatch(/not a URL/);
    expect(parseTarget("https://www.someschool.edu/")).toMatch(/not http:\/\//);
    expect(parseTarget("ftp://ftp.someschool.edu/")).toMatch(/not http:\/\//);
    expect(parseTarget("http://alice:pw@web/")).toMatch(/user:password/);
  });
});

describe("parseProxy", () => {
  it("parses host:port", () => {
    expect(parseProxy("proxy.hamburger.edu:3128")).toEqual({ host: "proxy.hamburger.edu", port: 3128 });
    expect(parseProxy("10.0.0.3:8080")).toEqual({ host: "10.0.0.3", port: 8080 });
    expect(parseProxy("[::1]:3128")).toEqual({ host: "::1", port: 3128 });
  });

  it("refuses anything else", () => {
    for (const bad of ["proxy", "proxy:", ":3128", "proxy:0", "proxy:70000", "http://proxy:3128", "proxy:3128/", "[zz]:1"]) {
      expect(parseProxy(bad), bad).toMatch(/not "host:port"|invalid IPv6/);
    }
  });
});

describe("paramProblems", () => {
  it("accepts good parameters", () => {
    expect(paramProblems({ url: "http://www.someschool.edu/x" })).toEqual([]);
    expect(paramProblems({ url: "http://web/x", method: "HEAD", headers: { "If-None-Match": '"v1"' }, proxy: "proxy:3128", timeoutMs: 500 })).toEqual([]);
  });

  it("finds a bad url, a bad proxy and HEAD with includeBody", () => {
    expect(paramProblems({ url: "https://web/" })).toHaveLength(1);
    expect(paramProblems({ url: "http://web/", proxy: "proxy" }).join()).toMatch(/host:port/);
    expect(paramProblems({ url: "http://web/", method: "HEAD", includeBody: true }).join()).toMatch(/HEAD/);
  });

  it("refuses Host, body headers, line breaks and bad names", () => {
    expect(paramProblems({ url: "http://web/", headers: { host: "x" } }).join()).toMatch(/Host.*set by the probe/);
    expect(paramProblems({ url: "http://web/", headers: { "Content-Length": "3" } }).join()).toMatch(/without a body/);
    expect(paramProblems({ url: "http://web/", headers: { "X-A": "1\r\nX-B: 2" } }).join()).toMatch(/CR, LF/);
    expect(paramProblems({ url: "http://web/", headers: { "Bad Name": "1" } }).join()).toMatch(/not an HTTP token/);
    expect(paramProblems({ url: "http://web/", headers: { "Proxy-Authorization": "Basic x" } }).join()).toMatch(/only with a proxy/);
  });
});

describe("httpParamsSchema", () => {
  it("is strict and describes every field", () => {
    expect(Value.Check(httpParamsSchema, { url: "http://web/" })).toBe(true);
    expect(Value.Check(httpParamsSchema, { url: "http://web/", method: "POST" })).toBe(false);
    expect(Value.Check(httpParamsSchema, { url: "http://web/", repeat: 2 })).toBe(false);
    expect(Value.Check(httpParamsSchema, { url: "http://web/", headers: { a: 1 } })).toBe(false);
    for (const [name, field] of Object.entries(httpParamsSchema.properties)) expect((field as { description?: string }).description, name).toBeTruthy();
  });

  it("has no defaults on fields whose presence paramProblems looks at", () => {
    const withDefaults = Value.Default(httpParamsSchema, { url: "http://web/" }) as Record<string, unknown>;
    expect(Object.keys(withDefaults).sort()).toEqual(["timeoutMs", "url"]);
  });
});
