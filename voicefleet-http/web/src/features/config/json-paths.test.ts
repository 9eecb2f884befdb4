import { describe, expect, it } from "vitest";
import { linesByPath, operationsBetween, placeIssues, type Issue } from "./json-paths";

const document = {
  agent_settings: { llm: { provider: "openai", temperature: 0.7 } },
  telephony: { numbers: ["+15550001", "+15550002"] },
  "quoted\"key": true,
};
const text = JSON.stringify(document, null, 2);

function issue(path: string): Issue {
  return { path, code: "out_of_range", severity: "error", message: "m" };
}

describe("editor issue mapping", () => {
  it("finds the line of every path", () => {
    const lines = linesByPath(text);
    const lineOf = (needle: string) => text.split("\n").findIndex((line) => line.includes(needle)) + 1;
    expect(lines.get("agent_settings.llm.temperature")).toBe(lineOf('"temperature"'));
    expect(lines.get("telephony.numbers[1]")).toBe(lineOf("+15550002"));
    expect(lines.get('quoted"key')).toBe(lineOf("quoted"));
  });

  it("places an issue at its path, or at its nearest parent when the path is absent", () => {
    const placed = placeIssues(text, [issue("agent_settings.llm.temperature"), issue("agent_settings.llm.max_tokens"), issue("nowhere.at.all")]);
    const lines = text.split("\n");
    expect(lines[(placed[0]?.line ?? 0) - 1]).toContain('"temperature"');
    expect(lines[(placed[1]?.line ?? 0) - 1]).toContain('"llm"');
    expect(placed[2]?.line).toBe(1);
  });

  it("survives a text that is not valid JSON", () => {
    expect(placeIssues('{"a": {"b": ', [issue("a.b")])[0]?.line).toBe(1);
  });
});

describe("the patch a save sends", () => {
  it("sets changed leaves, unsets removed keys and sets arrays whole", () => {
    const after = structuredClone(document) as Record<string, unknown>;
    (after.agent_settings as { llm: { temperature: number } }).llm.temperature = 0.3;
    (after.telephony as { numbers: string[] }).numbers.push("+15550003");
    delete after['quoted"key'];
    expect(operationsBetween(document, after)).toEqual([
      { op: "unset", path: 'quoted"key' },
      { op: "set", path: "agent_settings.llm.temperature", value: 0.3 },
      { op: "set", path: "telephony.numbers", value: ["+15550001", "+15550002", "+15550003"] },
    ]);
    expect(operationsBetween(document, structuredClone(document))).toEqual([]);
  });
});
