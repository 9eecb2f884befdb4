// A server-sent events parser for `fetch` bodies (EventSource cannot send Authorization):
// feed it text chunks as they arrive, it calls back once per complete event.

export interface SseMessage {
  event: string;
  data: string;
  id: string | null;
}

export function createSseParser(onMessage: (message: SseMessage) => void): (chunk: string) => void {
  let buffer = "";
  let event = "";
  let data: string[] = [];
  let id: string | null = null;
  return (chunk: string) => {
    buffer += chunk;
    for (;;) {
      const newline = buffer.search(/\r\n|\r|\n/);
      if (newline < 0) return;
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
      if (line === "") {
        if (data.length > 0) onMessage({ event: event || "message", data: data.join("\n"), id });
        event = "";
        data = [];
        continue;
      }
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
      else if (field === "id") id = value;
    }
  };
}
