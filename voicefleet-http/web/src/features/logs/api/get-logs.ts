// Log lines in the query cache: the first fetch reads the tail, each later one reads on from the
// last cursor and appends (following), at most MAX_LINES kept.
import { useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { api, ok, type Schemas } from "@/lib/api-client";

export type LogStreamChoice = Schemas["StreamChoice"];
export interface LoadedLogs {
  lines: Schemas["LogLineBody"][];
  nextCursor: number;
}

const MAX_LINES = 2_000;
export const logsKey = (id: string, stream: LogStreamChoice) => ["logs", id, stream] as const;

export async function getLogs(
  queryClient: QueryClient,
  id: string,
  stream: LogStreamChoice,
): Promise<LoadedLogs> {
  const loaded = queryClient.getQueryData<LoadedLogs>(logsKey(id, stream));
  const query = loaded ? { cursor: loaded.nextCursor, stream, limit: 1000 } : { tail: 200, stream };
  const answer = ok(await api.GET("/v1/customers/{id}/logs", { params: { path: { id }, query } }));
  const lines = [...(loaded?.lines ?? []), ...answer.lines].slice(-MAX_LINES);
  return { lines, nextCursor: answer.next_cursor };
}

export function useLogs(id: string, stream: LogStreamChoice, follow: boolean, enabled: boolean) {
  const queryClient = useQueryClient();
  return useQuery({
    queryKey: logsKey(id, stream),
    queryFn: () => getLogs(queryClient, id, stream),
    refetchInterval: follow ? 1_000 : false,
    enabled,
    staleTime: Infinity,
  });
}
