import { useState } from "react";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ErrorNote } from "@/components/ui/error-note";
import { useMetrics, type MetricsRange } from "../api/get-metrics";

const CHARTS = [
  { key: "active_calls", title: "Active calls", scale: 1, unit: "" },
  { key: "error_percent", title: "Error rate (5 min)", scale: 1, unit: "%" },
  { key: "p95_e2e_ms", title: "p95 turn latency (5 min)", scale: 1, unit: " ms" },
  { key: "cpu_percent", title: "CPU", scale: 1, unit: "%" },
  { key: "rss_mib", title: "Memory", scale: 1, unit: " MiB" },
  { key: "threads", title: "Threads", scale: 1, unit: "" },
] as const;

export function MetricsCharts({ customerId }: { customerId: string }) {
  const [range, setRange] = useState<MetricsRange>("1h");
  const metrics = useMetrics(customerId, range);
  const data = (metrics.data ?? []).map((sample) => ({
    ...sample,
    rss_mib: Math.round((sample.rss_bytes / 1024 / 1024) * 10) / 10,
    error_percent: Math.round((sample.error_rate ?? 0) * 1000) / 10,
    p95_e2e_ms: sample.p95_e2e_ms == null ? null : Math.round(sample.p95_e2e_ms),
    time: new Date(sample.at_ms).toLocaleTimeString(),
  }));
  return (
    <section aria-labelledby="metrics-title">
      <div className="row spread">
        <h2 id="metrics-title">Metrics</h2>
        <div role="group" aria-label="time range" className="row">
          {(["1h", "24h", "7d"] as const).map((value) => (
            <button key={value} type="button" aria-pressed={range === value} onClick={() => setRange(value)}>
              {value}
            </button>
          ))}
        </div>
      </div>
      <ErrorNote error={metrics.error} />
      <p className="muted small">
        {data.length} samples, each with the error rate and p95 of the five minutes before it.
      </p>
      <div className="charts">
        {CHARTS.map((chart) => (
          <figure key={chart.key} className="chart">
            <figcaption>{chart.title}</figcaption>
            <ResponsiveContainer width="100%" height={140}>
              <LineChart data={data} margin={{ top: 4, right: 8, bottom: 0, left: 0 }}>
                <CartesianGrid stroke="#e5e7eb" />
                <XAxis dataKey="time" minTickGap={40} tick={{ fontSize: 11 }} />
                <YAxis width={44} tick={{ fontSize: 11 }} unit={chart.unit} />
                <Tooltip />
                <Line type="monotone" dataKey={chart.key} stroke="#1d4ed8" dot={false} isAnimationActive={false} />
              </LineChart>
            </ResponsiveContainer>
          </figure>
        ))}
      </div>
    </section>
  );
}
