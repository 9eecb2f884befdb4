import { describe, expect, it } from "vitest";
import { completionsAt, contextAt, describe as describeField, dotPath, fieldAt, schemaAt, type JsonSchema } from "./schema-lookup";

// A small schema of the generated shape: `$ref` into `$defs`, ranges, enums, arrays, maps.
const schema: JsonSchema = {
  type: "object",
  properties: {
    version: { type: "integer", minimum: 1, maximum: 1 },
    agent_settings: { description: "The pipeline.", $ref: "#/$defs/AgentSettings" },
    telephony: { $ref: "#/$defs/Telephony" },
    runtime: {
      type: "object",
      properties: {
        env: { type: "object", additionalProperties: { type: "string", maxLength: 10 } },
        reload: { $ref: "#/$defs/ReloadMode", default: "restart" },
      },
    },
  },
  $defs: {
    AgentSettings: {
      description: "The conversational pipeline.",
      type: "object",
      properties: { llm: { $ref: "#/$defs/Llm" }, interruptible: { type: "boolean" } },
    },
    Llm: {
      type: "object",
      properties: {
        provider: { $ref: "#/$defs/LlmProvider" },
        model: { type: "string", minLength: 1 },
        temperature: { description: "Sampling temperature.", type: "number", minimum: 0, maximum: 2, default: 0.7 },
      },
    },
    LlmProvider: { type: "string", enum: ["openai", "anthropic", "groq"] },
    ReloadMode: { description: "How a change reaches the agent.", type: "string", enum: ["signal", "restart"] },
    Telephony: { type: "object", properties: { numbers: { type: "array", items: { type: "string", pattern: "^\\+" } } } },
  },
};

/** The text with `|` marking the caret, and the caret's offset. */
function at(marked: string): [string, number] {
  const offset = marked.indexOf("|");
  return [marked.slice(0, offset) + marked.slice(offset + 1), offset];
}

function contextOf(marked: string) {
  const [text, offset] = at(marked);
  return contextAt(text, offset);
}

describe("schemaAt", () => {
  it("follows $ref, items and additionalProperties; keeps the field's own description", () => {
    expect(schemaAt(schema, ["agent_settings", "llm", "temperature"])?.maximum).toBe(2);
    expect(schemaAt(schema, ["agent_settings"])?.description).toBe("The pipeline.");
    expect(schemaAt(schema, ["telephony", "numbers", 3])?.pattern).toBe("^\\+");
    expect(schemaAt(schema, ["runtime", "env", "ANY_NAME"])?.maxLength).toBe(10);
    expect(schemaAt(schema, ["runtime", "reload"])?.enum).toEqual(["signal", "restart"]);
    expect(schemaAt(schema, ["runtime", "reload"])?.default).toBe("restart");
    expect(schemaAt(schema, ["agent_settings", "nope"])).toBeUndefined();
  });
});

describe("contextAt", () => {
  it.each([
    ['{"agent_settings": {"llm": {"tem|', "key", "agent_settings.llm", "tem"],
    ['{"agent_settings": {"llm": {|', "key", "agent_settings.llm", ""],
    ['{"agent_settings": {"llm": {"model": "x", |}}}', "key", "agent_settings.llm", ""],
    ['{"agent_settings": {"llm": {"provider": "op|', "value", "agent_settings.llm.provider", "op"],
    ['{"agent_settings": {"llm": {"provider": |', "value", "agent_settings.llm.provider", ""],
    ['{"agent_settings": {"interruptible": tr|ue}}', "value", "agent_settings.interruptible", "tr"],
    ['{"telephony": {"numbers": ["+1", "+|"]}}', "value", "telephony.numbers[1]", "+"],
    ['{"runtime": {"env": {"A": "b"}}, "ver|sion": 1}', "key", "", "ver"],
  ])("%s is a %s at %s, typed %s", (marked, kind, path, prefix) => {
    const context = contextOf(marked);
    expect(context?.kind).toBe(kind);
    expect(dotPath(context?.path ?? [])).toBe(path);
    expect(context?.prefix).toBe(prefix);
  });

  it("gives a key's whole token and the keys before it", () => {
    const context = contextOf('{"agent_settings": {"llm": {"model": "x", "temp|erature": 1}}}');
    expect(context?.key).toBe("temperature");
    expect(context?.siblings).toEqual(["model"]);
    const [text] = at('{"agent_settings": {"llm": {"model": "x", "temp|erature": 1}}}');
    expect(text.slice(context?.from, context?.to)).toBe('"temperature"');
  });

  it("ends a string being typed at its line, so a completion never eats the next key", () => {
    const [text, offset] = at('{"agent_settings": {"llm": {\n  "tem|\n  "model": "x"}}}');
    const context = contextAt(text, offset);
    expect(context?.kind).toBe("key");
    expect(context?.prefix).toBe("tem");
    expect(text.slice(context?.from, context?.to)).toBe('"tem');
  });
});

describe("completionsAt", () => {
  const complete = (marked: string) => {
    const context = contextOf(marked);
    return context ? completionsAt(schema, context) : [];
  };

  it("offers the property names not yet written, by prefix", () => {
    expect(complete('{"agent_settings": {"llm": {"model": "x", |').map((c) => c.label)).toEqual(["provider", "temperature"]);
    expect(complete('{"agent_settings": {"llm": {"te|')).toEqual([
      { label: "temperature", insert: '"temperature": ', detail: "Sampling temperature." },
    ]);
  });

  it("offers enum values and booleans for a value", () => {
    expect(complete('{"agent_settings": {"llm": {"provider": |').map((c) => c.insert)).toEqual(['"openai"', '"anthropic"', '"groq"']);
    expect(complete('{"agent_settings": {"llm": {"provider": "an|').map((c) => c.insert)).toEqual(['"anthropic"']);
    expect(complete('{"agent_settings": {"interruptible": f|').map((c) => c.insert)).toEqual(["false"]);
    expect(complete('{"agent_settings": {"llm": {"temperature": |')).toEqual([]);
  });
});

describe("describe and fieldAt", () => {
  it("says a field's description, type, range and default", () => {
    const context = contextOf('{"agent_settings": {"llm": {"temperature": 0.|7}}}');
    const field = context ? fieldAt(schema, context) : null;
    expect(dotPath(field?.path ?? [])).toBe("agent_settings.llm.temperature");
    expect(describeField(field?.schema ?? {})).toEqual([
      "Sampling temperature.",
      "type: number",
      "range: from 0 to 2",
      "default: 0.7",
    ]);
  });

  it("describes the key under the caret, enums and lengths", () => {
    const context = contextOf('{"runtime": {"rel|oad": "signal"}}');
    const field = context ? fieldAt(schema, context) : null;
    expect(describeField(field?.schema ?? {})).toEqual([
      "How a change reaches the agent.",
      "type: string",
      'one of: "signal", "restart"',
      'default: "restart"',
    ]);
    expect(describeField(schemaAt(schema, ["agent_settings", "llm", "model"]) ?? {})).toContain("length: 1 to any");
  });
});
