/**
 * What fulfilling a request will send, before anything is sent: the response letter as it will
 * read and, for the types answered with a pack (access, portability), the files of the pack.
 * Nothing is stored or mailed; reading the person's records for it is audited like any read for a
 * rights request.
 *
 * For the other types the fulfilment itself runs, with the same input, inside a transaction that
 * is then rolled back (fulfilRequest's `preview` option): the letter is the one the real answer
 * would send, and every check the real answer makes (permissions, legal holds, exceptions, the
 * input) refuses the preview the same way.
 */
import { authorise, type Actor } from '../auth/roles.js';
import type { AppContext } from '../kernel/context.js';
import { StewardError } from '../shared/errors.js';
import type { FulfilInput } from './requests.answering.js';
import { ukToday } from './requests.clock.js';
import { fulfilRequest } from './requests.fulfil.js';
import { portableRecords } from './requests.fulfil.copies.js';
import { renderLetter } from './requests.letters.js';
import { packFiles } from './requests.pack.js';
import { PACK_TTL_DAYS } from './requests.pack-links.js';
import { CLOSED, openDoc, requestKey, requestRow } from './requests.store.js';
import { isPackType } from './requests.types.js';
import { getSubject } from '../register/register.read.js';
import { RIGHTS_REQUEST_PURPOSE } from '../register/register.access.js';

export interface FulfilPreview {
  letter: { subject: string; text: string };
  pack: { files: { name: string; bytes: number; text: string | null }[]; records: number } | null;
}

export const PREVIEW_LINK = '[the download link, made when the response is sent]';

export async function previewFulfil(ctx: AppContext, actor: Actor, idOrRef: string, input: FulfilInput = {}): Promise<FulfilPreview> {
  authorise(actor, 'requests:manage');
  const row = await requestRow(ctx.database.db, idOrRef);
  const type = row.type;
  if (!isPackType(type)) {
    const result = await fulfilRequest(ctx, actor, row.id, input, { preview: true });
    if (!result.letter) throw new StewardError('CONFLICT', `request ${row.reference} would send no letter`);
    return { letter: { subject: result.letter.subject, text: result.letter.text }, pack: null };
  }
  if (CLOSED.has(row.status)) throw new StewardError('CONFLICT', `request ${row.reference} is already ${row.status}`);
  const doc = openDoc(await requestKey(ctx, row), row);
  const today = ukToday(ctx.clock.now());
  const asSent = { ...row, status: 'completed' };
  if (!row.subject_id) {
    if (type === 'portability') throw new StewardError('CONFLICT', `request ${row.reference} is not matched to a person yet`);
    const letter = renderLetter(ctx.policy, 'access-no-data', asSent, { ...doc, result: { records: 0 } }, today);
    return { letter: { subject: letter.subject, text: letter.text }, pack: null };
  }
  let records = (await getSubject(ctx, actor, row.subject_id, RIGHTS_REQUEST_PURPOSE)).records;
  // The same selection as the answer itself (requests.fulfil.copies.ts).
  if (type === 'portability') records = portableRecords(ctx.policy, records);
  const files = packFiles(ctx.policy, records, { reference: row.reference, organisation: ctx.policy.policy.organisation.name, today, kind: type });
  const expiresOn = new Date(ctx.clock.now().getTime() + PACK_TTL_DAYS * 86_400_000).toISOString().slice(0, 10);
  const letter = renderLetter(ctx.policy, type, asSent, { ...doc, result: { records: records.length, link: PREVIEW_LINK, expiresOn } }, today);
  return {
    letter: { subject: letter.subject, text: letter.text },
    pack: {
      records: records.length,
      files: files.map((f) => {
        const bytes = typeof f.content === 'string' ? Buffer.byteLength(f.content) : f.content.length;
        return { name: f.name, bytes, text: typeof f.content === 'string' && /\.(csv|txt)$/.test(f.name) ? f.content : null };
      }),
    },
  };
}
