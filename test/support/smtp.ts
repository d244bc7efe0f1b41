/** A real SMTP server on loopback for tests: every message that arrives, parsed. */
import PostalMime, { type Email } from 'postal-mime';
import { SMTPServer } from 'smtp-server';

export interface TestSmtp {
  url: string;
  messages: Array<Email & { envelopeTo: string[] }>;
  /** Resolves once at least `n` messages have arrived (or rejects after a timeout). */
  waitFor(n: number, timeoutMs?: number): Promise<void>;
  /**
   * The six-digit code in the first message to `email` among those after the first `after`,
   * waiting for it to arrive (or rejecting after a timeout).
   */
  codeFor(email: string, after?: number, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

export async function startTestSmtp(): Promise<TestSmtp> {
  const messages: TestSmtp['messages'] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        PostalMime.parse(Buffer.concat(chunks))
          .then((email) => {
            messages.push({ ...email, envelopeTo: session.envelope.rcptTo.map((r) => r.address) });
            callback();
          })
          .catch((e: Error) => callback(e));
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    async waitFor(n, timeoutMs = 5000) {
      const start = Date.now();
      while (messages.length < n) {
        if (Date.now() - start > timeoutMs) throw new Error(`expected ${n} messages, got ${messages.length}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    async codeFor(email, after = 0, timeoutMs = 5000) {
      const start = Date.now();
      let mail = messages.slice(after).find((m) => m.envelopeTo.includes(email));
      while (!mail) {
        if (Date.now() - start > timeoutMs) throw new Error(`no message to ${email} after the first ${after}`);
        await new Promise((r) => setTimeout(r, 20));
        mail = messages.slice(after).find((m) => m.envelopeTo.includes(email));
      }
      const code = /\b(\d{6})\b/.exec(mail.text ?? '')?.[1];
      if (!code) throw new Error(`the message to ${email} carries no six-digit code`);
      return code;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
