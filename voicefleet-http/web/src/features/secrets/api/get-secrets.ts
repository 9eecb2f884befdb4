import { useQuery } from "@tanstack/react-query";
import { api, ok } from "@/lib/api-client";

export const secretsKey = (id: string) => ["secrets", id] as const;

export async function getSecrets(id: string) {
  return ok(await api.GET("/v1/customers/{id}/secrets", { params: { path: { id }, query: { limit: 1000 } } }));
}

export function useSecrets(id: string, enabled: boolean) {
  return useQuery({ queryKey: secretsKey(id), queryFn: () => getSecrets(id), enabled });
}
