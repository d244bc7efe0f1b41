/**
 * A loopback load generator, in a worker thread so it runs on the other core: `concurrency`
 * loops, each sending one request at a time over its own keep-alive connection, until `maxRequests`
 * have been sent or `seconds` have passed. Reports counts and latencies; never judges them.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

export interface LoadJob {
  entry: string;
  url: string;
  token: string;
  subjects: number;
  concurrency: number;
  seconds: number;
  maxRequests: number;
  warmupSeconds: number;
  /** 'search': POST /api/v1/subjects/search; 'healthz': GET /healthz (a `select 1`), the ceiling. */
  mode: 'search' | 'healthz' | 'cookie-consent';
  /** 'cookie-consent': POST /cookies/consent with this choice (a fresh visitor's each time), from this website. */
  cookieChoice?: string;
  cookieOrigin?: string;
}

export interface LoadResult {
  requests: number;
  errors: number;
  seconds: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
  firstError?: string;
}

const job = workerData as LoadJob;
const target = new URL(job.mode === 'search' ? '/api/v1/subjects/search' : job.mode === 'cookie-consent' ? '/cookies/consent' : '/healthz', job.url);
/**
 * One keep-alive connection speaking just enough HTTP/1.1 for this: a request written as one
 * buffer, a response read up to its Content-Length. Node's http client costs more CPU per request
 * than the server's search on this machine, and the generator shares the cores with the server;
 * a lean client measures the server, not itself (autocannon, the outside generator, does the same).
 */
class Connection {
  private socket: net.Socket;
  private buf: Buffer = Buffer.alloc(0);
  private pending: { resolve: (r: { status: number; body: string }) => void; reject: (e: Error) => void } | undefined;

  constructor() {
    this.socket = net.connect({ host: target.hostname, port: Number(target.port) });
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => {
      this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
      this.parse();
    });
    const fail = (e: Error) => {
      const p = this.pending;
      this.pending = undefined;
      p?.reject(e);
    };
    this.socket.on('error', fail);
    this.socket.on('close', () => fail(new Error('connection closed')));
  }

  private parse(): void {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0 || !this.pending) return;
    const head = this.buf.toString('latin1', 0, end);
    const status = Number(head.slice(9, 12));
    const m = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!m) {
      this.pending.reject(new Error(`HTTP ${status} without Content-Length`));
      this.pending = undefined;
      this.socket.destroy();
      return;
    }
    const total = end + 4 + Number(m[1]);
    if (this.buf.length < total) return;
    const body = this.buf.toString('utf8', end + 4, total);
    this.buf = this.buf.subarray(total);
    const p = this.pending;
    this.pending = undefined;
    p.resolve({ status, body });
  }

  send(body: string | undefined): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.socket.write(requestBytes(body));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

const host = `Host: ${target.host}\r\n`;
const fixed =
  job.mode === 'cookie-consent'
    ? `POST ${target.pathname} HTTP/1.1\r\n${host}${job.cookieOrigin ? `Origin: ${job.cookieOrigin}\r\nUser-Agent: Mozilla/5.0 (bench)\r\n` : ''}Content-Type: application/json\r\n`
    : job.mode === 'search'
      ? `POST ${target.pathname} HTTP/1.1\r\n${host}Authorization: Bearer ${job.token}\r\nContent-Type: application/json\r\n`
      : `GET ${target.pathname} HTTP/1.1\r\n${host}\r\n`;
const requestBytes = (body: string | undefined): string => (body === undefined ? fixed : `${fixed}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
const connections: Connection[] = [];

const emailOf = (i: number): string => `person.${i}@example.com`;

async function run(seconds: number, maxRequests: number, record: boolean): Promise<LoadResult> {
  const latencies: number[] = [];
  let sent = 0;
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const deadline = start + seconds * 1000;
  const loop = async (k: number): Promise<void> => {
    while (sent < maxRequests && performance.now() < deadline) {
      const n = sent++;
      const body = job.mode === 'search' ? JSON.stringify({ email: emailOf((n * 104_729 + k) % job.subjects) }) : job.mode === 'cookie-consent' ? job.cookieChoice : undefined;
      const t0 = performance.now();
      try {
        const res = await (connections[k] ??= new Connection()).send(body);
        if (res.status !== (job.mode === 'cookie-consent' ? 201 : 200) || (job.mode === 'search' && !res.body.includes('"subjects":[{'))) {
          errors++;
          firstError ??= `HTTP ${res.status}: ${res.body.slice(0, 200)}`;
        }
      } catch (e) {
        errors++;
        firstError ??= (e as Error).message;
      }
      if (record) latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, (_, k) => loop(k)));
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil((p / 100) * latencies.length) - 1))] ?? Number.NaN;
  return { requests: sent, errors, seconds: elapsed, perSec: sent / elapsed, p50Ms: pct(50), p99Ms: pct(99), ...(firstError ? { firstError } : {}) };
}

await run(job.warmupSeconds, Number.MAX_SAFE_INTEGER, false);
const result = await run(job.seconds, job.maxRequests, true);
for (const c of connections) c.close();
parentPort!.postMessage(result);
