/**
 * One typed, validated configuration object, parsed once at start-up and passed in.
 * Precedence: command-line flags > environment > config file > defaults. A bad setting stops
 * start-up with a message naming the setting as the user wrote it (flag, variable or file key).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { StewardError, type ErrorDetail } from '../shared/errors.js';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const configSchema = z.strictObject({
  policy: z.string().min(1),
  dataDir: z.string().min(1),
  db: z
    .string()
    .refine((u) => /^postgres(ql)?:\/\//.test(u) || /^sqlite:/.test(u), 'must be a postgres://… URL or sqlite:FILE')
    .optional(),
  host: z.string().min(1),
  port: z.coerce.number().int().min(0).max(65535),
  logLevel: z.enum(logLevels),
  baseUrl: z.url().optional(),
  masterKey: z.string().optional(),
  bodyLimit: z.coerce.number().int().min(1024).max(512 * 1024 * 1024),
  smtpUrl: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(),
  mailFrom: z.string().min(3).max(320).optional(),
  backupRetentionDays: z.coerce.number().int().min(1).max(3650),
  cookieOrigins: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (typeof v === 'string' ? v.split(',') : v).map((o) => o.trim()).filter((o) => o !== ''))
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s?#]+$/, 'each must be an origin like https://www.example.co.uk (scheme and host, no path)').max(300)).max(50))
    .optional(),
  cookieRateLimit: z.coerce.number().int().min(1).max(1_000_000),
  trustProxy: z
    .union([z.boolean(), z.number(), z.string()])
    .transform((v, c): TrustProxy => {
      const parsed = parseTrustProxy(v);
      if (parsed === undefined) {
        c.addIssue({ code: 'custom', message: 'must be false, true, a number of proxy hops, or a comma-separated list of proxy addresses (CIDR allowed)' });
        return z.NEVER;
      }
      return parsed;
    }),
  tokenLifetimeDays: z.coerce.number().int().min(1).max(3650),
});

/**
 * Whose X-Forwarded-For to believe (Fastify's trustProxy): false, the default, uses the socket's
 * address; behind a reverse proxy give the proxy's address (or CIDR, or a list), or the number of
 * proxy hops; true trusts any sender and is only safe when nothing but the proxy can connect.
 * Without it, behind a proxy every client has the proxy's address, and the per-address sign-in
 * limit would lock everyone out together.
 */
export type TrustProxy = boolean | number | string[];

function parseTrustProxy(v: unknown): TrustProxy | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 && v <= 100 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const t = v.trim().toLowerCase();
  if (t === 'false' || t === 'no' || t === '0' || t === '') return false;
  if (t === 'true' || t === 'yes') return true;
  if (/^\d{1,2}$/.test(t)) return Number(t);
  const list = t.split(',').map((x) => x.trim()).filter(Boolean);
  // IPv4 or IPv6 addresses, optionally with a prefix length; Fastify (proxy-addr) checks them again.
  return list.length > 0 && list.every((x) => /^[0-9a-f.:]+(\/\d{1,3})?$/.test(x) && /[.:]/.test(x)) ? list : undefined;
}

export interface Config {
  /** Path of the declaration (YAML). */
  policyFile: string;
  /** Folder for the SQLite file, the key file, the mail outbox and exports. */
  dataDir: string;
  /** postgres://… or sqlite:/absolute/path. */
  databaseUrl: string;
  host: string;
  port: number;
  logLevel: (typeof logLevels)[number];
  /** Public address of the server, used in links it sends out. */
  baseUrl: string;
  /** Whether baseUrl was set (flag, environment or file) rather than derived from host and port. */
  baseUrlConfigured?: boolean;
  /** Key-encryption key material from the environment; otherwise a key file in dataDir. */
  masterKey: string | undefined;
  /** Largest request body accepted, in bytes. */
  bodyLimit: number;
  /** SMTP server for outgoing mail; without it mail goes to the outbox folder. */
  smtpUrl: string | undefined;
  /** The From address; defaults to the declaration's privacy contact. */
  mailFrom: string | undefined;
  /**
   * How long backups are kept, in days: a key-encryption-key epoch is retired this long after it
   * was superseded, so backups older than that can no longer be opened.
   */
  backupRetentionDays: number;
  /** Websites (origins) allowed to embed the cookie banner and send its consent log; undefined: those the declaration names. */
  cookieOrigins: string[] | undefined;
  /** Cookie choices accepted per visitor address per minute (a shared office address counts once). */
  cookieRateLimit: number;
  /** Which reverse proxies' X-Forwarded-For to believe (see TrustProxy); default false. */
  trustProxy: TrustProxy;
  /** Lifetime of an API token made without an explicit expiry, in days (default 90). */
  tokenLifetimeDays: number;
}

/** Settings as flags name them; undefined means "not given". */
export interface ConfigFlags {
  policy?: string;
  dataDir?: string;
  db?: string;
  host?: string;
  port?: string | number;
  logLevel?: string;
  baseUrl?: string;
  config?: string;
  trustProxy?: string;
}

type Key = keyof z.input<typeof configSchema>;

const envNames: Record<Key, string> = {
  policy: 'STEWARD_POLICY',
  dataDir: 'STEWARD_DATA_DIR',
  db: 'STEWARD_DATABASE_URL',
  host: 'STEWARD_HOST',
  port: 'STEWARD_PORT',
  logLevel: 'STEWARD_LOG_LEVEL',
  baseUrl: 'STEWARD_BASE_URL',
  masterKey: 'STEWARD_MASTER_KEY',
  bodyLimit: 'STEWARD_BODY_LIMIT',
  smtpUrl: 'STEWARD_SMTP_URL',
  mailFrom: 'STEWARD_MAIL_FROM',
  backupRetentionDays: 'STEWARD_BACKUP_RETENTION_DAYS',
  cookieOrigins: 'STEWARD_COOKIE_ORIGINS',
  cookieRateLimit: 'STEWARD_COOKIE_RATE_LIMIT',
  trustProxy: 'STEWARD_TRUST_PROXY',
  tokenLifetimeDays: 'STEWARD_TOKEN_LIFETIME_DAYS',
};

const flagNames: Partial<Record<Key, string>> = {
  policy: '--policy',
  dataDir: '--data-dir',
  db: '--db',
  host: '--host',
  port: '--port',
  logLevel: '--log-level',
  baseUrl: '--base-url',
  trustProxy: '--trust-proxy',
};

const fileKeys: Record<string, Key> = {
  policy: 'policy',
  data_dir: 'dataDir',
  database_url: 'db',
  host: 'host',
  port: 'port',
  log_level: 'logLevel',
  base_url: 'baseUrl',
  body_limit: 'bodyLimit',
  smtp_url: 'smtpUrl',
  mail_from: 'mailFrom',
  backup_retention_days: 'backupRetentionDays',
  cookie_origins: 'cookieOrigins',
  cookie_rate_limit: 'cookieRateLimit',
  trust_proxy: 'trustProxy',
  token_lifetime_days: 'tokenLifetimeDays',
};

const defaults = {
  policy: './steward.yaml',
  dataDir: './data',
  host: '127.0.0.1',
  port: 8080,
  logLevel: 'info',
  bodyLimit: 10 * 1024 * 1024,
  backupRetentionDays: 35,
  cookieRateLimit: 120,
  trustProxy: false,
  tokenLifetimeDays: 90,
} satisfies Partial<Record<Key, unknown>>;

function readConfigFile(file: string): Partial<Record<Key, unknown>> {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new StewardError('CONFIG_INVALID', `config file ${file} cannot be read: ${(e as Error).message.split('\n')[0]}`);
  }
  if (raw === null || raw === undefined) return {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new StewardError('CONFIG_INVALID', `config file ${file} must be a mapping of settings`);
  }
  const out: Partial<Record<Key, unknown>> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const key = fileKeys[k];
    if (!key) {
      throw new StewardError('CONFIG_INVALID', `config file ${file}: unknown setting "${k}" (known: ${Object.keys(fileKeys).join(', ')})`);
    }
    out[key] = v;
  }
  return out;
}

/**
 * Builds the configuration. `env` and `cwd` are parameters so tests never touch process state.
 */
export function loadConfig(flags: ConfigFlags, env: Record<string, string | undefined>, cwd: string): Config {
  const configFile = flags.config ?? env.STEWARD_CONFIG;
  const fromFile = configFile ? readConfigFile(path.resolve(cwd, configFile)) : {};
  const origin: Partial<Record<Key, string>> = {};
  const merged: Record<string, unknown> = { ...defaults };
  for (const key of Object.keys(envNames) as Key[]) {
    const flagValue = key in flagNames ? (flags as Record<string, unknown>)[key] : undefined;
    const envValue = env[envNames[key]];
    if (flagValue !== undefined) {
      merged[key] = flagValue;
      origin[key] = flagNames[key];
    } else if (envValue !== undefined && envValue !== '') {
      merged[key] = envValue;
      origin[key] = envNames[key];
    } else if (fromFile[key] !== undefined) {
      merged[key] = fromFile[key];
      origin[key] = `${configFile}: ${Object.entries(fileKeys).find(([, v]) => v === key)?.[0] ?? key}`;
    }
  }
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const details: ErrorDetail[] = parsed.error.issues.map((issue) => {
      const key = issue.path[0] as Key;
      // Never echo the master key, even when it is wrong.
      const name = origin[key] ?? flagNames[key] ?? envNames[key];
      return { path: name, message: `${name}: ${issue.message}` };
    });
    throw new StewardError('CONFIG_INVALID', details.map((d) => d.message).join('; '), details);
  }
  const c = parsed.data;
  const dataDir = path.resolve(cwd, c.dataDir);
  const databaseUrl = c.db
    ? c.db.startsWith('sqlite:')
      ? `sqlite:${path.resolve(cwd, c.db.slice('sqlite:'.length))}`
      : c.db
    : `sqlite:${path.join(dataDir, 'steward.sqlite')}`;
  return {
    policyFile: path.resolve(cwd, c.policy),
    dataDir,
    databaseUrl,
    host: c.host,
    port: c.port,
    logLevel: c.logLevel,
    baseUrl: (c.baseUrl ?? `http://${c.host.includes(':') ? `[${c.host}]` : c.host}:${c.port}`).replace(/\/$/, ''),
    baseUrlConfigured: c.baseUrl !== undefined,
    masterKey: c.masterKey,
    bodyLimit: c.bodyLimit,
    smtpUrl: c.smtpUrl,
    mailFrom: c.mailFrom,
    backupRetentionDays: c.backupRetentionDays,
    cookieOrigins: c.cookieOrigins?.map((o) => o.toLowerCase().replace(/\/$/, '')),
    cookieRateLimit: c.cookieRateLimit,
    trustProxy: c.trustProxy,
    tokenLifetimeDays: c.tokenLifetimeDays,
  };
}

/** The database URL with any password removed, for logs and messages. */
export const redactUrl = (url: string): string => url.replace(/(\/\/[^:/@]+):[^@/]*@/, '$1:***@');
