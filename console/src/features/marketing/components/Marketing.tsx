/**
 * Marketing: the audience check of a campaign list (each person allowed or blocked, the reason in
 * plain words), the suppression list (check an address, add to it) and the TPS/CTPS registers.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { ErrorMessage, Page, SelectField, Status, TextArea, TextField } from '../../../components/ui/ui';
import { useCan } from '../../../lib/session';
import { audienceCheck, checkSuppression, importTps, marketingPurposes, recipientsFrom, suppress, tpsStatus, type Audience, type MarketingPurpose } from '../api/marketing';

const CHANNEL_NAMES: Record<string, string> = { email: 'Email', phone: 'Phone calls', sms: 'Text messages', post: 'Post', social: 'Social media' };

export default function Marketing() {
  const [purposes, setPurposes] = useState<MarketingPurpose[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    marketingPurposes().then(setPurposes, setError);
  }, []);
  const mayManage = useCan('marketing:manage');
  return (
    <Page title="Marketing">
      <ErrorMessage error={error} />
      {purposes === null ? !error ? <Status>Loading…</Status> : null : <AudienceCheck purposes={purposes} />}
      <Suppressions mayManage={mayManage} />
      {mayManage ? <Tps /> : null}
    </Page>
  );
}

function AudienceCheck({ purposes }: { purposes: MarketingPurpose[] }) {
  const [purpose, setPurpose] = useState(purposes[0]?.id ?? '');
  const chosen = purposes.find((p) => p.id === purpose);
  const [channel, setChannel] = useState(chosen?.channels[0] ?? 'email');
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<Audience | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  if (purposes.length === 0) return <p>The declaration has no direct-marketing purpose, so there is nothing to check a campaign against.</p>;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setError(null);
    setResult(null);
    setBusy(true);
    try {
      const recipients = recipientsFrom(await file.text());
      if (recipients.length === 0) throw new Error('the file holds no email addresses or phone numbers');
      setResult(await audienceCheck({ purpose, channel: channel as 'email', recipients, only: 'all' }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="aud-h">
      <h2 id="aud-h">Check a campaign list</h2>
      <p>Before sending, upload the list: each person is shown as allowed or blocked, with the reason.</p>
      <ErrorMessage error={error} />
      <form onSubmit={submit}>
        <SelectField
          label="Purpose of the campaign"
          value={purpose}
          onChange={(e) => {
            setPurpose(e.target.value);
            const p = purposes.find((x) => x.id === e.target.value);
            if (p && !p.channels.includes(channel)) setChannel(p.channels[0] ?? 'email');
          }}
          options={purposes.map((p) => ({ value: p.id, label: `${p.name} (${p.basis ? `on ${p.basis.replace(/-/g, ' ')}` : 'no lawful basis stated'})` }))}
        />
        <SelectField label="Channel" value={channel} onChange={(e) => setChannel(e.target.value)} options={(chosen?.channels ?? []).map((c) => ({ value: c, label: CHANNEL_NAMES[c] ?? c }))} />
        <div className="field">
          <label htmlFor="aud-file">Campaign list (CSV or text: one email address or phone number per line)</label>
          <input id="aud-file" type="file" accept=".csv,.txt,text/csv,text/plain" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </div>
        <button type="submit" disabled={!file || busy}>
          Check the list
        </button>
      </form>
      {result ? (
        <>
          <p role="status">
            {result.counts.recipients} recipients: {result.counts.allowed} allowed, {result.counts.blocked} blocked.
          </p>
          <h3>The reasons</h3>
          <ul aria-label="Reasons">
            {result.reasons.map((r) => (
              <li key={r.reason}>
                {r.count} × {r.explanation}
              </li>
            ))}
          </ul>
          {(result.tps ?? []).filter((t) => t.stale).map((t) => (
            <p key={t.register} className="overdue">
              The {t.register.toUpperCase()} register {t.importedAt ? `was last imported on ${t.importedAt.slice(0, 10)}` : 'has never been imported'}: calls relying on it are blocked until a fresh copy is imported.
            </p>
          ))}
          <table aria-label="Each recipient">
            <thead>
              <tr>
                <th scope="col">Line</th>
                <th scope="col">Recipient</th>
                <th scope="col">Answer</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              {result.results.map((r) => (
                <tr key={r.index}>
                  <td>{r.index + 1}</td>
                  <td>{r.identifier}</td>
                  <td className={r.allowed ? 'ok' : 'overdue'}>{r.allowed ? 'Allowed' : 'Blocked'}</td>
                  <td>{r.explanation.replace(/^(Allowed|Blocked): /, '')}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </section>
  );
}

const REASONS = [
  ['opt-out', 'They opted out'],
  ['do-not-call', 'They told us not to call'],
  ['objection', 'They objected to direct marketing'],
  ['complaint', 'They complained'],
  ['bounce', 'The address bounces'],
] as const;

function Suppressions({ mayManage }: { mayManage: boolean }) {
  const [address, setAddress] = useState('');
  const [answer, setAnswer] = useState<Awaited<ReturnType<typeof checkSuppression>> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [adding, setAdding] = useState('');
  const [channel, setChannel] = useState('*');
  const [reason, setReason] = useState<string>('opt-out');
  const [added, setAdded] = useState('');
  const look = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setAnswer(null);
    try {
      setAnswer(await checkSuppression(address));
    } catch (err) {
      setError(err);
    }
  };
  const add = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setAdded('');
    try {
      const identifiers = adding.split(/\r\n|\n|\r/).map((x) => x.trim()).filter(Boolean);
      const r = await suppress({ identifiers, channel: channel as '*', reason: reason as 'opt-out' });
      setAdded(`${r.added} added to the suppression list, ${r.alreadySuppressed} already on it${r.rejected.length ? `, ${r.rejected.length} not valid (lines ${r.rejected.map((x) => x.index + 1).join(', ')})` : ''}.`);
      setAdding('');
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="sup-h">
      <h2 id="sup-h">The suppression list</h2>
      <p>People who opted out or objected are kept here, as keyed hashes only, even after they are erased: never contact them, not even to ask them to opt back in.</p>
      <ErrorMessage error={error} />
      <form onSubmit={look}>
        <TextField label="Check an email address or phone number" required value={address} onChange={(e) => setAddress(e.target.value)} />
        <button type="submit">Check</button>
      </form>
      {answer ? (
        <div role="status">
          {answer.suppressed ? (
            <>
              <p>On the suppression list:</p>
              <ul>
                {answer.entries.map((x, i) => (
                  <li key={i}>
                    {x.channel === '*' ? 'every channel' : CHANNEL_NAMES[x.channel] ?? x.channel}, {x.scope === '*' ? 'every purpose' : `purpose ${x.scope}`}: {REASONS.find(([k]) => k === x.reason)?.[1] ?? x.reason} (since {x.createdAt.slice(0, 10)})
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <p>Not on the suppression list.</p>
          )}
        </div>
      ) : null}
      {mayManage ? (
        <form onSubmit={add} aria-label="Add to the suppression list">
          <TextArea label="Addresses or numbers to suppress (one per line)" required value={adding} onChange={(e) => setAdding(e.target.value)} />
          <SelectField label="For which channel" value={channel} onChange={(e) => setChannel(e.target.value)} options={[{ value: '*', label: 'Every channel' }, ...Object.entries(CHANNEL_NAMES).map(([value, label]) => ({ value, label }))]} />
          <SelectField label="Why" value={reason} onChange={(e) => setReason(e.target.value)} options={REASONS.map(([value, label]) => ({ value, label }))} />
          <button type="submit">Add to the suppression list</button>
          {added ? <p role="status">{added}</p> : null}
        </form>
      ) : null}
    </section>
  );
}

function Tps() {
  const [status, setStatus] = useState<Awaited<ReturnType<typeof tpsStatus>> | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [register, setRegister] = useState<'tps' | 'ctps'>('tps');
  const [file, setFile] = useState<File | null>(null);
  const [done, setDone] = useState('');
  const [n, setN] = useState(0);
  useEffect(() => {
    tpsStatus().then(setStatus, setError);
  }, [n]);
  const upload = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    setError(null);
    try {
      const r = await importTps(register, (await file.text()).split(/\r\n|\n|\r/));
      setDone(`${r.register.toUpperCase()} register replaced: ${r.numbers} numbers, ${r.rejected.length} lines were not phone numbers.`);
      setN((x) => x + 1);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="tps-h">
      <h2 id="tps-h">TPS and CTPS screening</h2>
      <p>Calls on legitimate interests are screened against the Telephone Preference Service (individuals) and the Corporate TPS (companies). A copy older than 28 days blocks those calls.</p>
      <ErrorMessage error={error} />
      {status ? (
        <ul>
          {status.registers.map((r) => (
            <li key={r.register}>
              {r.register.toUpperCase()}: {r.importedAt ? `${r.numbers} numbers, imported ${r.importedAt.slice(0, 10)}` : 'never imported'}
              {r.stale ? ' (out of date: import a fresh copy)' : ''}
            </li>
          ))}
        </ul>
      ) : null}
      <form onSubmit={upload} aria-label="Import a register">
        <SelectField label="Register" value={register} onChange={(e) => setRegister(e.target.value as 'tps' | 'ctps')} options={[{ value: 'tps', label: 'TPS (individuals)' }, { value: 'ctps', label: 'CTPS (companies)' }]} />
        <div className="field">
          <label htmlFor="tps-file">The register file (one number per line)</label>
          <input id="tps-file" type="file" accept=".csv,.txt,text/csv,text/plain" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </div>
        <button type="submit" disabled={!file}>
          Import the register
        </button>
        {done ? <p role="status">{done}</p> : null}
      </form>
    </section>
  );
}
