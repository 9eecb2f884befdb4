import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ok } from "@/lib/api-client";
import { customerStatusKey } from "@/features/fleet/api/get-customer-status";
import { revisionsKey } from "./get-revisions";

export interface DeployInput {
  id: string;
  revision: number;
}

export async function deploy(input: DeployInput) {
  return ok(
    await api.POST("/v1/customers/{id}/deploy", {
      params: { path: { id: input.id } },
      body: { revision: input.revision },
    }),
  );
}

export function useDeploy() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: deploy,
    onSuccess: (_revision, input) => {
      void queryClient.invalidateQueries({ queryKey: revisionsKey(input.id) });
      void queryClient.invalidateQueries({ queryKey: customerStatusKey(input.id) });
      void queryClient.invalidateQueries({ queryKey: ["fleet-status"] });
    },
  });
}
