import { useEffect, useMemo, useRef, useState } from "react";
import { ErrorNote } from "@/components/ui/error-note";
import { useLogs, type LogStreamChoice } from "../api/get-logs";

export function LogViewer({ customerId }: { customerId: string }) {
  const [stream, setStream] = useState<LogStreamChoice>("all");
  const [follow, setFollow] = useState(true);
  const [search, setSearch] = useState("");
  const logs = useLogs(customerId, stream, follow, true);
  const box = useRef<HTMLDivElement>(null);
  const lines = useMemo(() => {
    const all = logs.data?.lines ?? [];
    const needle = search.trim().toLowerCase();
    return needle ? all.filter((line) => line.text.toLowerCase().includes(needle)) : all;
  }, [logs.data, search]);
  useEffect(() => {
    if (follow && box.current) box.current.scrollTop = box.current.scrollHeight;
  }, [lines, follow]);
  return (
    <section aria-labelledby="logs-title">
      <h2 id="logs-title">Logs</h2>
      <div className="row filters">
        <label>
          Stream
          <select value={stream} onChange={(e) => setStream(e.target.value as LogStreamChoice)}>
            <option value="all">stdout and stderr</option>
            <option value="stdout">stdout</option>
            <option value="stderr">stderr</option>
          </select>
        </label>
        <label>
          Search loaded lines <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </label>
        <button type="button" aria-pressed={follow} onClick={() => setFollow(!follow)}>
          {follow ? "Pause" : "Follow"}
        </button>
        <span className="muted small" data-testid="log-count">
          {lines.length} lines{follow ? ", following" : ", paused"}
        </span>
      </div>
      <ErrorNote error={logs.error} />
      <div ref={box} className="logs" role="log" aria-label="log lines" tabIndex={0}>
        {lines.map((line) => (
          <div key={line.seq} className={`log-${line.stream}`} data-seq={line.seq}>
            <span className="muted">{new Date(line.ts_ms).toLocaleTimeString()}</span> {line.text}
          </div>
        ))}
      </div>
    </section>
  );
}
