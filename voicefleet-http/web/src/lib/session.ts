// The signed-in user: client state (not server state), kept in sessionStorage so a reload keeps
// the tab signed in. `expire` is called on any 401 and when the token's lifetime ends: the app
// then shows the login page with the reason, never a blank page.
import { useSyncExternalStore } from "react";
import type { Schemas } from "./api-client";

export type Role = Schemas["Role"];

export interface Session {
  token: string;
  name: string;
  role: Role;
  expiresAtMs: number;
}

interface SessionState {
  session: Session | null;
  /** Why the last session ended, shown on the login page. */
  reason: string | null;
}

const STORAGE_KEY = "voicefleet.session";
const listeners = new Set<() => void>();
let state: SessionState = { session: load(), reason: null };
let expiryTimer: ReturnType<typeof setTimeout> | undefined;

function load(): Session | null {
  try {
    const raw = globalThis.sessionStorage?.getItem(STORAGE_KEY);
    if (!raw) return null;
    const session = JSON.parse(raw) as Session;
    return session.expiresAtMs > Date.now() ? session : null;
  } catch {
    return null;
  }
}

function publish(next: SessionState): void {
  state = next;
  clearTimeout(expiryTimer);
  if (next.session) {
    globalThis.sessionStorage?.setItem(STORAGE_KEY, JSON.stringify(next.session));
    const left = next.session.expiresAtMs - Date.now();
    expiryTimer = setTimeout(() => expireSession("your session expired: log in again"), Math.max(left, 0));
  } else {
    globalThis.sessionStorage?.removeItem(STORAGE_KEY);
  }
  for (const listener of listeners) listener();
}

export function startSession(session: Session): void {
  publish({ session, reason: null });
}

export function endSession(): void {
  publish({ session: null, reason: null });
}

export function expireSession(reason: string): void {
  if (state.session) publish({ session: null, reason });
}

export function currentSession(): Session | null {
  return state.session;
}

if (state.session) publish(state);

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useSessionState(): SessionState {
  return useSyncExternalStore(subscribe, () => state);
}

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Whether `role` is at least `least` (viewer < operator < admin). */
export function atLeast(role: Role | undefined, least: Role): boolean {
  return role !== undefined && RANK[role] >= RANK[least];
}
