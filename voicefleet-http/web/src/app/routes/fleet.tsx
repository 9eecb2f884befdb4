import { useCallback, useMemo, useState } from "react";
import { Confirm } from "@/components/ui/confirm";
import { ErrorNote } from "@/components/ui/error-note";
import { toast } from "@/components/ui/toasts";
import { useControlAgent, type AgentAction } from "@/features/fleet/api/control-agent";
import { useFleetStatus } from "@/features/fleet/api/get-fleet-status";
import { FleetRow } from "@/features/fleet/components/fleet-row";
import { ROW_HEIGHT, useRowWindow } from "@/features/fleet/use-row-window";
import { visibleRows, type CustomerStatus, type FleetView } from "@/features/fleet/reconcile";
import { messageOf } from "@/lib/api-client";
import { atLeast, useSessionState } from "@/lib/session";

const SORTS: [FleetView["sort"], string][] = [
  ["state", "state (worst first)"],
  ["name", "name"],
  ["restarts", "restarts"],
  ["calls", "active calls"],
  ["error_rate", "error rate"],
  ["p95", "p95 latency"],
  ["cpu", "CPU"],
  ["memory", "memory"],
  ["last_seen", "last seen"],
];

export function FleetPage() {
  const { session } = useSessionState();
  const canControl = atLeast(session?.role, "operator");
  const fleet = useFleetStatus();
  const control = useControlAgent();
  const [view, setView] = useState<FleetView>({ search: "", state: "", tag: "", sort: "name" });
  const [pending, setPending] = useState<{ row: CustomerStatus; action: AgentAction } | null>(null);
  const rows = useMemo(() => fleet.data ?? [], [fleet.data]);
  const shown = useMemo(() => visibleRows(rows, view), [rows, view]);
  const tags = useMemo(
    () => [...new Set(rows.flatMap((row) => Object.entries(row.tags).map(([k, v]) => `${k}=${v}`)))].sort(),
    [rows],
  );
  const states = useMemo(() => [...new Set(rows.map((row) => row.state))].sort(), [rows]);
  const onAction = useCallback((row: CustomerStatus, action: AgentAction) => setPending({ row, action }), []);
  const { body: tableBody, start, end, windowed } = useRowWindow(shown.length);
  const running = rows.filter((row) => row.state === "running").length;

  return (
    <section aria-labelledby="fleet-title">
      <div className="row spread">
        <h1 id="fleet-title">Fleet</h1>
        <p className="muted" data-testid="fleet-summary">
          {running} of {rows.length} running
        </p>
      </div>
      <div className="row filters">
        <label>
          Search <input type="search" value={view.search} onChange={(e) => setView({ ...view, search: e.target.value })} />
        </label>
        <label>
          State
          <select value={view.state} onChange={(e) => setView({ ...view, state: e.target.value })}>
            <option value="">any</option>
            {states.map((state) => (
              <option key={state}>{state}</option>
            ))}
          </select>
        </label>
        <label>
          Tag
          <select value={view.tag} onChange={(e) => setView({ ...view, tag: e.target.value })}>
            <option value="">any</option>
            {tags.map((tag) => (
              <option key={tag}>{tag}</option>
            ))}
          </select>
        </label>
        <label>
          Sort by
          <select value={view.sort} onChange={(e) => setView({ ...view, sort: e.target.value as FleetView["sort"] })}>
            {SORTS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorNote error={fleet.error} />
      {fleet.isPending ? <p>Loading the fleet…</p> : null}
      <div className="table-wrap">
        <table className="fleet" aria-label="customers">
          <thead>
            <tr>
              <th scope="col">Customer</th>
              <th scope="col">State</th>
              <th scope="col">PID</th>
              <th scope="col">Uptime</th>
              <th scope="col">Restarts</th>
              <th scope="col">Calls</th>
              <th scope="col">Errors (5m)</th>
              <th scope="col">p95</th>
              <th scope="col">CPU</th>
              <th scope="col">Memory</th>
              <th scope="col">Revision</th>
              <th scope="col">Last seen</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody ref={tableBody} className={windowed ? "windowed" : undefined}>
            {start > 0 ? <tr aria-hidden="true" style={{ height: start * ROW_HEIGHT }} /> : null}
            {shown.slice(start, end).map((row) => (
              <FleetRow key={row.customer_id} row={row} canControl={canControl} onAction={onAction} />
            ))}
            {end < shown.length ? (
              <tr aria-hidden="true" style={{ height: (shown.length - end) * ROW_HEIGHT }} />
            ) : null}
          </tbody>
        </table>
      </div>
      {pending ? (
        <Confirm
          title={`${pending.action} ${pending.row.name}?`}
          confirmLabel={pending.action === "restart" ? "Restart" : "Drain"}
          danger
          onCancel={() => setPending(null)}
          onConfirm={() => {
            const { row, action } = pending;
            setPending(null);
            control.mutate(
              { id: row.customer_id, action },
              {
                onSuccess: () => toast("success", `${action}: ${row.name}`),
                onError: (error) => toast("error", `${action} ${row.name}: ${messageOf(error)}`),
              },
            );
          }}
        >
          <p>
            {pending.action === "restart"
              ? "Active calls are drained, then the agent restarts."
              : "The agent takes no new calls and stops once the active ones end."}
          </p>
        </Confirm>
      ) : null}
    </section>
  );
}
