import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, done } from "@/lib/api-client";

export async function deleteUser(name: string): Promise<void> {
  done(await api.DELETE("/v1/users/{name}", { params: { path: { name } } }));
}

export function useDeleteUser() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: deleteUser, onSuccess: () => queryClient.invalidateQueries({ queryKey: ["users"] }) });
}
