/**
 * Fulfilment of each kind of request, ending in a response letter, by type: access and
 * portability (requests.fulfil.copies.ts), erasure with its exceptions (requests.fulfil.erasure.ts),
 * rectification and restriction (requests.fulfil.corrections.ts), objection, objection to direct
 * marketing and withdrawal of consent (requests.fulfil.objections.ts). Art 19 tasks are created
 * for each recipient of the categories a rectification, erasure or restriction affected.
 */
import type { Actor } from '../auth/roles.js';
import type { AppContext } from '../kernel/context.js';
import { StewardError } from '../shared/errors.js';
import type { FulfilInput, FulfilOptions } from './requests.answering.js';
import type { ChangeResult } from './requests.change.js';
import { fulfilAccess, fulfilPortability } from './requests.fulfil.copies.js';
import { fulfilRectification, fulfilRestriction } from './requests.fulfil.corrections.js';
import { fulfilErasure } from './requests.fulfil.erasure.js';
import { fulfilMarketingObjection, fulfilObjection, fulfilWithdrawal } from './requests.fulfil.objections.js';
import { requestRow, type RequestType } from './requests.store.js';
import { isRequestType } from './requests.types.js';

/** Answers a request of one type, with the part of the input that type reads. */
export type Fulfilment = (ctx: AppContext, actor: Actor, idOrRef: string, input: FulfilInput, opts: FulfilOptions) => Promise<ChangeResult>;

/** Every type's answer: a type in REQUEST_TYPES without one here does not compile. */
export const FULFILMENT: { readonly [T in RequestType]: Fulfilment } = {
  access: fulfilAccess,
  portability: fulfilPortability,
  erasure: fulfilErasure,
  rectification: fulfilRectification,
  restriction: fulfilRestriction,
  objection: fulfilObjection,
  'marketing-objection': fulfilMarketingObjection,
  'withdraw-consent': fulfilWithdrawal,
};

/** One entry point for the transports: fulfils by the request's type (with `preview`, rolled back: nothing stored or sent). */
export async function fulfilRequest(ctx: AppContext, actor: Actor, idOrRef: string, input: FulfilInput = {}, opts: FulfilOptions = {}): Promise<ChangeResult> {
  const row = await requestRow(ctx.database.db, idOrRef);
  if (!isRequestType(row.type)) throw new StewardError('CONFLICT', `request ${row.reference} has an unknown type`);
  return FULFILMENT[row.type](ctx, actor, row.id, input, opts);
}
