/** The topology: networks as buses, services as boxes with their live health (refreshed every 5 s while shown). */
import { useMemo } from "preact/hooks";
import { HEALTH_SYMBOL, HEALTH_WORDS, serviceHealth, topologyLayout, type TopologyLayout } from "../../src/ui-logic/topology-layout.ts";
import { api, type Topology } from "../api.ts";
import { Alert, Loading, ViewHeading } from "../components.tsx";
import { useResource } from "../hooks.ts";

export const REFRESH_MS = 5000;

function Diagram({ layout }: { layout: TopologyLayout }) {
  return (
    <svg class="topology" width={layout.width} height={layout.height} viewBox={`0 0 ${layout.width} ${layout.height}`} aria-labelledby="topology-caption">
      {layout.buses.map((b) => (
        <g key={b.name} class={b.private ? "bus private" : "bus"} data-network={b.name}>
          <title>{`${b.name} ${b.subnet}${b.private ? " (private)" : ""}: ${b.description}`}</title>
          <line x1={b.x1} y1={b.y} x2={b.x2} y2={b.y} />
          <text class="bus-name" x={b.x1} y={b.y - 7}>
            {b.name}
          </text>
          <text class="bus-subnet" x={b.x1} y={b.y + 16}>
            {b.subnet}
            {b.private ? " · private" : ""}
          </text>
        </g>
      ))}
      {layout.links.map((l, i) => (
        <line key={`${l.service}-${i}`} class="link" x1={l.x} y1={l.y1} x2={l.x} y2={l.y2} />
      ))}
      {layout.joints.map((j) => (
        <circle key={`${j.service}-${j.network}`} class="joint" cx={j.x} cy={j.y} r={4}>
          <title>{`${j.service} on ${j.network}: ${j.ipv4}`}</title>
        </circle>
      ))}
      {layout.unattachedY !== undefined && (
        <text class="unattached" x={16} y={layout.unattachedY - 12}>
          On no lab network (helpers and one-shots):
        </text>
      )}
      {layout.boxes.map((b) => (
        <g key={b.name} class={`service health-${b.health}`} data-service={b.name} data-health={b.health}>
          <title>{b.title}</title>
          <rect x={b.x} y={b.y} width={b.width} height={b.height} rx={4} />
          {b.lines.map((line, i) => (
            <text key={i} class={`line-${line.kind}`} x={b.x + 8} y={b.y + 8 + 15 * (i + 1) - 3}>
              {line.text}
            </text>
          ))}
        </g>
      ))}
    </svg>
  );
}

function ServiceTable({ topology }: { topology: Topology }) {
  return (
    <table class="data">
      <caption>The services, as a table</caption>
      <thead>
        <tr>
          <th scope="col">Service</th>
          <th scope="col">Host names</th>
          <th scope="col">Addresses</th>
          <th scope="col">State</th>
          <th scope="col">Health</th>
        </tr>
      </thead>
      <tbody>
        {topology.services.map((s) => {
          const h = serviceHealth(s.state, s.health, (s.profiles?.length ?? 0) > 0);
          return (
            <tr key={s.name}>
              <th scope="row">{s.name}</th>
              <td>{s.hostnames.join(", ") || "–"}</td>
              <td>{s.networks.map((n) => `${n.ipv4} (${n.network})`).join(", ") || "–"}</td>
              <td>{s.state}</td>
              <td class={`health-word health-${h.health}`}>
                <span aria-hidden="true">{HEALTH_SYMBOL[h.health]} </span>
                {h.text}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

export function TopologyView() {
  const topology = useResource(api.topology, "topology", REFRESH_MS);
  const layout = useMemo(() => (topology.data ? topologyLayout(topology.data) : undefined), [topology.data]);
  const counts = HEALTH_WORDS.map((w) => [w, layout?.boxes.filter((b) => b.health === w).length ?? 0] as const).filter(([, n]) => n > 0);
  return (
    <section>
      <ViewHeading>Topology</ViewHeading>
      <p class="lead">
        The lab's networks are the horizontal buses, its services the boxes joined to the networks they are on. Each box shows the service's host names, its
        address on each network, and its health, read again every {REFRESH_MS / 1000} s while this view is shown.
      </p>
      <Alert error={topology.error} />
      {!topology.data && topology.loading && <Loading what="the topology" />}
      {layout && topology.data && (
        <>
          <p class="summary" id="topology-caption">
            {topology.data.project}: {topology.data.networks.length} networks, {topology.data.services.length} services —{" "}
            {counts.map(([w, n], i) => (
              <span key={w} class={`health-word health-${w}`}>
                {i > 0 ? ", " : ""}
                <span aria-hidden="true">{HEALTH_SYMBOL[w]} </span>
                {n} {w}
              </span>
            ))}
          </p>
          <ul class="legend" aria-label="Health symbols">
            {HEALTH_WORDS.map((w) => (
              <li key={w} class={`health-word health-${w}`}>
                <span aria-hidden="true">{HEALTH_SYMBOL[w]}</span> {w}
              </li>
            ))}
          </ul>
          <div class="scroll" tabIndex={0} role="region" aria-label="Topology diagram (scrolls sideways)">
            <Diagram layout={layout} />
          </div>
          <details class="table-fallback">
            <summary>The services as a table</summary>
            <ServiceTable topology={topology.data} />
          </details>
        </>
      )}
    </section>
  );
}
