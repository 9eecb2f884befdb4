import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, done } from "@/lib/api-client";
import { secretsKey } from "./get-secrets";

export async function deleteSecret(input: { id: string; name: string }): Promise<void> {
  done(await api.DELETE("/v1/customers/{id}/secrets/{name}", { params: { path: { id: input.id, name: input.name } } }));
}

export function useDeleteSecret() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deleteSecret,
    onSuccess: (_nothing, input) => queryClient.invalidateQueries({ queryKey: secretsKey(input.id) }),
  });
}
