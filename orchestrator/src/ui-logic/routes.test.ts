import { describe, expect, it } from "vitest";
import { navView, parseRoute, runHref } from "./routes.ts";

describe("the UI's hash routes", () => {
  it.each([
    { hash: "", route: { view: "topology" } },
    { hash: "#", route: { view: "topology" } },
    { hash: "#/", route: { view: "topology" } },
    { hash: "#/topology", route: { view: "topology" } },
    { hash: "#/scenarios", route: { view: "scenarios" } },
    { hash: "#/runs", route: { view: "runs" } },
    { hash: "#/runs/", route: { view: "runs" } },
    { hash: "#/runs/362ec7c6", route: { view: "run", id: "362ec7c6" } },
    { hash: "#/runs/a%2Fb", route: { view: "run", id: "a/b" } },
    { hash: "#/faults", route: { view: "faults" } },
    { hash: "#/experiments", route: { view: "experiments" } },
    { hash: "#/nowhere", route: { view: "not-found", path: "/nowhere" } },
    { hash: "#/runs/a/b", route: { view: "not-found", path: "/runs/a/b" } },
    { hash: "#/runs/%E0%A4%A", route: { view: "not-found", path: "/runs/%E0%A4%A" } },
    { hash: "#/topology/x", route: { view: "not-found", path: "/topology/x" } },
  ])("$hash is $route.view", ({ hash, route }) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it("links to a run with its id encoded, and the link leads back to it", () => {
    expect(runHref("a b/c")).toBe("#/runs/a%20b%2Fc");
    expect(parseRoute(runHref("a b/c"))).toEqual({ view: "run", id: "a b/c" });
  });

  it("marks the runs in the navigation while a run is shown", () => {
    expect(navView({ view: "run", id: "x" })).toBe("runs");
    expect(navView({ view: "faults" })).toBe("faults");
    expect(navView({ view: "not-found", path: "/x" })).toBeUndefined();
  });
});
