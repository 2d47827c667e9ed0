/**
 * What only the PostgreSQL store has: migrations, failure classification, and the proof that
 * the TypeScript nearest-rank percentile is SQL's `percentile_disc` (and where they part).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { nearestRank } from '../../../experience/aggregate';
import { isIntegrationError, type IntegrationError } from '../../../integrations/errors';
import { createPostgresExperienceBackend } from '../../../integrations/experience/postgres-backend';
import { createExperienceStore } from '../../../integrations/experience/store';
import { startPostgres, type TestPostgres } from '../../support/servers';
import { journey } from '../../experience/fixtures';

let postgres: TestPostgres;

beforeAll(async () => {
  postgres = await startPostgres();
});

afterAll(async () => {
  await postgres?.stop();
});

async function caught(promise: Promise<unknown>): Promise<IntegrationError> {
  try {
    await promise;
  } catch (err) {
    if (isIntegrationError(err)) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('PostgreSQL experience store', () => {
  it('creates its tables once, even when several processes start together', async () => {
    const url = await postgres.createDatabase();
    const stores = Array.from({ length: 4 }, () =>
      createExperienceStore(createPostgresExperienceBackend({ connectionString: url })),
    );
    try {
      await Promise.all(stores.map((s) => s.ready()));
      await stores[0]!.ready();
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const versions = await client.query<{ version: number }>(
          'SELECT version FROM experience_schema_migrations ORDER BY version',
        );
        expect(versions.rows.map((r) => r.version)).toEqual([1]);
        const tables = await client.query<{ table_name: string }>(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE 'experience_%' ORDER BY table_name",
        );
        expect(tables.rows.map((r) => r.table_name)).toEqual([
          'experience_incidents',
          'experience_journeys',
          'experience_nps_answers',
          'experience_schema_migrations',
        ]);
      } finally {
        await client.end();
      }
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('stores one row per journey however often it is recorded', async () => {
    const url = await postgres.createDatabase();
    const store = createExperienceStore(createPostgresExperienceBackend({ connectionString: url }));
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const record = journey({
        journeyId: 'fulfilment-x-1',
        serviceId: 'x',
        finishedAt: '2026-03-02T10:00:00Z',
        timeToOutcomeMs: 1000,
        nps: 9,
        npsComment: null,
      });
      await Promise.all([store.recordJourney(record), store.recordJourney(record), store.recordJourney(record)]);
      expect((await client.query('SELECT count(*)::int AS n FROM experience_journeys')).rows[0]).toEqual({ n: 1 });
      expect((await client.query('SELECT count(*)::int AS n FROM experience_nps_answers')).rows[0]).toEqual({ n: 1 });
    } finally {
      await client.end();
      await store.close();
    }
  });

  it('reports an unreachable server as retryable Unavailable', async () => {
    // A port where nothing listens: the server was stopped a moment ago.
    const gone = await startPostgres();
    const url = gone.url;
    await gone.stop();
    const store = createExperienceStore(createPostgresExperienceBackend({ connectionString: url }));
    try {
      const err = await caught(
        store.recordJourney(
          journey({ journeyId: 'j', serviceId: 'x', finishedAt: '2026-03-02T10:00:00Z', timeToOutcomeMs: 1 }),
        ),
      );
      expect(err.code).toBe('Unavailable');
      expect(err.retryable).toBe(true);
      expect(err.system).toBe('metrics');
    } finally {
      await store.close();
    }
  });

  it('reports a database that does not exist as permanent NotFound', async () => {
    const store = createExperienceStore(
      createPostgresExperienceBackend({
        connectionString: `postgres://postgres@127.0.0.1:${postgres.port}/no_such_database`,
      }),
    );
    try {
      const err = await caught(store.ready());
      expect(err.code).toBe('NotFound');
      expect(err.retryable).toBe(false);
      expect(err.message).toContain('3D000');
    } finally {
      await store.close();
    }
  });
});

describe('nearest rank and percentile_disc', () => {
  let client: pg.Client;

  beforeAll(async () => {
    client = new pg.Client({ connectionString: postgres.url });
    await client.connect();
  });

  afterAll(async () => {
    await client?.end();
  });

  /** percentile_disc(p/100) over `values`, computed by PostgreSQL. */
  async function disc(values: number[], p: number): Promise<number> {
    const result = await client.query<{ v: number }>(
      'SELECT percentile_disc($2::float8) WITHIN GROUP (ORDER BY x)::int AS v FROM unnest($1::int[]) AS x',
      [values, p / 100],
    );
    return result.rows[0]!.v;
  }

  it('agree for p50, p90, p95 and p99 on every size from 1 to 120', async () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % 100_000;
    };
    for (let n = 1; n <= 120; n++) {
      const values = Array.from({ length: n }, random);
      const sorted = [...values].sort((a, b) => a - b);
      for (const p of [50, 90, 95, 99]) {
        expect(nearestRank(sorted, p), `p${p} of ${n} values`).toBe(await disc(values, p));
      }
    }
  });

  it('part for p55 of 100 values: PostgreSQL rounds 0.55·100 up to rank 56, nearest rank is 55', async () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(nearestRank(values, 55)).toBe(55);
    expect(await disc(values, 55)).toBe(56);
  });
});
