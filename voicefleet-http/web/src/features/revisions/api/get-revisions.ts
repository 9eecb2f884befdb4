import { useQuery } from "@tanstack/react-query";
import { api, ok, type Schemas } from "@/lib/api-client";

export const revisionsKey = (id: string) => ["revisions", id] as const;

export interface RevisionList {
  items: Schemas["RevisionView"][];
  /** The latest revision's ETag: send it as If-Match to save only on top of it. */
  etag: string | null;
}

export async function getRevisions(id: string): Promise<RevisionList> {
  const result = await api.GET("/v1/customers/{id}/revisions", { params: { path: { id }, query: { limit: 1000 } } });
  const page = ok(result);
  const items = page.items.slice().sort((a, b) => b.number - a.number);
  return { items, etag: result.response.headers.get("ETag") };
}

export function useRevisions(id: string) {
  return useQuery({ queryKey: revisionsKey(id), queryFn: () => getRevisions(id) });
}
