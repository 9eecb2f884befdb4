import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, done } from "@/lib/api-client";

export async function revokeToken(id: string): Promise<void> {
  done(await api.DELETE("/v1/tokens/{id}", { params: { path: { id } } }));
}

export function useRevokeToken() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: revokeToken, onSuccess: () => queryClient.invalidateQueries({ queryKey: ["tokens"] }) });
}
