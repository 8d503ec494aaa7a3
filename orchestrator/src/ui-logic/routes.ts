/**
 * The web UI's hash routes (orchestrator/ui): #/topology (the default), #/scenarios, #/runs,
 * #/runs/<id>, #/faults, #/experiments. Pure, so that the UI and its tests read them alike.
 */

export type Route =
  | { view: "topology" }
  | { view: "scenarios" }
  | { view: "runs" }
  | { view: "run"; id: string }
  | { view: "faults" }
  | { view: "experiments" }
  | { view: "not-found"; path: string };

/** The views in the navigation bar, in its order. */
export const NAV = [
  { view: "topology", label: "Topology", href: "#/topology" },
  { view: "scenarios", label: "Scenarios", href: "#/scenarios" },
  { view: "runs", label: "Runs", href: "#/runs" },
  { view: "faults", label: "Faults", href: "#/faults" },
  { view: "experiments", label: "Experiments", href: "#/experiments" },
] as const;

const SIMPLE = new Set<string>(NAV.map((n) => n.view));

/** The route of a location's hash ("#/runs/ab12cd34"); an empty hash is the topology. */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "").replace(/^\/+/, "").replace(/\/+$/, "");
  if (path === "") return { view: "topology" };
  const [first, ...rest] = path.split("/");
  if (rest.length === 0 && SIMPLE.has(first!)) return { view: first } as Route;
  if (first === "runs" && rest.length === 1 && rest[0] !== "") {
    try {
      return { view: "run", id: decodeURIComponent(rest[0]!) };
    } catch {
      // not valid percent-encoding: no such route
    }
  }
  return { view: "not-found", path: `/${path}` };
}

/** The hash of a run's view. */
export function runHref(id: string): string {
  return `#/runs/${encodeURIComponent(id)}`;
}

/** Which navigation entry a route belongs to (a run belongs to the runs). */
export function navView(route: Route): string | undefined {
  return route.view === "run" ? "runs" : route.view === "not-found" ? undefined : route.view;
}
