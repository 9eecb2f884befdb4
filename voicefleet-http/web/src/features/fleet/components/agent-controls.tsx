import { useState } from "react";
import { Confirm } from "@/components/ui/confirm";
import { ErrorNote } from "@/components/ui/error-note";
import { toast } from "@/components/ui/toasts";
import { useControlAgent, type AgentAction } from "../api/control-agent";

export function AgentControls({ customerId, name }: { customerId: string; name: string }) {
  const control = useControlAgent();
  const [drainTimeout, setDrainTimeout] = useState("30");
  const [pending, setPending] = useState<AgentAction | null>(null);
  const run = (action: AgentAction) => {
    const seconds = Number(drainTimeout);
    control.mutate(
      { id: customerId, action, drainTimeoutSeconds: action === "start" || !Number.isFinite(seconds) ? undefined : seconds },
      { onSuccess: () => toast("success", `${action}: ${name}`) },
    );
  };
  return (
    <div className="controls">
      <div className="row">
        <button type="button" onClick={() => run("start")}>
          Start
        </button>
        <button type="button" onClick={() => setPending("stop")}>
          Stop
        </button>
        <button type="button" onClick={() => setPending("restart")}>
          Restart
        </button>
        <button type="button" onClick={() => setPending("drain")}>
          Drain
        </button>
        <label>
          Drain timeout (s)
          <input
            type="number"
            min="0"
            className="narrow"
            value={drainTimeout}
            onChange={(event) => setDrainTimeout(event.target.value)}
          />
        </label>
      </div>
      <ErrorNote error={control.error} />
      {pending ? (
        <Confirm
          title={`${pending} ${name}?`}
          confirmLabel={pending[0]?.toUpperCase() + pending.slice(1)}
          danger
          onCancel={() => setPending(null)}
          onConfirm={() => {
            setPending(null);
            run(pending);
          }}
        >
          <p>Active calls get {drainTimeout} s to finish.</p>
        </Confirm>
      ) : null}
    </div>
  );
}
