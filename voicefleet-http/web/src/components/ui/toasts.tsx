// A small notification component: toasts in a polite live region, dismissed after a while.
import { useSyncExternalStore } from "react";

export interface Toast {
  id: number;
  tone: "info" | "success" | "error";
  text: string;
}

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const publish = (next: Toast[]) => {
  toasts = next;
  for (const listener of listeners) listener();
};

export function toast(tone: Toast["tone"], text: string): void {
  const id = nextId++;
  publish([...toasts.slice(-4), { id, tone, text }]);
  setTimeout(() => dismiss(id), tone === "error" ? 10_000 : 5_000);
}

function dismiss(id: number): void {
  publish(toasts.filter((toast) => toast.id !== id));
}

export function Toaster() {
  const current = useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => toasts,
  );
  return (
    <div className="toasts" role="status" aria-live="polite">
      {current.map((item) => (
        <div key={item.id} className={`toast toast-${item.tone}`}>
          <span>{item.text}</span>
          <button type="button" className="link" aria-label="dismiss" onClick={() => dismiss(item.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
