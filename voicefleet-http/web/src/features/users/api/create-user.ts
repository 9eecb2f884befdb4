import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "@/lib/api-client";

export type CreateUserInput = Schemas["NewUser"];

export async function createUser(input: CreateUserInput) {
  return ok(await api.POST("/v1/users", { body: input }));
}

export function useCreateUser() {
  const queryClient = useQueryClient();
  return useMutation({ mutationFn: createUser, onSuccess: () => queryClient.invalidateQueries({ queryKey: ["users"] }) });
}
