import { useParams, useSearchParams } from "react-router";
import { ErrorNote } from "@/components/ui/error-note";
import { StateBadge } from "@/components/ui/state-badge";
import { ConfigEditor } from "@/features/config/components/config-editor";
import { useCustomerStatus } from "@/features/fleet/api/get-customer-status";
import { AgentControls } from "@/features/fleet/components/agent-controls";
import { LogViewer } from "@/features/logs/components/log-viewer";
import { MetricsCharts } from "@/features/metrics/components/metrics-charts";
import { RevisionHistory } from "@/features/revisions/components/revision-history";
import { SecretsPanel } from "@/features/secrets/components/secrets-panel";
import { formatAgo, formatBytes, formatDuration, formatPercent } from "@/lib/format";
import { atLeast, useSessionState } from "@/lib/session";

const TABS = [
  { id: "overview", label: "Overview", least: "viewer" },
  { id: "config", label: "Configuration", least: "viewer" },
  { id: "revisions", label: "Revisions", least: "viewer" },
  { id: "secrets", label: "Secrets", least: "operator" },
  { id: "logs", label: "Logs", least: "operator" },
] as const;

export default function CustomerPage() {
  const id = useParams().id ?? "";
  const [params, setParams] = useSearchParams();
  const { session } = useSessionState();
  const role = session?.role;
  const status = useCustomerStatus(id);
  const tabs = TABS.filter((tab) => atLeast(role, tab.least));
  const tab = tabs.find((candidate) => candidate.id === params.get("tab"))?.id ?? "overview";
  const data = status.data;
  const host = data?.status;
  return (
    <section aria-labelledby="customer-title">
      <div className="row spread">
        <h1 id="customer-title">{data?.name ?? id}</h1>
        {data ? <StateBadge state={data.state} /> : null}
      </div>
      <ErrorNote error={status.error} />
      <div role="tablist" aria-label="customer sections" className="tabs">
        {tabs.map((candidate) => (
          <button
            key={candidate.id}
            type="button"
            role="tab"
            id={`tab-${candidate.id}`}
            aria-selected={candidate.id === tab}
            aria-controls={`panel-${candidate.id}`}
            onClick={() => setParams({ tab: candidate.id })}
          >
            {candidate.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        {tab === "overview" ? (
          <>
            <dl className="facts" data-testid="status-detail">
              <dt>State</dt>
              <dd>{data?.state ?? "—"}</dd>
              <dt>PID</dt>
              <dd data-field="pid">{host?.pid ?? "—"}</dd>
              <dt>Uptime</dt>
              <dd>{formatDuration(host?.uptime_seconds)}</dd>
              <dt>Restarts</dt>
              <dd>{host?.restarts ?? "—"}</dd>
              <dt>Failures in a row</dt>
              <dd>{host?.consecutive_failures ?? "—"}</dd>
              <dt>Active calls</dt>
              <dd>{host?.calls.active_calls ?? "—"}</dd>
              <dt>Calls (total)</dt>
              <dd>{host?.calls.calls_total ?? "—"}</dd>
              <dt>Error rate (5m)</dt>
              <dd>{formatPercent(host?.calls.error_rate_5m)}</dd>
              <dt>p95 turn (5m)</dt>
              <dd>{host?.calls.latency_5m.e2e_ms ? `${host.calls.latency_5m.e2e_ms.p95.toFixed(0)} ms` : "—"}</dd>
              <dt>CPU / memory</dt>
              <dd>
                {host?.resources ? `${host.resources.cpu_percent.toFixed(1)}% / ${formatBytes(host.resources.rss_bytes)}` : "—"}
              </dd>
              <dt>Revision</dt>
              <dd>
                deployed {data?.deployed_revision ?? "—"}, running {data?.running_revision ?? "—"}
                {data?.drift ? " (drift)" : ""}
              </dd>
              <dt>Last seen</dt>
              <dd>{formatAgo(data?.last_seen_ms)}</dd>
              {host?.last_error ? (
                <>
                  <dt>Last error</dt>
                  <dd className="error">{host.last_error}</dd>
                </>
              ) : null}
              {data?.error ? (
                <>
                  <dt>Error</dt>
                  <dd className="error">{data.error}</dd>
                </>
              ) : null}
            </dl>
            {atLeast(role, "operator") ? <AgentControls customerId={id} name={data?.name ?? id} /> : null}
            <MetricsCharts customerId={id} />
          </>
        ) : null}
        {tab === "config" ? <ConfigEditor customerId={id} canEdit={atLeast(role, "admin")} /> : null}
        {tab === "revisions" ? <RevisionHistory customerId={id} canEdit={atLeast(role, "admin")} /> : null}
        {tab === "secrets" ? <SecretsPanel customerId={id} canEdit={atLeast(role, "admin")} /> : null}
        {tab === "logs" ? <LogViewer customerId={id} /> : null}
      </div>
    </section>
  );
}
