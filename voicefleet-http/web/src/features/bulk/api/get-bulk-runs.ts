import { useQuery } from "@tanstack/react-query";
import { api, ok } from "@/lib/api-client";

export async function getBulkRuns() {
  return ok(await api.GET("/v1/bulk", { params: { query: { limit: 50 } } }));
}

export function useBulkRuns() {
  return useQuery({ queryKey: ["bulk-runs"], queryFn: getBulkRuns });
}
