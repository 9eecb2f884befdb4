import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "@/lib/api-client";
import { bulkRunKey } from "./get-bulk-run";

export async function cancelBulk(id: string): Promise<Schemas["BulkRun"]> {
  return ok(await api.POST("/v1/bulk/{id}/cancel", { params: { path: { id } } }));
}

export function useCancelBulk() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: cancelBulk,
    onSuccess: (run) => {
      queryClient.setQueryData(bulkRunKey(run.id), run);
      void queryClient.invalidateQueries({ queryKey: ["bulk-runs"] });
    },
  });
}
