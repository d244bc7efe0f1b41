/** The work on an open breach, step by step; each step calls the API and shows its answer. */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { ErrorMessage, SelectField, TextArea, TextField } from '../../../components/ui/ui';
import { getDeclaration, type Declaration } from '../../../lib/declaration';
import { assess, decide, notify, parseIdentifierList, previewNotify, recordIcoReport, selectAffected, updateFacts, type AffectedBody, type Breach, type NotifyPreview, type Selection } from '../api/breaches';

function Step({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="card" aria-label={title}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}

const EXEMPTIONS = [
  ['encrypted', 'The data was unintelligible to anyone not authorised (e.g. encrypted)'],
  ['mitigated', 'Measures taken since mean the high risk is no longer likely'],
  ['disproportionate', 'Telling each person would take disproportionate effort (a public notice instead)'],
] as const;

export function Steps({ b, onChanged }: { b: Breach; onChanged(what: string): void }) {
  const [error, setError] = useState<unknown>(null);
  const run = async (what: string, p: () => Promise<unknown>): Promise<boolean> => {
    setError(null);
    try {
      await p();
      onChanged(what);
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };
  const f = b.facts;
  const [forPeople, setForPeople] = useState(f.descriptionForPeople ?? '');
  const [consequences, setConsequences] = useState(f.consequences ?? '');
  const [taken, setTaken] = useState(f.measuresTaken ?? '');
  const [proposed, setProposed] = useState(f.measuresProposed ?? '');
  const [level, setLevel] = useState(b.risk?.level ?? 'high');
  const [reasons, setReasons] = useState('');
  const [exemptions, setExemptions] = useState<string[]>([]);
  const [icoDecision, setIcoDecision] = useState('notify');
  const [icoReason, setIcoReason] = useState('');
  const [peopleDecision, setPeopleDecision] = useState('notify');
  const [peopleReason, setPeopleReason] = useState('');
  const [phase, setPhase] = useState(b.icoReports.length ? 'update' : 'initial');
  const [icoRef, setIcoRef] = useState('');
  const [delay, setDelay] = useState('');
  const opt = (v: string) => (v.trim() ? v : null);

  return (
    <section aria-labelledby="work-h">
      <h2 id="work-h">Work on the breach</h2>
      <ErrorMessage error={error} />

      <Step title="Facts for the report and the letters">
        <form
          onSubmit={(e: FormEvent) => (
            e.preventDefault(),
            run('Facts saved.', () =>
              updateFacts(b.id, { descriptionForPeople: opt(forPeople), consequences: opt(consequences), measuresTaken: opt(taken), measuresProposed: opt(proposed), expectedVersion: b.version }),
            )
          )}
        >
          <TextArea label="What happened, in plain words for the people affected" value={forPeople} onChange={(e) => setForPeople(e.target.value)} />
          <TextArea label="Likely consequences for people" value={consequences} onChange={(e) => setConsequences(e.target.value)} />
          <TextArea label="Measures taken" value={taken} onChange={(e) => setTaken(e.target.value)} />
          <TextArea label="Measures proposed" value={proposed} onChange={(e) => setProposed(e.target.value)} />
          <button type="submit">Save the facts</button>
        </form>
      </Step>

      <Step title="Assess the risk to people">
        <form onSubmit={(e: FormEvent) => (e.preventDefault(), run('Risk assessed.', () => assess(b.id, { level: level as 'high', reasons, exemptions: exemptions as 'encrypted'[] })))}>
          <SelectField
            label="Risk to people"
            value={level}
            onChange={(e) => setLevel(e.target.value)}
            options={[
              { value: 'unlikely', label: 'Unlikely to result in a risk (need not be reported)' },
              { value: 'risk', label: 'A risk (report to the ICO)' },
              { value: 'high', label: 'A high risk (report, and tell the people affected)' },
            ]}
          />
          <TextArea label="Reasons for the assessment" required value={reasons} onChange={(e) => setReasons(e.target.value)} />
          <fieldset>
            <legend>Exemptions from telling people (Art 34(3)), if any</legend>
            {EXEMPTIONS.map(([id, text]) => (
              <div key={id}>
                <input id={`ex-${id}`} type="checkbox" checked={exemptions.includes(id)} onChange={(e) => setExemptions(e.target.checked ? [...exemptions, id] : exemptions.filter((x) => x !== id))} />
                <label htmlFor={`ex-${id}`}>{text}</label>
              </div>
            ))}
          </fieldset>
          <button type="submit">Record the assessment</button>
        </form>
      </Step>

      <Step title="Decide whether to report to the ICO">
        <form onSubmit={(e: FormEvent) => (e.preventDefault(), run('Decision recorded.', () => decide(b.id, { about: 'ico', decision: icoDecision as 'notify', reason: icoReason })))}>
          <SelectField
            label="Decision on reporting to the ICO"
            value={icoDecision}
            onChange={(e) => setIcoDecision(e.target.value)}
            options={[
              { value: 'notify', label: 'Report it' },
              { value: 'not-notify', label: 'Do not report: unlikely to result in a risk' },
            ]}
          />
          <TextArea label="Reason for the ICO decision" required value={icoReason} onChange={(e) => setIcoReason(e.target.value)} />
          <button type="submit">Record the ICO decision</button>
        </form>
      </Step>

      <Step title="Decide whether to tell the people affected">
        <form onSubmit={(e: FormEvent) => (e.preventDefault(), run('Decision recorded.', () => decide(b.id, { about: 'people', decision: peopleDecision as 'notify', reason: peopleReason })))}>
          <SelectField
            label="Decision on telling people"
            value={peopleDecision}
            onChange={(e) => setPeopleDecision(e.target.value)}
            options={[
              { value: 'notify', label: 'Tell each person' },
              { value: 'public-notice', label: 'A public notice instead' },
              { value: 'not-notify', label: 'Do not tell them' },
            ]}
          />
          <TextArea label="Reason for the decision about people" required value={peopleReason} onChange={(e) => setPeopleReason(e.target.value)} />
          <button type="submit">Record the decision about people</button>
        </form>
      </Step>

      <Affected b={b} onChanged={onChanged} />
      <TellPeople b={b} onChanged={onChanged} />

      <Step title="Record a report made to the ICO">
        <form
          onSubmit={(e: FormEvent) => (
            e.preventDefault(),
            run('Report to the ICO recorded.', () => recordIcoReport(b.id, { phase: phase as 'initial', ...(icoRef ? { icoReference: icoRef } : {}), ...(delay ? { delayReason: delay } : {}) }))
          )}
        >
          <SelectField label="Which report" value={phase} onChange={(e) => setPhase(e.target.value)} options={['initial', 'update', 'final']} />
          <TextField label="ICO case reference" value={icoRef} onChange={(e) => setIcoRef(e.target.value)} />
          {b.clock.state === 'late' ? <TextArea label="Reasons for the delay" required value={delay} onChange={(e) => setDelay(e.target.value)} /> : null}
          <button type="submit">Record the report</button>
        </form>
      </Step>
    </section>
  );
}

function Affected({ b, onChanged }: { b: Breach; onChanged(what: string): void }) {
  const [decl, setDecl] = useState<Declaration | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [relationships, setRelationships] = useState<string[]>([]);
  const [categories, setCategories] = useState<string[]>(b.facts.categories);
  const [file, setFile] = useState<File | null>(null);
  const [result, setResult] = useState<(Selection & { ignored?: number }) | null>(null);
  useEffect(() => {
    getDeclaration().then(setDecl, setError);
  }, []);
  const send = async (body: AffectedBody, ignored?: number) => {
    setError(null);
    try {
      const r = await selectAffected(b.id, body);
      setResult({ ...r, ...(ignored !== undefined ? { ignored } : {}) });
      onChanged(`${r.matched} people matched; ${r.totals.people} now affected.`);
    } catch (e) {
      setError(e);
    }
  };
  const fromQuery = (e: FormEvent) => {
    e.preventDefault();
    void send({ mode: 'replace', ...(relationships.length ? { relationships } : {}), ...(categories.length ? { categories } : {}) });
  };
  const fromList = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return;
    const list = parseIdentifierList(await file.text());
    if (list.emails.length + list.phones.length === 0) {
      setError(new Error('the file holds no email addresses or phone numbers'));
      return;
    }
    void send({ mode: 'add', identifiers: { emails: list.emails, phones: list.phones } }, list.ignored);
  };
  const box = (list: string[], set: (v: string[]) => void, prefix: string, id: string, name: string) => (
    <div key={id}>
      <input id={`${prefix}-${id}`} type="checkbox" checked={list.includes(id)} onChange={(e) => set(e.target.checked ? [...list, id] : list.filter((x) => x !== id))} />
      <label htmlFor={`${prefix}-${id}`}>{name}</label>
    </div>
  );
  const ids = result?.criteria.identifiers as { given: number; unmatched: number; invalid: number } | undefined;
  return (
    <Step title="Find the people affected">
      <ErrorMessage error={error} />
      <form onSubmit={fromQuery} aria-label="From the register">
        <p>From the register: everyone with records of these categories, in these relationships.</p>
        {decl ? (
          <>
            <fieldset>
              <legend>Relationships</legend>
              {decl.relationships.map((r) => box(relationships, setRelationships, 'rel', r.id, r.name))}
            </fieldset>
            <fieldset>
              <legend>Categories held</legend>
              {decl.categories.filter((c) => c.storage !== 'never').map((c) => box(categories, setCategories, 'aff-cat', c.id, c.name))}
            </fieldset>
          </>
        ) : null}
        <button type="submit">Select from the register</button>
      </form>
      <form onSubmit={fromList} aria-label="From a list">
        <div className="field">
          <label htmlFor="aff-file">A list of email addresses or phone numbers (CSV or text)</label>
          <input id="aff-file" type="file" accept=".csv,.txt,text/csv,text/plain" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />
        </div>
        <button type="submit" disabled={!file}>
          Add the people on the list
        </button>
      </form>
      {result ? (
        <p role="status">
          {result.matched} matched ({result.added} added, {result.removed} removed); now affected: {result.totals.people} people, {result.totals.records} records.
          {ids ? ` Of ${ids.given} identifiers, ${ids.unmatched} are not in the register and ${ids.invalid} are not valid.` : ''}
          {result.ignored ? ` ${result.ignored} cells were neither an email address nor a phone number.` : ''}
        </p>
      ) : null}
    </Step>
  );
}

function TellPeople({ b, onChanged }: { b: Breach; onChanged(what: string): void }) {
  const [error, setError] = useState<unknown>(null);
  const [preview, setPreview] = useState<NotifyPreview | null>(null);
  const [busy, setBusy] = useState(false);
  const look = async () => {
    setError(null);
    setPreview(null);
    try {
      setPreview(await previewNotify(b.id));
    } catch (e) {
      setError(e);
    }
  };
  const send = async () => {
    if (!preview) return;
    setError(null);
    setBusy(true);
    try {
      const r = await notify(b.id, preview.recipients);
      setPreview(null);
      onChanged(`Letters sent: ${r.sent} emailed, ${r.failed} failed, ${r.noAddress} without an email address.`);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Step title="Tell the people affected">
      <ErrorMessage error={error} />
      {!preview ? (
        <button type="button" onClick={look}>
          Preview the letter
        </button>
      ) : (
        <div role="group" aria-label="Letter review">
          <p>
            Nothing has been sent. The letter will be emailed to <strong>{preview.recipients}</strong> {preview.recipients === 1 ? 'person' : 'people'}; {preview.withoutEmail} affected have no email
            address in the register (write to them by post); {preview.alreadyTold} were told before.
          </p>
          <h4>{preview.letter.subject}</h4>
          <div className="preview" tabIndex={0} role="region" aria-label="Letter preview">
            {preview.letter.text}
          </div>
          <p className="hint">Each person is greeted by name where the register holds one, and their letter lists only their own data involved.</p>
          <div className="actions">
            <button type="button" disabled={busy || preview.recipients === 0} onClick={send}>
              Send {preview.recipients} {preview.recipients === 1 ? 'letter' : 'letters'}
            </button>
            <button type="button" className="secondary" onClick={() => setPreview(null)}>
              Not yet
            </button>
          </div>
        </div>
      )}
    </Step>
  );
}
