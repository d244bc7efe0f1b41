/**
 * Outgoing email. Through SMTP when STEWARD_SMTP_URL is set (nodemailer); otherwise, for
 * development, each message is written as an .eml file to the outbox folder in the data directory
 * (mode 0600: messages name people). Callers never ask which.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { StewardError } from '../shared/errors.js';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
  /** Extra headers, e.g. List-Unsubscribe (RFC 8058). */
  headers?: Record<string, string>;
  replyTo?: string;
  attachments?: Array<{ filename: string; content: Buffer | string; contentType?: string }>;
}

export interface SentMail {
  messageId: string;
  /** Where it went: "smtp" or the .eml file path. */
  via: string;
}

export interface Mailer {
  readonly kind: 'smtp' | 'outbox';
  send(mail: Mail): Promise<SentMail>;
  close(): void;
}

export interface MailerOptions {
  smtpUrl?: string | undefined;
  from: string;
  outboxDir: string;
}

export function createMailer(opts: MailerOptions): Mailer {
  if (opts.smtpUrl) {
    let transport: Transporter;
    try {
      transport = nodemailer.createTransport(opts.smtpUrl, { from: opts.from });
    } catch (e) {
      throw new StewardError('CONFIG_INVALID', `STEWARD_SMTP_URL: ${(e as Error).message}`);
    }
    return {
      kind: 'smtp',
      async send(mail) {
        try {
          const info = (await transport.sendMail({ from: opts.from, ...mail })) as { messageId: string };
          return { messageId: info.messageId, via: 'smtp' };
        } catch (e) {
          // The SMTP server's reply may quote the address; keep only the code and the gist.
          const code = (e as { responseCode?: number }).responseCode;
          throw new StewardError('INTERNAL', `the mail server refused the message${code ? ` (SMTP ${code})` : ''}: ${(e as { code?: string }).code ?? 'send failed'}`);
        }
      },
      close: () => transport.close(),
    };
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    kind: 'outbox',
    async send(mail) {
      const info = (await transport.sendMail({ from: opts.from, ...mail })) as { messageId: string; message: Buffer };
      mkdirSync(opts.outboxDir, { recursive: true, mode: 0o700 });
      const file = path.join(opts.outboxDir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/[^\w.-]/g, '')}.eml`);
      writeFileSync(file, info.message, { mode: 0o600 });
      return { messageId: info.messageId, via: file };
    },
    close: () => transport.close(),
  };
}
