/**
 * Journey 3: the declaration. Its findings with line numbers and how to fix each; the notice as it
 * would be published; the record of processing to download; the published versions.
 */
import { useEffect, useMemo, useState } from 'react';
import { ErrorMessage, Facts, Page, Status } from '../../../components/ui/ui';
import { useSession } from '../../../lib/session';
import { getFindings, getNoticeHtml, getPolicy, getVersions, noticeMarkdownUrl, publish, ropaUrl, type Findings, type Version } from '../api/declaration';

export default function Declaration() {
  return (
    <Page title="The declaration">
      <About />
      <FindingsList />
      <Downloads />
      <NoticePreview />
      <Versions />
    </Page>
  );
}

function About() {
  const [info, setInfo] = useState<{ hash: string; effectiveDate: string; organisation: string } | null>(null);
  useEffect(() => {
    getPolicy().then((p) => setInfo({ hash: p.hash, effectiveDate: p.effectiveDate, organisation: p.organisation }), () => undefined);
  }, []);
  if (!info) return null;
  return (
    <Facts
      items={[
        ['Organisation', info.organisation],
        ['Effective date', info.effectiveDate],
        ['Version (hash)', <span className="code">{info.hash.slice(0, 16)}</span>],
      ]}
    />
  );
}

const SEVERITY: Record<string, string> = { error: 'Error', warning: 'Warning', info: 'Note' };

function FindingsList() {
  const [data, setData] = useState<Findings | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    getFindings().then(setData, setError);
  }, []);
  return (
    <section aria-labelledby="findings-h">
      <h2 id="findings-h">Findings</h2>
      <ErrorMessage error={error} />
      {!data && !error ? <Status>Loading…</Status> : null}
      {data ? (
        <>
          <p>
            {data.errors} errors, {data.warnings} warnings and {data.infos} notes. Errors stop the notice being published; warnings are worth fixing first.
          </p>
          {data.findings.length > 0 ? (
            <table aria-label="Findings">
              <thead>
                <tr>
                  <th scope="col">Severity</th>
                  <th scope="col">Line</th>
                  <th scope="col">Where</th>
                  <th scope="col">What</th>
                  <th scope="col">How to fix</th>
                </tr>
              </thead>
              <tbody>
                {data.findings.map((f, i) => (
                  <tr key={i}>
                    <td className={f.severity === 'error' ? 'overdue' : undefined}>{SEVERITY[f.severity] ?? f.severity}</td>
                    <td>{f.line ?? '—'}</td>
                    <td>
                      <span className="code">{f.path}</span>
                      <div className="hint">rule {f.rule}</div>
                    </td>
                    <td>{f.message}</td>
                    <td>{f.fix}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="ok">No findings: the declaration is complete.</p>
          )}
        </>
      ) : null}
    </section>
  );
}

function Downloads() {
  return (
    <section aria-labelledby="ropa-h">
      <h2 id="ropa-h">Record of processing</h2>
      <p>The Art 30 record, built from the declaration: what is processed, why, on what basis, who receives it and how long it is kept.</p>
      <ul>
        <li>
          <a href={ropaUrl('csv')} download>
            Download the record of processing (CSV)
          </a>
        </li>
        <li>
          <a href={ropaUrl('xlsx')} download>
            Download the record of processing (XLSX)
          </a>
        </li>
        <li>
          <a href={noticeMarkdownUrl} download="privacy-notice.md">
            Download the notice (Markdown)
          </a>
        </li>
      </ul>
    </section>
  );
}

/**
 * The server's own rendering of the notice, shown inside the page: its body only (the console's
 * styles apply), with anything active removed though the server never puts any there.
 */
function cleanBody(html: string): string {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  doc.querySelectorAll('script, style, link, iframe, object, embed, form').forEach((n) => n.remove());
  doc.querySelectorAll('*').forEach((el) => {
    for (const a of [...el.attributes]) if (a.name.startsWith('on') || a.name === 'style') el.removeAttribute(a.name);
  });
  // Headings go one level down: the preview sits under this page's own h2.
  for (const level of [6, 5, 4, 3, 2, 1]) {
    doc.querySelectorAll(`h${level}`).forEach((h) => {
      const to = doc.createElement(`h${Math.min(level + 2, 6)}`);
      to.innerHTML = h.innerHTML;
      if (h.id) to.id = `notice-${h.id}`;
      h.replaceWith(to);
    });
  }
  doc.querySelectorAll('[id]').forEach((el) => {
    if (!el.id.startsWith('notice-')) el.id = `notice-${el.id}`;
  });
  doc.querySelectorAll('a[href^="#"]').forEach((a) => a.setAttribute('href', `#notice-${a.getAttribute('href')!.slice(1)}`));
  return doc.body.innerHTML;
}

function NoticePreview() {
  const [html, setHtml] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (open && html === null) getNoticeHtml().then(setHtml, setError);
  }, [open, html]);
  const body = useMemo(() => (html ? cleanBody(html) : ''), [html]);
  return (
    <section aria-labelledby="notice-h">
      <h2 id="notice-h">The notice as it would be published</h2>
      <button type="button" className="secondary" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? 'Hide the notice preview' : 'Show the notice preview'}
      </button>
      <ErrorMessage error={error} />
      {open && !html && !error ? <Status>Loading…</Status> : null}
      {open && html ? <div role="region" aria-label="Notice preview" className="card notice-preview" dangerouslySetInnerHTML={{ __html: body }} /> : null}
    </section>
  );
}

function Versions() {
  const role = useSession().session.user.role;
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState('');
  const load = () => getVersions().then((r) => setVersions(r.versions), setError);
  useEffect(() => {
    void load();
  }, []);
  const publishNow = async () => {
    setError(null);
    setMessage('');
    try {
      const r = await publish();
      setMessage(r.alreadyInForce ? 'This version is already the notice in force.' : `Published: version ${r.publication.versionId} is now the notice in force.`);
      await load();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section aria-labelledby="versions-h">
      <h2 id="versions-h">Published versions</h2>
      {role === 'owner' || role === 'dpo' ? (
        <p>
          <button type="button" onClick={publishNow}>
            Publish the declaration as the notice in force
          </button>{' '}
          <span className="hint">Refused while it has errors.</span>
        </p>
      ) : null}
      {message ? <Status>{message}</Status> : null}
      <ErrorMessage error={error} />
      {versions && versions.length === 0 ? <p>The notice has not been published yet: /privacy shows a marked draft.</p> : null}
      {versions && versions.length > 0 ? (
        <table aria-label="Published versions">
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Effective</th>
              <th scope="col">Published</th>
              <th scope="col">By</th>
              <th scope="col">Findings then</th>
              <th scope="col">What changed</th>
            </tr>
          </thead>
          <tbody>
            {versions.map((v) => (
              <tr key={v.id}>
                <td>
                  <a href={`/privacy/versions/${v.id}`}>Version {v.versionId}</a>
                </td>
                <td>{v.effectiveDate}</td>
                <td>{v.publishedAt.slice(0, 16).replace('T', ' ')}</td>
                <td>{v.publishedBy}</td>
                <td>
                  {v.errors} errors, {v.warnings} warnings{v.forcedReason ? ` (published anyway: ${v.forcedReason})` : ''}
                </td>
                <td>{v.changes.length ? v.changes.join('; ') : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
