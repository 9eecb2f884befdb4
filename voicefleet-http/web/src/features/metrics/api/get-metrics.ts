import { useQuery } from "@tanstack/react-query";
import { api, ok } from "@/lib/api-client";

export type MetricsRange = "1h" | "24h" | "7d";
const RANGE_MS: Record<MetricsRange, number> = { "1h": 3_600_000, "24h": 86_400_000, "7d": 604_800_000 };

export async function getMetrics(id: string, range: MetricsRange) {
  const since = Date.now() - RANGE_MS[range];
  return ok(await api.GET("/v1/customers/{id}/metrics", { params: { path: { id }, query: { since } } }));
}

export function useMetrics(id: string, range: MetricsRange) {
  return useQuery({ queryKey: ["metrics", id, range], queryFn: () => getMetrics(id, range), refetchInterval: 10_000 });
}
