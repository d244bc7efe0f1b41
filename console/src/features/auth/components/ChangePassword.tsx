import { useState, type FormEvent } from 'react';
import { ErrorMessage, Page, TextField } from '../../../components/ui/ui';
import { useSession } from '../../../lib/session';
import { changePassword, currentSession } from '../api/session';

/** Choosing one's own password; on first sign-in it replaces the one-time password. */
export function ChangePassword({ onChanged }: { onChanged?(): void }) {
  const { session, setSession } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    if (next !== again) {
      setError(new Error('The new password and its repetition differ.'));
      return;
    }
    try {
      await changePassword(current, next);
      setDone(true);
      const s = await currentSession();
      setSession(s);
      onChanged?.();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Page title={session.mustChangePassword ? 'Choose your own password' : 'Change your password'}>
      {session.mustChangePassword ? <p>You signed in with a one-time password. Choose your own before you go on; it ends any other session.</p> : null}
      {done ? <p role="status">Your password has been changed.</p> : null}
      <form onSubmit={submit}>
        <ErrorMessage error={error} />
        <TextField label="Current password" type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />
        <TextField label="New password" hint="At least 12 characters." type="password" autoComplete="new-password" required minLength={12} value={next} onChange={(e) => setNext(e.target.value)} />
        <TextField label="New password again" type="password" autoComplete="new-password" required value={again} onChange={(e) => setAgain(e.target.value)} />
        <button type="submit">Save password</button>
      </form>
    </Page>
  );
}
