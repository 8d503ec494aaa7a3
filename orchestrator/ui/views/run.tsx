/** One run, live: its status and each step's, assertions, errors and transcripts, following the run's event stream. */
import { useEffect, useMemo, useState } from "preact/hooks";
import type { RunRecord, StepRecord } from "../../src/engine/run-record.ts";
import { formatDuration, formatValue, isFinishedRun, RUN_SYMBOL, stepCounts } from "../../src/ui-logic/run-display.ts";
import { followRun } from "../../src/ui-logic/run-follow.ts";
import { addressNames } from "../../src/ui-logic/topology-layout.ts";
import { api } from "../api.ts";
import { Alert, Loading, StepStatusWord, Time, ViewHeading } from "../components.tsx";
import { useResource } from "../hooks.ts";
import { Transcript } from "./ladder.tsx";

const FOLLOWING: Record<string, string> = {
  stream: "live: updated as the run changes",
  polling: "live: read again every second",
};

function Assertions({ step }: { step: StepRecord }) {
  return (
    <table class="data assertions">
      <caption class="visually-hidden">Assertions of {step.id}</caption>
      <thead>
        <tr>
          <th scope="col">Result</th>
          <th scope="col">Path</th>
          <th scope="col">Check</th>
          <th scope="col">Expected</th>
          <th scope="col">Actual</th>
        </tr>
      </thead>
      <tbody>
        {step.assertions.map((a, i) => (
          <tr key={i} class={a.passed ? "pass" : "fail"} title={a.message}>
            <td class={`status ${a.passed ? "status-passed" : "status-failed"}`}>
              <span aria-hidden="true">{a.passed ? "✓ " : "✗ "}</span>
              {a.passed ? "pass" : "fail"}
            </td>
            <td>
              <code>{a.path}</code>
            </td>
            <td>{a.op}</td>
            <td>
              <code title={"expected" in a ? formatValue(a.expected, 100_000) : undefined}>{formatValue(a.expected)}</code>
            </td>
            <td>
              <code title={"actual" in a ? formatValue(a.actual, 100_000) : undefined}>{formatValue(a.actual)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const RESULT_CHARS = 50_000;

/** A step's result as indented JSON, cut at RESULT_CHARS. */
function resultText(result: unknown): string {
  const text = JSON.stringify(result, null, 2) ?? String(result);
  return text.length > RESULT_CHARS ? `${text.slice(0, RESULT_CHARS)}\n… (${text.length - RESULT_CHARS} more characters: GET /api/runs/:id has them all)` : text;
}

function StepResult({ result }: { result: unknown }) {
  const [open, setOpen] = useState(false);
  if (result === undefined) return null;
  return (
    <details class="result" onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>Result</summary>
      {open && <pre>{resultText(result)}</pre>}
    </details>
  );
}

function Step({ step, index, names }: { step: StepRecord; index: number; names: ReadonlyMap<string, string> | undefined }) {
  return (
    <li class={`step status-${step.status}`} data-step={step.id} data-status={step.status}>
      <div class="step-head">
        <StepStatusWord status={step.status} />
        <h3>
          <code>{step.id}</code>
          {step.title ? ` ${step.title}` : ""}
        </h3>
        <span class="muted">{step.kind}</span>
        <span class="timing">{step.durationMs === undefined ? "" : `${Math.round(step.durationMs)} ms`}</span>
      </div>
      {step.error && (
        <p class="step-error">
          <span aria-hidden="true">✗ </span>
          <strong>{step.error.code}</strong>: {step.error.message}
        </p>
      )}
      {step.assertions.length > 0 && <Assertions step={step} />}
      {step.transcript.length > 0 && <Transcript stepId={step.id} index={index} lines={step.transcript} names={names} />}
      <StepResult result={step.result} />
    </li>
  );
}

function Capture({ run }: { run: RunRecord }) {
  const c = run.capture;
  if (!c) return null;
  return (
    <div class="capture">
      <h2>Packet capture</h2>
      <p>
        {c.packets} packets, {c.bytes} bytes from {c.services.join(", ") || "no service"}
        {c.filter ? ` (filter ${c.filter})` : ""}
        {c.truncated ? `; cut at ${c.limitBytes} bytes` : ""}.{" "}
        {c.pcap ? (
          <a data-pcap href={api.pcapHref(run.id)} download>
            Download pcap
          </a>
        ) : (
          !isFinishedRun(run.status) && "The pcapng file can be downloaded when the run has finished."
        )}
      </p>
      {c.errors.length > 0 && (
        <ul class="capture-errors">
          {c.errors.map((e, i) => (
            <li key={i}>{e}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function RunView({ id }: { id: string }) {
  const [run, setRun] = useState<RunRecord>();
  const [error, setError] = useState<unknown>();
  const [mode, setMode] = useState<string>();
  const [aborting, setAborting] = useState(false);
  const topology = useResource(api.topology, "names");
  const names = useMemo(() => (topology.data ? addressNames(topology.data) : undefined), [topology.data]);

  useEffect(() => {
    let alive = true;
    let stop: (() => void) | undefined;
    const deps = {
      openEvents: (url: string) => new EventSource(url),
      getRun: api.run,
      setTimer: (callback: () => void, ms: number) => setTimeout(callback, ms),
      clearTimer: (handle: unknown) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
    api.run(id).then(
      (first) => {
        if (!alive) return;
        setRun(first);
        if (isFinishedRun(first.status)) return;
        stop = followRun(id, deps, {
          record: (r) => {
            setRun(r);
            setError(undefined);
          },
          error: (e) => setError(e),
          mode: setMode,
        });
      },
      (e: unknown) => alive && setError(e),
    );
    return () => {
      alive = false;
      stop?.();
    };
  }, [id]);

  const abort = async () => {
    setAborting(true);
    try {
      setRun(await api.abortRun(id));
    } catch (e) {
      setError(e);
    }
    setAborting(false);
  };

  if (!run) {
    return (
      <section>
        <ViewHeading>Run {id}</ViewHeading>
        <Alert error={error} />
        {!error && <Loading what={`run ${id}`} />}
        <p>
          <a href="#/runs">All runs</a>
        </p>
      </section>
    );
  }

  const counts = stepCounts(run);
  const finished = isFinishedRun(run.status);
  return (
    <section>
      <ViewHeading>
        Run <code>{run.id}</code> of <code>{run.scenario}</code>
      </ViewHeading>
      <div class="run-summary">
        <p class="run-status" aria-live="polite">
          Status:{" "}
          <strong class={`status status-${run.status}`}>
            <span aria-hidden="true">{RUN_SYMBOL[run.status]} </span>
            <span data-run-status={run.status}>{run.status}</span>
          </strong>
          {!finished && mode && FOLLOWING[mode] ? <span class="muted"> ({FOLLOWING[mode]})</span> : null}
        </p>
        <dl class="facts">
          <dt>Scenario</dt>
          <dd>
            <a href="#/scenarios">{run.scenario}</a>
          </dd>
          <dt>Duration</dt>
          <dd>{formatDuration(run.durationMs)}</dd>
          <dt>Queued</dt>
          <dd>
            <Time iso={run.createdAt} />
          </dd>
          <dt>Steps</dt>
          <dd>
            {counts.passed} passed, {counts.failed} failed, {counts.error} errors, {counts.skipped} skipped
            {counts.pending + counts.running > 0 ? `, ${counts.pending + counts.running} to go` : ""} (of {run.steps.length})
          </dd>
        </dl>
        {!finished && (
          <button type="button" class="danger" onClick={abort} disabled={aborting}>
            Abort
          </button>
        )}
      </div>
      <Alert error={error} />
      {run.error && (
        <p class="step-error run-error">
          <span aria-hidden="true">✗ </span>
          <strong>{run.error.code}</strong>: {run.error.message}
        </p>
      )}
      <Capture run={run} />
      <h2>Steps</h2>
      <ol class="steps">
        {run.steps.map((s, i) => (
          <Step key={s.id} step={s} index={i} names={names} />
        ))}
      </ol>
      {run.cleanup.length > 0 && (
        <>
          <h2>Cleanup</h2>
          <ul class="cleanup">
            {run.cleanup.map((c, i) => (
              <li key={i} class={c.ok ? "status-passed" : "status-failed"}>
                <span class="status">
                  <span aria-hidden="true">{c.ok ? "✓ " : "✗ "}</span>
                  {c.ok ? "ok" : "failed"}
                </span>{" "}
                <code>{c.service}</code> ({c.action}): {c.message}
              </li>
            ))}
          </ul>
        </>
      )}
      <p>
        <a href="#/runs">All runs</a>
      </p>
    </section>
  );
}
