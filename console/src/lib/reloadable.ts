/**
 * A page's data, loaded once and again after each change the page makes: `reload(what)` fetches it
 * afresh and keeps `what` ("Verified.", "Letter sent.") to announce in a status line.
 */
import { useCallback, useEffect, useState } from 'react';

export interface Reloadable<T> {
  data: T | null;
  error: unknown;
  /** What the last change did, for a role="status" line; empty before any. */
  done: string;
  reload: (what: string) => void;
}

export function useReloadable<T>(load: () => Promise<T>, key: string): Reloadable<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [n, setN] = useState(0);
  const [done, setDone] = useState('');
  const reload = useCallback((what: string) => {
    setDone(what);
    setN((x) => x + 1);
  }, []);
  useEffect(() => {
    load().then(setData, setError);
    // `load` is a new function at each render: `key` says when it loads something else.
  }, [key, n]);
  return { data, error, done, reload };
}
