import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, done } from "@/lib/api-client";
import { secretsKey } from "./get-secrets";

export interface SetSecretInput {
  id: string;
  name: string;
  value: string;
}

/** Write-only: the value is never read back. */
export async function setSecret(input: SetSecretInput): Promise<void> {
  done(
    await api.PUT("/v1/customers/{id}/secrets/{name}", {
      params: { path: { id: input.id, name: input.name } },
      body: { value: input.value },
    }),
  );
}

export function useSetSecret() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: setSecret,
    onSuccess: (_nothing, input) => queryClient.invalidateQueries({ queryKey: secretsKey(input.id) }),
  });
}
