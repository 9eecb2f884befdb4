// The configuration document's JSON Schema (GET /v1/config/schema) at the editor's caret: where
// the caret is (a key or a value, at which path, with what typed so far), the completions there
// (property names not yet written, enum values, booleans) and a field's description and allowed
// range. Hand-written rather than a library: the editor is a plain textarea (no CodeMirror or
// Monaco, whose JSON-schema support would add 150 KB+ gzipped to the customer page), and the
// schema is the small, generated one (`$ref` into `$defs`, `properties`, `items`,
// `additionalProperties`, `enum`, ranges), so about two hundred tested lines cover it.

export interface JsonSchema {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  description?: string;
  type?: string | string[];
  format?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  allOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
}

export type Segment = string | number;

/** What the caret is in: a key of the object at `path`, or the value at `path`. */
export interface CaretContext {
  kind: "key" | "value";
  /** For a key: the object's path; for a value: the value's own path. */
  path: Segment[];
  /** What is typed of the token so far (a key's or string's text without its quote). */
  prefix: string;
  /** The token's start (its opening quote, if any) and end (through its closing quote). */
  from: number;
  to: number;
  /** For a key: the whole key under the caret (the prefix plus the rest of the token). */
  key: string;
  /** For a key: the keys already written before the caret in that object. */
  siblings: string[];
}

export interface Completion {
  label: string;
  /** The text that replaces `from`..`to`. */
  insert: string;
  detail: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The schema as the API sends it (a JSON object), or null when it is not one. */
export function asSchema(value: unknown): JsonSchema | null {
  return isRecord(value) ? (value as JsonSchema) : null;
}

/** Follows `$ref` (`#/$defs/Name`) and merges `allOf` and a single non-null `anyOf`/`oneOf`. */
export function resolve(root: JsonSchema, schema: JsonSchema | undefined): JsonSchema | undefined {
  let current = schema;
  for (let hops = 0; current?.$ref !== undefined && hops < 32; hops += 1) {
    const name = /^#\/\$defs\/(.+)$/.exec(current.$ref)?.[1];
    const target = name === undefined ? undefined : root.$defs?.[name];
    // The field's own words (description, default) win over the referenced type's.
    const own: JsonSchema = { ...current };
    delete own.$ref;
    current = target === undefined ? undefined : { ...target, ...own };
  }
  if (current === undefined) return undefined;
  const parts = [...(current.allOf ?? []), ...(current.anyOf ?? []), ...(current.oneOf ?? [])];
  if (parts.length === 0) return current;
  let merged: JsonSchema = { ...current, allOf: undefined, anyOf: undefined, oneOf: undefined };
  for (const part of parts) {
    const resolved = resolve(root, part);
    if (resolved === undefined || resolved.type === "null") continue;
    merged = {
      ...resolved,
      ...merged,
      properties: { ...resolved.properties, ...merged.properties },
      enum: merged.enum ?? resolved.enum,
    };
  }
  return merged;
}

/** The schema of the value at `path`, or undefined where the schema says nothing. */
export function schemaAt(root: JsonSchema, path: Segment[]): JsonSchema | undefined {
  let current = resolve(root, root);
  for (const segment of path) {
    if (current === undefined) return undefined;
    if (typeof segment === "number") {
      current = resolve(root, current.items);
    } else {
      const property = current.properties?.[segment];
      const additional = current.additionalProperties;
      current = resolve(root, property ?? (typeof additional === "object" ? additional : undefined));
    }
  }
  return current;
}

interface Frame {
  kind: "object" | "array";
  path: Segment[];
  expect: "key" | "colon" | "value" | "comma";
  key: string | null;
  index: number;
  keys: string[];
}

/** Where the caret at `offset` is in `text`, read by a tolerant scan (the text may not parse). */
export function contextAt(text: string, offset: number): CaretContext | null {
  const stack: Frame[] = [];
  const top = () => stack[stack.length - 1];
  const valueDone = () => {
    const frame = top();
    if (frame) frame.expect = "comma";
  };
  const valuePath = (frame: Frame): Segment[] =>
    frame.kind === "object" ? [...frame.path, frame.key ?? ""] : [...frame.path, frame.index];
  let position = 0;
  while (position < offset) {
    const char = text[position] ?? "";
    if (char === '"') {
      let end = position + 1;
      // A JSON string ends at its line: an unclosed one being typed never swallows the next.
      while (end < text.length && text[end] !== '"' && text[end] !== "\n") end += text[end] === "\\" ? 2 : 1;
      if (end >= offset) {
        // The caret is inside this string.
        const frame = top();
        if (!frame) return null;
        const closed = text[end] === '"';
        const prefix = text.slice(position + 1, offset);
        const whole = text.slice(position + 1, Math.min(end, text.length));
        const to = closed ? end + 1 : offset;
        if (frame.kind === "object" && frame.expect === "key") {
          return { kind: "key", path: frame.path, prefix, from: position, to, key: whole, siblings: frame.keys };
        }
        return { kind: "value", path: valuePath(frame), prefix, from: position, to, key: "", siblings: [] };
      }
      const literal = text.slice(position + 1, end);
      const frame = top();
      if (frame?.kind === "object" && frame.expect === "key") {
        let key = literal;
        try {
          key = JSON.parse(`"${literal}"`) as string;
        } catch {
          // Keep the raw text of a bad escape.
        }
        frame.key = key;
        frame.keys.push(key);
        frame.expect = "colon";
      } else {
        valueDone();
      }
      position = end + 1;
      continue;
    }
    if (char === "{" || char === "[") {
      const parent = top();
      const path = parent ? valuePath(parent) : [];
      stack.push({ kind: char === "{" ? "object" : "array", path, expect: char === "{" ? "key" : "value", key: null, index: 0, keys: [] });
    } else if (char === "}" || char === "]") {
      stack.pop();
      valueDone();
    } else if (char === ":") {
      const frame = top();
      if (frame) frame.expect = "value";
    } else if (char === ",") {
      const frame = top();
      if (frame?.kind === "object") frame.expect = "key";
      if (frame?.kind === "array") {
        frame.index += 1;
        frame.expect = "value";
      }
    } else if (/[\w.+-]/.test(char)) {
      let end = position;
      while (end < text.length && /[\w.+-]/.test(text[end] ?? "")) end += 1;
      if (end >= offset) {
        const frame = top();
        if (!frame) return null;
        const prefix = text.slice(position, offset);
        if (frame.kind === "object" && frame.expect === "key") {
          return { kind: "key", path: frame.path, prefix, from: position, to: end, key: text.slice(position, end), siblings: frame.keys };
        }
        return { kind: "value", path: valuePath(frame), prefix, from: position, to: end, key: "", siblings: [] };
      }
      valueDone();
      position = end;
      continue;
    }
    position += 1;
  }
  const frame = top();
  if (!frame) return null;
  // Between tokens: a key is expected after `{` or `,` in an object, a value after `:` or in an array.
  let to = offset;
  while (to < text.length && /[\w.+-]/.test(text[to] ?? "")) to += 1;
  const word = text.slice(offset, to);
  if (frame.kind === "object" && (frame.expect === "key" || frame.expect === "comma")) {
    if (frame.expect === "comma") return { kind: "value", path: valuePath(frame), prefix: "", from: offset, to: offset, key: "", siblings: [] };
    return { kind: "key", path: frame.path, prefix: "", from: offset, to, key: word, siblings: frame.keys };
  }
  if (frame.expect === "colon") return null;
  return { kind: "value", path: valuePath(frame), prefix: "", from: offset, to, key: "", siblings: [] };
}

function typeName(schema: JsonSchema): string {
  const type = Array.isArray(schema.type) ? schema.type.join(" or ") : schema.type;
  if (type === "array" && schema.items) return `array of ${typeName(schema.items)}`;
  return type ?? (schema.enum ? "one of the values" : "any");
}

/** One line per thing the schema says about a field: type, range, allowed values, default. */
export function describe(schema: JsonSchema): string[] {
  const lines: string[] = [];
  if (schema.description) lines.push(schema.description);
  lines.push(`type: ${typeName(schema)}`);
  const low = schema.minimum ?? schema.exclusiveMinimum;
  const high = schema.maximum ?? schema.exclusiveMaximum;
  if (low !== undefined || high !== undefined) {
    const from = low === undefined ? "" : `${schema.exclusiveMinimum !== undefined ? "more than" : "from"} ${low}`;
    const upTo = high === undefined ? "" : `${schema.exclusiveMaximum !== undefined ? "less than" : "to"} ${high}`;
    lines.push(`range: ${[from, upTo].filter(Boolean).join(" ")}`);
  }
  if (schema.minLength !== undefined || schema.maxLength !== undefined) {
    lines.push(`length: ${schema.minLength ?? 0} to ${schema.maxLength ?? "any"}`);
  }
  if (schema.minItems !== undefined || schema.maxItems !== undefined) {
    lines.push(`items: ${schema.minItems ?? 0} to ${schema.maxItems ?? "any"}`);
  }
  if (schema.enum) lines.push(`one of: ${schema.enum.map((value) => JSON.stringify(value)).join(", ")}`);
  if (schema.pattern) lines.push(`pattern: ${schema.pattern}`);
  if (schema.default !== undefined) lines.push(`default: ${JSON.stringify(schema.default)}`);
  return lines;
}

/** The field the caret is on: a key's own schema, or the value's. */
export function fieldAt(root: JsonSchema, context: CaretContext): { path: Segment[]; schema: JsonSchema } | null {
  const path = context.kind === "key" ? [...context.path, context.key] : context.path;
  const schema = schemaAt(root, path);
  return schema ? { path, schema } : null;
}

/** The completions at the caret: property names not yet written, or the allowed values. */
export function completionsAt(root: JsonSchema, context: CaretContext): Completion[] {
  const schema = schemaAt(root, context.path);
  if (schema === undefined) return [];
  const prefix = context.prefix.toLowerCase();
  if (context.kind === "key") {
    return Object.entries(schema.properties ?? {})
      .filter(([name]) => !context.siblings.includes(name) && name.toLowerCase().startsWith(prefix))
      .map(([name, property]) => ({
        label: name,
        insert: `"${name}": `,
        detail: resolve(root, property)?.description ?? "",
      }));
  }
  const values = schema.enum ?? (schema.const !== undefined ? [schema.const] : schema.type === "boolean" ? [true, false] : []);
  return values
    .map((value) => JSON.stringify(value))
    .filter((text) => text.replace(/^"/, "").toLowerCase().startsWith(prefix))
    .map((text) => ({ label: text, insert: text, detail: "" }));
}

/** The path as the API writes it: `agent_settings.llm.temperature`, `telephony.numbers[1]`. */
export function dotPath(path: Segment[]): string {
  return path.reduce<string>(
    (out, segment) => (typeof segment === "number" ? `${out}[${segment}]` : out ? `${out}.${segment}` : segment),
    "",
  );
}
