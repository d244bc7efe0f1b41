/**
 * A person's page: records by category (what is held, for which purpose, on what basis, until
 * when), relationships, consent, holds, requests, life events and who looked at them. Records are
 * rendered as label/value lists from whatever the API presents, so new record shapes show as-is.
 */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link, navigate } from '../../../app/router';
import { Generic } from '../../../components/ui/Generic';
import { ErrorMessage, Facts, fmtDate, Page, SelectField, Status, TextArea, TextField } from '../../../components/ui/ui';
import { getDeclaration, nameOf, type Declaration } from '../../../lib/declaration';
import { useCan } from '../../../lib/session';
import {
  auditOf,
  changedFields,
  consentOf,
  correctRecord,
  erasePerson,
  fieldDraftOf,
  getPerson,
  listEvents,
  listHolds,
  listRequests,
  recordEvent,
  retentionOf,
  setRestriction,
  type EventType,
  type Subject,
  type SubjectRecord,
} from '../api/people';

const EVENT_TYPES = ['account-closed', 'contract-ended', 'relationship-ended', 'service-ended', 'last-contact', 'account-opened', 'contract-started'] as const satisfies readonly EventType[];

/** Runs a read that the role may not be allowed; a refusal shows as the API's message in place. */
function useOptional<T>(enabled: boolean, load: () => Promise<T>, deps: unknown[]): { data: T | null; error: unknown; reload(): void } {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  useEffect(() => {
    if (!enabled) return;
    load().then(
      (d) => {
        setData(d);
        setError(null);
      },
      (e: unknown) => setError(e),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [enabled, n, ...deps]);
  return { data, error, reload: () => setN((x) => x + 1) };
}

export default function Person({ id }: { id: string }) {
  const [person, setPerson] = useState<Subject | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [decl, setDecl] = useState<Declaration | null>(null);
  const [version, setVersion] = useState(0);
  const reload = useCallback(() => setVersion((v) => v + 1), []);
  useEffect(() => {
    getPerson(id).then(setPerson, setError);
  }, [id, version]);
  useEffect(() => {
    getDeclaration().then(setDecl, () => undefined);
  }, []);
  const mayAudit = useCan('audit:read');
  const mayRetention = useCan('retention:read');
  const mayRequests = useCan('requests:read');
  const mayWrite = useCan('subjects:write');
  const mayDelete = useCan('subjects:delete');
  const retention = useOptional(mayRetention, () => retentionOf(id), [id, version]);
  const consent = useOptional(true, () => consentOf(id), [id, version]);
  const events = useOptional(mayRetention, () => listEvents(id), [id, version]);
  const holds = useOptional(mayRetention, () => listHolds(), [id, version]);
  const requests = useOptional(mayRequests, () => listRequests(), [id, version]);
  const audit = useOptional(mayAudit, () => auditOf(id), [id, version]);

  const title = `Person ${id.slice(0, 8)}`;
  if (!person) {
    return (
      <Page title={title}>
        <ErrorMessage error={error} />
        {!error ? <Status>Loading…</Status> : null}
      </Page>
    );
  }
  const byCategory = new Map<string, SubjectRecord[]>();
  for (const r of person.records) byCategory.set(r.category, [...(byCategory.get(r.category) ?? []), r]);
  const myHolds = (holds.data?.holds ?? []).filter((h) => (h as { subjectId?: string | null }).subjectId === id);
  const myRequests = (requests.data?.requests ?? []).filter((r) => (r as { subjectId?: string | null }).subjectId === id);

  return (
    <Page title={title}>
      <ErrorMessage error={error} />
      <Facts
        items={[
          ['Id', person.id],
          ['Recorded', fmtDate(person.createdAt)],
          ['Processing', person.erasedAt ? `erased on ${fmtDate(person.erasedAt)}` : person.restricted ? 'restricted (Art 18)' : 'not restricted'],
        ]}
      />
      <h2>Relationships</h2>
      <ul>
        {person.relationships.map((r, i) => (
          <li key={i}>
            {nameOf(decl?.relationships, r.relationship)} ({r.role}) since {fmtDate(r.startedAt)}
            {r.endedAt ? `, ended ${fmtDate(r.endedAt)}` : ''}
          </li>
        ))}
      </ul>

      <h2>What we hold</h2>
      {person.records.length === 0 ? <p>No records you may see.</p> : null}
      {[...byCategory].map(([category, records]) => (
        <section key={category} aria-labelledby={`cat-${category}`} className="card">
          <h3 id={`cat-${category}`}>{nameOf(decl?.categories, category)}</h3>
          {records.map((r) => (
            <RecordView key={r.id} record={r} decl={decl} mayWrite={mayWrite && !person.erasedAt} onChanged={reload} />
          ))}
        </section>
      ))}
      {person.withheld.length > 0 ? <p>Withheld from your role: {person.withheld.map((w) => `${nameOf(decl?.categories, w.category)} (${w.count})`).join(', ')}.</p> : null}

      {mayRetention ? (
        <>
          <h2>Until when</h2>
          <ErrorMessage error={retention.error} />
          {retention.data ? <Generic value={retention.data} /> : null}
        </>
      ) : null}

      <h2>Consent</h2>
      <p>
        <Link to={`/people/${id}/consent`}>Record consent, a withdrawal or an objection to marketing</Link>
      </p>
      <ErrorMessage error={consent.error} />
      {consent.data ? <Generic value={consent.data} /> : null}

      {mayRetention ? (
        <>
          <h2>Legal holds</h2>
          <ErrorMessage error={holds.error} />
          {myHolds.length === 0 ? <p>No hold on this person.</p> : <Generic value={myHolds} />}
          <h2>Life events</h2>
          <ErrorMessage error={events.error} />
          {events.data ? <Generic value={events.data} /> : null}
          {mayWrite && !person.erasedAt ? <LifeEventForm id={id} onDone={reload} /> : null}
        </>
      ) : null}

      {mayRequests ? (
        <>
          <h2>Rights requests</h2>
          <ErrorMessage error={requests.error} />
          {myRequests.length === 0 ? (
            <p>No rights request matched to this person.</p>
          ) : (
            <ul>
              {myRequests.map((r) => (
                <li key={r.id}>
                  <Link to={`/requests/${r.id}`}>{r.reference}</Link> {r.type}, {r.status}
                </li>
              ))}
            </ul>
          )}
        </>
      ) : null}

      {mayDelete && !person.erasedAt ? <RestrictAndErase person={person} onDone={reload} /> : null}

      {mayAudit ? (
        <>
          <h2>Audit trail</h2>
          <ErrorMessage error={audit.error} />
          {audit.data ? (
            <table>
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                </tr>
              </thead>
              <tbody>
                {audit.data.entries.map((e) => (
                  <tr key={e.seq}>
                    <td>{e.at.slice(0, 19).replace('T', ' ')}</td>
                    <td>
                      {e.actor}
                      {e.actorRole ? ` (${e.actorRole})` : ''}
                    </td>
                    <td>{e.action}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </>
      ) : null}
    </Page>
  );
}

function RecordView({ record, decl, mayWrite, onChanged }: { record: SubjectRecord; decl: Declaration | null; mayWrite: boolean; onChanged(): void }) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState(record.value ?? record.text ?? '');
  // A record with labelled fields is corrected field by field: only the fields changed are sent.
  const [fieldDraft, setFieldDraft] = useState<Record<string, string>>(fieldDraftOf(record));
  const [error, setError] = useState<unknown>(null);
  const categoryName = nameOf(decl?.categories, record.category);
  const save = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      if (record.fields) {
        await correctRecord(record.id, { fields: changedFields(record, fieldDraft) });
      } else await correctRecord(record.id, record.value !== undefined ? { value: draft } : { text: draft });
      setEditing(false);
      onChanged();
    } catch (err) {
      setError(err);
    }
  };
  const shown = record.value ?? record.text ?? (record.file ? `file ${record.file.name}` : '');
  return (
    <div className="record">
      <Facts
        items={[
          ...(record.fields ? record.fields.map((f) => [f.label, f.value] as [string, string]) : ([[record.kind === 'communication' ? 'Text' : 'Value', shown]] as [string, string][])),
          ['Held for', record.purposes.map((p) => `${nameOf(decl?.purposes, p.purpose)}${p.basis ? ` (basis: ${p.basis})` : ''}`).join('; ')],
          ['Source', nameOf(decl?.sources, record.source)],
          ['Collected', fmtDate(record.collectedAt)],
          ['Last changed', fmtDate(record.updatedAt)],
          ...(record.channel ? ([['Channel', record.channel]] as [string, string][]) : []),
        ]}
      />
      {mayWrite && record.kind !== 'file' ? (
        editing ? (
          <form onSubmit={save}>
            <ErrorMessage error={error} />
            {record.fields ? (
              record.fields.map((f) => <TextField key={f.id} label={f.label} value={fieldDraft[f.id] ?? ''} onChange={(e) => setFieldDraft({ ...fieldDraft, [f.id]: e.target.value })} />)
            ) : (
              <TextArea label={`Corrected ${categoryName.toLowerCase()}`} value={draft} onChange={(e) => setDraft(e.target.value)} />
            )}
            <div className="actions">
              <button type="submit">Save correction</button>
              <button type="button" className="secondary" onClick={() => setEditing(false)}>
                Cancel
              </button>
            </div>
          </form>
        ) : (
          <button type="button" className="secondary" onClick={() => setEditing(true)} aria-label={`Correct ${categoryName}`}>
            Correct
          </button>
        )
      ) : null}
    </div>
  );
}

function LifeEventForm({ id, onDone }: { id: string; onDone(): void }) {
  const [type, setType] = useState<EventType>('account-closed');
  const [date, setDate] = useState(new Date().toISOString().slice(0, 10));
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await recordEvent(id, type, date);
      setDone(true);
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form onSubmit={submit} aria-label="Record a life event">
      <h3>Record a life event</h3>
      <ErrorMessage error={error} />
      {done ? <p role="status">Life event recorded.</p> : null}
      <SelectField label="Event" value={type} onChange={(e) => setType(e.target.value as EventType)} options={EVENT_TYPES.map((t) => ({ value: t, label: t.replace(/-/g, ' ') }))} />
      <TextField label="Date" type="date" required value={date} onChange={(e) => setDate(e.target.value)} />
      <button type="submit">Record event</button>
    </form>
  );
}

function RestrictAndErase({ person, onDone }: { person: Subject; onDone(): void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [confirming, setConfirming] = useState(false);
  const restrict = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await setRestriction(person.id, !person.restricted, reason);
      setReason('');
      onDone();
    } catch (err) {
      setError(err);
    }
  };
  const erase = async () => {
    setError(null);
    try {
      await erasePerson(person.id, reason || 'erased at the console');
      navigate('/people');
    } catch (err) {
      setError(err);
      setConfirming(false);
    }
  };
  return (
    <section aria-labelledby="restrict-h">
      <h2 id="restrict-h">Restrict or erase</h2>
      <ErrorMessage error={error} />
      <form onSubmit={restrict}>
        <TextField label="Reason" hint="A case reference or short reason, kept in the audit trail." required value={reason} onChange={(e) => setReason(e.target.value)} />
        <div className="actions">
          <button type="submit">{person.restricted ? 'Lift restriction' : 'Restrict processing'}</button>
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            Erase…
          </button>
        </div>
      </form>
      {confirming ? (
        <div role="alertdialog" aria-labelledby="erase-h" aria-describedby="erase-d" className="card">
          <h3 id="erase-h">Erase this person?</h3>
          <p id="erase-d">
            Every record of theirs is deleted and their data key destroyed, so copies in backups can no longer be read. This cannot be undone. The audit trail keeps that it happened, without their data.
          </p>
          <div className="actions">
            <button type="button" className="danger" onClick={erase} autoFocus>
              Erase permanently
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Keep
            </button>
          </div>
        </div>
      ) : null}
    </section>
  );
}
