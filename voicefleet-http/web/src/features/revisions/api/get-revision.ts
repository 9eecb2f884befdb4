import { useQuery } from "@tanstack/react-query";
import { api, ok } from "@/lib/api-client";

export async function getRevision(id: string, number: number) {
  return ok(await api.GET("/v1/customers/{id}/revisions/{number}", { params: { path: { id, number } } }));
}

export function useRevision(id: string, number: number | null) {
  return useQuery({
    queryKey: ["revision", id, number],
    queryFn: () => getRevision(id, number ?? 0),
    enabled: number !== null,
    staleTime: Infinity,
  });
}
