import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "@/lib/api-client";
import { revisionsKey } from "./get-revisions";

export interface CreateRevisionInput {
  id: string;
  operations: Schemas["Operation"][];
  message: string;
  /** The ETag of the revision list the edit started from. */
  ifMatch: string | null;
}

export interface CreatedRevision {
  revision: Schemas["RevisionView"];
  /** The new revision's ETag, for the next edit's If-Match. */
  etag: string | null;
}

export async function createRevision(input: CreateRevisionInput): Promise<CreatedRevision> {
  const headers: Record<string, string> = {};
  if (input.ifMatch) headers["If-Match"] = input.ifMatch;
  const result = await api.POST("/v1/customers/{id}/revisions", {
    params: { path: { id: input.id } },
    body: { kind: "patch", operations: input.operations, message: input.message },
    headers,
  });
  return { revision: ok(result), etag: result.response.headers.get("ETag") };
}

export function useCreateRevision() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createRevision,
    onSettled: (_revision, _error, input) => queryClient.invalidateQueries({ queryKey: revisionsKey(input.id) }),
  });
}
