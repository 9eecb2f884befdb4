import { useState } from "react";
import { Link } from "react-router";
import { ErrorNote } from "@/components/ui/error-note";
import { useAlerts } from "@/features/alerts/api/get-alerts";
import { formatTime } from "@/lib/format";

export function AlertsPage() {
  const [all, setAll] = useState(true);
  const alerts = useAlerts(all);
  return (
    <section aria-labelledby="alerts-title">
      <h1 id="alerts-title">Alerts</h1>
      <label className="check">
        <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> Include resolved
      </label>
      <ErrorNote error={alerts.error} />
      <table aria-label="alerts">
        <thead>
          <tr>
            <th scope="col">Customer</th>
            <th scope="col">Rule</th>
            <th scope="col">State</th>
            <th scope="col">Message</th>
            <th scope="col">Since</th>
            <th scope="col">Resolved</th>
          </tr>
        </thead>
        <tbody>
          {(alerts.data?.items ?? []).map((alert) => (
            <tr key={`${alert.customer_id}-${alert.rule}-${alert.since_ms}`}>
              <td>
                <Link to={`/customers/${encodeURIComponent(alert.customer_id)}`}>{alert.customer_id}</Link>
              </td>
              <td>{alert.rule}</td>
              <td>
                <span className={`badge badge-${alert.firing ? "bad" : "ok"}`}>{alert.firing ? "firing" : "resolved"}</span>
              </td>
              <td>{alert.message}</td>
              <td className="small">{formatTime(alert.since_ms)}</td>
              <td className="small">{formatTime(alert.resolved_at_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {alerts.data?.items.length === 0 ? <p className="muted">No alerts.</p> : null}
    </section>
  );
}
