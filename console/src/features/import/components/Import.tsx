/**
 * Journey 3: import a spreadsheet. Upload a CSV and see how its columns map to the declaration's
 * fields (change any of them), a dry run listing the rows that would be refused and why, then the
 * import itself with a progress bar and its summary. The file's text goes to the API in the body
 * of one request; nothing of it is kept in the browser beyond this page.
 */
import { useEffect, useMemo, useState, type FormEvent } from 'react';
import { Link } from '../../../app/router';
import { ErrorMessage, Page, SelectField, Status } from '../../../components/ui/ui';
import { getDeclaration, type Declaration } from '../../../lib/declaration';
import { useCan } from '../../../lib/session';
import { checkImport, getImport, runImport, type ImportSummary, type ImportView } from '../api/imports';

const LEAVE_OUT = '-';
const POLL_MS = 400;

export default function Import() {
  if (!useCan('subjects:write')) {
    return (
      <Page title="Import people">
        <p>Your role may not add people to the register.</p>
      </Page>
    );
  }
  return <ImportJourney />;
}

function ImportJourney() {
  const [decl, setDecl] = useState<Declaration | null>(null);
  const [relationship, setRelationship] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [check, setCheck] = useState<ImportView | null>(null);
  /** Column → "category.field" or "-", as last checked by the server. */
  const [checkedMap, setCheckedMap] = useState<Record<string, string>>({});
  const [map, setMap] = useState<Record<string, string>>({});
  const [job, setJob] = useState<ImportView | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    getDeclaration().then((d) => {
      setDecl(d);
      setRelationship((r) => r || d.relationships[0]?.id || '');
    }, setError);
  }, []);

  const targets = useMemo(
    () => [
      { value: LEAVE_OUT, label: 'Do not import' },
      ...(decl?.categories.filter((c) => c.storage !== 'never').flatMap((c) => c.fields.map((f) => ({ value: `${c.id}.${f.id}`, label: c.fields.length === 1 ? c.name : `${c.name}: ${f.name}` }))) ?? []),
    ],
    [decl],
  );

  /** Sends the file (with the mapping as changed, if it was) for a fresh dry run. */
  const upload = async (withMap?: Record<string, string>) => {
    if (!file) return;
    setBusy(true);
    setError(null);
    setJob(null);
    try {
      const csv = await file.text();
      const res = await checkImport({ relationship, csv, ...(withMap ? { map: withMap } : {}) });
      const next: Record<string, string> = {};
      for (const c of res.check.columns) next[c.column] = `${c.category}.${c.field}`;
      for (const u of res.check.unmapped) next[u.column] = LEAVE_OUT;
      // Columns left out on purpose are in neither list: they stay in the table, left out.
      for (const [column, target] of Object.entries(withMap ?? {})) if (target === LEAVE_OUT && !(column in next)) next[column] = LEAVE_OUT;
      setCheck(res);
      setCheckedMap(next);
      setMap(next);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const submit = (e: FormEvent) => {
    e.preventDefault();
    void upload();
  };

  const changed = Object.keys(map).some((k) => map[k] !== checkedMap[k]);

  const start = async () => {
    if (!check) return;
    setBusy(true);
    setError(null);
    try {
      let view = await runImport(check.id);
      setJob(view);
      while (view.status === 'running') {
        await new Promise((r) => setTimeout(r, POLL_MS));
        view = await getImport(check.id);
        setJob(view);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const relationshipName = decl?.relationships.find((r) => r.id === relationship)?.name ?? relationship;

  return (
    <Page title="Import people">
      <p>
        Import a contact spreadsheet saved as CSV (with a header row). Columns are matched to the declaration&apos;s fields by name; check the match and a dry run before anything is
        written. People already in the register are matched on their email address, phone or other identifier and only their changed values are updated; people erased or on the
        suppression list are not added again. <Link to="/people">Back to people</Link>
      </p>
      <ErrorMessage error={error} />
      <form onSubmit={submit} aria-labelledby="upload-h">
        <h2 id="upload-h">1. The file</h2>
        <div className="field">
          <label htmlFor="import-file">Spreadsheet (CSV file)</label>
          <input
            id="import-file"
            type="file"
            accept=".csv,text/csv"
            required
            onChange={(e) => {
              setFile(e.target.files?.[0] ?? null);
              setCheck(null);
              setJob(null);
            }}
          />
        </div>
        <SelectField label="Everyone in the file is a" value={relationship} onChange={(e) => setRelationship(e.target.value)} options={decl?.relationships.map((r) => ({ value: r.id, label: r.name })) ?? []} />
        <button type="submit" disabled={busy || !file}>
          Check the file
        </button>
      </form>

      {check ? (
        <section aria-labelledby="columns-h">
          <h2 id="columns-h">2. Columns</h2>
          <table>
            <caption>Where each column of the file goes</caption>
            <thead>
              <tr>
                <th scope="col">Column</th>
                <th scope="col">Imported into</th>
                <th scope="col">Note</th>
              </tr>
            </thead>
            <tbody>
              {Object.keys(map).map((column) => {
                const unmapped = check.check.unmapped.find((u) => u.column === column);
                return (
                  <tr key={column}>
                    <th scope="row">{column}</th>
                    <td>
                      <label className="visually-hidden" htmlFor={`map-${column}`}>
                        Field for column {column}
                      </label>
                      <select id={`map-${column}`} value={map[column]} disabled={busy || job !== null} onChange={(e) => setMap({ ...map, [column]: e.target.value })}>
                        {targets.map((t) => (
                          <option key={t.value} value={t.value}>
                            {t.label}
                          </option>
                        ))}
                      </select>
                    </td>
                    <td>{unmapped ? (unmapped.nearest ? `no field of that name; nearest: ${labelOf(targets, unmapped.nearest)}` : unmapped.ambiguous?.length ? `could be ${unmapped.ambiguous.map((a) => labelOf(targets, a)).join(' or ')}` : 'no field of that name') : ''}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          {changed ? (
            <p>
              <button type="button" disabled={busy} onClick={() => void upload(map)}>
                Check again with these columns
              </button>
            </p>
          ) : null}

          <h2 id="dry-h">3. Dry run</h2>
          <DryRun summary={check.check} relationship={relationshipName} />
          {job === null ? (
            <button type="button" disabled={busy || changed || check.check.created + check.check.updated === 0} onClick={() => void start()}>
              Import {check.check.created + check.check.updated === 1 ? '1 person' : `${check.check.created + check.check.updated} people`}
            </button>
          ) : null}
        </section>
      ) : null}

      {job ? <Progress job={job} /> : null}
    </Page>
  );
}

const labelOf = (targets: { value: string; label: string }[], ref: string): string => targets.find((t) => t.value === ref)?.label ?? ref;

function plural(n: number, one: string, many: string): string {
  return `${n} ${n === 1 ? one : many}`;
}

function DryRun({ summary: s, relationship }: { summary: ImportSummary; relationship: string }) {
  return (
    <>
      <Status>
        {plural(s.rows, 'row', 'rows')} read: {plural(s.created, 'new person', 'new people')} as {relationship}, {s.updated} to update, {s.matched - s.updated} unchanged, {s.skipped} skipped (erased or suppressed),{' '}
        {s.rejected} refused. Nothing has been written yet.
      </Status>
      {s.skippedLines.length ? <p>Skipped because the person was erased or is on the suppression list: lines {s.skippedLines.join(', ')}. Add such people one by one from the command line if you mean to.</p> : null}
      {s.rejections.length ? (
        <table>
          <caption>Rows that would be refused</caption>
          <thead>
            <tr>
              <th scope="col">Line</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {s.rejections.map((r) => (
              <tr key={`${r.line}-${r.reason}`}>
                <td>{r.line}</td>
                <td>{r.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {s.rejectionsOmitted ? <p>{s.rejectionsOmitted} more refused rows are not listed.</p> : null}
    </>
  );
}

function Progress({ job }: { job: ImportView }) {
  const total = job.check.rows || 1;
  const done = job.status === 'done' && job.result;
  return (
    <section aria-labelledby="progress-h">
      <h2 id="progress-h">4. Import</h2>
      <label htmlFor="import-progress">Rows imported</label> <progress id="import-progress" max={total} value={done ? total : job.progress.rows} />
      {job.status === 'running' ? <Status>{`${job.progress.rows} of ${job.check.rows} rows…`}</Status> : null}
      {job.status === 'failed' && job.error ? (
        <div role="alert" className="error">
          <p>
            {job.error.message} <span className="code">({job.error.code})</span>
          </p>
        </div>
      ) : null}
      {done ? (
        <Status>
          Import finished: {plural(job.result!.created, 'person', 'people')} added, {job.result!.updated} updated, {job.result!.matched - job.result!.updated} unchanged, {job.result!.skipped} skipped, {job.result!.rejected} refused.
        </Status>
      ) : null}
    </section>
  );
}
