/** Journey 1: what is due, then the promises board. */
import { useEffect, useState } from 'react';
import { Link } from '../../../app/router';
import { ErrorMessage, Page, Status } from '../../../components/ui/ui';
import { getDashboard, type DashboardData } from '../api/dashboard';

const daysText = (n: number): string => (n < 0 ? `${-n} ${-n === 1 ? 'day' : 'days'} overdue` : n === 0 ? 'due today' : `${n} ${n === 1 ? 'day' : 'days'} left`);

export function Dashboard() {
  const [data, setData] = useState<DashboardData | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    getDashboard().then(setData, setError);
  }, []);
  return (
    <Page title="Dashboard">
      <ErrorMessage error={error} />
      {!data && !error ? <Status>Loading…</Status> : null}
      {data ? <DashboardBody data={data} /> : null}
    </Page>
  );
}

function DashboardBody({ data }: { data: DashboardData }) {
  return (
    <>
      <section aria-labelledby="due-h">
        <h2 id="due-h">What is due</h2>
        {data.requests ? (
          <>
            <h3>
              Rights requests: {data.requests.open} open, {data.requests.overdue} overdue
            </h3>
            {data.requests.list.length === 0 ? (
              <p>No open rights requests.</p>
            ) : (
              <table>
                <caption className="skip">Open rights requests, overdue first</caption>
                <thead>
                  <tr>
                    <th scope="col">Reference</th>
                    <th scope="col">Type</th>
                    <th scope="col">Status</th>
                    <th scope="col">Due</th>
                    <th scope="col">Days left</th>
                  </tr>
                </thead>
                <tbody>
                  {data.requests.list.map((r) => (
                    <tr key={r.id}>
                      <td>
                        <Link to={`/requests/${r.id}`}>{r.reference}</Link>
                      </td>
                      <td>{r.type}</td>
                      <td>{r.status}</td>
                      <td>{r.dueOn}</td>
                      <td className={r.daysLeft < 0 ? 'overdue' : undefined}>{daysText(r.daysLeft)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        ) : null}
        {data.breaches ? (
          <>
            <h3>Breaches: {data.breaches.open} open</h3>
            {data.breaches.list.length === 0 ? (
              <p>No open breaches.</p>
            ) : (
              <ul>
                {data.breaches.list.map((b) => (
                  <li key={b.id}>
                    <Link to={`/breaches/${b.id}`}>{b.reference}</Link>: report to the ICO {b.icoState === 'pending' ? (b.hoursLeft < 0 ? <span className="overdue">{-b.hoursLeft} hours past the 72-hour deadline</span> : `${b.hoursLeft} hours left of 72`) : b.icoState}
                  </li>
                ))}
              </ul>
            )}
          </>
        ) : null}
        {data.holdsToReview ? (
          <p>
            Legal holds to review in the next 30 days: {data.holdsToReview.within30Days} ({data.holdsToReview.overdue} overdue).
          </p>
        ) : null}
        {data.consentRenewals ? <p>Consents to renew in the next 30 days: {data.consentRenewals.within30Days}.</p> : null}
        <h3>
          Declaration findings: {data.findings.errors} errors, {data.findings.warnings} warnings, {data.findings.infos} notes
        </h3>
        {data.findings.top.length > 0 ? (
          <ul>
            {data.findings.top.map((f, i) => (
              <li key={i}>
                <strong>{f.severity}</strong> ({f.rule}): {f.message}
              </li>
            ))}
          </ul>
        ) : null}
      </section>
      <section aria-labelledby="promises-h">
        <h2 id="promises-h">Promises board</h2>
        <p>What the published notice promises, beside the live evidence that it is kept.</p>
        {data.promises.map((p) => (
          <div className="card" key={p.id}>
            <h3>{p.promise}</h3>
            <p className={p.kept === false ? 'overdue' : p.kept ? 'ok' : undefined}>{p.kept === null ? 'Enforced by the register' : p.kept ? 'Kept' : 'Not kept: look at the evidence'}</p>
            <ul>
              {p.evidence.map((e) => (
                <li key={e}>{e}</li>
              ))}
            </ul>
          </div>
        ))}
      </section>
    </>
  );
}
