// A JSON editor: a textarea over a highlighted copy of its text (no inline script, no heavy
// editor), with the API's issues marked at their lines.
import { useMemo, useRef, type ReactNode, type RefObject } from "react";
import type { PlacedIssue } from "@/features/config/json-paths";

const TOKEN = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

function highlight(line: string): ReactNode[] {
  const parts: ReactNode[] = [];
  let last = 0;
  for (const match of line.matchAll(TOKEN)) {
    const index = match.index ?? 0;
    if (index > last) parts.push(line.slice(last, index));
    const className = match[1] ? (match[2] ? "tok-key" : "tok-string") : match[3] ? "tok-literal" : "tok-number";
    parts.push(
      <span key={index} className={className}>
        {match[1] ?? match[0]}
      </span>,
    );
    if (match[1] && match[2]) parts.push(match[2]);
    last = index + match[0].length;
  }
  parts.push(line.slice(last));
  return parts;
}

export function JsonEditor({ textareaRef, ...props }: {
  value: string;
  onChange: (value: string) => void;
  issues: PlacedIssue[];
  label: string;
  readOnly?: boolean;
  textareaRef?: RefObject<HTMLTextAreaElement | null>;
  /** The caret's offset, whenever it moves (typing, clicks, arrow keys). */
  onCaret?: (offset: number) => void;
  /** Ctrl+Space: the caller offers completions. */
  onComplete?: () => void;
}) {
  const overlay = useRef<HTMLPreElement>(null);
  const lines = useMemo(() => props.value.split("\n"), [props.value]);
  const byLine = useMemo(() => new Set(props.issues.map((issue) => issue.line)), [props.issues]);
  return (
    <div className="json-editor">
      <pre ref={overlay} className="json-highlight" aria-hidden="true">
        {lines.map((line, index) => (
          <div key={index} className={byLine.has(index + 1) ? "issue-line" : undefined}>
            {highlight(line)}
            {"\n"}
          </div>
        ))}
      </pre>
      <textarea
        ref={textareaRef}
        aria-label={props.label}
        spellCheck={false}
        value={props.value}
        readOnly={props.readOnly}
        onChange={(event) => props.onChange(event.target.value)}
        onSelect={(event) => props.onCaret?.(event.currentTarget.selectionStart)}
        onKeyDown={(event) => {
          if (event.ctrlKey && event.key === " " && props.onComplete) {
            event.preventDefault();
            props.onComplete();
          }
        }}
        onScroll={(event) => {
          if (overlay.current) {
            overlay.current.scrollTop = event.currentTarget.scrollTop;
            overlay.current.scrollLeft = event.currentTarget.scrollLeft;
          }
        }}
      />
    </div>
  );
}

/** Puts the caret at the start of `line` (1-based) and scrolls it into view. */
export function jumpToLine(textarea: HTMLTextAreaElement | null, line: number): void {
  if (!textarea) return;
  const lines = textarea.value.split("\n");
  const offset = lines.slice(0, line - 1).reduce((sum, text) => sum + text.length + 1, 0);
  textarea.focus();
  textarea.setSelectionRange(offset, offset + (lines[line - 1]?.length ?? 0));
  const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 19;
  textarea.scrollTop = Math.max(0, (line - 3) * lineHeight);
  textarea.dispatchEvent(new Event("scroll"));
}
