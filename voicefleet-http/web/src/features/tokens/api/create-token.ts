import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "@/lib/api-client";

export type CreateTokenInput = Schemas["NewToken"];

/** The answer's `token` is the secret, shown once. */
export async function createToken(input: CreateTokenInput) {
  return ok(await api.POST("/v1/tokens", { body: input }));
}

export function useCreateToken() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: createToken, onSuccess: () => queryClient.invalidateQueries({ queryKey: ["tokens"] }) });
}
