// GET /v1/events: read with fetch (EventSource cannot send Authorization). The event names'
// payloads are listed in the operation's `x-events`, which openapi-typescript does not read, so
// they are mapped to the generated schemas here.
import { api, ApiError, type Schemas } from "@/lib/api-client";
import { createSseParser } from "@/lib/sse";

export type LiveEvent =
  | { name: "fleet"; payload: Schemas["FleetEvent"] }
  | { name: "bulk"; payload: Schemas["BulkEvent"] }
  | { name: "lagged"; payload: number };

export function decodeEvent(name: string, data: string): LiveEvent | null {
  try {
    const payload: unknown = JSON.parse(data);
    if (name === "fleet") return { name, payload: payload as Schemas["FleetEvent"] };
    if (name === "bulk") return { name, payload: payload as Schemas["BulkEvent"] };
    if (name === "lagged") return { name, payload: Number(payload) };
  } catch {
    // A line that is no JSON is not an event of this API.
  }
  return null;
}

export interface StreamOptions {
  lastEventId: string | null;
  signal: AbortSignal;
  onOpen: () => void;
  onEvent: (event: LiveEvent, id: string | null) => void;
}

/** Follows the stream until it ends or `signal` aborts. */
export async function streamEvents(options: StreamOptions): Promise<void> {
  const headers: Record<string, string> = { Accept: "text/event-stream" };
  if (options.lastEventId) headers["Last-Event-ID"] = options.lastEventId;
  const { response } = await api.GET("/v1/events", { headers, signal: options.signal, parseAs: "stream" });
  if (!response.ok || !response.body) throw new ApiError(response.status, undefined);
  options.onOpen();
  const parse = createSseParser((message) => {
    const event = decodeEvent(message.event, message.data);
    if (event) options.onEvent(event, message.id);
  });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    parse(value);
  }
}
