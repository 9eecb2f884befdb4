import { useState, type FormEvent } from "react";
import { ErrorNote } from "@/components/ui/error-note";
import { useLogin } from "@/features/auth/api/login";
import { ApiError } from "@/lib/api-client";
import { useSessionState } from "@/lib/session";

/** Whether a refused login asks for the second factor (the field then shows). */
function asksForCode(error: unknown): boolean {
  return error instanceof ApiError && (error.code === "otp_required" || error.code === "otp_invalid");
}

export function LoginPage() {
  const { reason } = useSessionState();
  const login = useLogin();
  const [name, setName] = useState("admin");
  const [password, setPassword] = useState("");
  const [otp, setOtp] = useState("");
  // Shown once the console asked for a code, and kept for the retries.
  const [needsCode, setNeedsCode] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const code = otp.trim();
    login.mutate(
      code && needsCode ? { name, password, otp: code } : { name, password },
      {
        onError: (error) => {
          if (asksForCode(error)) setNeedsCode(true);
          setOtp("");
        },
      },
    );
  };
  // The first "code needed" is the prompt itself, not an error to show.
  const askedFirstTime = login.error instanceof ApiError && login.error.code === "otp_required";
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
        {needsCode ? (
          <>
            {askedFirstTime ? (
              <p className="notice" role="status">
                {name} has a second factor: enter the 6-digit code from your authenticator app, or a recovery code.
              </p>
            ) : null}
            <label>
              Code
              <input
                name="otp"
                autoComplete="one-time-code"
                autoFocus
                maxLength={64}
                value={otp}
                onChange={(e) => setOtp(e.target.value)}
                required
              />
            </label>
          </>
        ) : null}
        <ErrorNote error={askedFirstTime ? null : login.error} />
        <button type="submit" className="primary" disabled={login.isPending}>
          Log in
        </button>
      </form>
    </main>
  );
}
