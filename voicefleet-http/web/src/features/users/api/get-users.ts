import { useQuery } from "@tanstack/react-query";
import { api, ok } from "@/lib/api-client";

export async function getUsers() {
  return ok(await api.GET("/v1/users", { params: { query: { limit: 1000 } } }));
}

export function useUsers() {
  return useQuery({ queryKey: ["users"], queryFn: getUsers });
}
