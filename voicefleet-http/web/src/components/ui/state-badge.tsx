const TONE: Record<string, string> = {
  running: "ok",
  starting: "pending",
  stopping: "pending",
  stopped: "idle",
  exited: "bad",
  backoff: "bad",
  crash_loop: "bad",
  unreachable: "bad",
  incompatible: "bad",
};

export function StateBadge({ state }: { state: string }) {
  return (
    <span className={`badge badge-${TONE[state] ?? "idle"}`} data-state={state}>
      {state.replace("_", " ")}
    </span>
  );
}
