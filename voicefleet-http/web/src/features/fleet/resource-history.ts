// The last CPU and memory readings of each customer, from the fleet polls, for the rows'
// sparklines (the metrics history endpoint would cost one request per customer).
import type { CustomerStatus } from "./reconcile";

const KEEP = 30;
const history = new Map<string, { at: number; cpu: number; rss: number }[]>();

export function recordResources(rows: CustomerStatus[]): void {
  for (const row of rows) {
    const resources = row.status?.resources;
    if (!resources) continue;
    const samples = history.get(row.customer_id) ?? [];
    if (samples.at(-1)?.at !== resources.at_ms) {
      samples.push({ at: resources.at_ms, cpu: resources.cpu_percent, rss: resources.rss_bytes });
      if (samples.length > KEEP) samples.shift();
      history.set(row.customer_id, samples);
    }
  }
}

export function resourceHistory(customerId: string): { cpu: number[]; rss: number[] } {
  const samples = history.get(customerId) ?? [];
  return { cpu: samples.map((s) => s.cpu), rss: samples.map((s) => s.rss) };
}
