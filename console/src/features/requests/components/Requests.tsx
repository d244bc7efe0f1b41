/** Journey 4: the inbox by due date, and logging a request received by phone, letter or email. */
import { useEffect, useState, type FormEvent } from 'react';
import { Link, navigate } from '../../../app/router';
import { ErrorMessage, Page, SelectField, Status, TextArea, TextField } from '../../../components/ui/ui';
import { useCan } from '../../../lib/session';
import { listOpen, openRequest, REQUEST_TYPES, type OpenBody, type RequestSummary } from '../api/requests';

const CHANNELS = ['phone', 'letter', 'email', 'web'] as const satisfies readonly OpenBody['channel'][];

export default function Requests() {
  const [list, setList] = useState<RequestSummary[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const mayOpen = useCan('requests:open');
  useEffect(() => {
    listOpen().then((r) => setList(r.requests), setError);
  }, []);
  return (
    <Page title="Rights requests">
      <ErrorMessage error={error} />
      <h2>Open requests by due date</h2>
      {!list && !error ? <Status>Loading…</Status> : null}
      {list && list.length === 0 ? <p>No open requests.</p> : null}
      {list && list.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Reference</th>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col">Received</th>
              <th scope="col">Due</th>
            </tr>
          </thead>
          <tbody>
            {[...list]
              .sort((a, b) => a.dueOn.localeCompare(b.dueOn))
              .map((r) => (
                <tr key={r.id}>
                  <td>
                    <Link to={`/requests/${r.id}`}>{r.reference}</Link>
                  </td>
                  <td>{r.type}</td>
                  <td>{r.status}</td>
                  <td>{r.receivedOn}</td>
                  <td className={r.overdue ? 'overdue' : undefined}>
                    {r.dueOn} ({r.overdue ? `${-r.daysLeft} days overdue` : `${r.daysLeft} days left`})
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
      ) : null}
      {mayOpen ? <LogRequest /> : null}
    </Page>
  );
}

function LogRequest() {
  const [type, setType] = useState<OpenBody['type']>('access');
  const [channel, setChannel] = useState<OpenBody['channel']>('phone');
  const [receivedOn, setReceivedOn] = useState(new Date().toISOString().slice(0, 10));
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [phone, setPhone] = useState('');
  const [address, setAddress] = useState('');
  const [details, setDetails] = useState('');
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    const requester = { ...(name ? { name } : {}), ...(email ? { email } : {}), ...(phone ? { phone } : {}), ...(address ? { address } : {}) };
    try {
      const r = await openRequest({ type, channel, receivedOn, requester, ...(details ? { details } : {}) });
      navigate(`/requests/${r.id}`);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <section aria-labelledby="log-h">
      <h2 id="log-h">Log a request</h2>
      <form onSubmit={submit}>
        <ErrorMessage error={error} />
        <SelectField label="Type" value={type} onChange={(e) => setType(e.target.value as OpenBody['type'])} options={REQUEST_TYPES} />
        <SelectField label="Received by" value={channel} onChange={(e) => setChannel(e.target.value as OpenBody['channel'])} options={CHANNELS} />
        <TextField label="Received on" type="date" required value={receivedOn} onChange={(e) => setReceivedOn(e.target.value)} />
        <TextField label="Requester's name" value={name} onChange={(e) => setName(e.target.value)} />
        <TextField label="Requester's email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        <TextField label="Requester's phone" value={phone} onChange={(e) => setPhone(e.target.value)} />
        <TextArea label="Requester's postal address" value={address} onChange={(e) => setAddress(e.target.value)} />
        <TextArea label="What they asked for" value={details} onChange={(e) => setDetails(e.target.value)} />
        <button type="submit">Log request</button>
      </form>
    </section>
  );
}
