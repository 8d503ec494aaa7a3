/** A step's transcript: a ladder diagram (SVG) and the plain C:/S: text, each behind a disclosure button. */
import { useMemo, useState } from "preact/hooks";
import { transcriptText } from "../../src/cli/format.ts";
import type { TranscriptLineRecord } from "../../src/engine/run-record.ts";
import { ladderLayout, MAX_LADDER_LINES, TIME_GUTTER, timeLabel, type LadderRow } from "../../src/ui-logic/ladder.ts";

/** One line of the transcript: an arrow with its label, or a note; its time is drawn apart, in the gutter. */
function Row({ row }: { row: LadderRow }) {
  if (row.kind === "note") {
    const width = row.x2 - row.x1;
    return (
      <g class="note">
        <title>{row.title}</title>
        <rect x={row.x1} y={row.y - 12} width={width} height={18} rx={3} />
        <text x={row.x1 + width / 2} y={row.y + 1}>
          {row.label}
        </text>
      </g>
    );
  }
  const rightwards = row.x2 > row.x1;
  const head = rightwards ? `M${row.x2} ${row.y} l-9 -4.5 v9 z` : `M${row.x2} ${row.y} l9 -4.5 v9 z`;
  return (
    <g class="arrow" data-dir={row.dir}>
      <title>{row.title}</title>
      <line x1={row.x1} y1={row.y} x2={row.x2 + (rightwards ? -8 : 8)} y2={row.y} />
      <path d={head} />
      <text x={Math.min(row.x1, row.x2) + 8} y={row.y - 5}>
        {row.label}
      </text>
    </g>
  );
}

function LadderDiagram({ stepId, lines, names }: { stepId: string; lines: readonly TranscriptLineRecord[]; names: ReadonlyMap<string, string> | undefined }) {
  const ladder = useMemo(() => ladderLayout(lines, names ? { names } : {}), [lines, names]);
  return (
    <div class="scroll ladder-scroll" tabIndex={0} role="region" aria-label={`Scrollable area: the ladder of ${stepId}`}>
      <svg class="ladder" role="img" aria-label={`Ladder diagram of ${stepId}`} width={ladder.width} height={ladder.height} viewBox={`0 0 ${ladder.width} ${ladder.height}`}>
        {ladder.columns.map((c, i) => (
          <g key={i} class={i === 0 ? "lifeline client" : "lifeline"}>
            <text class="host" x={c.x} y={18}>
              {c.label}
            </text>
            {c.sublabel && (
              <text class="host-name" x={c.x} y={34}>
                {c.sublabel}
              </text>
            )}
            <line x1={c.x} y1={ladder.top} x2={c.x} y2={ladder.bottom} />
          </g>
        ))}
        <g class="times" aria-hidden="true">
          {ladder.rows.map((r, i) => (
            <text key={i} class="time" x={TIME_GUTTER - 6} y={r.y + 4}>
              {timeLabel(r.atMs)}
            </text>
          ))}
        </g>
        {ladder.rows.map((r, i) => (
          <Row key={i} row={r} />
        ))}
        {ladder.hidden > 0 && (
          <text class="more" x={ladder.columns[0]!.x} y={ladder.bottom - 6}>
            {ladder.hidden} more lines (the first {MAX_LADDER_LINES} are drawn; the text view has them all)
          </text>
        )}
      </svg>
    </div>
  );
}

export function Transcript({ stepId, index, lines, names }: { stepId: string; index: number; lines: readonly TranscriptLineRecord[]; names: ReadonlyMap<string, string> | undefined }) {
  const [ladder, setLadder] = useState(false);
  const [text, setText] = useState(false);
  const ladderId = `ladder-${index}`;
  const textId = `transcript-${index}`;
  return (
    <div class="transcript">
      <div class="disclosures">
        <button type="button" class="disclosure" aria-expanded={ladder} aria-controls={ladderId} onClick={() => setLadder(!ladder)}>
          {`Ladder diagram of ${stepId}`}
        </button>
        <button type="button" class="disclosure" aria-expanded={text} aria-controls={textId} onClick={() => setText(!text)}>
          {`Transcript of ${stepId} as text`}
        </button>
        <span class="muted">
          {lines.length} line{lines.length === 1 ? "" : "s"}
        </span>
      </div>
      <div id={ladderId}>{ladder && <LadderDiagram stepId={stepId} lines={lines} names={names} />}</div>
      <div id={textId}>{text && <pre class="transcript-text">{transcriptText({ transcript: [...lines] })}</pre>}</div>
    </div>
  );
}
