// How live events and single-customer polls update the fleet list in the query cache. Each
// function returns a new list in which only the changed row is a new object, so a memoised row
// component re-renders for its own customer only.
import type { Schemas } from "@/lib/api-client";

export type CustomerStatus = Schemas["CustomerStatus"];
export type FleetEvent = Schemas["FleetEvent"];
export type BulkEvent = Schemas["BulkEvent"];
export type BulkRun = Schemas["BulkRun"];
type ProcessState = Schemas["ProcessState"];

const PROCESS_STATES: readonly string[] = [
  "stopped", "starting", "running", "backoff", "stopping", "exited", "crash_loop",
] satisfies ProcessState[];

function isProcessState(state: string): state is ProcessState {
  return PROCESS_STATES.includes(state);
}

function replaceRow(
  rows: CustomerStatus[],
  customerId: string,
  update: (row: CustomerStatus) => CustomerStatus,
): CustomerStatus[] {
  const index = rows.findIndex((row) => row.customer_id === customerId);
  if (index < 0) return rows;
  const current = rows[index];
  if (current === undefined) return rows;
  const next = update(current);
  if (next === current) return rows;
  const copy = rows.slice();
  copy[index] = next;
  return copy;
}

/** A `status_changed` event: that row's state now, before its next poll says the rest. */
export function applyStatusChanged(
  rows: CustomerStatus[] | undefined,
  event: Extract<FleetEvent, { type: "status_changed" }>,
): CustomerStatus[] | undefined {
  if (rows === undefined) return rows;
  return replaceRow(rows, event.customer_id, (row) => {
    if (row.state === event.to) return row;
    const reachable = event.to !== "unreachable";
    const status = row.status && isProcessState(event.to) ? { ...row.status, state: event.to } : row.status;
    return { ...row, state: event.to, reachable, status };
  });
}

/** A fresh status of one customer (its own poll): replaces that row, unless nothing changed. */
export function applyCustomerStatus(
  rows: CustomerStatus[] | undefined,
  status: CustomerStatus,
): CustomerStatus[] | undefined {
  if (rows === undefined) return rows;
  return replaceRow(rows, status.customer_id, (row) =>
    JSON.stringify(row) === JSON.stringify(status) ? row : status,
  );
}

/** A `bulk` event applied to the run it belongs to (other runs are left alone). */
export function applyBulkEvent(run: BulkRun | undefined, event: BulkEvent): BulkRun | undefined {
  if (run === undefined || run.id !== event.run_id) return run;
  if (event.type === "finished") {
    return run.outcome === event.outcome ? run : { ...run, outcome: event.outcome };
  }
  const index = run.targets.findIndex((target) => target.customer_id === event.result.customer_id);
  const targets = run.targets.slice();
  if (index < 0) targets.push(event.result);
  else targets[index] = event.result;
  return { ...run, targets };
}

/** Rows filtered by a search text, a state and a `key=value` tag, then sorted. */
export interface FleetView {
  search: string;
  state: string;
  tag: string;
  sort: "name" | "state" | "restarts" | "calls" | "error_rate" | "p95" | "cpu" | "memory" | "last_seen";
}

export function errorRate(row: CustomerStatus): number | null {
  return row.status?.calls.error_rate_5m ?? null;
}

export function p95(row: CustomerStatus): number | null {
  return row.status?.calls.latency_5m.e2e_ms?.p95 ?? null;
}

const SEVERITY: Record<string, number> = {
  crash_loop: 0, unreachable: 1, incompatible: 1, backoff: 2, exited: 3, starting: 4, stopping: 5, stopped: 6,
  running: 7,
};

export function visibleRows(rows: CustomerStatus[], view: FleetView): CustomerStatus[] {
  const search = view.search.trim().toLowerCase();
  const filtered = rows.filter((row) => {
    if (view.state && row.state !== view.state) return false;
    if (view.tag) {
      const [key, value] = view.tag.split("=", 2);
      if (key === undefined || row.tags[key] !== value) return false;
    }
    if (search && !`${row.customer_id} ${row.name}`.toLowerCase().includes(search)) return false;
    return true;
  });
  const number = (value: number | null | undefined) => value ?? -1;
  const key: Record<FleetView["sort"], (row: CustomerStatus) => number | string> = {
    name: (row) => row.name.toLowerCase(),
    state: (row) => SEVERITY[row.state] ?? 8,
    restarts: (row) => -number(row.status?.restarts),
    calls: (row) => -number(row.status?.calls.active_calls),
    error_rate: (row) => -number(errorRate(row)),
    p95: (row) => -number(p95(row)),
    cpu: (row) => -number(row.status?.resources?.cpu_percent),
    memory: (row) => -number(row.status?.resources?.rss_bytes),
    last_seen: (row) => -number(row.last_seen_ms),
  };
  const by = key[view.sort];
  return filtered.slice().sort((a, b) => {
    const x = by(a);
    const y = by(b);
    if (x < y) return -1;
    if (x > y) return 1;
    return a.customer_id < b.customer_id ? -1 : 1;
  });
}
