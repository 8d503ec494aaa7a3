/**
 * l7lab's web UI: a single page at the API's address, with hash routes (src/ui-logic/routes.ts)
 * for the topology, scenarios, runs, faults and experiments. Same origin as the API, whose
 * session cookie /login sets; bundled by rolldown with Preact into app.js (README: Web UI).
 */
import { render } from "preact";
import { useEffect, useRef } from "preact/hooks";
import { NAV, navView, type Route } from "../src/ui-logic/routes.ts";
import { ViewHeading } from "./components.tsx";
import { useRoute } from "./hooks.ts";
import { ExperimentsView } from "./views/experiments.tsx";
import { FaultsView } from "./views/faults.tsx";
import { RunView } from "./views/run.tsx";
import { RunsView } from "./views/runs.tsx";
import { ScenariosView } from "./views/scenarios.tsx";
import { TopologyView } from "./views/topology.tsx";

const TITLES: Record<Route["view"], string> = {
  topology: "Topology",
  scenarios: "Scenarios",
  runs: "Runs",
  run: "Run",
  faults: "Faults",
  experiments: "Experiments",
  "not-found": "Not found",
};

function View({ route }: { route: Route }) {
  switch (route.view) {
    case "topology":
      return <TopologyView />;
    case "scenarios":
      return <ScenariosView />;
    case "runs":
      return <RunsView />;
    case "run":
      return <RunView key={route.id} id={route.id} />;
    case "faults":
      return <FaultsView />;
    case "experiments":
      return <ExperimentsView />;
    case "not-found":
      return (
        <section>
          <ViewHeading>Not found</ViewHeading>
          <p>
            There is no view <code>#{route.path}</code>. <a href="#/topology">See the topology</a>.
          </p>
        </section>
      );
  }
}

function App() {
  const route = useRoute();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  const current = navView(route);

  // A new view: its title, and the focus on its heading (not at the first load: the page has it then).
  useEffect(() => {
    document.title = `${route.view === "run" ? `Run ${route.id}` : TITLES[route.view]} · l7lab`;
    if (first.current) {
      first.current = false;
      return;
    }
    (main.current?.querySelector<HTMLElement>(".view-heading") ?? main.current)?.focus();
  }, [route.view, route.view === "run" ? route.id : ""]);

  return (
    <>
      <a
        class="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          main.current?.focus();
        }}
      >
        Skip to the content
      </a>
      <header class="top">
        <span class="brand">l7lab</span>
        <nav aria-label="Views">
          <ul>
            {NAV.map((n) => (
              <li key={n.view}>
                <a href={n.href} aria-current={current === n.view ? "page" : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <View route={route} />
      </main>
    </>
  );
}

render(<App />, document.getElementById("app")!);
