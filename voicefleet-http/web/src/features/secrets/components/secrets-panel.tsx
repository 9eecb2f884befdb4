import { useState, type FormEvent } from "react";
import { ErrorNote } from "@/components/ui/error-note";
import { formatTime } from "@/lib/format";
import { useDeleteSecret } from "../api/delete-secret";
import { useSecrets } from "../api/get-secrets";
import { useSetSecret } from "../api/set-secret";

export function SecretsPanel({ customerId, canEdit }: { customerId: string; canEdit: boolean }) {
  const secrets = useSecrets(customerId, true);
  const set = useSetSecret();
  const remove = useDeleteSecret();
  const [name, setName] = useState("");
  const [value, setValue] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    set.mutate({ id: customerId, name, value }, { onSuccess: () => { setName(""); setValue(""); } });
  };
  return (
    <section aria-labelledby="secrets-title">
      <h2 id="secrets-title">Secrets</h2>
      <p className="muted">Names only: values are write-only.</p>
      <ErrorNote error={secrets.error ?? set.error ?? remove.error} />
      <ul className="plain">
        {(secrets.data?.items ?? []).map((secret) => (
          <li key={secret.name} className="row">
            <code>{secret.name}</code>
            <span className="muted small">updated {formatTime(secret.updated_at_ms)}</span>
            {canEdit ? (
              <button type="button" onClick={() => remove.mutate({ id: customerId, name: secret.name })} aria-label={`remove secret ${secret.name}`}>
                Remove
              </button>
            ) : null}
          </li>
        ))}
      </ul>
      {canEdit ? (
        <form className="row" onSubmit={submit}>
          <label>
            Name <input value={name} onChange={(e) => setName(e.target.value)} required />
          </label>
          <label>
            Value <input type="password" value={value} onChange={(e) => setValue(e.target.value)} required autoComplete="off" />
          </label>
          <button type="submit">Set secret</button>
        </form>
      ) : null}
    </section>
  );
}
