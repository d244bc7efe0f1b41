/**
 * The public forms that start by proving control of an email address (the request form, the
 * complaint form, the preference page) share their steps, written once here:
 *
 *   GET  start    the form's first page: the person's email address
 *   POST code     a code mailed to it (src/kernel/email-codes.ts): the same answer, in the same
 *                 time, for every address; limited per client address
 *   POST submit   the code and the form's own fields: what the form does with them
 *
 * The routes go into a plugin set up with publicForms (public-pages.ts), which limits every view.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppContext } from '../kernel/context.js';
import { sendCode, type CodePurpose } from '../kernel/email-codes.js';
import { countIfCardRefusal } from '../promises/card-refusals.js';
import { isStewardError } from '../shared/errors.js';
import { formOf, sendHtml } from './html.js';
import { withinLimit } from './public-pages.js';
import type { LimitRule } from '../kernel/rate-limit.js';

/** A page to send, with its status. */
export interface Answer {
  status: number;
  html: string;
}

export interface CodeForm<Fields> {
  purpose: CodePurpose;
  paths: { start: string; code: string; submit: string };
  /** Codes asked for, per client address. */
  codeLimit: LimitRule;
  /** Whether to mail the code at all, decided after the answer (sendCode's mailIf); always when absent. */
  mailIf?(email: string): Promise<boolean>;
  /** The first page, with a message above it when given. */
  startPage(message?: string): string;
  /** The second page: the code, and the form's own fields (kept: as the person filled them in). */
  codePage(email: string, message?: string, kept?: Fields): string;
  /** The form's own fields from the body, bounded; a message for the person when one is wrong. */
  read(form: URLSearchParams): { fields: Fields; problem?: string | undefined };
  /** With the code: does what the form is for; undefined when the code is wrong or has expired. */
  submit(input: { email: string; code: string; fields: Fields; ip: string }): Promise<Answer | undefined>;
  /**
   * The fields to show back after a refusal: without those that may hold a card number when that
   * was the problem. Absent: the form takes no free text, and refusals are not caught.
   */
  refused?(fields: Fields, cardData: boolean): Fields;
}

const MAX_EMAIL = 320;
const MAX_CODE = 12;
const emailOf = (form: URLSearchParams): string => (form.get('email') ?? '').trim().slice(0, MAX_EMAIL);

export function codeFormRoutes<Fields>(app: FastifyInstance, ctx: AppContext, f: CodeForm<Fields>): void {
  const hidden = { schema: { hide: true } };
  const send = (reply: FastifyReply, a: Answer) => sendHtml(reply, a.status, a.html);

  app.get(f.paths.start, hidden, async (_req, reply) => sendHtml(reply, 200, f.startPage()));

  app.post(f.paths.code, hidden, async (req, reply) => {
    if (!(await withinLimit(ctx, f.codeLimit, req))) return sendHtml(reply, 429, f.startPage('Too many codes asked for from your network: please try again in an hour.'));
    const email = emailOf(formOf(req));
    try {
      // Not awaited by sendCode's design: the answer takes as long whatever the address.
      const mailIf = f.mailIf;
      await sendCode(ctx, f.purpose, email, { ip: req.ip, log: req.log, mailIf: mailIf && (() => mailIf(email)) });
    } catch (e) {
      if (!isStewardError(e) || e.code !== 'VALIDATION_FAILED') throw e;
      return sendHtml(reply, 400, f.startPage('That is not an email address.'));
    }
    return sendHtml(reply, 200, f.codePage(email));
  });

  app.post(f.paths.submit, hidden, async (req, reply) => {
    const form = formOf(req);
    const email = emailOf(form);
    const { fields, problem } = f.read(form);
    if (problem) return sendHtml(reply, 400, f.codePage(email, problem, fields));
    try {
      const done = await f.submit({ email, code: (form.get('code') ?? '').slice(0, MAX_CODE), fields, ip: req.ip });
      if (!done) return sendHtml(reply, 400, f.codePage(email, 'That code is not right, or it has expired. Check it, or go back and ask for a new one.', fields));
      return send(reply, done);
    } catch (e) {
      if (!f.refused || !isStewardError(e) || (e.code !== 'VALIDATION_FAILED' && e.code !== 'FORBIDDEN_DATA')) throw e;
      await countIfCardRefusal(ctx.database.db, 'public-form', ctx.clock.now(), e);
      // The messages name the field and the problem, never the value; what may hold a card
      // number is not shown back when it was the problem.
      const cardData = e.code === 'FORBIDDEN_DATA';
      const message = cardData ? 'Please take out any bank or card numbers and send it again.' : e.message;
      return sendHtml(reply, 400, f.codePage(email, message, f.refused(fields, cardData)));
    }
  });
}
