/** An experiment run as an SVG line chart (src/ui-logic/plot.ts lays it out) and its numbers as a table. */
import type { JSX } from "preact";
import { experimentPlot, linePath, linearScale, pointVerdict, tickLabel } from "../../src/ui-logic/plot.ts";
import type { ExperimentRun } from "../api.ts";

const WIDTH = 640;
const HEIGHT = 360;
const M = { left: 72, right: 24, top: 16, bottom: 56 };
/** Series are told apart by marker shape as well as colour. */
const SHAPES = ["circle", "square", "triangle", "diamond", "cross", "star"] as const;
type Shape = (typeof SHAPES)[number];

function Marker({ shape, x, y }: { shape: Shape; x: number; y: number }): JSX.Element {
  const r = 4.5;
  switch (shape) {
    case "circle":
      return <circle cx={x} cy={y} r={r} />;
    case "square":
      return <rect x={x - r} y={y - r} width={2 * r} height={2 * r} />;
    case "triangle":
      return <path d={`M${x} ${y - r - 1} L${x + r + 1} ${y + r} L${x - r - 1} ${y + r} Z`} />;
    case "diamond":
      return <path d={`M${x} ${y - r - 1} L${x + r + 1} ${y} L${x} ${y + r + 1} L${x - r - 1} ${y} Z`} />;
    case "cross":
      return <path d={`M${x - r} ${y - r} L${x + r} ${y + r} M${x - r} ${y + r} L${x + r} ${y - r}`} class="stroke-only" />;
    case "star":
      return <path d={`M${x} ${y - r - 1} L${x + 1.5} ${y - 1.5} L${x + r + 1} ${y} L${x + 1.5} ${y + 1.5} L${x} ${y + r + 1} L${x - 1.5} ${y + 1.5} L${x - r - 1} ${y} L${x - 1.5} ${y - 1.5} Z`} />;
  }
}

const fmt = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? "–" : Number(v.toFixed(2)).toString());

export function ExperimentChart({ run }: { run: ExperimentRun }) {
  const plot = experimentPlot(run);
  const x = linearScale(plot.xDomain, [M.left, WIDTH - M.right]);
  const y = linearScale(plot.yDomain, [HEIGHT - M.bottom, M.top]);
  const clampY = (v: number) => y(Math.min(plot.yDomain[1], Math.max(plot.yDomain[0], v)));
  const describedBy = `chart-${run.id}-legend`;
  return (
    <figure class="chart">
      <svg width={WIDTH} height={HEIGHT} viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${plot.yTitle} against ${plot.xTitle}, run ${run.id}; the table below has the numbers`} aria-describedby={describedBy}>
        <g class="grid">
          {plot.yTicks.map((t) => (
            <line key={t} x1={M.left} x2={WIDTH - M.right} y1={y(t)} y2={y(t)} />
          ))}
        </g>
        <g class="axis y-axis">
          <line x1={M.left} x2={M.left} y1={M.top} y2={HEIGHT - M.bottom} />
          {plot.yTicks.map((t) => (
            <text key={t} x={M.left - 8} y={y(t) + 4} class="tick end">
              {tickLabel(t, plot.yTicks)}
            </text>
          ))}
          <text class="axis-title" transform={`translate(16 ${(M.top + HEIGHT - M.bottom) / 2}) rotate(-90)`}>
            {plot.yTitle}
          </text>
        </g>
        <g class="axis x-axis">
          <line x1={M.left} x2={WIDTH - M.right} y1={HEIGHT - M.bottom} y2={HEIGHT - M.bottom} />
          {plot.xTicks.map((t) => (
            <g key={t.value}>
              <line x1={x(t.value)} x2={x(t.value)} y1={HEIGHT - M.bottom} y2={HEIGHT - M.bottom + 5} />
              <text x={x(t.value)} y={HEIGHT - M.bottom + 18} class="tick middle">
                {t.label}
              </text>
            </g>
          ))}
          <text class="axis-title middle" x={(M.left + WIDTH - M.right) / 2} y={HEIGHT - 12}>
            {plot.xTitle}
          </text>
        </g>
        {plot.series.map((s, i) => {
          const shape = SHAPES[i % SHAPES.length]!;
          return (
            <g key={s.key} class={`series series-${i % SHAPES.length}`}>
              <path class="model" d={linePath(s.points.map((p) => ({ x: x(p.x), y: p.model === undefined ? undefined : y(p.model) })))} />
              <path class="measured" d={linePath(s.points.map((p) => ({ x: x(p.x), y: p.mean === undefined ? undefined : y(p.mean) })))} />
              {s.points.map((p, j) =>
                p.mean === undefined ? null : (
                  <g key={j} class="point">
                    <title>{`${s.label}, ${run.factors[0]?.name ?? "x"} ${p.level}: mean ${fmt(p.mean)} ± ${fmt(p.sd)} (model ${fmt(p.model)}), ${pointVerdict(p.record)}`}</title>
                    {p.sd !== undefined && p.sd > 0 && <line class="error-bar" x1={x(p.x)} x2={x(p.x)} y1={clampY(p.mean - p.sd)} y2={clampY(p.mean + p.sd)} />}
                    <Marker shape={shape} x={x(p.x)} y={y(p.mean)} />
                  </g>
                ),
              )}
            </g>
          );
        })}
      </svg>
      <figcaption id={describedBy}>
        <ul class="chart-legend">
          {plot.series.map((s, i) => (
            <li key={s.key} class={`series series-${i % SHAPES.length}`}>
              <svg width={36} height={14} aria-hidden="true">
                <line class="measured" x1={2} x2={34} y1={7} y2={7} />
                <Marker shape={SHAPES[i % SHAPES.length]!} x={18} y={7} />
              </svg>
              {s.label}: measured mean (±1 sd)
            </li>
          ))}
          <li class="series model-key">
            <svg width={36} height={14} aria-hidden="true">
              <line class="model" x1={2} x2={34} y1={7} y2={7} />
            </svg>
            dashed: the model{plot.series.length > 1 ? ", per series" : ""}
          </li>
        </ul>
        {!plot.measured && <p>No point has been measured yet: only the model is drawn.</p>}
      </figcaption>
    </figure>
  );
}

export function PointsTable({ run }: { run: ExperimentRun }) {
  const factors = run.factors.map((f) => f.name);
  const unit = run.metric.unit ? ` (${run.metric.unit})` : "";
  return (
    <table class="data numbers">
      <caption>
        The points of run <code>{run.id}</code>: {run.metric.name}
        {unit}
      </caption>
      <thead>
        <tr>
          {run.factors.map((f) => (
            <th key={f.name} scope="col">
              {f.name}
              {f.unit ? ` (${f.unit})` : ""}
            </th>
          ))}
          <th scope="col">mean</th>
          <th scope="col">sd</th>
          <th scope="col">n</th>
          <th scope="col">model</th>
          <th scope="col">allowed</th>
          <th scope="col">verdict</th>
        </tr>
      </thead>
      <tbody>
        {run.points.map((p, i) => {
          const verdict = pointVerdict(p);
          return (
            <tr key={i}>
              {factors.map((f) => (
                <td key={f}>{String(p.point[f])}</td>
              ))}
              <td class="num">{fmt(p.stats?.mean)}</td>
              <td class="num">{fmt(p.stats?.sd)}</td>
              <td class="num">{p.stats?.n ?? p.values.length}</td>
              <td class="num">{fmt(p.model)}</td>
              <td class="num">±{fmt(p.allowed)}</td>
              <td class={verdict === "within" ? "status status-passed" : verdict === "OUTSIDE" ? "status status-failed" : "status"}>
                {verdict === "within" && <span aria-hidden="true">✓ </span>}
                {verdict === "OUTSIDE" && <span aria-hidden="true">✗ </span>}
                {verdict}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
