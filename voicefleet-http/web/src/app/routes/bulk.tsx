import { useState, type FormEvent } from "react";
import { ErrorNote } from "@/components/ui/error-note";
import { useCancelBulk } from "@/features/bulk/api/cancel-bulk";
import { useBulkRun } from "@/features/bulk/api/get-bulk-run";
import { useBulkRuns } from "@/features/bulk/api/get-bulk-runs";
import { useStartBulk } from "@/features/bulk/api/start-bulk";
import type { Schemas } from "@/lib/api-client";
import { formatTime } from "@/lib/format";
import { atLeast, useSessionState } from "@/lib/session";

type Action = "restart" | "start" | "stop" | "drain" | "deploy";

function RunTargets({ run }: { run: Schemas["BulkRun"] }) {
  return (
    <table aria-label={`targets of ${run.id}`}>
      <thead>
        <tr>
          <th scope="col">Customer</th>
          <th scope="col">State</th>
          <th scope="col">Canary</th>
          <th scope="col">Reason</th>
        </tr>
      </thead>
      <tbody>
        {run.targets.map((target) => (
          <tr key={target.customer_id} data-target={target.customer_id} data-state={target.state}>
            <td>{target.customer_id}</td>
            <td>
              <span className={`badge badge-${target.state === "succeeded" ? "ok" : target.state === "failed" ? "bad" : "pending"}`}>
                {target.state}
              </span>
            </td>
            <td>{target.canary ? "yes" : ""}</td>
            <td>{target.reason ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function BulkPage() {
  const { session } = useSessionState();
  const canRun = atLeast(session?.role, "operator");
  const [action, setAction] = useState<Action>("restart");
  const [tags, setTags] = useState("tier=prod");
  const [ids, setIds] = useState("");
  const [concurrency, setConcurrency] = useState("2");
  const [maxErrors, setMaxErrors] = useState("0");
  const [canary, setCanary] = useState("0");
  const [gateSeconds, setGateSeconds] = useState("");
  const [autoRollback, setAutoRollback] = useState(false);
  const [planId, setPlanId] = useState<string | null>(null);
  const [runId, setRunId] = useState<string | null>(null);
  const start = useStartBulk();
  const cancel = useCancelBulk();
  const plan = useBulkRun(planId);
  const run = useBulkRun(runId);
  const runs = useBulkRuns();

  const spec = (dryRun: boolean): Schemas["BulkSpecInput"] => {
    const selectorTags = Object.fromEntries(
      tags.split(",").map((pair) => pair.trim()).filter(Boolean).map((pair) => {
        const [key, value] = pair.split("=", 2);
        return [key ?? "", value ?? ""];
      }),
    );
    const pickedIds = ids.split(",").map((id) => id.trim()).filter(Boolean);
    return {
      action: { kind: action },
      selector: pickedIds.length > 0
        ? { kind: "ids", ids: pickedIds }
        : Object.keys(selectorTags).length > 0
          ? { kind: "tags", tags: selectorTags }
          : { kind: "all" },
      max_concurrency: { count: Number(concurrency) || 1 },
      max_errors: { count: Number(maxErrors) || 0 },
      canary: Number(canary) || 0,
      health_gate: gateSeconds ? { min_healthy_seconds: Number(gateSeconds) } : null,
      auto_rollback: autoRollback,
      dry_run: dryRun,
    };
  };
  const submit = (dryRun: boolean) => (event?: FormEvent) => {
    event?.preventDefault();
    start.mutate(
      { spec: spec(dryRun), idempotencyKey: crypto.randomUUID() },
      { onSuccess: (made) => (dryRun ? (setPlanId(made.id), setRunId(null)) : (setRunId(made.id), setPlanId(null))) },
    );
  };
  const current = run.data;
  return (
    <section aria-labelledby="bulk-title">
      <h1 id="bulk-title">Bulk operations</h1>
      {canRun ? (
        <form className="wizard" onSubmit={submit(true)}>
          <fieldset>
            <legend>1. What and where</legend>
            <label>
              Action
              <select value={action} onChange={(e) => setAction(e.target.value as Action)}>
                <option value="restart">restart</option>
                <option value="start">start</option>
                <option value="stop">stop</option>
                <option value="drain">drain</option>
                {atLeast(session?.role, "admin") ? <option value="deploy">deploy latest revision</option> : null}
              </select>
            </label>
            <label>
              Tags (all must match; empty: every customer)
              <input value={tags} onChange={(e) => setTags(e.target.value)} />
            </label>
            <label>
              Or customers (ids, comma-separated)
              <input value={ids} onChange={(e) => setIds(e.target.value)} placeholder="acme-dental, hooli-support" />
            </label>
          </fieldset>
          <fieldset>
            <legend>2. How</legend>
            <label>
              Concurrency <input type="number" min="1" className="narrow" value={concurrency} onChange={(e) => setConcurrency(e.target.value)} />
            </label>
            <label>
              Error limit <input type="number" min="0" className="narrow" value={maxErrors} onChange={(e) => setMaxErrors(e.target.value)} />
            </label>
            <label>
              Canary targets <input type="number" min="0" className="narrow" value={canary} onChange={(e) => setCanary(e.target.value)} />
            </label>
            <label>
              Health gate (healthy for s)
              <input type="number" min="0" className="narrow" value={gateSeconds} onChange={(e) => setGateSeconds(e.target.value)} />
            </label>
            <label className="check">
              <input type="checkbox" checked={autoRollback} onChange={(e) => setAutoRollback(e.target.checked)} /> Auto-rollback
            </label>
          </fieldset>
          <div className="row">
            <button type="submit">Show the plan (dry run)</button>
            {plan.data ? (
              <button type="button" className="primary" onClick={() => submit(false)()}>
                Run it on {plan.data.targets.length} customers
              </button>
            ) : null}
          </div>
        </form>
      ) : (
        <p className="muted">Viewers can follow runs; an operator starts them.</p>
      )}
      <ErrorNote error={start.error ?? cancel.error} />
      {plan.data ? (
        <section aria-labelledby="plan-title" data-testid="plan">
          <h2 id="plan-title">Plan: {plan.data.targets.length} targets, {plan.data.max_concurrency} at a time</h2>
          <RunTargets run={plan.data} />
        </section>
      ) : null}
      {current ? (
        <section aria-labelledby="run-title" data-testid="run" data-outcome={current.outcome}>
          <div className="row spread">
            <h2 id="run-title">
              Run {current.id}: {current.outcome}
            </h2>
            {current.outcome === "running" && canRun ? (
              <button type="button" className="danger" onClick={() => cancel.mutate(current.id)}>
                Cancel
              </button>
            ) : null}
          </div>
          <progress
            max={current.targets.length || 1}
            value={current.targets.filter((t) => !["pending", "running"].includes(t.state)).length}
            aria-label="progress"
          />
          <RunTargets run={current} />
        </section>
      ) : null}
      <h2>History</h2>
      <table aria-label="bulk runs">
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Action</th>
            <th scope="col">By</th>
            <th scope="col">Started</th>
            <th scope="col">Outcome</th>
            <th scope="col">Targets</th>
          </tr>
        </thead>
        <tbody>
          {(runs.data?.items ?? []).map((item) => (
            <tr key={item.id}>
              <td>
                <button type="button" className="link" onClick={() => setRunId(item.id)}>
                  {item.id}
                </button>
              </td>
              <td>{item.spec.action.kind}</td>
              <td>{item.actor}</td>
              <td className="small">{formatTime(item.created_at_ms)}</td>
              <td>{item.outcome}</td>
              <td>{item.targets.length}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
