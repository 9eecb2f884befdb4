import { useQuery } from "@tanstack/react-query";
import { api, ok } from "@/lib/api-client";
import type { CustomerStatus } from "../reconcile";

export const customerStatusKey = (id: string) => ["customer-status", id] as const;

/** One customer's status, polled from its host now. */
export async function getCustomerStatus(id: string): Promise<CustomerStatus> {
  return ok(await api.GET("/v1/customers/{id}/status", { params: { path: { id } } }));
}

export function useCustomerStatus(id: string) {
  return useQuery({ queryKey: customerStatusKey(id), queryFn: () => getCustomerStatus(id), refetchInterval: 3_000 });
}
