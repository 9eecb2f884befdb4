// The live event stream, applied to the query cache: the fleet list, one customer's status, bulk
// runs and alerts. Reconnects with Last-Event-ID; a `lagged` event refetches everything.
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { fleetStatusKey } from "@/features/fleet/api/get-fleet-status";
import { customerStatusKey, getCustomerStatus } from "@/features/fleet/api/get-customer-status";
import { applyBulkEvent, applyCustomerStatus, applyStatusChanged, type CustomerStatus } from "@/features/fleet/reconcile";
import { bulkRunKey } from "@/features/bulk/api/get-bulk-run";
import { toast } from "@/components/ui/toasts";
import type { Schemas } from "@/lib/api-client";
import { streamEvents, type LiveEvent } from "./api/stream-events";

export type LiveState = "connecting" | "live" | "reconnecting";

const pendingRefresh = new Map<string, ReturnType<typeof setTimeout>>();

/** One customer's full status fetched after its state changed (PID, uptime, restarts). */
function refreshCustomer(queryClient: QueryClient, id: string): void {
  clearTimeout(pendingRefresh.get(id));
  pendingRefresh.set(
    id,
    setTimeout(() => {
      pendingRefresh.delete(id);
      getCustomerStatus(id)
        .then((status) => {
          queryClient.setQueryData(customerStatusKey(id), status);
          queryClient.setQueryData(fleetStatusKey, (rows: CustomerStatus[] | undefined) =>
            applyCustomerStatus(rows, status),
          );
        })
        .catch(() => undefined);
    }, 150),
  );
}

export function applyLiveEvent(queryClient: QueryClient, event: LiveEvent): void {
  if (event.name === "lagged") {
    void queryClient.invalidateQueries();
    return;
  }
  if (event.name === "bulk") {
    const payload = event.payload;
    queryClient.setQueryData(bulkRunKey(payload.run_id), (run: Schemas["BulkRun"] | undefined) =>
      applyBulkEvent(run, payload),
    );
    if (payload.type === "finished") void queryClient.invalidateQueries({ queryKey: ["bulk-runs"] });
    if (payload.type === "target") refreshCustomer(queryClient, payload.result.customer_id);
    return;
  }
  const payload = event.payload;
  if (payload.type === "status_changed") {
    queryClient.setQueryData(fleetStatusKey, (rows: CustomerStatus[] | undefined) => applyStatusChanged(rows, payload));
    refreshCustomer(queryClient, payload.customer_id);
  } else {
    const alert = payload.alert;
    if (alert.firing) toast("error", `alert ${alert.rule} on ${alert.customer_id}: ${alert.message}`);
    else toast("info", `resolved: ${alert.rule} on ${alert.customer_id}`);
    void queryClient.invalidateQueries({ queryKey: ["alerts"] });
  }
}

export function useLiveEvents(enabled: boolean): LiveState {
  const queryClient = useQueryClient();
  const [state, setState] = useState<LiveState>("connecting");
  useEffect(() => {
    if (!enabled) return;
    const controller = new AbortController();
    let lastEventId: string | null = null;
    let attempt = 0;
    const run = async () => {
      while (!controller.signal.aborted) {
        try {
          await streamEvents({
            lastEventId,
            signal: controller.signal,
            onOpen: () => {
              attempt = 0;
              setState("live");
            },
            onEvent: (event, id) => {
              if (id) lastEventId = id;
              applyLiveEvent(queryClient, event);
            },
          });
        } catch {
          // Reconnect below, unless aborted.
        }
        if (controller.signal.aborted) return;
        setState("reconnecting");
        attempt += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** attempt)));
      }
    };
    void run();
    return () => controller.abort();
  }, [enabled, queryClient]);
  return state;
}
