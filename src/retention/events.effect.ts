/**
 * Which life events retention acts on at a given day: those in effect. An event recorded by someone
 * who may not erase waits for a privacy officer (see events.service: pending, approved, rejected),
 * so that an event cannot delete data before someone who may delete it has had the chance to look.
 */
import { sql, type RawBuilder } from 'kysely';
import type { CalendarDate } from './duration.js';

/** SQL condition on a life_events row (unqualified columns): in effect on `day`. */
export const eventInEffect = (day: CalendarDate): RawBuilder<boolean> =>
  sql<boolean>`(status = 'active' or (status = 'pending' and pending_until is not null and pending_until <= ${day}))`;
