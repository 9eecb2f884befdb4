import { useState, type FormEvent } from "react";
import { ErrorNote } from "@/components/ui/error-note";
import { useCreateToken } from "@/features/tokens/api/create-token";
import { useTokens } from "@/features/tokens/api/get-tokens";
import { useRevokeToken } from "@/features/tokens/api/revoke-token";
import { useCreateUser } from "@/features/users/api/create-user";
import { useDeleteUser } from "@/features/users/api/delete-user";
import { useUsers } from "@/features/users/api/get-users";
import type { Role } from "@/lib/session";
import type { Schemas } from "@/lib/api-client";
import { formatTime } from "@/lib/format";

const ROLES: Role[] = ["viewer", "operator", "admin"];

function RoleSelect({ value, onChange }: { value: Role; onChange: (role: Role) => void }) {
  return (
    <label>
      Role
      <select value={value} onChange={(e) => onChange(e.target.value as Role)}>
        {ROLES.map((role) => (
          <option key={role}>{role}</option>
        ))}
      </select>
    </label>
  );
}

/** A user's second factor, and whether their role requires one they lack. */
function mfaLabel(user: Schemas["UserView"]): string {
  const state = user.mfa ?? "off";
  if (state === "on" || !user.mfa_required) return state;
  return state === "off" ? "off (required: login refused)" : "pending (required)";
}

export function UsersPage() {
  const users = useUsers();
  const tokens = useTokens();
  const createUser = useCreateUser();
  const deleteUser = useDeleteUser();
  const createToken = useCreateToken();
  const revokeToken = useRevokeToken();
  const [user, setUser] = useState({ name: "", password: "", role: "viewer" as Role });
  const [token, setToken] = useState({ name: "", role: "viewer" as Role });
  const [secret, setSecret] = useState<string | null>(null);
  const addUser = (event: FormEvent) => {
    event.preventDefault();
    createUser.mutate(user, { onSuccess: () => setUser({ name: "", password: "", role: "viewer" }) });
  };
  const addToken = (event: FormEvent) => {
    event.preventDefault();
    createToken.mutate(
      { name: token.name, role: token.role },
      { onSuccess: (made) => { setSecret(made.token ?? null); setToken({ name: "", role: "viewer" }); } },
    );
  };
  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users and API tokens</h1>
      <h2>Users</h2>
      <ErrorNote error={users.error ?? createUser.error ?? deleteUser.error} />
      <table aria-label="users">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Created</th>
            <th scope="col">Second factor</th>
            <th scope="col">Locked</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(users.data?.items ?? []).map((item) => (
            <tr key={item.name}>
              <td>{item.name}</td>
              <td>{item.role}</td>
              <td className="small">{formatTime(item.created_at_ms)}</td>
              <td>{mfaLabel(item)}</td>
              <td>{item.locked ? "locked" : ""}</td>
              <td>
                <button type="button" onClick={() => deleteUser.mutate(item.name)} aria-label={`remove user ${item.name}`}>
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="row" onSubmit={addUser} aria-label="add a user">
        <label>
          Name <input value={user.name} onChange={(e) => setUser({ ...user, name: e.target.value })} required />
        </label>
        <label>
          Password
          <input type="password" autoComplete="new-password" value={user.password} onChange={(e) => setUser({ ...user, password: e.target.value })} required />
        </label>
        <RoleSelect value={user.role} onChange={(role) => setUser({ ...user, role })} />
        <button type="submit">Add user</button>
      </form>
      <h2>API tokens</h2>
      <ErrorNote error={tokens.error ?? createToken.error ?? revokeToken.error} />
      {secret ? (
        <div className="notice" role="status">
          <p>The new token, shown once: copy it now.</p>
          <code data-testid="new-token">{secret}</code>
          <button type="button" onClick={() => setSecret(null)}>
            Done
          </button>
        </div>
      ) : null}
      <table aria-label="API tokens">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">By</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">State</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {(tokens.data?.items ?? []).map((item) => (
            <tr key={item.id}>
              <td>{item.name}</td>
              <td>{item.role}</td>
              <td>{item.created_by}</td>
              <td className="small">{formatTime(item.created_at_ms)}</td>
              <td className="small">{formatTime(item.expires_at_ms)}</td>
              <td>{item.revoked ? "revoked" : "active"}</td>
              <td>
                {item.revoked ? null : (
                  <button type="button" onClick={() => revokeToken.mutate(item.id)} aria-label={`revoke token ${item.name}`}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <form className="row" onSubmit={addToken} aria-label="create an API token">
        <label>
          Name <input value={token.name} onChange={(e) => setToken({ ...token, name: e.target.value })} required />
        </label>
        <RoleSelect value={token.role} onChange={(role) => setToken({ ...token, role })} />
        <button type="submit">Create token</button>
      </form>
    </section>
  );
}
