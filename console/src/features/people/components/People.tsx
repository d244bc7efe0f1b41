/** Journey 2: find a person by an identifier (sent in a POST body, never the URL), or add one. */
import { useEffect, useState, type FormEvent } from 'react';
import { Link, navigate } from '../../../app/router';
import { ErrorMessage, Page, SelectField, TextField } from '../../../components/ui/ui';
import { getDeclaration, nameOf, type Declaration } from '../../../lib/declaration';
import { useCan } from '../../../lib/session';
import { addPerson, searchPeople, type NewSubject, type Summary } from '../api/people';

export default function People() {
  const mayWrite = useCan('subjects:write');
  const [decl, setDecl] = useState<Declaration | null>(null);
  useEffect(() => {
    getDeclaration().then(setDecl, () => undefined);
  }, []);
  return (
    <Page title="People" actions={mayWrite ? <Link to="/people/import">Import a spreadsheet</Link> : undefined}>
      <FindPerson decl={decl} />
      {mayWrite && decl ? <AddPerson decl={decl} /> : null}
    </Page>
  );
}

function FindPerson({ decl }: { decl: Declaration | null }) {
  const idCategories = decl?.categories.filter((c) => c.identifier && c.identifier !== 'email' && c.identifier !== 'phone') ?? [];
  const [kind, setKind] = useState('email');
  const [value, setValue] = useState('');
  const [found, setFound] = useState<Summary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const body = kind === 'email' ? { email: value } : kind === 'phone' ? { phone: value } : { identifier: { category: kind, value } };
      setFound((await searchPeople(body)).subjects);
    } catch (err) {
      setError(err);
      setFound(null);
    }
  };
  return (
    <section aria-labelledby="find-h">
      <h2 id="find-h">Find a person</h2>
      <form onSubmit={submit} role="search" aria-labelledby="find-h">
        <ErrorMessage error={error} />
        <SelectField label="Identifier" value={kind} onChange={(e) => setKind(e.target.value)} options={[{ value: 'email', label: 'Email address' }, { value: 'phone', label: 'Phone number' }, ...idCategories.map((c) => ({ value: c.id, label: c.name }))]} />
        <TextField label="Value" required value={value} onChange={(e) => setValue(e.target.value)} autoComplete="off" />
        <button type="submit">Find</button>
      </form>
      {found ? (
        <div role="status">
          {found.length === 0 ? (
            <p>Nobody found with that identifier.</p>
          ) : (
            <>
              <p>{found.length === 1 ? '1 person found' : `${found.length} people found`}</p>
              <ul>
                {found.map((s) => (
                  <li key={s.id}>
                    <Link to={`/people/${s.id}`}>
                      Person {s.id.slice(0, 8)} ({s.relationships.map((r) => nameOf(decl?.relationships, r)).join(', ')})
                    </Link>
                    {s.restricted ? ' — restricted' : ''}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      ) : null}
    </section>
  );
}

function AddPerson({ decl }: { decl: Declaration }) {
  const purposes = decl.purposes.filter((p) => p.relationships.length > 0);
  const [purposeId, setPurposeId] = useState(purposes[0]?.id ?? '');
  const purpose = purposes.find((p) => p.id === purposeId);
  const [relationship, setRelationship] = useState(purpose?.relationships[0] ?? '');
  const [values, setValues] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  const categories = (purpose?.categories ?? []).map((id) => decl.categories.find((c) => c.id === id)).filter((c): c is Declaration['categories'][number] => !!c && (c.storage ?? 'stored') === 'stored');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const records: NonNullable<NewSubject['records']> = categories
      .filter((c) => (values[c.id] ?? '').trim() !== '')
      .map((c) => ({ category: c.id, value: values[c.id]!, purposes: [purposeId] }));
    try {
      const made = await addPerson({ relationships: [{ relationship }], records });
      navigate(`/people/${made.id}`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="add-h">
      <h2 id="add-h">Add a person</h2>
      <form onSubmit={submit}>
        <ErrorMessage error={error} />
        <SelectField
          label="Purpose"
          value={purposeId}
          onChange={(e) => {
            setPurposeId(e.target.value);
            setRelationship(purposes.find((p) => p.id === e.target.value)?.relationships[0] ?? '');
          }}
          options={purposes.map((p) => ({ value: p.id, label: p.name }))}
        />
        <SelectField label="Relationship" value={relationship} onChange={(e) => setRelationship(e.target.value)} options={(purpose?.relationships ?? []).map((r) => ({ value: r, label: nameOf(decl.relationships, r) }))} />
        {categories.map((c) => (
          <TextField key={c.id} label={c.name} value={values[c.id] ?? ''} onChange={(e) => setValues({ ...values, [c.id]: e.target.value })} />
        ))}
        <button type="submit">Add person</button>
      </form>
    </section>
  );
}
