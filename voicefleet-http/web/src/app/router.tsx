import { lazy, Suspense } from "react";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { atLeast, useSessionState } from "@/lib/session";
import { Layout } from "./layout";
import { AlertsPage } from "./routes/alerts";
import { AuditPage } from "./routes/audit";
import { BulkPage } from "./routes/bulk";
import { FleetPage } from "./routes/fleet";
import { LoginPage } from "./routes/login";
import { UsersPage } from "./routes/users";

// The customer page carries the charts: loaded when first opened, so the first paint stays small.
const CustomerPage = lazy(() => import("./routes/customer"));

export function AppRouter() {
  const { session } = useSessionState();
  if (!session) return <LoginPage />;
  const isAdmin = atLeast(session.role, "admin");
  return (
    <BrowserRouter>
      <Suspense fallback={<p>Loading…</p>}>
        <Routes>
          <Route element={<Layout />}>
            <Route index element={<FleetPage />} />
            <Route path="customers/:id" element={<CustomerPage />} />
            <Route path="bulk" element={<BulkPage />} />
            <Route path="alerts" element={<AlertsPage />} />
            {isAdmin ? <Route path="audit" element={<AuditPage />} /> : null}
            {isAdmin ? <Route path="users" element={<UsersPage />} /> : null}
            <Route path="*" element={<Navigate to="/" replace />} />
          </Route>
        </Routes>
      </Suspense>
    </BrowserRouter>
  );
}
