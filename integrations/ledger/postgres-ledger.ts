/**
 * The production send ledger: one PostgreSQL table shared by every worker, so the retry of an
 * activity that lands on another worker (another host) still finds what the first one claimed
 * or recorded. The file ledger cannot do that: it is one machine's disk.
 *
 * One row per logical message, keyed by the ledger key (`email:<idempotencyKey>`,
 * `sms:<idempotencyKey>`):
 * - the row is inserted by `claim` BEFORE the provider is called (`INSERT … ON CONFLICT DO
 *   NOTHING`: of any number of workers racing on a key, exactly one inserts it and gets `new`);
 * - `provider_id` is set by `record` once the provider accepted the message (first one wins);
 * - a row with `claimed_at` but no `provider_id` is an attempt that never recorded a result:
 *   the next claim answers `in-doubt` with the first claim's time;
 * - `in_doubt_resends` counts resends made while in doubt (email: SMTP cannot be asked), the
 *   copies beyond the first a recipient may have got. {@link readInDoubtResends} reads them.
 *
 * The table is created on first use (CREATE TABLE IF NOT EXISTS in a transaction holding an
 * advisory lock, so workers starting together do not race on the catalog). All times are the
 * database's `now()`, one clock for every worker.
 */
import pg from 'pg';
import type { Claim, SendLedger } from './types';

export interface PostgresLedgerOptions {
  /** postgres://user:password@host:port/database (sslmode etc. as query parameters). */
  connectionString: string;
  /** Pool size (default 5). */
  maxConnections?: number;
  /** Per-statement limit in ms (default 15 s): a stuck query fails and the activity is retried. */
  statementTimeoutMs?: number;
}

/** The table every worker shares. */
export const ledgerTable = 'send_ledger';

/** An arbitrary constant (not the experience store's): serialises the CREATE TABLE across processes. */
const schemaLock = 7_406_151_223;

const schemaSql = `
CREATE TABLE IF NOT EXISTS ${ledgerTable} (
  key               text PRIMARY KEY CHECK (key <> ''),
  -- the first claim: nothing an attempt sent for this key is older than this
  claimed_at        timestamptz NOT NULL DEFAULT now(),
  provider_id       text CHECK (provider_id <> ''),
  recorded_at       timestamptz,
  -- resends made while in doubt (the provider could not be asked); 0 for almost every row
  in_doubt_resends  integer NOT NULL DEFAULT 0 CHECK (in_doubt_resends >= 0),
  last_resend_at    timestamptz
);
CREATE INDEX IF NOT EXISTS ${ledgerTable}_in_doubt_resends ON ${ledgerTable} (key) WHERE in_doubt_resends > 0;
`;

/** Creates the table if it is missing. Safe to call from several processes at once. */
export async function ensureLedgerTable(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [schemaLock]);
    await client.query(schemaSql);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/**
 * A ledger failure, retried by Temporal like any other error that is not an IntegrationError.
 * The message carries pg's own text and SQLSTATE, never the connection string.
 */
export class LedgerError extends Error {
  override readonly name = 'LedgerError';
}

function ledgerError(what: string, err: unknown): LedgerError {
  const message = err instanceof Error ? err.message : String(err);
  const sqlState =
    typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? ` (${err.code})` : '';
  return new LedgerError(`send ledger: ${what} failed: ${message}${sqlState}`, { cause: err });
}

function newPool(options: PostgresLedgerOptions, application: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 5,
    connectionTimeoutMillis: 10_000,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    application_name: application,
  });
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  return pool;
}

function nonEmpty(key: string): void {
  if (key === '') throw new LedgerError('send ledger: key must not be empty');
}

/**
 * A {@link SendLedger} in PostgreSQL. Nothing connects until the first call (or `ready()`);
 * `close()` ends the pool.
 */
export function createPostgresLedger(
  options: PostgresLedgerOptions,
): SendLedger & { ready(): Promise<void>; close(): Promise<void> } {
  const pool = newPool(options, 'service-journeys-send-ledger');

  let created: Promise<void> | null = null;
  const ready = (): Promise<void> => {
    created ??= ensureLedgerTable(pool).catch((err: unknown) => {
      created = null; // try again next time: the database may just not be up yet
      throw ledgerError('creating the table', err);
    });
    return created;
  };

  const query = async <R extends pg.QueryResultRow>(what: string, sql: string, params: unknown[]): Promise<R[]> => {
    await ready();
    try {
      return (await pool.query<R>(sql, params)).rows;
    } catch (err) {
      throw ledgerError(what, err);
    }
  };

  return {
    ready,
    async lookup(key) {
      const rows = await query<{ provider_id: string | null }>(
        'lookup',
        `SELECT provider_id FROM ${ledgerTable} WHERE key = $1`,
        [key],
      );
      return rows[0]?.provider_id ?? null;
    },
    async claim(key): Promise<Claim> {
      nonEmpty(key);
      // Two statements, not one: after ON CONFLICT DO NOTHING skipped a row another worker just
      // committed, only a new statement's snapshot is sure to see it. A row released between the
      // two (the other attempt's provider refused the message) means the key is free again.
      for (let round = 0; round < 5; round++) {
        const inserted = await query(
          'claim',
          `INSERT INTO ${ledgerTable} (key) VALUES ($1) ON CONFLICT (key) DO NOTHING RETURNING key`,
          [key],
        );
        if (inserted.length > 0) return { state: 'new' };
        const rows = await query<{ provider_id: string | null; claimed_at: Date }>(
          'claim',
          `SELECT provider_id, claimed_at FROM ${ledgerTable} WHERE key = $1`,
          [key],
        );
        const row = rows[0];
        if (!row) continue;
        if (row.provider_id !== null) return { state: 'sent', providerId: row.provider_id };
        return { state: 'in-doubt', claimedAt: new Date(row.claimed_at) };
      }
      throw new LedgerError(`send ledger: claim of ${key} kept racing with releases; try again`);
    },
    async record(key, providerId) {
      if (key === '' || providerId === '') throw new LedgerError('send ledger: key and providerId must not be empty');
      await query(
        'record',
        `INSERT INTO ${ledgerTable} (key, provider_id, recorded_at) VALUES ($1, $2, now())
         ON CONFLICT (key) DO UPDATE SET provider_id = EXCLUDED.provider_id, recorded_at = EXCLUDED.recorded_at
         WHERE ${ledgerTable}.provider_id IS NULL`,
        [key, providerId],
      );
    },
    async release(key) {
      await query(
        'release',
        `DELETE FROM ${ledgerTable} WHERE key = $1 AND provider_id IS NULL AND in_doubt_resends = 0`,
        [key],
      );
    },
    async noteInDoubtResend(key) {
      nonEmpty(key);
      const rows = await query<{ in_doubt_resends: number }>(
        'count an in-doubt resend',
        `INSERT INTO ${ledgerTable} (key, in_doubt_resends, last_resend_at) VALUES ($1, 1, now())
         ON CONFLICT (key) DO UPDATE SET in_doubt_resends = ${ledgerTable}.in_doubt_resends + 1, last_resend_at = now()
         RETURNING in_doubt_resends`,
        [key],
      );
      return rows[0]?.in_doubt_resends ?? 1;
    },
    async cancelInDoubtResend(key) {
      await query(
        'take back an in-doubt resend',
        `UPDATE ${ledgerTable} SET in_doubt_resends = in_doubt_resends - 1 WHERE key = $1 AND in_doubt_resends > 0`,
        [key],
      );
    },
    async inDoubtResends(keyPrefix = '') {
      return countsFrom(await query<CountRow>('read in-doubt resends', inDoubtSql, [keyPrefix]));
    },
    close: () => pool.end(),
  };
}

type CountRow = { key: string; in_doubt_resends: number };
const inDoubtSql = `SELECT key, in_doubt_resends FROM ${ledgerTable} WHERE in_doubt_resends > 0 AND left(key, length($1::text)) = $1::text ORDER BY key`;

function countsFrom(rows: CountRow[]): Map<string, number> {
  return new Map(rows.map((r) => [r.key, r.in_doubt_resends]));
}

/**
 * The in-doubt resend counts in the ledger database at `connectionString`: ledger key →
 * how many times it was resent while in doubt (each one a copy beyond the first the recipient
 * may have got; an email resend carries the same Message-ID). Keys start with `email:` or
 * `sms:`; pass `keyPrefix` to narrow. An empty map when nothing was ever resent in doubt or the
 * table does not exist yet. Opens and closes its own connection; never creates anything.
 */
export async function readInDoubtResends(
  connectionString: string,
  options: { keyPrefix?: string } = {},
): Promise<Map<string, number>> {
  const client = new pg.Client({
    connectionString,
    connectionTimeoutMillis: 10_000,
    application_name: 'service-journeys-send-ledger-report',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const exists = await client.query<{ table: string | null }>('SELECT to_regclass($1)::text AS table', [ledgerTable]);
    if (exists.rows[0]?.table == null) return new Map();
    return countsFrom((await client.query<CountRow>(inDoubtSql, [options.keyPrefix ?? ''])).rows);
  } catch (err) {
    throw ledgerError('read in-doubt resends', err);
  } finally {
    await client.end().catch(() => undefined);
  }
}
