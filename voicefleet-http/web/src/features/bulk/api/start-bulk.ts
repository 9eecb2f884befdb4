import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "@/lib/api-client";
import { bulkRunKey } from "./get-bulk-run";

export type StartBulkInput = { spec: Schemas["BulkSpecInput"]; idempotencyKey: string };

/** POST /v1/bulk with an Idempotency-Key, so a retried click starts one run. */
export async function startBulk(input: StartBulkInput): Promise<Schemas["BulkRun"]> {
  return ok(
    await api.POST("/v1/bulk", { body: input.spec, headers: { "Idempotency-Key": input.idempotencyKey } }),
  );
}

export function useStartBulk() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: startBulk,
    onSuccess: (run) => {
      queryClient.setQueryData(bulkRunKey(run.id), run);
      void queryClient.invalidateQueries({ queryKey: ["bulk-runs"] });
    },
  });
}
