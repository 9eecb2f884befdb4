import { useQueryClient } from "@tanstack/react-query";
import { NavLink, Outlet } from "react-router";
import { Toaster } from "@/components/ui/toasts";
import { useAlerts } from "@/features/alerts/api/get-alerts";
import { useLiveEvents } from "@/features/events/use-live-events";
import { atLeast, endSession, useSessionState } from "@/lib/session";

function AlertBanner() {
  const firing = useAlerts(false).data?.items.filter((alert) => alert.firing) ?? [];
  if (firing.length === 0) return null;
  return (
    <div className="banner" role="alert" data-testid="alert-banner">
      {firing.length} alert{firing.length === 1 ? "" : "s"} firing:{" "}
      {firing.map((alert) => `${alert.customer_id} ${alert.rule}`).join(", ")}
    </div>
  );
}

export function Layout() {
  const { session } = useSessionState();
  const live = useLiveEvents(session !== null);
  const queryClient = useQueryClient();
  const isAdmin = atLeast(session?.role, "admin");
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <strong className="brand">voicefleet</strong>
        <nav aria-label="main">
          <NavLink to="/" end>
            Fleet
          </NavLink>
          <NavLink to="/bulk">Bulk</NavLink>
          <NavLink to="/alerts">Alerts</NavLink>
          {isAdmin ? <NavLink to="/audit">Audit</NavLink> : null}
          {isAdmin ? <NavLink to="/users">Users and tokens</NavLink> : null}
        </nav>
        <span className={`live live-${live}`} data-testid="live" data-live={live}>
          {live === "live" ? "● live" : live}
        </span>
        <span className="who">
          {session?.name} ({session?.role})
        </span>
        <button
          type="button"
          onClick={() => {
            endSession();
            queryClient.clear();
          }}
        >
          Log out
        </button>
      </header>
      <AlertBanner />
      <main id="main">
        <Outlet />
      </main>
      <Toaster />
    </>
  );
}
