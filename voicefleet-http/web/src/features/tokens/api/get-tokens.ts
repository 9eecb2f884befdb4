import { useQuery } from "@tanstack/react-query";
import { api, ok } from "@/lib/api-client";

export async function getTokens() {
  return ok(await api.GET("/v1/tokens", { params: { query: { limit: 1000 } } }));
}

export function useTokens() {
  return useQuery({ queryKey: ["tokens"], queryFn: getTokens });
}
