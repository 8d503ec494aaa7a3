/** The experiments: each with its latest run as a chart of the measured means against the model, and the numbers as a table. */
import { api, type ExperimentSummary } from "../api.ts";
import { Alert, Loading, Time, ViewHeading } from "../components.tsx";
import { useResource } from "../hooks.ts";
import { ExperimentChart, PointsTable } from "./chart.tsx";

const RUNNING_REFRESH_MS = 5000;

function Experiment({ experiment }: { experiment: ExperimentSummary }) {
  // Read again every 5 s only while its latest run is under way (and the page is shown).
  const runs = useResource(() => api.experimentRuns(experiment.name), experiment.name, (list) => (list?.[0]?.status === "running" ? RUNNING_REFRESH_MS : undefined));
  const latest = runs.data?.[0];
  return (
    <li class="card experiment">
      <h2>{experiment.title ?? experiment.name}</h2>
      <p class="muted">
        <code>{experiment.name}</code>
        {experiment.factors && ` · ${experiment.factors.map((f) => `${f.name}: ${f.levels.join(", ")}${f.unit ? ` ${f.unit}` : ""}`).join(" · ")}`}
        {experiment.repetitions !== undefined && ` · ${experiment.repetitions} repetitions`}
      </p>
      <Alert error={runs.error} />
      {!runs.data && runs.loading && <Loading what="its runs" />}
      {runs.data && !latest && (
        <p>
          No run yet. <code>./l7lab experiment run {experiment.name} --quick</code> runs it (two points, once each).
        </p>
      )}
      {latest && (
        <>
          <p>
            Latest run <code>{latest.id}</code>
            {latest.quick ? " (quick)" : ""}: <strong class={`status status-${latest.status === "passed" ? "passed" : latest.status === "running" ? "running" : "failed"}`}>{latest.status}</strong>, started{" "}
            <Time iso={latest.startedAt} />, {latest.points.length} points × {latest.repetitions} repetitions; bound {latest.bound.relative * 100}% or {latest.bound.absolute}
            {latest.metric.unit ? ` ${latest.metric.unit}` : ""}.
          </p>
          <ExperimentChart run={latest} />
          <PointsTable run={latest} />
        </>
      )}
    </li>
  );
}

export function ExperimentsView() {
  const experiments = useResource(api.experiments, "experiments");
  const list = experiments.data ?? [];
  return (
    <section>
      <ViewHeading>Experiments</ViewHeading>
      <p class="lead">
        Sweeps of a factor measured point by point against a model (<code>experiments/</code>). Each shows its latest run; the dashed lines are the model.
      </p>
      <Alert error={experiments.error} />
      {!experiments.data && experiments.loading && <Loading what="the experiments" />}
      <ul class="cards">
        {list.map((e) =>
          e.valid ? (
            <Experiment key={e.name} experiment={e} />
          ) : (
            <li key={e.name} class="card invalid">
              <h2>
                <code>{e.name}</code>
              </h2>
              <p>
                <span class="status status-error">
                  <span aria-hidden="true">✗ </span>invalid
                </span>{" "}
                <code>{e.file}</code> cannot be run until this is fixed:
              </p>
              <ul>
                {e.errors.map((x, i) => (
                  <li key={i}>{x}</li>
                ))}
              </ul>
            </li>
          ),
        )}
      </ul>
    </section>
  );
}
