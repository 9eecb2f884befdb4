import { useState, type FormEvent } from "react";
import { ErrorNote } from "@/components/ui/error-note";
import { useLogin } from "@/features/auth/api/login";
import { useSessionState } from "@/lib/session";

export function LoginPage() {
  const { reason } = useSessionState();
  const login = useLogin();
  const [name, setName] = useState("admin");
  const [password, setPassword] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ name, password });
  };
  return (
    <main className="login">
      <form onSubmit={submit} aria-labelledby="login-title">
        <h1 id="login-title">voicefleet console</h1>
        {reason ? (
          <p className="notice" role="status">
            {reason}
          </p>
        ) : null}
        <label>
          User <input name="name" autoComplete="username" value={name} onChange={(e) => setName(e.target.value)} required />
        </label>
        <label>
          Password
          <input name="password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </label>
        <ErrorNote error={login.error} />
        <button type="submit" className="primary" disabled={login.isPending}>
          Log in
        </button>
      </form>
    </main>
  );
}
