/**
 * Lint rules for who the controller is and how to reach it: the identity and contact details of
 * the controller (Art 13(1)(a), Art 14(1)(a)), of the DPO or privacy contact (Art 13(1)(b)), and of
 * the supervisory authority people may complain to (Art 13(2)(d), Art 77).
 */
import { type LintRule, list, q } from './lint.types.js';
import { controllerEntity } from './declaration.facts.js';

export const CONTROLLER_RULES: readonly LintRule[] = [
  {
    id: 'controller-contact-missing',
    severity: 'error',
    description: 'The organisation gives no way to contact it (Art 13(1)(a)).',
    fix: 'Add at least an email, phone number or postal address under organisation.contact.',
    check: ({ policy }) => {
      const c = policy.organisation.contact;
      return c.email || c.phone || c.address || c.web || c.contact_form || c.live_chat
        ? []
        : [{ path: ['organisation', 'contact'], message: 'The notice must say how to contact the organisation, but organisation.contact is empty. Add an email address, phone number or postal address.' }];
    },
  },
  {
    id: 'controller-address-missing',
    severity: 'warning',
    description: 'The controller has no postal address (registered, trading or contact address).',
    fix: 'Add registered_address to the controller entity, or organisation.contact.address.',
    check: ({ policy }) => {
      const org = policy.organisation;
      const controller = controllerEntity(policy);
      if (controller.registered_address || controller.trading_address || org.contact.address) return [];
      const i = org.entities.indexOf(controller);
      return [
        {
          path: ['organisation', 'entities', i],
          message: `The notice must identify the controller, ${q(controller.name)}, but no postal address is declared for it. Add registered_address (as at Companies House) to the entity, or an address under organisation.contact.`,
        },
      ];
    },
  },
  {
    id: 'controller-not-named',
    severity: 'warning',
    description: 'Several legal entities are declared but none is named as the controller.',
    fix: 'Set organisation.controller to the id of the entity that decides how the data is used.',
    check: ({ policy }) => {
      const org = policy.organisation;
      if (org.entities.length < 2 || org.controller) return [];
      return [
        {
          path: ['organisation', 'entities'],
          message: `The declaration covers ${String(org.entities.length)} companies (${list(org.entities.map((e) => e.name))}) but does not say which of them is the controller, so the notice would name the first by default. Set organisation.controller to the entity that decides how the data is used; if they decide together, list the other under organisation.joint_controllers.`,
        },
      ];
    },
  },
  {
    id: 'privacy-contact-missing',
    severity: 'info',
    description: 'No privacy contact or Data Protection Officer is declared.',
    fix: 'If you have a DPO (or a privacy lead) add organisation.privacy_contact with their contact details.',
    check: ({ policy }) =>
      policy.organisation.privacy_contact
        ? []
        : [{ path: ['organisation', 'privacy_contact'], message: 'No privacy contact is declared. If you have appointed a Data Protection Officer the notice must give their contact details (Art 13(1)(b)); if not, naming a person or team for privacy questions still helps. Add organisation.privacy_contact.' }],
  },
  {
    id: 'privacy-contact-unreachable',
    severity: 'warning',
    description: 'The DPO or privacy contact has no email, phone or address of their own.',
    fix: 'Add email, phone or address to organisation.privacy_contact (a shared mailbox is fine).',
    check: ({ policy }) => {
      const pc = policy.organisation.privacy_contact;
      if (!pc || pc.email || pc.phone || pc.address) return [];
      const who = pc.kind === 'dpo' ? 'Data Protection Officer' : 'privacy contact';
      return [
        {
          path: ['organisation', 'privacy_contact'],
          message: `The ${who}${pc.title ? ` (${pc.title})` : ''} has no contact details, so the notice cannot say how to reach them${pc.kind === 'dpo' ? ' as Art 13(1)(b) requires' : ''}. Add an email, phone number or address under organisation.privacy_contact.`,
        },
      ];
    },
  },
  {
    id: 'complaint-authority-contact-missing',
    severity: 'warning',
    description: 'The supervisory authority (the ICO) is named without a website or phone number.',
    fix: 'Give organisation.supervisory_authority a website (https://ico.org.uk) or phone (0303 123 1113), or remove it to use the default.',
    check: ({ policy }) => {
      const sa = policy.organisation.supervisory_authority;
      return sa.website || sa.phone
        ? []
        : [{ path: ['organisation', 'supervisory_authority'], message: `The notice must tell people they can complain to ${sa.name} (Art 13(2)(d)), but gives no way to reach it. Add website: https://ico.org.uk or phone: 0303 123 1113.` }];
    },
  },
];
