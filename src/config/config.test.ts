import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { StewardError } from '../shared/errors.js';
import { loadConfig, redactUrl } from './config.js';

const cwd = '/srv/steward';

describe('configuration', () => {
  it('uses documented defaults relative to the working directory', () => {
    const c = loadConfig({}, {}, cwd);
    expect(c.policyFile).toBe('/srv/steward/steward.yaml');
    expect(c.dataDir).toBe('/srv/steward/data');
    expect(c.databaseUrl).toBe('sqlite:/srv/steward/data/steward.sqlite');
    expect(c.port).toBe(8080);
    expect(c.host).toBe('127.0.0.1');
    expect(c.baseUrl).toBe('http://127.0.0.1:8080');
    expect(c.backupRetentionDays).toBe(35);
  });

  it('takes the backup retention in days from the environment or the file, and refuses nonsense', () => {
    expect(loadConfig({}, { STEWARD_BACKUP_RETENTION_DAYS: '90' }, cwd).backupRetentionDays).toBe(90);
    const dir = mkdtempSync(path.join(tmpdir(), 'steward-config-'));
    const file = path.join(dir, 'steward.config.yaml');
    writeFileSync(file, 'backup_retention_days: 14\n');
    expect(loadConfig({ config: file }, {}, cwd).backupRetentionDays).toBe(14);
    expect(() => loadConfig({}, { STEWARD_BACKUP_RETENTION_DAYS: '0' }, cwd)).toThrow(/STEWARD_BACKUP_RETENTION_DAYS/);
    expect(() => loadConfig({}, { STEWARD_BACKUP_RETENTION_DAYS: 'a month' }, cwd)).toThrow(/STEWARD_BACKUP_RETENTION_DAYS/);
  });

  it('takes flags over environment over file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'steward-config-'));
    const file = path.join(dir, 'steward.config.yaml');
    writeFileSync(file, 'port: 7000\nhost: 0.0.0.0\ndata_dir: /var/lib/steward\n');
    const c = loadConfig({ config: file, port: '9000' }, { STEWARD_HOST: '::1', STEWARD_DATA_DIR: '' }, cwd);
    expect(c.port).toBe(9000);
    expect(c.host).toBe('::1');
    expect(c.dataDir).toBe('/var/lib/steward');
    expect(c.baseUrl).toBe('http://[::1]:9000');
  });

  it('reads the database URL from STEWARD_DATABASE_URL', () => {
    const c = loadConfig({}, { STEWARD_DATABASE_URL: 'postgres://u:secret@db/steward' }, cwd);
    expect(c.databaseUrl).toBe('postgres://u:secret@db/steward');
    expect(redactUrl(c.databaseUrl)).toBe('postgres://u:***@db/steward');
  });

  it('names the setting that is wrong, as the user wrote it', () => {
    const attempt = (flags: object, env: Record<string, string>) => {
      try {
        loadConfig(flags, env, cwd);
      } catch (e) {
        return e as StewardError;
      }
      throw new Error('expected an error');
    };
    expect(attempt({ port: 'eighty' }, {}).message).toMatch(/^--port: /);
    expect(attempt({}, { STEWARD_PORT: '70000' }).message).toMatch(/^STEWARD_PORT: /);
    expect(attempt({}, { STEWARD_DATABASE_URL: 'mysql://x' }).message).toMatch(/^STEWARD_DATABASE_URL: must be a postgres/);
    expect(attempt({}, { STEWARD_LOG_LEVEL: 'loud' }).code).toBe('CONFIG_INVALID');
  });

  it('rejects unknown keys in the config file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'steward-config-'));
    const file = path.join(dir, 'c.yaml');
    writeFileSync(file, 'prot: 80\n');
    expect(() => loadConfig({ config: file }, {}, cwd)).toThrow(/unknown setting "prot"/);
  });
});
