/**
 * One rights request: its clock, the requester, identity, the match to a person, pause/resume,
 * extension, fulfilment (reviewed before anything is sent), letters and the timeline.
 */
import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { Link } from '../../../app/router';
import { Generic } from '../../../components/ui/Generic';
import { ErrorMessage, Facts, Page, PageLoading, Status, TextArea } from '../../../components/ui/ui';
import { useReloadable } from '../../../lib/reloadable';
import { getDeclaration, nameOf, type Declaration } from '../../../lib/declaration';
import { useCan } from '../../../lib/session';
import { changedFields, fieldDraftOf, getPerson, type SubjectRecord } from '../../people/api/people';
import { answeredWithPack, candidates, extend, fulfil, getRequest, matchTo, pause, previewFulfil, resume, verify, type FulfilBody, type FulfilPreview, type RightsRequest } from '../api/requests';

type Candidate = Awaited<ReturnType<typeof candidates>>['candidates'][number];
const CLOSED = new Set(['completed', 'refused', 'withdrawn']);

export default function RequestPage({ id }: { id: string }) {
  const { data: req, error, done, reload } = useReloadable(() => getRequest(id), id);
  const mayManage = useCan('requests:manage');
  if (!req) return <PageLoading title="Rights request" error={error} />;
  const open = !CLOSED.has(req.status);
  return (
    <Page title={`Request ${req.reference}`}>
      <Facts
        items={[
          ['Type', req.type],
          ['Status', req.status],
          ['Received', `${req.receivedOn} by ${req.channel}`],
          ['Due', `${req.dueOn}${open ? (req.overdue ? ` (${-req.daysLeft} days overdue)` : ` (${req.daysLeft} days left)`) : ''}`],
          ['Clock', req.clockStarted ? `running since ${req.start}` : 'not started: waiting for what was asked'],
          ['Person', req.subjectId ? <Link to={`/people/${req.subjectId}`}>Person {req.subjectId.slice(0, 8)}</Link> : 'not matched yet'],
          ['Outcome', req.outcome ?? '—'],
        ]}
      />
      <h2>Requester</h2>
      <Generic value={req.requester} />
      {req.details ? (
        <>
          <h3>What they asked for</h3>
          <p>{req.details}</p>
        </>
      ) : null}

      {done ? <p role="status">{done}</p> : null}
      {mayManage && open ? <Actions req={req} onChanged={reload} /> : null}

      <h2>Letters</h2>
      {req.letters.length === 0 ? <p>No letter sent yet.</p> : null}
      {req.letters.map((l, i) => (
        <div className="card" key={i}>
          <h3>
            {l.subject} ({l.kind}, {l.at.slice(0, 10)}, to {l.sentTo})
          </h3>
          <div className="preview">{l.text}</div>
        </div>
      ))}
      {req.result ? (
        <>
          <h2>Result</h2>
          <Generic value={req.result} />
        </>
      ) : null}
      <h2>Timeline</h2>
      <ol>
        {(req.history ?? []).map((h) => (
          <li key={h.seq}>
            {h.at.slice(0, 16).replace('T', ' ')}: {h.type.replace(/-/g, ' ')} ({h.actor})
          </li>
        ))}
      </ol>
    </Page>
  );
}

function Step({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="card" aria-label={title}>
      <h3>{title}</h3>
      {children}
    </section>
  );
}

function Actions({ req, onChanged }: { req: RightsRequest; onChanged(what: string): void }) {
  const [error, setError] = useState<unknown>(null);
  const run = async (what: string, p: () => Promise<unknown>) => {
    setError(null);
    try {
      await p();
      onChanged(what);
    } catch (e) {
      setError(e);
    }
  };
  const [evidence, setEvidence] = useState<string[]>([]);
  const [found, setFound] = useState<Candidate[] | null>(null);
  const [question, setQuestion] = useState('');
  const [reasons, setReasons] = useState('');
  const [reviewing, setReviewing] = useState(false);
  const [preview, setPreview] = useState<FulfilPreview | null>(null);
  // A rectification is answered with the corrections themselves: the person's fields, as edited here.
  const [records, setRecords] = useState<SubjectRecord[] | null>(null);
  const [drafts, setDrafts] = useState<Record<string, Record<string, string>>>({});
  const [decl, setDecl] = useState<Declaration | null>(null);
  useEffect(() => {
    getDeclaration().then(setDecl, () => undefined);
  }, []);
  useEffect(() => {
    if (req.type !== 'rectification' || !req.subjectId) return;
    getPerson(req.subjectId).then((p) => {
      const held = p.records.filter((r) => r.fields && r.fields.length > 0);
      setRecords(held);
      setDrafts(Object.fromEntries(held.map((r) => [r.id, fieldDraftOf(r)])));
    }, setError);
  }, [req.type, req.subjectId]);
  const body = (): FulfilBody => {
    if (req.type !== 'rectification' || !records) return {};
    const changes = records
      .map((r) => ({ recordId: r.id, fields: changedFields(r, drafts[r.id] ?? {}) }))
      .filter((c) => Object.keys(c.fields).length > 0);
    return { changes };
  };
  const review = async () => {
    setError(null);
    setPreview(null);
    try {
      // Every type's letter is previewed as it will be sent; access and portability show the pack too.
      setPreview(await previewFulfil(req.id, body()));
      setReviewing(true);
    } catch (e) {
      setError(e);
    }
  };
  const paused = req.status === 'paused';
  const needsId = req.identityRequired.required > 0 && !req.idReceivedOn;

  return (
    <section aria-labelledby="act-h">
      <h2 id="act-h">Handle the request</h2>
      <ErrorMessage error={error} />

      {needsId ? (
        <Step title="Verify identity">
          <p>Record which evidence was checked (kinds only: never document numbers or copies). {req.identityRequired.required} needed.</p>
          <fieldset>
            <legend>Evidence checked</legend>
            {req.identityRequired.accepted.map((k) => (
              <div key={k}>
                <input id={`ev-${k}`} type="checkbox" checked={evidence.includes(k)} onChange={(e) => setEvidence(e.target.checked ? [...evidence, k] : evidence.filter((x) => x !== k))} />
                <label htmlFor={`ev-${k}`}>{k.replace(/-/g, ' ')}</label>
              </div>
            ))}
          </fieldset>
          <button type="button" onClick={() => run('Identity recorded.', () => verify(req.id, evidence))}>
            Record identity evidence
          </button>
        </Step>
      ) : null}

      <Step title="Match to a person">
        {req.subjectId ? <p>Matched.</p> : null}
        <button type="button" className="secondary" onClick={() => run('', async () => setFound((await candidates(req.id)).candidates))}>
          Find possible matches
        </button>
        {found ? (
          found.length === 0 ? (
            <p role="status">No one in the register has the requester's email or phone.</p>
          ) : (
            <ul>
              {found.map((c) => (
                <li key={c.id}>
                  Person {c.id.slice(0, 8)} ({c.relationships.join(', ')}){' '}
                  <button type="button" onClick={() => run('Matched to the person.', () => matchTo(req.id, c.id))}>
                    Match to person {c.id.slice(0, 8)}
                  </button>
                </li>
              ))}
            </ul>
          )
        ) : null}
      </Step>

      <Step title={paused ? 'Resume' : 'Pause for clarification'}>
        {paused ? (
          <button type="button" onClick={() => run('Resumed: the clock runs again.', () => resume(req.id))}>
            Clarification received: resume
          </button>
        ) : (
          <form onSubmit={(e: FormEvent) => (e.preventDefault(), run('Paused: the clock has stopped.', () => pause(req.id, question)))}>
            <TextArea label="Question to the requester" value={question} onChange={(e) => setQuestion(e.target.value)} />
            <button type="submit">Pause and ask</button>
          </form>
        )}
      </Step>

      {!req.extended ? (
        <Step title="Extend">
          <form onSubmit={(e: FormEvent) => (e.preventDefault(), run('Extended; the notice has been sent.', () => extend(req.id, reasons)))}>
            <TextArea label="Reasons for the extension" required value={reasons} onChange={(e) => setReasons(e.target.value)} />
            <button type="submit">Extend</button>
          </form>
        </Step>
      ) : null}

      {req.type === 'rectification' && records ? (
        <Step title="Corrections">
          <p>Correct the fields the person asked about; only the fields you change are sent, and the letter tells them what was done.</p>
          {records.map((r) => (
            <fieldset key={r.id} disabled={reviewing}>
              <legend>{nameOf(decl?.categories, r.category)}</legend>
              {r.fields!.map((f) => (
                <div className="field" key={f.id}>
                  <label htmlFor={`fix-${r.id}-${f.id}`}>{f.label}</label>
                  <input id={`fix-${r.id}-${f.id}`} value={drafts[r.id]?.[f.id] ?? ''} onChange={(e) => setDrafts({ ...drafts, [r.id]: { ...drafts[r.id], [f.id]: e.target.value } })} />
                </div>
              ))}
            </fieldset>
          ))}
        </Step>
      ) : null}

      <Step title="Fulfil">
        {!reviewing ? (
          <button type="button" onClick={review}>
            Review before sending
          </button>
        ) : (
          <div role="group" aria-label="Review">
            <p>
              This {req.type} request will be fulfilled for {req.subjectId ? `person ${req.subjectId.slice(0, 8)}` : 'nobody matched in the register'}, and the response letter sent to {req.requester.email ?? req.requester.address ?? 'the requester'}
              {answeredWithPack(req.type) ? ', with a download link to the pack' : ''}.
            </p>
            {preview ? (
              <>
                <h4>The letter: {preview.letter.subject}</h4>
                <div className="preview" tabIndex={0} role="region" aria-label="Letter preview">
                  {preview.letter.text}
                </div>
                {preview.pack ? (
                  <>
                    <h4>The pack: {preview.pack.records} records</h4>
                    <ul>
                      {preview.pack.files.map((f) => (
                        <li key={f.name}>
                          {f.name} ({f.bytes} bytes)
                          {f.text !== null && f.name.endsWith('.csv') ? (
                            <div className="preview" tabIndex={0} role="region" aria-label={`${f.name} preview`}>
                              {f.text}
                            </div>
                          ) : null}
                        </li>
                      ))}
                    </ul>
                  </>
                ) : req.type === 'access' ? (
                  <p>No pack: nobody in the register is matched, so the letter says we hold nothing.</p>
                ) : null}
              </>
            ) : null}
            <div className="actions">
              <button type="button" onClick={() => run('Fulfilled: the letter has been sent.', () => fulfil(req.id, body()))}>
                Send response
              </button>
              <button type="button" className="secondary" onClick={() => setReviewing(false)}>
                Not yet
              </button>
            </div>
          </div>
        )}
      </Step>
    </section>
  );
}
