import { useMutation } from "@tanstack/react-query";
import { api, ok } from "@/lib/api-client";

export async function verifyAudit() {
  return ok(await api.GET("/v1/audit/verify"));
}

export function useVerifyAudit() {
  return useMutation({ mutationFn: verifyAudit });
}
