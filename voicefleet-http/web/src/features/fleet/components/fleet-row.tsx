import { memo } from "react";
import { Link } from "react-router";
import { StateBadge } from "@/components/ui/state-badge";
import { Sparkline } from "@/components/ui/sparkline";
import { formatAgo, formatBytes, formatDuration, formatPercent } from "@/lib/format";
import { errorRate, p95, type CustomerStatus } from "../reconcile";
import { resourceHistory } from "../resource-history";
import type { AgentAction } from "../api/control-agent";

/** Rows rendered since the page loaded: the budget check reads it (one live event, one row). */
export const rowRenders = { count: 0 };
declare global {
  interface Window {
    __voicefleetRowRenders?: { count: number };
  }
}
if (typeof window !== "undefined") window.__voicefleetRowRenders = rowRenders;

export const FleetRow = memo(function FleetRow(props: {
  row: CustomerStatus;
  canControl: boolean;
  onAction: (row: CustomerStatus, action: AgentAction) => void;
}) {
  rowRenders.count += 1;
  const { row } = props;
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
        {row.error || (row.state !== "running" && status?.last_exit) ? (
          <div className="small reason" data-testid="reason">
            {row.error ?? `last exit: code ${status?.last_exit?.code ?? "—"} signal ${status?.last_exit?.signal ?? "—"}`}
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
