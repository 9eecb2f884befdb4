// The configuration editor: the latest revision's document as JSON; saving sends the changed
// paths as a patch with If-Match (the revision list's ETag), so a save on top of someone else's
// is refused with a clear message; the API's issues are shown at their lines, nothing saved.
import { useMemo, useRef, useState } from "react";
import { JsonEditor, jumpToLine } from "@/components/ui/json-editor";
import { toast } from "@/components/ui/toasts";
import { ApiError, messageOf } from "@/lib/api-client";
import { useCreateRevision } from "@/features/revisions/api/create-revision";
import { useRevision } from "@/features/revisions/api/get-revision";
import { useRevisions } from "@/features/revisions/api/get-revisions";
import { operationsBetween, placeIssues, type Issue } from "../json-paths";
import { useConfigSchema } from "../api/get-config-schema";
import { SchemaAssist } from "./schema-assist";

export function ConfigEditor({ customerId, canEdit }: { customerId: string; canEdit: boolean }) {
  const revisions = useRevisions(customerId);
  // The revision being edited stays pinned while the list refreshes in the background: a save
  // on top of it after someone else's is then refused (If-Match), never silently rebased.
  const [pinned, setPinned] = useState<Pin | null>(null);
  const latest = revisions.data?.items[0];
  const target = pinned ?? (latest && revisions.data ? { number: latest.number, etag: revisions.data.etag } : null);
  if (pinned === null && target !== null) setPinned(target);
  const revision = useRevision(customerId, target?.number ?? null);
  if (!target || !revision.data?.document) return <p>Loading the configuration…</p>;
  return (
    <Editor
      key={target.number}
      customerId={customerId}
      canEdit={canEdit}
      base={{ ...target, document: revision.data.document }}
      onSaved={setPinned}
      onReload={async () => {
        const fresh = await revisions.refetch();
        const first = fresh.data?.items[0];
        if (first && fresh.data) setPinned({ number: first.number, etag: fresh.data.etag });
      }}
    />
  );
}

interface Pin {
  number: number;
  etag: string | null;
}

interface Base {
  number: number;
  etag: string | null;
  document: unknown;
}

function Editor(props: {
  customerId: string;
  canEdit: boolean;
  base: Base;
  onSaved: (pin: Pin) => void;
  onReload: () => void;
}) {
  const { customerId, canEdit, base } = props;
  const [text, setText] = useState(() => JSON.stringify(base.document, null, 2));
  const [message, setMessage] = useState("");
  const [issues, setIssues] = useState<Issue[]>([]);
  const [problem, setProblem] = useState<string | null>(null);
  const create = useCreateRevision();
  const textarea = useRef<HTMLTextAreaElement>(null);
  const assist = useRef<HTMLDivElement>(null);
  const [caret, setCaret] = useState(0);
  const schema = useConfigSchema();

  const parsed = useMemo((): { value: unknown; error: string | null } => {
    try {
      return { value: JSON.parse(text), error: null };
    } catch (error) {
      return { value: null, error: error instanceof Error ? error.message : String(error) };
    }
  }, [text]);
  const placed = useMemo(() => placeIssues(text, issues), [text, issues]);
  const operations = useMemo(
    () => (parsed.error === null ? operationsBetween(base.document, parsed.value) : []),
    [base, parsed],
  );

  const save = () => {
    setProblem(null);
    create.mutate(
      { id: customerId, operations, message: message || "edited in the web console", ifMatch: base.etag },
      {
        onSuccess: (saved) => {
          toast("success", `saved revision ${saved.revision.number}`);
          setIssues([]);
          setMessage("");
          props.onSaved({ number: saved.revision.number, etag: saved.etag });
        },
        onError: (error) => {
          if (error instanceof ApiError && error.status === 412) {
            setProblem(
              `someone else changed this configuration (the latest is no longer revision ${base.number}): nothing was saved. Reload to edit the latest revision.`,
            );
          } else if (error instanceof ApiError && error.issues.length > 0) {
            setIssues(error.issues);
            setProblem(`not saved: ${error.issues.length} issue(s) in the document`);
          } else {
            setProblem(messageOf(error));
          }
        },
      },
    );
  };
  return (
    <section aria-labelledby="editor-title">
      <div className="row spread">
        <h2 id="editor-title">Configuration (editing revision {base.number})</h2>
        <button type="button" onClick={props.onReload}>
          Reload latest
        </button>
      </div>
      <div className="editor-with-help" ref={assist}>
        <JsonEditor
          label="configuration document"
          value={text}
          onChange={setText}
          issues={placed}
          readOnly={!canEdit}
          textareaRef={textarea}
          onCaret={setCaret}
          onComplete={() => assist.current?.querySelector<HTMLButtonElement>("button[data-completion]")?.focus()}
        />
        {schema.data ? (
          <SchemaAssist
            schema={schema.data}
            text={text}
            caret={caret}
            readOnly={!canEdit}
            textareaRef={textarea}
            onChange={(next, at) => {
              setText(next);
              setCaret(at);
            }}
          />
        ) : null}
      </div>
      {parsed.error ? (
        <p className="error" role="alert">
          Not valid JSON: {parsed.error}
        </p>
      ) : null}
      {placed.length > 0 ? (
        <ul className="issues" aria-label="validation issues">
          {placed.map((issue) => (
            <li key={`${issue.path}-${issue.code}`} className={`issue-${issue.severity}`} data-path={issue.path}>
              <button type="button" className="link" onClick={() => jumpToLine(textarea.current, issue.line)}>
                line {issue.line}
              </button>
              : <code>{issue.path}</code> — {issue.message} ({issue.code})
            </li>
          ))}
        </ul>
      ) : null}
      {problem ? (
        <p className="error" role="alert" data-testid="save-problem">
          {problem}
        </p>
      ) : null}
      {canEdit ? (
        <div className="row">
          <label className="grow">
            Message <input value={message} onChange={(e) => setMessage(e.target.value)} placeholder="what changed and why" />
          </label>
          <button
            type="button"
            className="primary"
            disabled={operations.length === 0 || parsed.error !== null || create.isPending}
            onClick={save}
          >
            Save as revision {base.number + 1} ({operations.length} change{operations.length === 1 ? "" : "s"})
          </button>
        </div>
      ) : (
        <p className="muted">Only an admin can change the configuration.</p>
      )}
    </section>
  );
}
