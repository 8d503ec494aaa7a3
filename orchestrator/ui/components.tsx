/** Small pieces the views share: error messages, status words with their symbols, headings that take focus. */
import type { ComponentChildren } from "preact";
import type { RunStatus, StepStatus } from "../src/engine/run-record.ts";
import { NOT_LOGGED_IN } from "../src/ui-logic/api-client.ts";
import { RUN_SYMBOL, STEP_SYMBOL } from "../src/ui-logic/run-display.ts";

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** An error for people, announced at once (role="alert"). */
export function Alert({ error, children }: { error?: unknown; children?: ComponentChildren }) {
  if (error === undefined && children === undefined) return null;
  const message = error === undefined ? undefined : messageOf(error);
  return (
    <div class={message === NOT_LOGGED_IN ? "alert login" : "alert"} role="alert">
      <span aria-hidden="true">⚠ </span>
      {message}
      {children}
    </div>
  );
}

/** A run's or a step's status: its symbol and its word, coloured by a class (never by colour alone). */
export function RunStatusWord({ status }: { status: RunStatus }) {
  return (
    <span class={`status status-${status}`}>
      <span aria-hidden="true">{RUN_SYMBOL[status]} </span>
      {status}
    </span>
  );
}

export function StepStatusWord({ status }: { status: StepStatus }) {
  return (
    <span class={`status status-${status}`}>
      <span aria-hidden="true">{STEP_SYMBOL[status]} </span>
      {status}
    </span>
  );
}

/** The view's heading; the app moves the focus to it when the route changes (tabIndex -1). */
export function ViewHeading({ children }: { children: ComponentChildren }) {
  return (
    <h1 class="view-heading" tabIndex={-1}>
      {children}
    </h1>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="loading" role="status">
      Loading {what}…
    </p>
  );
}

/** A date as the reader's local time. */
export function Time({ iso }: { iso: string | undefined }) {
  if (!iso) return <>–</>;
  const d = new Date(iso);
  return <time dateTime={iso}>{Number.isNaN(d.getTime()) ? iso : d.toLocaleString()}</time>;
}
