import { useQuery } from "@tanstack/react-query";
import { api, ok } from "@/lib/api-client";

export async function getDiff(id: string, from: number, to: number) {
  return ok(await api.GET("/v1/customers/{id}/diff", { params: { path: { id }, query: { from, to } } }));
}

export function useDiff(id: string, from: number | null, to: number | null) {
  return useQuery({
    queryKey: ["diff", id, from, to],
    queryFn: () => getDiff(id, from ?? 0, to ?? 0),
    enabled: from !== null && to !== null,
    staleTime: Infinity,
  });
}
