import { useQuery } from "@tanstack/react-query";
import { api, ok, type Schemas } from "@/lib/api-client";

export const bulkRunKey = (id: string) => ["bulk-run", id] as const;

export async function getBulkRun(id: string): Promise<Schemas["BulkRun"]> {
  return ok(await api.GET("/v1/bulk/{id}", { params: { path: { id } } }));
}

/** One run; `bulk` events from the stream keep it current (features/events). */
export function useBulkRun(id: string | null) {
  return useQuery({ queryKey: bulkRunKey(id ?? ""), queryFn: () => getBulkRun(id ?? ""), enabled: id !== null });
}
