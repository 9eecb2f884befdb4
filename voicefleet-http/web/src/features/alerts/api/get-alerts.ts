import { useQuery } from "@tanstack/react-query";
import { api, ok } from "@/lib/api-client";

export async function getAlerts(all: boolean) {
  return ok(await api.GET("/v1/alerts", { params: { query: { all, limit: 1000 } } }));
}

/** Firing alerts (or all of them); `fleet` alert events invalidate it. */
export function useAlerts(all: boolean) {
  return useQuery({ queryKey: ["alerts", all], queryFn: () => getAlerts(all), refetchInterval: 30_000 });
}
