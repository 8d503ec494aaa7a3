/** The scenarios: each valid one can be run (optionally capturing its packets); invalid ones say what to fix. */
import { useState } from "preact/hooks";
import { runHref } from "../../src/ui-logic/routes.ts";
import { api, type Scenario } from "../api.ts";
import { Alert, Loading, ViewHeading } from "../components.tsx";
import { useResource } from "../hooks.ts";

function ScenarioItem({ scenario }: { scenario: Scenario }) {
  const [capture, setCapture] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const id = `capture-${scenario.name}`;

  const start = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const run = await api.startRun(scenario.name, capture);
      location.hash = runHref(run.id);
    } catch (e) {
      setError(e);
      setBusy(false);
    }
  };

  return (
    <li class={scenario.valid ? "card" : "card invalid"}>
      <h2>
        <code>{scenario.name}</code>
      </h2>
      {scenario.title && <p class="card-title">{scenario.title}</p>}
      {scenario.valid ? (
        <>
          {scenario.description && <p class="description">{scenario.description.trim()}</p>}
          <form class="run-form" onSubmit={start}>
            <span class="steps-count">{scenario.steps} steps</span>
            <input id={id} type="checkbox" checked={capture} onChange={(e) => setCapture(e.currentTarget.checked)} />
            <label for={id}>Capture packets (pcap)</label>
            <button type="submit" aria-label={`Run ${scenario.name}`} disabled={busy}>
              <span aria-hidden="true">▶ </span>Run
            </button>
          </form>
          <Alert error={error} />
        </>
      ) : (
        <div class="problems">
          <p>
            <span class="status status-error">
              <span aria-hidden="true">✗ </span>invalid
            </span>{" "}
            <code>{scenario.file}</code> cannot be run until this is fixed:
          </p>
          <ul>
            {scenario.errors.map((e, i) => (
              <li key={i}>{e}</li>
            ))}
          </ul>
        </div>
      )}
    </li>
  );
}

export function ScenariosView() {
  const scenarios = useResource(api.scenarios, "scenarios");
  const list = scenarios.data ?? [];
  const invalid = list.filter((s) => !s.valid).length;
  return (
    <section>
      <ViewHeading>Scenarios</ViewHeading>
      <p class="lead">
        End-to-end scenarios from <code>scenarios/</code>. Running one opens its run, which updates live.
        {scenarios.data && ` ${list.length} scenarios${invalid ? `, ${invalid} invalid` : ""}.`}
      </p>
      <Alert error={scenarios.error} />
      {!scenarios.data && scenarios.loading && <Loading what="the scenarios" />}
      <ul class="cards">
        {list.map((s) => (
          <ScenarioItem key={s.name} scenario={s} />
        ))}
      </ul>
    </section>
  );
}
