import { useQuery } from "@tanstack/react-query";
import { api, ok } from "@/lib/api-client";

export async function getAudit(after: number | undefined) {
  return ok(await api.GET("/v1/audit", { params: { query: { after, limit: 1000 } } }));
}

export function useAudit() {
  return useQuery({ queryKey: ["audit"], queryFn: () => getAudit(undefined) });
}
