/**
 * Journey 4: retention. The plan (what goes when, under which rule), holds, reviews to decide,
 * life events awaiting approval, and running it now (privacy officer and owner) with its outcome.
 */
import { useCallback, useEffect, useState } from 'react';
import { ErrorMessage, Facts, Page, Status } from '../../../components/ui/ui';
import { useCan } from '../../../lib/session';
import { getPlan, runNow, type Plan, type RunOutcome } from '../api/retention';
import { Holds, PendingEvents, Reviews } from './RetentionWork';

export default function Retention() {
  const mayManage = useCan('retention:manage');
  const [plan, setPlan] = useState<Plan | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(async () => {
    try {
      setPlan(await getPlan());
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload]);
  return (
    <Page title="Retention">
      <ErrorMessage error={error} />
      {!plan && !error ? <Status>Loading…</Status> : null}
      {plan ? <PlanView plan={plan} /> : null}
      {mayManage ? <RunNow onDone={reload} /> : null}
      <Holds mayManage={mayManage} onChange={reload} />
      <Reviews mayManage={mayManage} onChange={reload} />
      <PendingEvents mayManage={mayManage} onChange={reload} />
    </Page>
  );
}

const actionText = (a: string | null): string => (a === 'delete' ? 'deleted' : a === 'anonymise' ? 'anonymised' : 'not decided by a rule');

function PlanView({ plan }: { plan: Plan }) {
  return (
    <section aria-labelledby="plan-h">
      <h2 id="plan-h">The plan</h2>
      <p>
        As of {plan.asOf}: {plan.totals.records} records of {plan.totals.subjects} people are in the register. Nothing on this page changes anything until someone acts.
      </p>
      <table aria-label="Retention rules">
        <thead>
          <tr>
            <th scope="col">Rule</th>
            <th scope="col">What happens</th>
            <th scope="col">Due now</th>
            <th scope="col">Scheduled later</th>
            <th scope="col">Next end</th>
            <th scope="col">Held</th>
            <th scope="col">For review</th>
          </tr>
        </thead>
        <tbody>
          {plan.rules.map((r, i) => (
            <tr key={r.rule ?? `none-${i}`}>
              <th scope="row">
                {r.rule ?? 'no rule'}
                {r.description ? <div className="hint">{r.description}</div> : null}
              </th>
              <td>{actionText(r.action)}</td>
              <td className={r.due > 0 ? 'overdue' : undefined}>
                {r.due} records ({r.dueSubjects} people)
              </td>
              <td>
                {r.scheduled}
                {r.waiting.length > 0 ? <div className="hint">waiting for: {r.waiting.map((w) => `${w.event} (${w.records})`).join(', ')}</div> : null}
              </td>
              <td>{r.nextEnd ?? '—'}</td>
              <td>{r.held}</td>
              <td>{r.review}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Coming up to {plan.horizon}</h3>
      {plan.upcoming.length === 0 ? (
        <p>Nothing is due to go before {plan.horizon}.</p>
      ) : (
        <table aria-label="Coming up by month">
          <thead>
            <tr>
              <th scope="col">Month</th>
              <th scope="col">Rule</th>
              <th scope="col">What happens</th>
              <th scope="col">Records</th>
            </tr>
          </thead>
          <tbody>
            {plan.upcoming.map((u) => (
              <tr key={`${u.month}-${u.rule}-${u.action}`}>
                <td>{u.month}</td>
                <td>{u.rule}</td>
                <td>{actionText(u.action)}</td>
                <td>{u.records}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function RunNow({ onDone }: { onDone(): Promise<void> }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<RunOutcome | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = async () => {
    setError(null);
    setBusy(true);
    try {
      setOutcome(await runNow());
      setConfirming(false);
      await onDone();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="run-h">
      <h2 id="run-h">Run retention now</h2>
      <p>Retention runs every day on its own. Running it now deletes and anonymises, today, what the plan shows as due; held records are kept.</p>
      {confirming ? (
        <div className="card" role="group" aria-labelledby="run-confirm">
          <p id="run-confirm">This permanently deletes or anonymises every record due today. It cannot be undone. Continue?</p>
          <div className="actions">
            <button type="button" className="danger" onClick={run} disabled={busy}>
              Yes, run retention
            </button>
            <button type="button" className="secondary" onClick={() => setConfirming(false)}>
              Cancel
            </button>
          </div>
        </div>
      ) : (
        <button type="button" onClick={() => setConfirming(true)}>
          Run retention now
        </button>
      )}
      <ErrorMessage error={error} />
      {busy ? <Status>Running…</Status> : null}
      {outcome ? (
        <div role="status" className="card">
          {outcome.acquired ? (
            <>
              <p>
                Retention ran as of {outcome.asOf}
                {outcome.complete ? '' : ' (stopped early: another instance took over the rest)'}: {outcome.deleted} records deleted, {outcome.anonymised} anonymised.
              </p>
              <Facts
                items={[
                  ['People erased', outcome.subjectsErased],
                  ['Kept by a hold', outcome.held],
                  ['Kept by a condition or review', outcome.kept],
                  ['Restricted, not touched', outcome.restricted],
                  ['Statistics rows written', outcome.statistics],
                ]}
              />
              {outcome.rules.length > 0 ? (
                <ul>
                  {outcome.rules.map((r) => (
                    <li key={`${r.rule}-${r.action}`}>
                      {r.rule}: {r.records} records of {r.subjects} people {actionText(r.action)}
                    </li>
                  ))}
                </ul>
              ) : null}
            </>
          ) : (
            <p>Retention did not run: another instance is running it now. Try again in a few minutes.</p>
          )}
        </div>
      ) : null}
    </section>
  );
}
