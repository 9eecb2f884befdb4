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

export async function createRevision(input: CreateRevisionInput): Promise<Schemas["RevisionView"]> {
  const headers: Record<string, string> = {};
  if (input.ifMatch) headers["If-Match"] = input.ifMatch;
  return ok(
    await api.POST("/v1/customers/{id}/revisions", {
      params: { path: { id: input.id } },
      body: { kind: "patch", operations: input.operations, message: input.message },
      headers,
    }),
  );
}

export function useCreateRevision() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: createRevision,
    onSettled: (_revision, _error, input) => queryClient.invalidateQueries({ queryKey: revisionsKey(input.id) }),
  });
}
