/**
 * Where the send ledger lives. With INTEGRATIONS=production: PostgreSQL, from
 * LEDGER_DATABASE_URL or else EXPERIENCE_DATABASE_URL (the same database as the experience
 * store is the intended default), and neither set is a ConfigError, because a ledger on one
 * worker's disk lets a retry on another worker send the message again. The embedded default
 * (`npm start`, one process on one machine) keeps the JSON-lines file `<DATA_DIR>/send-ledger.jsonl`.
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../config/env';
import { createFileLedger } from './file-ledger';
import { createPostgresLedger } from './postgres-ledger';
import type { SendLedger } from './types';

type Env = Record<string, string | undefined>;

export type LedgerConfig =
  | { kind: 'file'; path: string }
  | {
      kind: 'postgres';
      connectionString: string;
      maxConnections: number;
      /** Which variable the URL came from (for start-up logs; the URL itself is never shown). */
      from: 'LEDGER_DATABASE_URL' | 'EXPERIENCE_DATABASE_URL';
    };

function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'postgres:' || url.protocol === 'postgresql:') &&
      (url.hostname !== '' || url.searchParams.has('host'))
    );
  } catch {
    return false;
  }
}

const databaseUrl = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v))
  .refine(
    (v) => v === undefined || isPostgresUrl(v),
    'must be a postgres:// or postgresql:// URL, e.g. postgres://journeys:secret@db:5432/journeys',
  );

export const ledgerEnvSchema = z.object({
  LEDGER_DATABASE_URL: databaseUrl,
  EXPERIENCE_DATABASE_URL: databaseUrl,
  LEDGER_DATABASE_POOL_MAX: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be between 1 and 100')
    .max(100, 'must be between 1 and 100')
    .default(5),
});

/**
 * Reads LEDGER_DATABASE_URL, EXPERIENCE_DATABASE_URL and LEDGER_DATABASE_POOL_MAX (5) for
 * `integrations` mode. Empty values count as unset. Throws a ConfigError naming the variable;
 * never echoes a URL, which may hold a password.
 */
export function ledgerConfigFromEnv(
  env: Env,
  options: { integrations: 'embedded' | 'production'; dataDir: string },
): LedgerConfig {
  if (options.integrations === 'embedded') {
    if (options.dataDir.trim() === '')
      throw new ConfigError('DATA_DIR: must not be empty (the send ledger lives there)');
    return { kind: 'file', path: join(options.dataDir, 'send-ledger.jsonl') };
  }
  const result = ledgerEnvSchema.safeParse({
    LEDGER_DATABASE_URL: env.LEDGER_DATABASE_URL,
    EXPERIENCE_DATABASE_URL: env.EXPERIENCE_DATABASE_URL,
    LEDGER_DATABASE_POOL_MAX: env.LEDGER_DATABASE_POOL_MAX === '' ? undefined : env.LEDGER_DATABASE_POOL_MAX,
  });
  // Not the shared formatter: it would echo the URL, password included.
  if (!result.success)
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'));
  const parsed = result.data;
  const from =
    parsed.LEDGER_DATABASE_URL !== undefined
      ? 'LEDGER_DATABASE_URL'
      : parsed.EXPERIENCE_DATABASE_URL !== undefined
        ? 'EXPERIENCE_DATABASE_URL'
        : null;
  if (from === null) {
    throw new ConfigError(
      'LEDGER_DATABASE_URL: required when INTEGRATIONS=production unless EXPERIENCE_DATABASE_URL is set (not set): ' +
        "the send ledger must be shared by every worker (PostgreSQL), not kept on one worker's disk",
    );
  }
  return { kind: 'postgres', connectionString: parsed[from]!, maxConnections: parsed.LEDGER_DATABASE_POOL_MAX, from };
}

/** For start-up logs: where the ledger is, without the URL. */
export function describeLedgerConfig(config: LedgerConfig): string {
  if (config.kind === 'file') return `file ${config.path}`;
  const url = new URL(config.connectionString);
  return `postgres ${url.hostname}${url.port ? `:${url.port}` : ''}${url.pathname} (from ${config.from})`;
}

/** The ledger for a config. Nothing is opened yet; `close()` releases the pool (a no-op for the file). */
export function createLedgerFromConfig(config: LedgerConfig): { ledger: SendLedger; close: () => Promise<void> } {
  if (config.kind === 'file') return { ledger: createFileLedger(config.path), close: () => Promise.resolve() };
  const ledger = createPostgresLedger({
    connectionString: config.connectionString,
    maxConnections: config.maxConnections,
  });
  return { ledger, close: () => ledger.close() };
}
