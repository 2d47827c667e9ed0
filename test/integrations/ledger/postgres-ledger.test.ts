/**
 * What only the PostgreSQL ledger has: its table made on first use by workers starting at once,
 * claims racing across real processes, the in-doubt report, and failures that never show the
 * connection string. (The claim/record/in-doubt contract it shares is in ledger.test.ts.)
 */
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresLedger, ledgerTable, readInDoubtResends } from '../../../integrations/ledger/postgres-ledger';
import { startPostgres, type TestPostgres } from '../../support/servers';

const exec = promisify(execFile);
const claimScript = fileURLToPath(new URL('./claim-process.ts', import.meta.url));

let postgres: TestPostgres;
beforeAll(async () => {
  postgres = await startPostgres();
});
afterAll(async () => {
  await postgres?.stop();
});

/** A port nothing listens on (it was free a moment ago). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Two real processes claim the same `count` keys at the same moment; returns each one's states. */
async function raceTwoProcesses(kind: 'file' | 'postgres', target: string, count: number): Promise<string[][]> {
  const runs = await Promise.all(
    [0, 1].map(() =>
      exec(process.execPath, ['--import', 'tsx', claimScript, kind, target, String(count)], { timeout: 60_000 }),
    ),
  );
  return runs.map((r) => JSON.parse(r.stdout.trim()) as string[]);
}

function expectOneNewPerKey(states: string[][], count: number): void {
  for (let i = 0; i < count; i++) {
    expect([states[0]![i], states[1]![i]].sort(), `race-${i}`).toEqual(['in-doubt', 'new']);
  }
}

describe('PostgreSQL send ledger', () => {
  it('creates its table on first use, once, when several workers start at the same moment', async () => {
    const url = await postgres.createDatabase();
    const ledgers = Array.from({ length: 6 }, () => createPostgresLedger({ connectionString: url }));
    try {
      // Every one's first call creates the table: concurrently, from six pools.
      const claims = await Promise.all(ledgers.map((l, i) => l.claim(`first-${i}`)));
      expect(claims.every((c) => c.state === 'new')).toBe(true);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const columns = await client.query<{ column_name: string }>(
          'SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position',
          [ledgerTable],
        );
        expect(columns.rows.map((r) => r.column_name)).toEqual([
          'key',
          'claimed_at',
          'provider_id',
          'recorded_at',
          'in_doubt_resends',
          'last_resend_at',
        ]);
        expect((await client.query('SELECT key FROM send_ledger')).rowCount).toBe(6);
      } finally {
        await client.end();
      }
    } finally {
      await Promise.all(ledgers.map((l) => l.close()));
    }
  });

  it('two worker processes (two pools) racing on the same 100 keys: exactly one gets new for each', async () => {
    const url = await postgres.createDatabase();
    const count = 100;
    expectOneNewPerKey(await raceTwoProcesses('postgres', url, count), count);
  });

  it('the file ledger holds the same guarantee for two processes on one disk', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'sj-ledger-race-')), 'send-ledger.jsonl');
    const count = 60;
    expectOneNewPerKey(await raceTwoProcesses('file', path, count), count);
  });

  it('readInDoubtResends: empty before the table exists, then each key with its count', async () => {
    const url = await postgres.createDatabase();
    expect(await readInDoubtResends(url)).toEqual(new Map());
    const ledger = createPostgresLedger({ connectionString: url });
    try {
      await ledger.claim('email:REQ-1/receipt');
      await ledger.claim('email:REQ-2/receipt');
      await ledger.claim('sms:REQ-1/link');
      expect(await readInDoubtResends(url)).toEqual(new Map());
      await ledger.noteInDoubtResend('email:REQ-1/receipt');
      await ledger.noteInDoubtResend('email:REQ-1/receipt');
      await ledger.noteInDoubtResend('sms:REQ-1/link');
      expect(await readInDoubtResends(url)).toEqual(
        new Map([
          ['email:REQ-1/receipt', 2],
          ['sms:REQ-1/link', 1],
        ]),
      );
      expect(await readInDoubtResends(url, { keyPrefix: 'email:' })).toEqual(new Map([['email:REQ-1/receipt', 2]]));
      // The same figures through the ledger itself.
      expect(await ledger.inDoubtResends('email:')).toEqual(new Map([['email:REQ-1/receipt', 2]]));
    } finally {
      await ledger.close();
    }
  });

  it('a database that is not there fails the call (retryable) without showing the URL or its password', async () => {
    const url = `postgres://journeys:hunter2-secret@127.0.0.1:${await freePort()}/journeys`;
    const ledger = createPostgresLedger({ connectionString: url });
    try {
      const err = await ledger.claim('sms:x').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/^send ledger: creating the table failed/);
      expect((err as Error).message).not.toContain('hunter2');
      const report = await readInDoubtResends(url).catch((e: unknown) => e);
      expect((report as Error).message).not.toContain('hunter2');
    } finally {
      await ledger.close();
    }
  });

  it('close() ends the pool: nothing is left connected', async () => {
    const url = await postgres.createDatabase();
    const database = new URL(url).pathname.slice(1);
    const ledger = createPostgresLedger({ connectionString: url });
    await ledger.claim('k');
    const connections = async (): Promise<number> => {
      const client = new pg.Client({ connectionString: postgres.url });
      await client.connect();
      try {
        const r = await client.query<{ n: string }>(
          "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'service-journeys-send-ledger'",
          [database],
        );
        return Number(r.rows[0]!.n);
      } finally {
        await client.end();
      }
    };
    expect(await connections()).toBeGreaterThan(0);
    await ledger.close();
    // The server notices the disconnect asynchronously.
    for (let i = 0; i < 50 && (await connections()) > 0; i++) await new Promise((r) => setTimeout(r, 50));
    expect(await connections()).toBe(0);
  });
});
