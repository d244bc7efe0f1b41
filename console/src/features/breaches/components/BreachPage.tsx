/**
 * One breach: the 72-hour clock running from awareness, the facts, the risk and the decisions with
 * their reasons, the people affected, the letters (previewed, with the count, before any is sent),
 * the ICO report to read, print or download, the reminders and the timeline.
 */
import { useEffect, useState } from 'react';
import { Link } from '../../../app/router';
import { Facts, Page, PageLoading } from '../../../components/ui/ui';
import { useReloadable } from '../../../lib/reloadable';
import { useCan } from '../../../lib/session';
import { getBreach, reportUrl, type Breach } from '../api/breaches';
import { Steps } from './BreachSteps';

const two = (n: number) => String(n).padStart(2, '0');

/** The time left to report, ticking each second; the API's own words once reported or late. */
export function Clock({ clock }: { clock: Breach['clock'] }) {
  const [now, setNow] = useState(() => Date.now());
  const running = clock.state === 'within-time' || clock.state === 'due-soon' || clock.state === 'late';
  useEffect(() => {
    if (!running) return;
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, [running]);
  const ms = Date.parse(clock.deadline) - now;
  const abs = Math.abs(ms);
  const h = Math.floor(abs / 3_600_000);
  const m = Math.floor((abs % 3_600_000) / 60_000);
  const s = Math.floor((abs % 60_000) / 1000);
  const left = `${h} h ${two(m)} min ${two(s)} s`;
  return (
    <section aria-labelledby="clock-h" className="card">
      <h2 id="clock-h">The 72-hour clock</h2>
      {running ? (
        <p role="timer" aria-label="Time left to report to the ICO" className={ms <= 12 * 3_600_000 ? 'overdue' : 'ok'}>
          {ms >= 0 ? `${left} left to report to the ICO` : `${left} past the 72 hours: report now and give the reasons for the delay`}
        </p>
      ) : null}
      <Facts
        items={[
          ['Became aware', clock.awareAtUk],
          ['72 hours end', clock.deadlineUk],
          ['Status', clock.label],
        ]}
      />
    </section>
  );
}

export default function BreachPage({ id }: { id: string }) {
  const { data: b, error, done, reload } = useReloadable(() => getBreach(id), id);
  const mayManage = useCan('breaches:manage');
  if (!b) return <PageLoading title="Breach" error={error} />;
  const f = b.facts;
  const d = b.decisions;
  return (
    <Page title={`Breach ${b.reference}`}>
      <p>
        {f.title} ({b.status}) · <Link to="/breaches">All breaches</Link>
      </p>
      <Clock clock={b.clock} />
      {done ? <p role="status">{done}</p> : null}

      <h2>What is known</h2>
      <Facts
        items={[
          ['What happened', f.description],
          ['In plain words for the people affected', f.descriptionForPeople],
          ['Likely consequences', f.consequences],
          ['Measures taken', f.measuresTaken],
          ['Measures proposed', f.measuresProposed],
          ['Contact point', [b.contactPoint.name, b.contactPoint.email, b.contactPoint.phone].filter(Boolean).join(', ')],
        ]}
      />

      <h2>Risk and decisions</h2>
      <Facts
        items={[
          ['Risk to people', b.risk ? `${b.risk.level}: ${b.risk.reasons}${b.risk.exemptions.length ? ` (exemptions: ${b.risk.exemptions.join(', ')})` : ''}` : 'not yet assessed'],
          ['Report to the ICO', d.ico ? `${d.ico.decision}, decided by ${d.ico.decidedBy}: ${d.ico.reason}` : 'not yet decided'],
          ['Tell the people affected', d.people ? `${d.people.decision}, decided by ${d.people.decidedBy}: ${d.people.reason}` : 'not yet decided'],
          ['Reports to the ICO', b.icoReports.length ? b.icoReports.map((r) => `${r.phase} on ${r.submittedAt.slice(0, 16).replace('T', ' ')}${r.icoReference ? ` (ICO reference ${r.icoReference})` : ''}${r.late ? ', late' : ''}`).join('; ') : 'none yet'],
          ['People affected', b.affected ? `${b.affected.people} people, ${b.affected.records} records in the register` : 'not yet selected'],
          [
            'People told',
            `${b.notifications.email.sent} by email (${b.notifications.email.failed} failed, ${b.notifications.email.noAddress} without an address), ${b.notifications.post.exported} letters for post; ${b.notifications.notYetTold} not yet told`,
          ],
        ]}
      />

      {mayManage && b.status === 'open' ? <Steps b={b} onChanged={reload} /> : null}

      <h2>The report for the ICO</h2>
      <p>Every item Article 33(3) asks for, as known now; what is not yet known is listed to follow.</p>
      <ul>
        <li>
          <a href={reportUrl(b.id)} target="_blank" rel="noopener">
            Read or print the ICO report (opens in a new tab)
          </a>
        </li>
        <li>
          <a href={reportUrl(b.id)} download={`${b.reference}-ico-report.html`}>
            Download the ICO report
          </a>
        </li>
      </ul>

      <h2>Reminders</h2>
      {b.reminders.length === 0 ? (
        <p>No reminder sent yet. The privacy officer is emailed 48 hours and 12 hours before the 72 hours end, and when they end, until the breach is reported or decided unreportable.</p>
      ) : (
        <ul>
          {b.reminders.map((r) => (
            <li key={r.stage}>
              {r.stage === 'deadline' ? 'At the deadline' : `${r.stage.replace('h', '')} hours before`}: {r.status}
              {r.sentAt ? ` on ${r.sentAt.slice(0, 16).replace('T', ' ')}` : ''}
            </li>
          ))}
        </ul>
      )}

      <h2>Timeline</h2>
      <ol aria-label="Timeline">
        {(b.history ?? []).map((h) => (
          <li key={h.seq}>
            {h.atUk}: {h.summary} ({h.actorName})
          </li>
        ))}
      </ol>
    </Page>
  );
}
