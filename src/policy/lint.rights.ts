/**
 * Lint rules for rights requests (Arts 12-22): how people make them, the identity evidence asked
 * for (Art 12(6)), the response period (Art 12(3)) and the age of digital consent (Art 8, DPA 2018
 * s.9).
 */
import type { LintRule } from './lint.types.js';
import { controllerEntity } from './declaration.facts.js';

export const RIGHTS_RULES: readonly LintRule[] = [
  {
    id: 'rights-channels-missing',
    severity: 'warning',
    description: 'No channel for making rights requests is declared.',
    fix: 'Add rights.channels, e.g. [{ type: email, address: privacy@… }].',
    check: ({ policy }) =>
      policy.rights.channels.length > 0
        ? []
        : [{ path: ['rights', 'channels'], message: 'The declaration does not say how people can exercise their rights (access, erasure, objection …); the notice should tell them where to write. Add rights.channels, e.g. - { type: email, address: privacy@example.co.uk }.' }],
  },
  {
    id: 'rights-channel-address-missing',
    severity: 'warning',
    description: 'A rights request channel has no address and the organisation contact gives none either.',
    fix: 'Add address to the channel: the email address, phone number, postal address or form URL.',
    check: ({ policy }) => {
      const c = policy.organisation.contact;
      const entity = controllerEntity(policy);
      const fallback: Record<string, unknown> = {
        email: c.email,
        phone: c.phone,
        post: c.address ?? entity.registered_address ?? entity.trading_address,
        'web-form': c.contact_form ?? c.web,
        'in-person': c.address ?? entity.trading_address ?? entity.registered_address,
      };
      return policy.rights.channels.flatMap((ch, i) =>
        ch.address || fallback[ch.type]
          ? []
          : [{ path: ['rights', 'channels', i], message: `People are told they can make requests by ${ch.type}, but no ${ch.type === 'web-form' ? 'form address' : `${ch.type} address`} is given here or in organisation.contact. Add address to this channel.` }],
      );
    },
  },
  {
    id: 'identity-required-exceeds-accepted',
    severity: 'error',
    description: 'More pieces of identity evidence are required than kinds are accepted.',
    fix: 'Lower rights.identity.required or accept more kinds of evidence.',
    check: ({ policy }) => {
      const id = policy.rights.identity;
      return id && id.required !== undefined && id.required > id.accepted.length
        ? [{ path: ['rights', 'identity', 'required'], message: `Requesters must show ${String(id.required)} pieces of identity evidence, but only ${String(id.accepted.length)} kind${id.accepted.length === 1 ? ' is' : 's are'} accepted, so no one could ever pass. Lower required or add to accepted. Ask only for what is proportionate.` }]
        : [];
    },
  },
  {
    id: 'identity-evidence-unspecified',
    severity: 'info',
    description: 'Proof of identity is asked for without saying which evidence is accepted or how much is needed.',
    fix: 'Add rights.identity.accepted (e.g. [passport, driving-licence, utility-bill]) and rights.identity.required (how many).',
    check: ({ policy }) => {
      const id = policy.rights.identity;
      if (!id) return [];
      // More required than accepted is identity-required-exceeds-accepted, an error.
      if (id.required !== undefined && id.required > id.accepted.length) return [];
      const noKinds = id.accepted.length === 0;
      const noCount = id.required === undefined;
      if (!noKinds && !noCount) return [];
      const what = noKinds && noCount ? 'which kinds of evidence are accepted, nor how many pieces are needed' : noKinds ? 'which kinds of evidence are accepted' : 'how many pieces of evidence are needed';
      const add = [noKinds && 'accepted (e.g. [passport, driving-licence, utility-bill])', noCount && 'required (how many pieces)'].filter((a): a is string => Boolean(a));
      return [
        {
          path: ['rights', 'identity'],
          message: `rights.identity says proof of identity is asked for, but not ${what}, so the notice cannot tell people what to send. They then cannot send the right evidence with their request, which delays the answer: the response period starts only when the evidence arrives. This is allowed, but say what you ask for, and ask only for what is proportionate. Add ${add.join(' and ')} under rights.identity.`,
        },
      ];
    },
  },
  {
    id: 'response-period-28-days',
    severity: 'info',
    description: 'Rights requests are answered in a fixed 28 days (allowed; shorter than the statutory month).',
    fix: 'Nothing to fix; use calendar-month if you want the full statutory period.',
    check: ({ policy }) =>
      policy.rights.response_period === '28-days'
        ? [{ path: ['rights', 'response_period'], message: 'Requests are answered within a fixed 28 days. The ICO allows this, and it is never longer than the statutory one calendar month, but it is up to three days shorter; Steward will compute deadlines on 28 days.' }]
        : [],
  },
  {
    id: 'age-of-digital-consent',
    severity: 'warning',
    description: 'The age of digital consent is not 13, the UK age.',
    fix: 'Set rights.age_of_digital_consent: 13 unless you deliberately require parental consent for older children.',
    check: ({ policy }) => {
      const age = policy.rights.age_of_digital_consent;
      if (age === 13) return [];
      const message =
        age > 13
          ? `The age of digital consent is set to ${String(age)}, but in the UK it is 13 (Data Protection Act 2018 s9); ${String(age)} is the EU default. With ${String(age)} you would ask parents to consent for children aged 13 to ${String(age - 1)} who can consent for themselves. Set 13, unless you deliberately want the stricter rule.`
          : `The age of digital consent is set to ${String(age)}, below the UK age of 13 (Data Protection Act 2018 s9): children under 13 cannot consent themselves to online services. Set 13.`;
      return [{ path: ['rights', 'age_of_digital_consent'], message }];
    },
  },
];
