/**
 * One person's consent and marketing: what they agreed to, per purpose and channel; record consent
 * given, renewed or withdrawn; and their objection to direct marketing (Art 21(3)), which is
 * absolute: it stops every channel and puts their addresses and numbers on the suppression list.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { Link } from '../../../app/router';
import { ErrorMessage, Page, SelectField, Status, TextArea } from '../../../components/ui/ui';
import { useReloadable } from '../../../lib/reloadable';
import { useCan } from '../../../lib/session';
import { consentOf, marketingPurposes, objectToMarketing, recordConsent, type ConsentBody, type ConsentOverview, type MarketingPurpose } from '../api/marketing';

const METHODS = [
  ['form', 'A form they filled in'],
  ['ticked-box', 'A box they ticked'],
  ['verbal-call', 'They said so on a call'],
  ['email', 'By email'],
  ['post', 'By letter'],
  ['in-person', 'In person'],
] as const;

export default function PersonConsent({ id }: { id: string }) {
  const { data: overview, error: loadError, done, reload } = useReloadable(() => consentOf(id), id);
  const [purposes, setPurposes] = useState<MarketingPurpose[]>([]);
  const [purposesError, setError] = useState<unknown>(null);
  const error = loadError ?? purposesError;
  useEffect(() => {
    marketingPurposes().then(setPurposes, setError);
  }, []);
  const mayWrite = useCan('subjects:write');
  const name = (p: string) => purposes.find((x) => x.id === p)?.name ?? p;
  return (
    <Page title={`Consent and marketing for person ${id.slice(0, 8)}`}>
      <p>
        <Link to={`/people/${id}`}>Back to the person</Link>
      </p>
      <ErrorMessage error={error} />
      {done ? <p role="status">{done}</p> : null}
      {overview === null ? (
        !error ? <Status>Loading…</Status> : null
      ) : overview.states.length === 0 ? (
        <p>No consent recorded for this person.</p>
      ) : (
        <table aria-label="Consent by purpose and channel">
          <thead>
            <tr>
              <th scope="col">Purpose</th>
              <th scope="col">Channel</th>
              <th scope="col">Status</th>
              <th scope="col">Given</th>
              <th scope="col">Lapses</th>
            </tr>
          </thead>
          <tbody>
            {overview.states.map((s) => (
              <tr key={`${s.purpose}/${s.channel}`}>
                <td>{name(s.purpose)}</td>
                <td>{s.channel}</td>
                <td>{s.status.replace(/-/g, ' ')}{s.softOptIn ? ' (soft opt-in)' : ''}</td>
                <td>{s.givenAt?.slice(0, 10) ?? '—'}</td>
                <td>{s.expiresAt?.slice(0, 10) ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {mayWrite && purposes.length > 0 ? <Record id={id} purposes={purposes} onChanged={reload} /> : null}
      {mayWrite ? <Objection id={id} onChanged={reload} /> : null}
      {overview && overview.history.length > 0 ? (
        <>
          <h2>History</h2>
          <ol aria-label="Consent history">
            {overview.history.map((h) => (
              <li key={h.id}>
                {h.occurredAt.slice(0, 10)}: {h.action} for {name(h.purpose)} by {h.channel} ({h.method}){h.wording ? `: “${h.wording}”` : ''}
              </li>
            ))}
          </ol>
        </>
      ) : null}
    </Page>
  );
}

function Record({ id, purposes, onChanged }: { id: string; purposes: MarketingPurpose[]; onChanged(what: string): void }) {
  const [purpose, setPurpose] = useState(purposes[0]!.id);
  const chosen = purposes.find((p) => p.id === purpose) ?? purposes[0]!;
  const [channels, setChannels] = useState<string[]>([]);
  const [action, setAction] = useState<'given' | 'renewed' | 'withdrawn'>('given');
  const [method, setMethod] = useState<string>('form');
  const [wording, setWording] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await recordConsent(id, {
        purpose,
        channels: channels.filter((c) => chosen.channels.includes(c)) as ConsentBody['channels'],
        action,
        method: method as ConsentBody['method'],
        ...(wording && action !== 'withdrawn' ? { wording } : {}),
      });
      onChanged(`Consent ${action} for ${chosen.name} by ${channels.join(', ')}.`);
      setChannels([]);
      setWording('');
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="rec-h" className="card">
      <h2 id="rec-h">Record consent</h2>
      <ErrorMessage error={error} />
      <form onSubmit={submit}>
        <SelectField label="Purpose" value={purpose} onChange={(e) => setPurpose(e.target.value)} options={purposes.map((p) => ({ value: p.id, label: p.name }))} />
        <fieldset>
          <legend>Channels</legend>
          {chosen.channels.map((c) => (
            <div key={c}>
              <input id={`ch-${c}`} type="checkbox" checked={channels.includes(c)} onChange={(e) => setChannels(e.target.checked ? [...channels, c] : channels.filter((x) => x !== c))} />
              <label htmlFor={`ch-${c}`}>{c}</label>
            </div>
          ))}
        </fieldset>
        <SelectField
          label="What happened"
          value={action}
          onChange={(e) => setAction(e.target.value as 'given')}
          options={[
            { value: 'given', label: 'They gave consent' },
            { value: 'renewed', label: 'They renewed their consent' },
            { value: 'withdrawn', label: 'They withdrew their consent' },
          ]}
        />
        <SelectField label="How" value={method} onChange={(e) => setMethod(e.target.value)} options={METHODS.map(([value, label]) => ({ value, label }))} />
        {action !== 'withdrawn' ? <TextArea label="The words they agreed to" required value={wording} onChange={(e) => setWording(e.target.value)} /> : null}
        <button type="submit" disabled={channels.length === 0}>
          Record
        </button>
      </form>
    </section>
  );
}

function Objection({ id, onChanged }: { id: string; onChanged(what: string): void }) {
  const [confirming, setConfirming] = useState(false);
  const [method, setMethod] = useState<string>('verbal-call');
  const [error, setError] = useState<unknown>(null);
  const object = async () => {
    setError(null);
    try {
      const r = await objectToMarketing(id, method as 'email');
      setConfirming(false);
      onChanged(`Objection recorded: ${r.withdrawn} consents withdrawn, ${r.suppressed} entries added to the suppression list. No marketing by any channel from now on.`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="obj-h" className="card">
      <h2 id="obj-h">Objection to direct marketing</h2>
      <p>An objection to direct marketing is absolute (UK GDPR Art 21(3)): there are no grounds to refuse it.</p>
      <ErrorMessage error={error} />
      {!confirming ? (
        <button type="button" className="danger" onClick={() => setConfirming(true)}>
          Record an objection to direct marketing
        </button>
      ) : (
        <div role="group" aria-label="Confirm the objection">
          <p>This withdraws every marketing consent the person gave, for every purpose and channel, and puts each of their email addresses and phone numbers on the suppression list for all marketing. It cannot be undone here.</p>
          <SelectField label="How they objected" value={method} onChange={(e) => setMethod(e.target.value)} options={METHODS.map(([value, label]) => ({ value, label }))} />
          <div className="actions">
            <button type="button" className="danger" onClick={object}>
              Record the objection
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </section>
  );
}
