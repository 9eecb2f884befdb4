// Beside the configuration editor: what the document's schema says about the field at the caret
// (description, type, allowed range or values, default) and the completions there (property
// names not yet written, enum values); picking one replaces the token at the caret. Ctrl+Space in
// the editor moves focus to the first completion; Escape goes back to the editor.
import type { RefObject } from "react";
import { completionsAt, contextAt, describe, dotPath, fieldAt, type JsonSchema } from "../schema-lookup";

export function SchemaAssist(props: {
  schema: JsonSchema;
  text: string;
  caret: number;
  readOnly: boolean;
  textareaRef: RefObject<HTMLTextAreaElement | null>;
  onChange: (text: string, caret: number) => void;
}) {
  const { schema, text, caret } = props;
  const context = contextAt(text, caret);
  const field = context ? fieldAt(schema, context) : null;
  const completions = context && !props.readOnly ? completionsAt(schema, context).slice(0, 40) : [];
  const apply = (insert: string) => {
    if (!context) return;
    const next = text.slice(0, context.from) + insert + text.slice(context.to);
    const at = context.from + insert.length;
    props.onChange(next, at);
    const textarea = props.textareaRef.current;
    if (textarea) {
      requestAnimationFrame(() => {
        textarea.focus();
        textarea.setSelectionRange(at, at);
      });
    }
  };
  return (
    <aside className="schema-assist" aria-label="schema help" data-testid="schema-help">
      {field ? (
        <>
          <h3>
            <code data-testid="schema-path">{dotPath(field.path) || "(document)"}</code>
          </h3>
          <ul className="plain">
            {describe(field.schema).map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
        </>
      ) : (
        <p className="muted">Move the caret into the document to see what its schema allows there.</p>
      )}
      {completions.length > 0 ? (
        <>
          <h3 id="completions-title">{context?.kind === "key" ? "Fields you can add" : "Allowed values"}</h3>
          <ul className="plain completions" aria-labelledby="completions-title">
            {completions.map((completion) => (
              <li key={completion.label}>
                <button
                  type="button"
                  className="link"
                  data-completion={completion.label}
                  title={completion.detail || undefined}
                  onClick={() => apply(completion.insert)}
                  onKeyDown={(event) => {
                    if (event.key === "Escape") props.textareaRef.current?.focus();
                  }}
                >
                  <code>{completion.label}</code>
                </button>
                {completion.detail ? <span className="muted small"> — {completion.detail}</span> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
    </aside>
  );
}
