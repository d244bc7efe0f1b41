/**
 * Journey 6 (owner): users with a role and job roles; disable and enable; a new one-time password;
 * API tokens with the secret shown once, when each was last used, and revoking them.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { ErrorMessage, Page, SelectField, Status, TextField, fmtDate } from '../../../components/ui/ui';
import { useSession } from '../../../lib/session';
import { createToken, createUser, disableUser, enableUser, listTokens, listUsers, resetPassword, revokeToken, type Role, type Token, type User } from '../api/users';

const ROLES: { value: Role; label: string }[] = [
  { value: 'staff', label: 'staff: record and look up people' },
  { value: 'dpo', label: 'privacy officer (dpo)' },
  { value: 'auditor', label: 'auditor: read-only' },
  { value: 'owner', label: 'owner: everything, including users' },
];

const when = (iso: string | null): string => (iso ? iso.slice(0, 16).replace('T', ' ') + ' UTC' : 'never');

/** A secret shown once: the person copies it now, it cannot be shown again. */
function Secret({ label, value, onDone }: { label: string; value: string; onDone(): void }) {
  return (
    <div role="status" className="card">
      <p>
        {label} <strong>It is shown only now</strong>: copy it and pass it on safely.
      </p>
      <TextField label={label} readOnly value={value} className="code" onFocus={(e) => e.target.select()} />
      <button type="button" className="secondary" onClick={onDone}>
        I have copied it
      </button>
    </div>
  );
}

export default function Users() {
  const { session } = useSession();
  const [users, setUsers] = useState<User[] | null>(null);
  const [tokens, setTokens] = useState<Token[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [secret, setSecret] = useState<{ label: string; value: string } | null>(null);
  const [message, setMessage] = useState('');

  const reload = useCallback(async () => {
    try {
      const [u, t] = await Promise.all([listUsers(), listTokens()]);
      setUsers(u.users);
      setTokens(t.tokens);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);

  const act = async (what: () => Promise<unknown>, done: string) => {
    setError(null);
    setMessage('');
    try {
      await what();
      await reload();
      setMessage(done);
    } catch (e) {
      setError(e);
    }
  };
  const nameOf = (id: string) => users?.find((u) => u.id === id)?.username ?? id.slice(0, 8);

  return (
    <Page title="Users and tokens">
      <ErrorMessage error={error} />
      {message ? <Status>{message}</Status> : null}
      {secret ? <Secret label={secret.label} value={secret.value} onDone={() => setSecret(null)} /> : null}
      <section aria-labelledby="users-h">
        <h2 id="users-h">Users</h2>
        {!users && !error ? <Status>Loading…</Status> : null}
        {users ? (
          <table aria-label="Users">
            <thead>
              <tr>
                <th scope="col">Username</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Job roles</th>
                <th scope="col">State</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {users.map((u) => (
                <tr key={u.id}>
                  <td>{u.username}</td>
                  <td>{u.displayName ?? '—'}</td>
                  <td>{u.role}</td>
                  <td>{u.jobRoles.length ? u.jobRoles.join(', ') : '—'}</td>
                  <td>{u.disabled ? 'disabled' : u.mustChangePassword ? 'must choose a password' : 'active'}</td>
                  <td>
                    {u.id === session.user.id ? (
                      'you'
                    ) : (
                      <div className="actions">
                        {u.disabled ? (
                          <button type="button" className="secondary" aria-label={`Enable ${u.username}`} onClick={() => act(() => enableUser(u.id), `${u.username} is enabled.`)}>
                            Enable
                          </button>
                        ) : (
                          <button type="button" className="danger" aria-label={`Disable ${u.username}`} onClick={() => act(() => disableUser(u.id), `${u.username} is disabled: they cannot sign in and their sessions and tokens have stopped.`)}>
                            Disable
                          </button>
                        )}
                        <button
                          type="button"
                          className="secondary"
                          aria-label={`Reset password of ${u.username}`}
                          onClick={() =>
                            act(async () => {
                              const r = await resetPassword(u.id);
                              setSecret({ label: `One-time password for ${u.username}.`, value: r.password });
                            }, `${u.username} has a new one-time password and must choose their own at next sign-in.`)
                          }
                        >
                          Reset password
                        </button>
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <NewUserForm
          onCreated={async (username, password) => {
            setError(null);
            setSecret({ label: `One-time password for ${username}.`, value: password });
            setMessage(`${username} was created; they choose their own password at first sign-in.`);
            await reload();
          }}
        />
      </section>

      <section aria-labelledby="tokens-h">
        <h2 id="tokens-h">API tokens</h2>
        <p>Tokens let scripts and other systems use the API. Each belongs to a user and acts with a role; sessions of the console are listed too.</p>
        {tokens ? (
          <table aria-label="API tokens">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Kind</th>
                <th scope="col">User</th>
                <th scope="col">Role</th>
                <th scope="col">Created</th>
                <th scope="col">Last used</th>
                <th scope="col">Expires</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr key={t.id}>
                  <td>{t.name}</td>
                  <td>{t.kind === 'api' ? 'API token' : t.kind}</td>
                  <td>{nameOf(t.userId)}</td>
                  <td>{t.role}</td>
                  <td>{fmtDate(t.createdAt)}</td>
                  <td>{when(t.lastUsedAt)}</td>
                  <td>{fmtDate(t.expiresAt)}</td>
                  <td>
                    {t.kind === 'api' ? (
                      <button type="button" className="danger" aria-label={`Revoke ${t.name}`} onClick={() => act(() => revokeToken(t.id), `The token ${t.name} is revoked.`)}>
                        Revoke
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <NewTokenForm
          onCreated={async (name, token) => {
            setError(null);
            setSecret({ label: `The secret of the token ${name}.`, value: token });
            setMessage(`The token ${name} was created.`);
            await reload();
          }}
        />
      </section>
    </Page>
  );
}

function NewUserForm({ onCreated }: { onCreated(username: string, password: string): Promise<void> }) {
  const [username, setUsername] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [role, setRole] = useState<Role>('staff');
  const [jobRoles, setJobRoles] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const jobs = jobRoles
      .split(',')
      .map((j) => j.trim())
      .filter(Boolean);
    try {
      const r = await createUser({ username: username.trim(), role, jobRoles: jobs, mustChangePassword: true, ...(displayName.trim() ? { displayName: displayName.trim() } : {}) });
      setUsername('');
      setDisplayName('');
      setJobRoles('');
      await onCreated(r.user.username, r.password);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={submit} aria-labelledby="new-user-h">
      <h3 id="new-user-h">Add a user</h3>
      <ErrorMessage error={error} />
      <TextField label="New username" required value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" />
      <TextField label="Display name" value={displayName} onChange={(e) => setDisplayName(e.target.value)} autoComplete="off" />
      <SelectField label="Role" value={role} onChange={(e) => setRole(e.target.value as Role)} options={ROLES} />
      <TextField label="Job roles" hint="Comma-separated ids such as it-manager; the declaration may keep some data for named job roles only" value={jobRoles} onChange={(e) => setJobRoles(e.target.value)} autoComplete="off" />
      <button type="submit">Create user</button>
    </form>
  );
}

function NewTokenForm({ onCreated }: { onCreated(name: string, token: string): Promise<void> }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('staff');
  const [days, setDays] = useState('90');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const r = await createToken({ name: name.trim(), role, expiresInDays: Number(days) });
      setName('');
      await onCreated(r.details.name, r.token);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={submit} aria-labelledby="new-token-h">
      <h3 id="new-token-h">Create an API token</h3>
      <ErrorMessage error={error} />
      <TextField label="Token name" hint="What uses it, for example the CRM sync" required value={name} onChange={(e) => setName(e.target.value)} autoComplete="off" />
      <SelectField label="Token role" value={role} onChange={(e) => setRole(e.target.value as Role)} options={ROLES} />
      <TextField label="Expires after (days)" type="number" min={1} required value={days} onChange={(e) => setDays(e.target.value)} />
      <button type="submit">Create token</button>
    </form>
  );
}
