/**
 * The breach register: every breach with its 72-hour clock, and a form to record a new one. The
 * clock starts when the organisation became aware, so that time is asked first and plainly.
 */
import { useEffect, useState, type FormEvent } from 'react';
import { Link, navigate } from '../../../app/router';
import { ErrorMessage, Page, Status, TextArea, TextField } from '../../../components/ui/ui';
import { getDeclaration, type Declaration } from '../../../lib/declaration';
import { useCan } from '../../../lib/session';
import { listBreaches, openBreach, ukTime, type BreachSummary } from '../api/breaches';

const NATURES = [
  ['confidentiality', 'Confidentiality: seen or taken by someone who should not have it'],
  ['integrity', 'Integrity: changed without authority'],
  ['availability', 'Availability: lost or destroyed, or out of reach'],
] as const;

export default function Breaches() {
  const [list, setList] = useState<BreachSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const mayRead = useCan('breaches:read');
  useEffect(() => {
    if (mayRead) listBreaches().then((r) => setList(r.breaches), setError);
  }, [mayRead]);
  return (
    <Page title="Breaches">
      <ErrorMessage error={error} />
      {mayRead ? (
        list === null ? (
          !error ? <Status>Loading…</Status> : null
        ) : list.length === 0 ? (
          <p>No breaches recorded.</p>
        ) : (
          <table aria-label="The breach register, newest first">
            <thead>
              <tr>
                <th scope="col">Reference</th>
                <th scope="col">Title</th>
                <th scope="col">Status</th>
                <th scope="col">The 72 hours</th>
                <th scope="col">Risk</th>
                <th scope="col">People affected</th>
              </tr>
            </thead>
            <tbody>
              {list.map((b) => (
                <tr key={b.id}>
                  <td>
                    <Link to={`/breaches/${b.id}`}>{b.reference}</Link>
                  </td>
                  <td>{b.title}</td>
                  <td>{b.status}</td>
                  <td className={b.clock.state === 'late' || b.clock.state === 'due-soon' ? 'overdue' : undefined}>{b.clock.label}</td>
                  <td>{b.risk ?? 'not assessed'}</td>
                  <td>{b.peopleAffected ?? 'not selected'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : (
        <p>Your role records breaches; the privacy officer sees the register.</p>
      )}
      <RecordBreach />
    </Page>
  );
}

function RecordBreach() {
  const mayRead = useCan('breaches:read');
  const [recorded, setRecorded] = useState('');
  const [decl, setDecl] = useState<Declaration | null>(null);
  const [title, setTitle] = useState('');
  const [aware, setAware] = useState('');
  const [description, setDescription] = useState('');
  const [natures, setNatures] = useState<string[]>([]);
  const [categories, setCategories] = useState<string[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    getDeclaration().then(setDecl, setError);
  }, []);
  const toggle = (list: string[], set: (v: string[]) => void, v: string, on: boolean) => set(on ? [...list, v] : list.filter((x) => x !== v));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const b = await openBreach({
        title,
        awareAt: ukTime(aware),
        ...(description ? { description } : {}),
        ...(natures.length ? { natures: natures as ('confidentiality' | 'integrity' | 'availability')[] } : {}),
        ...(categories.length ? { categories } : {}),
      });
      // Staff may record a breach but not read the register: they get the reference to quote.
      if (mayRead) navigate(`/breaches/${b.id}`);
      else {
        setRecorded(`Recorded as ${b.reference}. The privacy officer will take it from here; quote the reference if you learn more.`);
        setTitle('');
        setAware('');
        setDescription('');
        setNatures([]);
        setCategories([]);
      }
    } catch (err) {
      // What was typed stays in the form.
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="record-h" className="card">
      <h2 id="record-h">Record a breach</h2>
      <p>Record it as soon as you know: the 72 hours to report to the ICO run from when the organisation became aware, weekends included.</p>
      <ErrorMessage error={error} />
      {recorded ? <p role="status">{recorded}</p> : null}
      <form onSubmit={submit}>
        <TextField label="Title" hint="A short description, without the names of people." required value={title} onChange={(e) => setTitle(e.target.value)} />
        <TextField label="When we became aware" hint="UK time. The clock starts here." type="datetime-local" required value={aware} onChange={(e) => setAware(e.target.value)} />
        <TextArea label="What happened" value={description} onChange={(e) => setDescription(e.target.value)} />
        <fieldset>
          <legend>What kind of breach</legend>
          {NATURES.map(([id, text]) => (
            <div key={id}>
              <input id={`nature-${id}`} type="checkbox" checked={natures.includes(id)} onChange={(e) => toggle(natures, setNatures, id, e.target.checked)} />
              <label htmlFor={`nature-${id}`}>{text}</label>
            </div>
          ))}
        </fieldset>
        {decl ? (
          <fieldset>
            <legend>Data involved</legend>
            {decl.categories
              .filter((c) => c.storage !== 'never')
              .map((c) => (
                <div key={c.id}>
                  <input id={`cat-${c.id}`} type="checkbox" checked={categories.includes(c.id)} onChange={(e) => toggle(categories, setCategories, c.id, e.target.checked)} />
                  <label htmlFor={`cat-${c.id}`}>{c.name}</label>
                </div>
              ))}
          </fieldset>
        ) : null}
        <button type="submit" disabled={busy}>
          Record the breach
        </button>
      </form>
    </section>
  );
}
