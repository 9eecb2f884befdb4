import { memo } from "react";
import { Link } from "react-router";
import { StateBadge } from "@/components/ui/state-badge";
import { Sparkline } from "@/components/ui/sparkline";
import { formatAgo, formatBytes, formatDuration, formatPercent } from "@/lib/format";
import { errorRate, p95, type CustomerStatus } from "../reconcile";
import { resourceHistory } from "../resource-history";
import type { AgentAction } from "../api/control-agent";

/** Row renders since the page loaded, and which customers': the budget check reads them (one
 * live event re-renders one row). */
export const rowRenders = { count: 0, customers: new Set<string>() };
declare global {
  interface Window {
    __voicefleetRowRenders?: typeof rowRenders;
  }
}
if (typeof window !== "undefined") window.__voicefleetRowRenders = rowRenders;

/** Why a customer is not running: the host unreachable, the start failure, or the last exit. */
function reason(row: CustomerStatus): string | null {
  if (row.error) return row.error;
  if (row.state === "running") return null;
  const status = row.status;
  if (status?.last_error) return status.last_error;
  const exit = status?.last_exit;
  if (exit && row.state !== "stopped") return exit.signal ? `killed by signal ${exit.signal}` : `exited with code ${exit.code ?? "?"}`;
  return null;
}

export const FleetRow = memo(function FleetRow(props: {
  row: CustomerStatus;
  canControl: boolean;
  onAction: (row: CustomerStatus, action: AgentAction) => void;
}) {
  const { row } = props;
  rowRenders.count += 1;
  rowRenders.customers.add(row.customer_id);
  const status = row.status;
  const history = resourceHistory(row.customer_id);
  const latency = p95(row);
  return (
    <tr data-customer={row.customer_id} data-pid={status?.pid ?? ""} className={`state-${row.state}`}>
      <th scope="row">
        <Link to={`/customers/${encodeURIComponent(row.customer_id)}`}>{row.name}</Link>
        <div className="muted small">
          {Object.entries(row.tags)
            .map(([key, value]) => `${key}=${value}`)
            .join(" ")}
        </div>
      </th>
      <td>
        <StateBadge state={row.state} />
        {reason(row) ? (
          <div className="small reason" data-testid="reason">
            {reason(row)}
          </div>
        ) : null}
      </td>
      <td data-field="pid">{status?.pid ?? "—"}</td>
      <td data-field="uptime">{formatDuration(status?.uptime_seconds)}</td>
      <td data-field="restarts">{status?.restarts ?? "—"}</td>
      <td>{status?.calls.active_calls ?? "—"}</td>
      <td>{formatPercent(errorRate(row))}</td>
      <td>{latency === null ? "—" : `${latency.toFixed(0)} ms`}</td>
      <td>
        <span className="num">{status?.resources ? `${status.resources.cpu_percent.toFixed(1)}%` : "—"}</span>
        <Sparkline values={history.cpu} label={`CPU of ${row.name}`} />
      </td>
      <td>
        <span className="num">{formatBytes(status?.resources?.rss_bytes)}</span>
        <Sparkline values={history.rss} label={`memory of ${row.name}`} />
      </td>
      <td>
        {row.deployed_revision ?? "—"}
        {row.drift ? (
          <span className="badge badge-bad" title={`the host runs revision ${row.running_revision ?? "?"}`}>
            drift
          </span>
        ) : null}
      </td>
      <td className="small">{formatAgo(row.last_seen_ms)}</td>
      <td>
        {props.canControl ? (
          <div className="row">
            <button type="button" onClick={() => props.onAction(row, "restart")} aria-label={`restart ${row.name}`}>
              Restart
            </button>
            <button type="button" onClick={() => props.onAction(row, "drain")} aria-label={`drain ${row.name}`}>
              Drain
            </button>
          </div>
        ) : null}
      </td>
    </tr>
  );
});
