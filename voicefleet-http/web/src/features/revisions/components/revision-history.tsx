import { useState } from "react";
import { Confirm } from "@/components/ui/confirm";
import { ErrorNote } from "@/components/ui/error-note";
import { toast } from "@/components/ui/toasts";
import { formatTime } from "@/lib/format";
import { useDeploy } from "../api/deploy";
import { useDiff } from "../api/get-diff";
import { useRevisions } from "../api/get-revisions";
import { useRollback } from "../api/rollback";

const show = (value: unknown) => (value === undefined ? "" : JSON.stringify(value, null, 1));

export function RevisionHistory({ customerId, canEdit }: { customerId: string; canEdit: boolean }) {
  const revisions = useRevisions(customerId);
  const [selected, setSelected] = useState<number | null>(null);
  const [confirm, setConfirm] = useState<{ kind: "rollback" | "deploy"; number: number } | null>(null);
  const deploy = useDeploy();
  const rollback = useRollback();
  const items = revisions.data?.items ?? [];
  const chosen = selected ?? items[0]?.number ?? null;
  const diff = useDiff(customerId, chosen !== null && chosen > 1 ? chosen - 1 : null, chosen);
  return (
    <section aria-labelledby="revisions-title">
      <h2 id="revisions-title">Revisions</h2>
      <ErrorNote error={revisions.error ?? deploy.error ?? rollback.error} />
      <div className="split">
        <table aria-label="revisions">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">Message</th>
              <th scope="col">Author</th>
              <th scope="col">When</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((revision) => (
              <tr key={revision.number} data-revision={revision.number} className={revision.number === chosen ? "selected" : undefined}>
                <td>
                  <button type="button" className="link" onClick={() => setSelected(revision.number)} aria-label={`show revision ${revision.number}`}>
                    {revision.number}
                  </button>
                  {revision.deployed ? <span className="badge badge-ok">deployed</span> : null}
                </td>
                <td>{revision.message}</td>
                <td>{revision.author}</td>
                <td className="small">{formatTime(revision.created_at_ms)}</td>
                <td>
                  {canEdit ? (
                    <div className="row">
                      <button type="button" onClick={() => setConfirm({ kind: "deploy", number: revision.number })}>
                        Deploy
                      </button>
                      <button type="button" onClick={() => setConfirm({ kind: "rollback", number: revision.number })}>
                        Roll back to
                      </button>
                    </div>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="diff" aria-live="polite">
          <h3>{chosen !== null && chosen > 1 ? `Revision ${chosen - 1} → ${chosen}` : "The first revision"}</h3>
          {diff.data && diff.data.length === 0 ? <p className="muted">No changes.</p> : null}
          {diff.data && diff.data.length > 0 ? (
            <table aria-label="diff" className="diff-table">
              <thead>
                <tr>
                  <th scope="col">Path</th>
                  <th scope="col">Before</th>
                  <th scope="col">After</th>
                </tr>
              </thead>
              <tbody>
                {diff.data.map((change) => (
                  <tr key={change.path}>
                    <td>
                      <code>{change.path}</code>
                    </td>
                    <td className="old">
                      <pre>{show(change.old)}</pre>
                    </td>
                    <td className="new">
                      <pre>{show(change.new)}</pre>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </div>
      </div>
      {confirm ? (
        <Confirm
          title={confirm.kind === "deploy" ? `Deploy revision ${confirm.number}?` : `Roll back to revision ${confirm.number}?`}
          confirmLabel={confirm.kind === "deploy" ? "Deploy" : "Roll back"}
          onCancel={() => setConfirm(null)}
          onConfirm={() => {
            const { kind, number } = confirm;
            setConfirm(null);
            if (kind === "deploy") {
              deploy.mutate({ id: customerId, revision: number }, { onSuccess: () => toast("success", `deployed revision ${number}`) });
            } else {
              rollback.mutate(
                { id: customerId, revision: number, message: `roll back to revision ${number}` },
                { onSuccess: (made) => toast("success", `revision ${made.number} equals revision ${number}; deploy it to apply`) },
              );
            }
          }}
        >
          <p>{confirm.kind === "deploy" ? "The host gets this revision and its secrets." : "A new revision equal to the old one is created (not deployed)."}</p>
        </Confirm>
      ) : null}
    </section>
  );
}
