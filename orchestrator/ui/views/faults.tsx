/** Network faults by hand: a form for a link fault (loss, delay, rate) or a partition, and the faults applied, each with a Heal button. */
import { useState } from "preact/hooks";
import { describeCounters, describeFault, FAULT_KINDS, faultRequest, type FaultKind } from "../../src/ui-logic/fault-form.ts";
import { formatDuration } from "../../src/ui-logic/run-display.ts";
import { api } from "../api.ts";
import { Alert, Loading, Time, ViewHeading } from "../components.tsx";
import { useResource } from "../hooks.ts";

export function FaultsView() {
  const topology = useResource(api.topology, "topology");
  const faults = useResource(api.faults, "faults");
  const capabilities = useResource(api.capabilities, "capabilities");
  const [service, setService] = useState("");
  const [kind, setKind] = useState<FaultKind>("loss");
  const [value, setValue] = useState("");
  const [peer, setPeer] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<unknown>();
  const [notice, setNotice] = useState<string>();

  // Faults live in a service's network namespace: only services on a network can have one.
  const services = (topology.data?.services ?? []).filter((s) => s.networks.length > 0).map((s) => s.name);
  const chosen = FAULT_KINDS.find((k) => k.kind === kind)!;

  const apply = async (event: Event) => {
    event.preventDefault();
    setNotice(undefined);
    const request = faultRequest({ service, kind, value, peer });
    if (!request.ok) {
      setProblem(new Error(request.message));
      return;
    }
    setBusy(true);
    setProblem(undefined);
    try {
      const fault = await api.applyFault(request.body);
      setNotice(`Applied fault ${fault.id} to ${fault.service}: ${describeFault(fault)}.`);
      faults.reload();
    } catch (e) {
      setProblem(e);
    }
    setBusy(false);
  };

  const heal = async (id: string) => {
    setNotice(undefined);
    setProblem(undefined);
    try {
      const healed = await api.healFault(id);
      setNotice(`Healed fault ${healed.fault} on ${healed.service} after ${formatDuration(healed.heldMs)}: ${describeCounters(healed.counters)}.`);
    } catch (e) {
      setProblem(e);
    }
    faults.reload();
  };

  return (
    <section>
      <ViewHeading>Faults</ViewHeading>
      <p class="lead">
        Network faults applied by hand to a service's traffic, from a helper container in its network namespace. They stay until healed here (or the
        orchestrator stops); scenario runs apply and heal their own.
      </p>
      <Alert error={topology.error} />
      <form class="fault-form" onSubmit={apply} noValidate>
        <h2>Apply a fault</h2>
        <div class="field">
          <label for="fault-service">Service</label>
          <select id="fault-service" value={service} onChange={(e) => setService(e.currentTarget.value)} required>
            <option value="">Choose a service…</option>
            <NameOptions names={services} />
          </select>
        </div>
        <div class="field">
          <label for="fault-kind">Kind</label>
          <select id="fault-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as FaultKind)}>
            {FAULT_KINDS.map((k) => (
              <option key={k.kind} value={k.kind}>
                {k.label}
                {k.unit ? ` (${k.unit})` : ""}
              </option>
            ))}
          </select>
        </div>
        {kind === "partition" ? (
          <div class="field">
            <label for="fault-peer">Cut off from</label>
            <select id="fault-peer" value={peer} onChange={(e) => setPeer(e.currentTarget.value)} required>
              <option value="">Choose a peer…</option>
              <NameOptions names={services.filter((s) => s !== service)} />
            </select>
          </div>
        ) : (
          <div class="field">
            <label for="fault-value">
              {chosen.label} ({chosen.unit})
            </label>
            <input id="fault-value" type="number" inputMode="decimal" min="0" step="any" placeholder={chosen.example} value={value} onInput={(e) => setValue(e.currentTarget.value)} required />
          </div>
        )}
        <button type="submit" disabled={busy}>
          Apply fault
        </button>
      </form>
      <Alert error={problem} />
      {notice && (
        <p class="notice" role="status">
          <span aria-hidden="true">✓ </span>
          {notice}
        </p>
      )}

      <h2>Faults applied by hand</h2>
      <Alert error={faults.error} />
      {!faults.data && faults.loading && <Loading what="the faults" />}
      {faults.data && faults.data.length === 0 && <p>None.</p>}
      {faults.data && faults.data.length > 0 && (
        <table class="data">
          <thead>
            <tr>
              <th scope="col">Fault</th>
              <th scope="col">Service</th>
              <th scope="col">What</th>
              <th scope="col">Applied</th>
              <th scope="col">
                <span class="visually-hidden">Heal</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {faults.data.map((f) => (
              <tr key={f.id}>
                <th scope="row">
                  <code>{f.id}</code>
                </th>
                <td>{f.service}</td>
                <td>{describeFault(f)}</td>
                <td>
                  <Time iso={f.appliedAt} />
                </td>
                <td>
                  <button type="button" aria-label={`Heal ${f.id}`} onClick={() => void heal(f.id)}>
                    Heal
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {capabilities.data && (
        <details class="capabilities">
          <summary>How faults are applied on this host</summary>
          <ul>
            {Object.entries(capabilities.data.kinds).map(([name, k]) => (
              <li key={name}>
                <strong>{name}</strong>: {k.backend}
                {k.available ? "" : " (not available)"}
              </li>
            ))}
          </ul>
        </details>
      )}
    </section>
  );
}

/** One <option> per name. */
function NameOptions({ names }: { names: readonly string[] }) {
  return (
    <>
      {names.map((n) => (
        <option key={n} value={n}>
          {n}
        </option>
      ))}
    </>
  );
}
