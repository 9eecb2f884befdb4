import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "@/lib/api-client";
import { revisionsKey } from "./get-revisions";

export interface RollbackInput {
  id: string;
  revision: number;
  message: string;
}

export async function rollback(input: RollbackInput) {
  return ok(
    await api.POST("/v1/customers/{id}/rollback", {
      params: { path: { id: input.id } },
      body: { revision: input.revision, message: input.message },
    }),
  );
}

export function useRollback() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: rollback,
    onSuccess: (_revision, input) => queryClient.invalidateQueries({ queryKey: revisionsKey(input.id) }),
  });
}
