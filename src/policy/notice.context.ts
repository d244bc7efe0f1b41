/**
 * What every section of the notice is built with: lookups over the declaration (built once per
 * notice) and the small constructors of blocks, links and sections.
 */
import { categoriesOf, controllerEntity, isProcessorPurpose } from './declaration.facts.js';
import { clean } from './notice.text.js';
import type { Block, Link, NoticeSection, PrivacyCentreLinks, Rich, Span } from './notice.types.js';
import { retentionText } from './notice.wording.js';
import type { DataCategory, Entity, Policy, Purpose, Recipient, RetentionRule } from './policy.schema.js';

/** Lookups over the declaration, built once per notice. */
export class NoticeContext {
  readonly org: Policy['organisation'];
  readonly controller: Entity;
  constructor(
    readonly policy: Policy,
    readonly centre?: PrivacyCentreLinks,
  ) {
    this.org = policy.organisation;
    this.controller = controllerEntity(policy);
  }
  category = (id: string): DataCategory | undefined => this.policy.data_categories.find((c) => c.id === id);
  relationship = (id: string): Policy['relationships'][number] | undefined => this.policy.relationships.find((r) => r.id === id);
  source = (id: string): Policy['sources'][number] | undefined => this.policy.sources.find((s) => s.id === id);
  recipient = (id: string): Recipient | undefined => this.policy.recipients.find((r) => r.id === id);
  rule = (id: string | undefined): RetentionRule | undefined => (id === undefined ? undefined : this.policy.retention.find((r) => r.id === id));
  categoriesOf = (p: Purpose): DataCategory[] => categoriesOf(p, this.policy);
  isProcessor = (p: Purpose): boolean => isProcessorPurpose(p, this.policy);
  get processorRelationships(): Policy['relationships'] {
    return this.policy.relationships.filter((r) => r.role === 'processor');
  }
  /** Purposes where we are the controller: the ones this notice is really about. */
  get controllerPurposes(): Purpose[] {
    return this.policy.purposes.filter((p) => !this.isProcessor(p));
  }
  /** Purposes using consent, as their Art 6 basis or as their Art 9 condition. */
  get consentPurposes(): Purpose[] {
    return this.policy.purposes.filter((p) => p.lawful_basis === 'consent' || p.special_condition === 'explicit-consent');
  }
  get nonEssentialCookies(): Policy['cookies'] {
    return this.policy.cookies.filter((c) => c.category !== 'strictly-necessary');
  }
  /** The address people should use for privacy matters, by preference. */
  get privacyEmail(): string | undefined {
    return this.policy.rights.channels.find((c) => c.type === 'email')?.address ?? this.org.privacy_contact?.email ?? this.org.contact.email;
  }
  purposeLink = (p: Purpose): Link => ({ text: clean(p.name), href: `#purpose-${p.id}` });
}

export function section(id: string, heading: string, covers: string[], blocks: Block[], subsections: NoticeSection[] = []): NoticeSection {
  return { id, heading, covers, blocks, subsections };
}

export const para = (text: Rich): Block => ({ type: 'paragraph', text });
export const link = (text: string, href: string): Link => ({ text: clean(text), href: href.trim() });
export const emailLink = (address: string): Link => ({ text: clean(address), href: `mailto:${address.trim()}` });
/** A phone number as a tel: link (RFC 3966): digits and a leading plus only. */
export function phoneLink(number: string): Span {
  const digits = number.replace(/[^\d+]/g, '').replace(/(?!^)\+/g, '');
  return digits.replace('+', '').length >= 3 ? { text: clean(number), href: `tel:${digits}` } : clean(number);
}

export function interleave(items: Span[], separator: string): Span[] {
  return items.flatMap((item, i) => (i === 0 ? [item] : [separator, item]));
}

/** The retention promise for the notice: where no rule is declared, it says so rather than inventing one. */
export const retentionRich = (rule: RetentionRule | undefined): Rich => (rule ? retentionText(rule) : [{ missing: 'how long we keep this data' }]);
