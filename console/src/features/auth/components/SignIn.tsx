import { useState, type FormEvent } from 'react';
import { ErrorMessage, Page, TextField } from '../../../components/ui/ui';
import type { Session } from '../../../lib/session';
import { signIn } from '../api/session';

export function SignIn({ onSignedIn }: { onSignedIn(s: Session): void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await signIn(username, password));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" className="narrow">
      <Page title="Sign in">
        <form onSubmit={submit}>
          <ErrorMessage error={error} />
          <TextField label="Username" name="username" autoComplete="username" required value={username} onChange={(e) => setUsername(e.target.value)} />
          <TextField label="Password" name="password" type="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
          <button type="submit" disabled={busy}>
            Sign in
          </button>
        </form>
      </Page>
    </main>
  );
}
