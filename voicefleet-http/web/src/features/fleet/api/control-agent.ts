import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "@/lib/api-client";
import { applyCustomerStatus } from "../reconcile";
import { fleetStatusKey } from "./get-fleet-status";
import { customerStatusKey, getCustomerStatus } from "./get-customer-status";

export type AgentAction = "start" | "stop" | "restart" | "drain";

export interface ControlAgentInput {
  id: string;
  action: AgentAction;
  /** For stop, restart and drain: how long calls may take to finish. */
  drainTimeoutSeconds?: number;
}

export async function controlAgent(input: ControlAgentInput): Promise<Schemas["HostStatus"]> {
  const body: Schemas["Control"] = { drain_timeout_seconds: input.drainTimeoutSeconds ?? null };
  return ok(
    await api.POST("/v1/customers/{id}/agent/{action}", {
      params: { path: { id: input.id, action: input.action } },
      body,
    }),
  );
}

export function useControlAgent() {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: controlAgent,
    onSuccess: async (_status, input) => {
      const status = await getCustomerStatus(input.id);
      queryClient.setQueryData(customerStatusKey(input.id), status);
      queryClient.setQueryData(fleetStatusKey, (rows: Schemas["CustomerStatus"][] | undefined) =>
        applyCustomerStatus(rows, status),
      );
    },
  });
}
