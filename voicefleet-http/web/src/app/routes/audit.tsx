import { ErrorNote } from "@/components/ui/error-note";
import { useAudit } from "@/features/audit/api/get-audit";
import { useVerifyAudit } from "@/features/audit/api/verify-audit";
import { formatTime } from "@/lib/format";

export function AuditPage() {
  const audit = useAudit();
  const verify = useVerifyAudit();
  const entries = (audit.data?.items ?? []).slice().reverse();
  return (
    <section aria-labelledby="audit-title">
      <div className="row spread">
        <h1 id="audit-title">Audit log</h1>
        <button type="button" onClick={() => verify.mutate()}>
          Verify the hash chain
        </button>
      </div>
      {verify.data ? (
        <p role="status" className={verify.data.ok ? "ok" : "error"} data-testid="verify">
          {verify.data.ok
            ? `the chain holds: ${verify.data.entries} entries verified`
            : `broken at entry ${verify.data.first_broken_seq ?? "?"}: ${verify.data.reason ?? ""}`}
        </p>
      ) : null}
      <ErrorNote error={audit.error ?? verify.error} />
      <table aria-label="audit entries">
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">When</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Outcome</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => (
            <tr key={entry.seq}>
              <td>{entry.seq}</td>
              <td className="small">{formatTime(entry.at_ms)}</td>
              <td>{entry.actor}</td>
              <td>{entry.action}</td>
              <td>{entry.target}</td>
              <td>{entry.outcome}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
