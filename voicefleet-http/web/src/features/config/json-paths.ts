// Editor issue mapping: where each dot path (`agent_settings.llm.temperature`,
// `telephony.numbers[1]`) starts in a JSON text, so the API's validation issues are shown at
// their lines; and the patch operations that turn one document into another.
import type { Schemas } from "@/lib/api-client";

export type Issue = Schemas["Issue"];
export type Operation = Schemas["Operation"];

/** The 1-based line of every value in `text`, by dot path ("" for the root). */
export function linesByPath(text: string): Map<string, number> {
  const lines = new Map<string, number>();
  let position = 0;
  let line = 1;
  const skipSpace = () => {
    while (position < text.length && /\s/.test(text[position] ?? "")) {
      if (text[position] === "\n") line += 1;
      position += 1;
    }
  };
  const readString = (): string => {
    let out = "";
    position += 1;
    while (position < text.length && text[position] !== '"') {
      if (text[position] === "\\") {
        out += text.slice(position, position + 2);
        position += 2;
      } else {
        out += text[position];
        position += 1;
      }
    }
    position += 1;
    try {
      return JSON.parse(`"${out}"`) as string;
    } catch {
      return out;
    }
  };
  const value = (path: string): void => {
    skipSpace();
    lines.set(path, line);
    const char = text[position];
    if (char === "{") {
      position += 1;
      for (;;) {
        skipSpace();
        if (text[position] === "}") { position += 1; return; }
        if (text[position] !== '"') return;
        const key = readString();
        const keyLine = line;
        skipSpace();
        if (text[position] !== ":") return;
        position += 1;
        const child = path ? `${path}.${key}` : key;
        value(child);
        lines.set(child, keyLine);
        skipSpace();
        if (text[position] === ",") { position += 1; continue; }
        if (text[position] === "}") { position += 1; return; }
        return;
      }
    }
    if (char === "[") {
      position += 1;
      for (let index = 0; ; index += 1) {
        skipSpace();
        if (text[position] === "]") { position += 1; return; }
        value(`${path}[${index}]`);
        skipSpace();
        if (text[position] === ",") { position += 1; continue; }
        if (text[position] === "]") { position += 1; return; }
        return;
      }
    }
    if (char === '"') { readString(); return; }
    while (position < text.length && !/[,\]}\s]/.test(text[position] ?? "")) position += 1;
  };
  value("");
  return lines;
}

export interface PlacedIssue extends Issue {
  /** The line of the issue's path, or of its nearest parent present in the text. */
  line: number;
}

/** Each issue at the line of its path; a path not in the text falls back to its parent's. */
export function placeIssues(text: string, issues: Issue[]): PlacedIssue[] {
  const lines = linesByPath(text);
  return issues.map((issue) => {
    let path = issue.path;
    for (;;) {
      const line = lines.get(path);
      if (line !== undefined) return { ...issue, line };
      if (path === "") return { ...issue, line: 1 };
      const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
      path = cut < 0 ? "" : path.slice(0, cut);
    }
  });
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function isObject(value: unknown): value is { [key: string]: Json } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The `set`/`unset` operations from `before` to `after` (arrays are set whole). */
export function operationsBetween(before: unknown, after: unknown, path = ""): Operation[] {
  if (isObject(before) && isObject(after)) {
    const operations: Operation[] = [];
    for (const key of Object.keys(before)) {
      if (!(key in after)) operations.push({ op: "unset", path: path ? `${path}.${key}` : key });
    }
    for (const [key, value] of Object.entries(after)) {
      const child = path ? `${path}.${key}` : key;
      operations.push(...(key in before ? operationsBetween(before[key], value, child) : [{ op: "set" as const, path: child, value }]));
    }
    return operations;
  }
  if (JSON.stringify(before) === JSON.stringify(after)) return [];
  return [{ op: "set", path, value: after }];
}
