/**
 * Where the send ledger lives (integrations/ledger/config.ts) and how wiring/integrations.ts
 * wires it: PostgreSQL in production (never one worker's disk), the file in the embedded default.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeLedgerConfig, ledgerConfigFromEnv } from '../../../integrations/ledger/config';
import { ConfigError } from '../../../config/env';
import { loadCoreConfig } from '../../../config/core';
import { createIntegrations } from '../../../wiring/integrations';
import { startPostgres, type TestPostgres } from '../../support/servers';

const production = { integrations: 'production', dataDir: '.data' } as const;

function configError(env: Record<string, string | undefined>): string {
  try {
    ledgerConfigFromEnv(env, production);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('ledgerConfigFromEnv', () => {
  it('embedded: the file in DATA_DIR, whatever database variables are set', () => {
    expect(
      ledgerConfigFromEnv(
        { LEDGER_DATABASE_URL: 'postgres://db/x' },
        { integrations: 'embedded', dataDir: '/srv/data' },
      ),
    ).toEqual({ kind: 'file', path: '/srv/data/send-ledger.jsonl' });
  });

  it('production: LEDGER_DATABASE_URL first, else EXPERIENCE_DATABASE_URL (same database), pool 5 by default', () => {
    expect(
      ledgerConfigFromEnv(
        { LEDGER_DATABASE_URL: 'postgres://l:pw@ledger-db/journeys', EXPERIENCE_DATABASE_URL: 'postgres://e@exp-db/x' },
        production,
      ),
    ).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://l:pw@ledger-db/journeys',
      maxConnections: 5,
      from: 'LEDGER_DATABASE_URL',
    });
    expect(
      ledgerConfigFromEnv(
        {
          LEDGER_DATABASE_URL: ' ',
          EXPERIENCE_DATABASE_URL: 'postgresql://e@exp-db/x',
          LEDGER_DATABASE_POOL_MAX: '12',
        },
        production,
      ),
    ).toEqual({
      kind: 'postgres',
      connectionString: 'postgresql://e@exp-db/x',
      maxConnections: 12,
      from: 'EXPERIENCE_DATABASE_URL',
    });
  });

  it('production with neither variable is a ConfigError naming both', () => {
    const message = configError({ LEDGER_DATABASE_URL: '', EXPERIENCE_DATABASE_URL: undefined });
    expect(message).toMatch(
      /^LEDGER_DATABASE_URL: required when INTEGRATIONS=production unless EXPERIENCE_DATABASE_URL is set/,
    );
    expect(message.split('\n')).toHaveLength(1);
  });

  it('a bad value names the variable and never echoes the URL (it may hold a password)', () => {
    const message = configError({ LEDGER_DATABASE_URL: 'mysql://svc:hunter2-secret@db/ledger' });
    expect(message).toMatch(/^LEDGER_DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(message).not.toContain('hunter2');
    expect(configError({ LEDGER_DATABASE_URL: 'postgres://db/x', LEDGER_DATABASE_POOL_MAX: '0' })).toMatch(
      /^LEDGER_DATABASE_POOL_MAX: must be between 1 and 100/,
    );
  });

  it('describes the place for start-up logs without the password', () => {
    const text = describeLedgerConfig(
      ledgerConfigFromEnv(
        { EXPERIENCE_DATABASE_URL: 'postgres://svc:hunter2-secret@db.internal:5433/journeys' },
        production,
      ),
    );
    expect(text).toBe('postgres db.internal:5433/journeys (from EXPERIENCE_DATABASE_URL)');
  });
});

describe('createIntegrations: the ledger it wires', () => {
  let postgres: TestPostgres;
  beforeAll(async () => {
    postgres = await startPostgres();
  });
  afterAll(async () => {
    await postgres?.stop();
  });

  // Every production adapter's variables; none of them connects before it is used.
  const productionEnv = {
    INTEGRATIONS: 'production',
    TEMPORAL_ADDRESS: '127.0.0.1:7233',
    SESSION_SECRET: 's'.repeat(64),
    LINK_SECRET: 'l'.repeat(64),
    PUBLIC_URL: 'https://it.eagle5.example',
    LDAP_URL: 'ldaps://127.0.0.1:1636',
    LDAP_BIND_DN: 'CN=svc,DC=eagle5,DC=example',
    LDAP_BIND_PASSWORD: 'service-secret',
    LDAP_BASE_DN: 'DC=eagle5,DC=example',
    SERVICENOW_URL: 'https://127.0.0.1:8443',
    SERVICENOW_TOKEN: 'oauth-access-token',
    SMTP_HOST: '127.0.0.1',
    MAIL_FROM: 'IT Service Desk <it@eagle5.example>',
    TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: '0123456789abcdef0123',
    TWILIO_FROM: '+447700900000',
  };

  const settings = {
    publicUrl: 'https://it.eagle5.example',
    linkSecret: 'l'.repeat(64),
    serviceDeskEmail: 'desk@eagle5.example',
  };

  it('production without LEDGER_DATABASE_URL or EXPERIENCE_DATABASE_URL refuses to start', () => {
    const config = loadCoreConfig(productionEnv);
    expect(() => createIntegrations(config, settings, productionEnv, { demoPassword: '' })).toThrow(ConfigError);
    expect(() => createIntegrations(config, settings, productionEnv, { demoPassword: '' })).toThrow(
      /LEDGER_DATABASE_URL.*EXPERIENCE_DATABASE_URL/,
    );
  });

  it('production with EXPERIENCE_DATABASE_URL: the ledger is PostgreSQL in that database, and close() ends its pool', async () => {
    const url = await postgres.createDatabase();
    const env = { ...productionEnv, EXPERIENCE_DATABASE_URL: url };
    const integrations = createIntegrations(loadCoreConfig(env), settings, env, { demoPassword: '' });
    try {
      expect(await integrations.deps.ledger.claim('sms:wiring/check')).toEqual({ state: 'new' });
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        expect((await client.query('SELECT key FROM send_ledger')).rows).toEqual([{ key: 'sms:wiring/check' }]);
      } finally {
        await client.end();
      }
    } finally {
      await integrations.close();
    }
    // After close() the pool is gone: using the ledger again fails instead of reconnecting.
    await expect(integrations.deps.ledger.claim('sms:after-close')).rejects.toThrow();
  });

  it('embedded: the file ledger in DATA_DIR, as before', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sj-wiring-'));
    const env = { INTEGRATIONS: 'embedded', DATA_DIR: dataDir, LEDGER_DATABASE_URL: 'postgres://127.0.0.1:1/nothing' };
    const integrations = createIntegrations(loadCoreConfig(env), settings, env, { demoPassword: 'demo-password-123' });
    try {
      await integrations.deps.ledger.record('sms:embedded/check', 'SM1');
      expect(await readFile(join(dataDir, 'send-ledger.jsonl'), 'utf8')).toContain('sms:embedded/check');
    } finally {
      await integrations.close();
    }
  });
});
