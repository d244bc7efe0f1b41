/**
 * Any JSON answer as nested label/value lists: used where the API's shape is richer than a page
 * needs to know (retention explanations, consent), so a new field shows without a console change.
 */
import type { ReactNode } from 'react';

const label = (k: string): string => k.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[-_]/g, ' ').replace(/^./, (c) => c.toUpperCase());

export function Generic({ value }: { value: unknown }): ReactNode {
  if (value === null || value === undefined || value === '') return <>—</>;
  if (typeof value === 'boolean') return <>{value ? 'yes' : 'no'}</>;
  if (typeof value !== 'object') return <>{String(value)}</>;
  if (Array.isArray(value)) {
    if (value.length === 0) return <>none</>;
    return (
      <ul>
        {value.map((v, i) => (
          <li key={i}>
            <Generic value={v} />
          </li>
        ))}
      </ul>
    );
  }
  const entries = Object.entries(value as Record<string, unknown>);
  return (
    <dl className="facts">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{label(k)}</dt>
          <dd>
            <Generic value={v} />
          </dd>
        </div>
      ))}
    </dl>
  );
}
