import { useQuery } from "@tanstack/react-query";
import { api, ok } from "@/lib/api-client";
import { asSchema, type JsonSchema } from "../schema-lookup";

/** The configuration document's JSON Schema, the one the console's validator walks. */
export async function getConfigSchema(): Promise<JsonSchema | null> {
  return asSchema(ok(await api.GET("/v1/config/schema")));
}

/** Fetched once per session: the schema changes only with the console's version. */
export function useConfigSchema() {
  return useQuery({ queryKey: ["config-schema"], queryFn: getConfigSchema, staleTime: Infinity });
}
