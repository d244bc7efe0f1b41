/**
 * The privacy officer as the declaration names them (organisation.privacy_contact, falling back
 * on the organisation's own contact details), for every feature that writes to them or signs in
 * their name: reminders of deadlines, response letters, the contact point of a breach.
 *
 * Pure functions of the declaration: no feature owns the privacy officer, so none borrows them
 * from another.
 */
import type { Policy } from './policy.schema.js';

/** Where mail for the privacy officer goes: the declared privacy contact's address, else the organisation's. */
export function privacyOfficerEmail(policy: Policy): string | undefined {
  const org = policy.organisation;
  return org.privacy_contact?.email ?? org.contact.email;
}

/** Who signs letters to people: the privacy contact's title, else their name, else "Privacy team". */
export function privacySignatory(policy: Policy): string {
  const pc = policy.organisation.privacy_contact;
  return pc?.title ?? pc?.name ?? 'Privacy team';
}

/** A contact point as given to the ICO and to people: only the details the declaration has. */
export interface DeclaredContactPoint {
  /** "Data Protection Officer", "Privacy contact", or "Contact point" (the organisation itself). */
  kind: string;
  name?: string;
  title?: string;
  email?: string;
  phone?: string;
}

/**
 * The contact point "where more information can be obtained" (Art 33(3)(b), Art 34(2)): the
 * privacy contact, with the organisation's email and phone where theirs are not given; without a
 * privacy contact, the organisation. Absent details are left out, not set to undefined: callers
 * spread this under what a breach records.
 */
export function declaredContactPoint(policy: Policy): DeclaredContactPoint {
  const org = policy.organisation;
  const pc = org.privacy_contact;
  const out: DeclaredContactPoint = pc ? { kind: pc.kind === 'dpo' ? 'Data Protection Officer' : 'Privacy contact' } : { kind: 'Contact point', name: org.name };
  const given = pc
    ? { name: pc.name, title: pc.title, email: pc.email ?? org.contact.email, phone: pc.phone ?? org.contact.phone }
    : { email: org.contact.email, phone: org.contact.phone };
  for (const [k, v] of Object.entries(given)) if (v) out[k as 'name' | 'title' | 'email' | 'phone'] = v;
  return out;
}
