/** The runs the orchestrator keeps, newest first, each linking to its view. */
import { formatDuration, isFinishedRun, stepCounts } from "../../src/ui-logic/run-display.ts";
import { runHref } from "../../src/ui-logic/routes.ts";
import { api } from "../api.ts";
import { Alert, Loading, RunStatusWord, Time, ViewHeading } from "../components.tsx";
import { useResource } from "../hooks.ts";

export function RunsView() {
  // Read again every 5 s only while a run is under way (and the page is shown).
  const runs = useResource(api.runs, "runs", (list) => (list?.some((r) => !isFinishedRun(r.status)) ? 5000 : undefined));
  const data = runs.data;
  return (
    <section>
      <ViewHeading>Runs</ViewHeading>
      <p class="lead">
        The scenario runs the orchestrator keeps in memory, newest first.{" "}
        <button type="button" class="link-button" onClick={() => runs.reload()}>
          Refresh
        </button>
      </p>
      <Alert error={runs.error} />
      {!data && runs.loading && <Loading what="the runs" />}
      {data && data.length === 0 && (
        <p>
          No runs yet: <a href="#/scenarios">run a scenario</a>.
        </p>
      )}
      {data && data.length > 0 && (
        <table class="data runs">
          <caption class="visually-hidden">Runs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Scenario</th>
              <th scope="col">Status</th>
              <th scope="col">Steps</th>
              <th scope="col">Queued</th>
              <th scope="col">Duration</th>
            </tr>
          </thead>
          <tbody>
            {data.map((r) => {
              const c = stepCounts(r);
              return (
                <tr key={r.id}>
                  <th scope="row">
                    <a href={runHref(r.id)}>
                      <code>{r.id}</code>
                    </a>
                  </th>
                  <td>{r.scenario}</td>
                  <td>
                    <RunStatusWord status={r.status} />
                  </td>
                  <td>
                    {c.passed}/{r.steps.length} passed
                    {c.failed + c.error > 0 ? `, ${c.failed + c.error} failed` : ""}
                  </td>
                  <td>
                    <Time iso={r.createdAt} />
                  </td>
                  <td>{formatDuration(r.durationMs)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}
