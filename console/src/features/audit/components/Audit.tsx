/**
 * Journey 5: the audit trail, filtered by person, user, action and days, a page at a time; and the
 * chain verified, with what the witness kept outside the database says.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { Link } from '../../../app/router';
import { ErrorMessage, Page, Status, TextArea, TextField } from '../../../components/ui/ui';
import { listAudit, verifyAudit, type AuditEntry, type AuditQuery, type Verification } from '../api/audit';

const PAGE = 50;

interface Filters {
  subject: string;
  user: string;
  action: string;
  from: string;
  to: string;
}
const EMPTY: Filters = { subject: '', user: '', action: '', from: '', to: '' };

const queryOf = (f: Filters, before?: number): AuditQuery => ({
  limit: PAGE,
  ...(f.subject.trim() ? { subject: f.subject.trim() } : {}),
  ...(f.user.trim() ? { user: f.user.trim() } : {}),
  ...(f.action.trim() ? { action: f.action.trim() } : {}),
  ...(f.from ? { from: f.from } : {}),
  ...(f.to ? { to: f.to } : {}),
  ...(before ? { before } : {}),
});

export default function Audit() {
  return (
    <Page title="Audit trail">
      <Verify />
      <Log />
    </Page>
  );
}

function Verify() {
  const [result, setResult] = useState<Verification | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [checkpoints, setCheckpoints] = useState('');
  const run = async () => {
    setError(null);
    setResult(null);
    setBusy(true);
    try {
      const given = checkpoints
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      setResult(await verifyAudit(given));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="verify-h">
      <h2 id="verify-h">Verify the chain</h2>
      <p>Every entry is chained to the one before by a keyed hash; verifying walks the whole chain and checks it against the witness kept outside the database.</p>
      <p className="hint">Each day a checkpoint is mailed to the privacy contact; paste one or more (the JSON line of each) to check that the log still holds everything up to them.</p>
      <TextArea label="Checkpoints from the mail (optional)" value={checkpoints} onChange={(e) => setCheckpoints(e.target.value)} />
      <button type="button" onClick={run} disabled={busy}>
        Verify the audit chain
      </button>
      <ErrorMessage error={error} />
      {busy ? <Status>Verifying…</Status> : null}
      {result ? (
        <div role="status" className="card">
          {result.ok ? (
            <p className="ok">The chain is intact: all {result.entries} entries verified.</p>
          ) : (
            <>
              <p className="overdue">
                The chain is broken: {result.problems?.length ?? 1} {(result.problems?.length ?? 1) === 1 ? 'problem' : 'problems'} found in {result.entries} entries.
              </p>
              <ul>
                {(result.problems ?? (result.problem ? [result.problem] : [])).map((p, i) => (
                  <li key={i}>
                    {p.message} <span className="code">({p.kind})</span>
                  </li>
                ))}
              </ul>
            </>
          )}
          {result.anchors.length > 0 ? (
            <ul>
              {result.anchors.map((a, i) => (
                <li key={i}>
                  Checked against {a.source}: it records {a.count} entries.
                </li>
              ))}
            </ul>
          ) : (
            <p>No witness outside the database was available to check against.</p>
          )}
        </div>
      ) : null}
    </section>
  );
}

function Log() {
  const [form, setForm] = useState<Filters>(EMPTY);
  const [applied, setApplied] = useState<Filters>(EMPTY);
  const [entries, setEntries] = useState<AuditEntry[] | null>(null);
  const [next, setNext] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);

  const load = async (f: Filters, before?: number) => {
    setError(null);
    try {
      const page = await listAudit(queryOf(f, before));
      setEntries((old) => (before && old ? [...old, ...page.entries] : page.entries));
      setNext(page.next);
      setApplied(f);
    } catch (e) {
      setError(e);
    }
  };
  useEffect(() => {
    void load(EMPTY);
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void load(form);
  };
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  return (
    <section aria-labelledby="log-h">
      <h2 id="log-h">The log</h2>
      <form onSubmit={submit} aria-labelledby="filter-h">
        <h3 id="filter-h">Filter</h3>
        <TextField label="Person (id)" hint="The person's id, from their page" value={form.subject} onChange={set('subject')} autoComplete="off" />
        <TextField label="User" hint="A username, or an actor such as system:retention" value={form.user} onChange={set('user')} autoComplete="off" />
        <TextField label="Action" hint="For example record.update or user.create" value={form.action} onChange={set('action')} autoComplete="off" />
        <TextField label="From (day)" type="date" value={form.from} onChange={set('from')} />
        <TextField label="To (day)" type="date" value={form.to} onChange={set('to')} />
        <div className="actions">
          <button type="submit">Show entries</button>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setForm(EMPTY);
              void load(EMPTY);
            }}
          >
            Clear filters
          </button>
        </div>
      </form>
      <ErrorMessage error={error} />
      {!entries && !error ? <Status>Loading…</Status> : null}
      {entries ? (
        <>
          <p role="status">{entries.length === 0 ? 'No entries match.' : `Showing ${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}${next ? ' (more are older)' : ''}.`}</p>
          {entries.length > 0 ? (
            <table aria-label="Audit entries">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">When (UTC)</th>
                  <th scope="col">Who</th>
                  <th scope="col">Action</th>
                  <th scope="col">Person</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={e.seq}>
                    <td>{e.seq}</td>
                    <td>{e.at.slice(0, 19).replace('T', ' ')}</td>
                    <td>
                      {e.actorName ?? e.actor}
                      {e.actorRole ? ` (${e.actorRole})` : ''}
                    </td>
                    <td>{e.action}</td>
                    <td className="code">{e.subjectId ? <Link to={`/people/${e.subjectId}`}>{e.subjectId}</Link> : '—'}</td>
                    <td className="code">{Object.keys(e.details).length > 0 ? JSON.stringify(e.details) : ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
          {next ? (
            <button type="button" className="secondary" onClick={() => void load(applied, next)}>
              Show older entries
            </button>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
