/**
 * The console's shell: the session gate (sign-in, then the password change a one-time password
 * needs), the navigation, and the routes. Sign-in and the dashboard are in the first load; every
 * other route loads when first opened.
 */
import { lazy, Suspense, useEffect, useState, type ReactNode } from 'react';
import { ErrorMessage, Status } from '../components/ui/ui';
import { ChangePassword } from '../features/auth/components/ChangePassword';
import { SignIn } from '../features/auth/components/SignIn';
import { currentSession, signOut } from '../features/auth/api/session';
import { Dashboard } from '../features/dashboard/components/Dashboard';
import { SessionContext, type Session } from '../lib/session';
import { Link, match, navigate, usePath } from './router';

const People = lazy(() => import('../features/people/components/People'));
const Person = lazy(() => import('../features/people/components/Person'));
const Requests = lazy(() => import('../features/requests/components/Requests'));
const RequestPage = lazy(() => import('../features/requests/components/RequestPage'));
const Breaches = lazy(() => import('../features/breaches/components/Breaches'));
const BreachPage = lazy(() => import('../features/breaches/components/BreachPage'));
const Marketing = lazy(() => import('../features/marketing/components/Marketing'));
const PersonConsent = lazy(() => import('../features/marketing/components/PersonConsent'));
const Declaration = lazy(() => import('../features/declaration/components/Declaration'));
const Retention = lazy(() => import('../features/retention/components/Retention'));
const Audit = lazy(() => import('../features/audit/components/Audit'));
const Users = lazy(() => import('../features/users/components/Users'));
const Import = lazy(() => import('../features/import/components/Import'));

/** Part 2's pages, each offered only to a role that may use it (the API refuses the others anyway). */
const SECTIONS = [
  { to: '/breaches', label: 'Breaches', permission: 'breaches:report' },
  { to: '/marketing', label: 'Marketing', permission: 'marketing:check' },
  { to: '/declaration', label: 'Declaration', permission: 'subjects:read' },
  { to: '/retention', label: 'Retention', permission: 'retention:read' },
  { to: '/audit', label: 'Audit', permission: 'audit:read' },
  { to: '/users', label: 'Users', permission: 'users:manage' },
] as const;

function route(path: string, permissions: readonly string[]): ReactNode {
  const section = SECTIONS.find((x) => x.to === path);
  if (section && !permissions.includes(section.permission)) {
    return (
      <>
        <h1>Not available to your role</h1>
        <p>
          Your role may not use this page. <Link to="/">Go to the dashboard</Link>
        </p>
      </>
    );
  }
  if (path === '/') return <Dashboard />;
  if (path === '/password') return <ChangePassword />;
  if (path === '/people') return <People />;
  if (path === '/people/import') return <Import />;
  const person = match('/people/:id', path);
  if (person) return <Person id={person.id!} />;
  if (path === '/requests') return <Requests />;
  const request = match('/requests/:id', path);
  if (request) return <RequestPage id={request.id!} />;
  if (path === '/breaches') return <Breaches />;
  const breach = match('/breaches/:id', path);
  if (breach) return <BreachPage id={breach.id!} />;
  if (path === '/marketing') return <Marketing />;
  const consent = match('/people/:id/consent', path);
  if (consent) return <PersonConsent id={consent.id!} />;
  if (path === '/declaration') return <Declaration />;
  if (path === '/retention') return <Retention />;
  if (path === '/audit') return <Audit />;
  if (path === '/users') return <Users />;
  return (
    <>
      <h1>Page not found</h1>
      <p>
        <Link to="/">Go to the dashboard</Link>
      </p>
    </>
  );
}

export function App() {
  const path = usePath();
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    currentSession().then(setSession, (e: unknown) => {
      setError(e);
      setSession(null);
    });
  }, []);

  if (session === undefined) return <Status>Loading…</Status>;
  if (session === null) {
    return (
      <>
        <ErrorMessage error={error} />
        <SignIn
          onSignedIn={(s) => {
            setError(null);
            setSession(s);
          }}
        />
      </>
    );
  }

  const signOutNow = async () => {
    try {
      await signOut();
    } finally {
      setSession(null);
      navigate('/', { replace: true });
    }
  };

  const state = { session, setSession };
  return (
    <SessionContext.Provider value={state}>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <span className="brand">Steward</span>
        {session.mustChangePassword ? null : (
          <nav aria-label="Main">
            <ul>
              <li>
                <Link to="/">Dashboard</Link>
              </li>
              {session.permissions.includes('subjects:read') ? (
                <li>
                  <Link to="/people">People</Link>
                </li>
              ) : null}
              {session.permissions.includes('requests:read') ? (
                <li>
                  <Link to="/requests">Requests</Link>
                </li>
              ) : null}
              {SECTIONS.filter((x) => session.permissions.includes(x.permission)).map((x) => (
                <li key={x.to}>
                  <Link to={x.to}>{x.label}</Link>
                </li>
              ))}
              <li>
                <Link to="/password">Password</Link>
              </li>
            </ul>
          </nav>
        )}
        <span className="who">
          {session.user.username} ({session.user.role})
        </span>
        <button type="button" className="secondary" onClick={signOutNow}>
          Sign out
        </button>
      </header>
      <main id="main">
        {session.mustChangePassword ? (
          <ChangePassword onChanged={() => navigate('/', { replace: true })} />
        ) : (
          <Suspense fallback={<Status>Loading…</Status>}>{route(path, session.permissions)}</Suspense>
        )}
      </main>
    </SessionContext.Provider>
  );
}
