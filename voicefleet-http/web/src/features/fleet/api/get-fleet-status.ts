import { useQuery } from "@tanstack/react-query";
import { api, ok } from "@/lib/api-client";
import type { CustomerStatus } from "../reconcile";
import { recordResources } from "../resource-history";

export const fleetStatusKey = ["fleet-status"] as const;

/** Every customer's status, all pages. */
export async function getFleetStatus(): Promise<CustomerStatus[]> {
  const rows: CustomerStatus[] = [];
  let cursor: string | undefined;
  do {
    const page = ok(await api.GET("/v1/status", { params: { query: { limit: 1000, cursor } } }));
    rows.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  recordResources(rows);
  return rows;
}

/** The fleet list: live events patch it (see features/events), a slow poll refreshes the rest. */
export function useFleetStatus() {
  return useQuery({ queryKey: fleetStatusKey, queryFn: getFleetStatus, refetchInterval: 5_000 });
}
