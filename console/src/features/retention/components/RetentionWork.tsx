/** The retention page's work lists: legal holds, periodic reviews, and life events awaiting approval. */
import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Link } from '../../../app/router';
import { ErrorMessage, Status, TextField } from '../../../components/ui/ui';
import { decideEvent, decideReview, listHolds, listPending, listReviews, placeHold, releaseHold, type Hold, type LifeEvent, type ReviewDue } from '../api/retention';

/** Loads a list, and runs an action that reloads it and the plan: the shared shape of the three lists. */
function useList<T>(load: () => Promise<T>, onChange: () => Promise<void>) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState('');
  const reload = useCallback(async () => {
    try {
      setData(await load());
    } catch (e) {
      setError(e);
    }
  }, [load]);
  useEffect(() => {
    void reload();
  }, [reload]);
  const act = async (what: () => Promise<unknown>, done: string): Promise<boolean> => {
    setError(null);
    setMessage('');
    try {
      await what();
      await Promise.all([reload(), onChange()]);
      setMessage(done);
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };
  return { data, error, message, act };
}

const holdTarget = (h: Hold): string =>
  [h.subjectId ? `person ${h.subjectId}` : null, h.relationship ? `relationship ${h.relationship}` : null, h.category ? `category ${h.category}` : null].filter(Boolean).join(', ') || 'everything';

export function Holds({ mayManage, onChange }: { mayManage: boolean; onChange(): Promise<void> }) {
  const load = useCallback(() => listHolds().then((r) => r.holds), []);
  const { data, error, message, act } = useList(load, onChange);
  const [releaseReason, setReleaseReason] = useState('');
  return (
    <section aria-labelledby="holds-h">
      <h2 id="holds-h">Legal holds</h2>
      <p>Held data is never deleted or anonymised, whatever its rule says, until the hold is released.</p>
      <ErrorMessage error={error} />
      {message ? <Status>{message}</Status> : null}
      {data && data.length === 0 ? <p>No holds in place.</p> : null}
      {data && data.length > 0 ? (
        <>
          {mayManage ? <TextField label="Reason for releasing" hint="Recorded with the release" value={releaseReason} onChange={(e) => setReleaseReason(e.target.value)} /> : null}
          <table aria-label="Holds in place">
            <thead>
              <tr>
                <th scope="col">Holds</th>
                <th scope="col">Reason</th>
                <th scope="col">Placed</th>
                <th scope="col">Review on</th>
                <th scope="col">Expires</th>
                {mayManage ? <th scope="col">Actions</th> : null}
              </tr>
            </thead>
            <tbody>
              {data.map((h) => (
                <tr key={h.id}>
                  <td>{holdTarget(h)}</td>
                  <td>{h.reason}</td>
                  <td>{h.placedAt.slice(0, 10)}</td>
                  <td>{h.reviewOn}</td>
                  <td>{h.expiresOn ?? '—'}</td>
                  {mayManage ? (
                    <td>
                      <button type="button" className="secondary" aria-label={`Release hold: ${h.reason}`} onClick={() => act(() => releaseHold(h.id, releaseReason.trim()), 'The hold is released: due retention runs at the next run.')}>
                        Release
                      </button>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
      {mayManage ? <AddHold act={act} /> : null}
    </section>
  );
}

function AddHold({ act }: { act(what: () => Promise<unknown>, done: string): Promise<boolean> }) {
  const [subjectId, setSubjectId] = useState('');
  const [relationship, setRelationship] = useState('');
  const [category, setCategory] = useState('');
  const [reason, setReason] = useState('');
  const [reviewOn, setReviewOn] = useState('');
  const [expiresOn, setExpiresOn] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const body = {
      reason: reason.trim(),
      reviewOn,
      ...(subjectId.trim() ? { subjectId: subjectId.trim() } : {}),
      ...(relationship.trim() ? { relationship: relationship.trim() } : {}),
      ...(category.trim() ? { category: category.trim() } : {}),
      ...(expiresOn ? { expiresOn } : {}),
    };
    if (await act(() => placeHold(body), 'The hold is in place.')) {
      setReason('');
      setSubjectId('');
    }
  };
  return (
    <form onSubmit={submit} aria-labelledby="add-hold-h">
      <h3 id="add-hold-h">Place a hold</h3>
      <p className="hint">Give a person, a relationship, a category, or a combination.</p>
      <TextField label="Person (id)" value={subjectId} onChange={(e) => setSubjectId(e.target.value)} autoComplete="off" />
      <TextField label="Relationship (id)" hint="For example customer" value={relationship} onChange={(e) => setRelationship(e.target.value)} autoComplete="off" />
      <TextField label="Category (id)" value={category} onChange={(e) => setCategory(e.target.value)} autoComplete="off" />
      <TextField label="Reason for the hold" hint="For example the claim or investigation it is for" required value={reason} onChange={(e) => setReason(e.target.value)} />
      <TextField label="Review on" type="date" required value={reviewOn} onChange={(e) => setReviewOn(e.target.value)} />
      <TextField label="Expires on" type="date" value={expiresOn} onChange={(e) => setExpiresOn(e.target.value)} />
      <button type="submit">Place hold</button>
    </form>
  );
}

export function Reviews({ mayManage, onChange }: { mayManage: boolean; onChange(): Promise<void> }) {
  const load = useCallback(() => listReviews(), []);
  const { data, error, message, act } = useList(load, onChange);
  return (
    <section aria-labelledby="reviews-h">
      <h2 id="reviews-h">Reviews to decide</h2>
      <p>Some rules keep data until someone decides, at a set interval, whether it is still needed.</p>
      <ErrorMessage error={error} />
      {message ? <Status>{message}</Status> : null}
      {data && data.reviews.length === 0 ? <p>No reviews are due.</p> : null}
      {data?.reviews.map((r) => <ReviewCard key={`${r.subjectId}-${r.rule}`} review={r} mayManage={mayManage} act={act} />)}
    </section>
  );
}

function ReviewCard({ review, mayManage, act }: { review: ReviewDue; mayManage: boolean; act(what: () => Promise<unknown>, done: string): Promise<boolean> }) {
  const [reason, setReason] = useState('');
  const [nextReviewOn, setNext] = useState('');
  const [decision, setDecision] = useState<'keep' | 'delete'>('keep');
  const label = `Review of person ${review.subjectId} under ${review.rule}`;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    await act(
      () => decideReview({ subjectId: review.subjectId, rule: review.rule, decision, reason: reason.trim(), ...(decision === 'keep' && nextReviewOn ? { nextReviewOn } : {}) }),
      decision === 'keep' ? 'Kept, with the next review recorded.' : 'Deleted what the rule governs.',
    );
  };
  return (
    <div className="card" role="group" aria-label={label}>
      <p>
        <strong>{label}</strong>: {review.records} records, due {review.dueOn}
        {review.lastReview ? ` (last decided ${review.lastReview.decidedOn}: ${review.lastReview.decision})` : ''}
      </p>
      {mayManage ? (
        <form onSubmit={submit} aria-label={`Decide: ${label}`}>
          <fieldset>
            <legend>Decision</legend>
            <label>
              <input type="radio" name={`d-${review.subjectId}-${review.rule}`} checked={decision === 'keep'} onChange={() => setDecision('keep')} /> Keep
            </label>{' '}
            <label>
              <input type="radio" name={`d-${review.subjectId}-${review.rule}`} checked={decision === 'delete'} onChange={() => setDecision('delete')} /> Delete
            </label>
          </fieldset>
          <TextField label="Reason for the decision" required value={reason} onChange={(e) => setReason(e.target.value)} />
          {decision === 'keep' ? <TextField label="Next review on" type="date" value={nextReviewOn} onChange={(e) => setNext(e.target.value)} /> : null}
          <button type="submit">Record decision</button>
        </form>
      ) : null}
    </div>
  );
}

export function PendingEvents({ mayManage, onChange }: { mayManage: boolean; onChange(): Promise<void> }) {
  const load = useCallback(() => listPending().then((r) => r.events), []);
  const { data, error, message, act } = useList(load, onChange);
  const describe = (e: LifeEvent) => `${e.type} on ${e.date} for person ${e.subjectId}`;
  return (
    <section aria-labelledby="pending-h">
      <h2 id="pending-h">Life events awaiting approval</h2>
      <p>Events recorded by staff that start retention early (back-dated ones) wait for a privacy officer.</p>
      <ErrorMessage error={error} />
      {message ? <Status>{message}</Status> : null}
      {data && data.length === 0 ? <p>No events are waiting.</p> : null}
      {data && data.length > 0 ? (
        <table aria-label="Life events awaiting approval">
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">On</th>
              <th scope="col">Person</th>
              <th scope="col">Recorded</th>
              <th scope="col">Takes effect on its own</th>
              {mayManage ? <th scope="col">Decision</th> : null}
            </tr>
          </thead>
          <tbody>
            {data.map((e) => (
              <tr key={e.id}>
                <td>{e.type}</td>
                <td>{e.date}</td>
                <td className="code">
                  <Link to={`/people/${e.subjectId}`}>{e.subjectId}</Link>
                </td>
                <td>{e.recordedAt.slice(0, 10)}</td>
                <td>{e.pendingUntil ?? 'no: only by approval'}</td>
                {mayManage ? (
                  <td>
                    <div className="actions">
                      <button type="button" aria-label={`Approve ${describe(e)}`} onClick={() => act(() => decideEvent(e.id, 'approve'), 'Approved: retention acts on the event from now.')}>
                        Approve
                      </button>
                      <button type="button" className="secondary" aria-label={`Reject ${describe(e)}`} onClick={() => act(() => decideEvent(e.id, 'reject'), 'Rejected: retention will never act on the event.')}>
                        Reject
                      </button>
                    </div>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
