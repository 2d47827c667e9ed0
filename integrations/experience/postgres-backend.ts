/**
 * The production experience store: PostgreSQL through `pg`. Tables are created at start by
 * numbered migrations (CREATE … IF NOT EXISTS, under an advisory lock so the worker and the API
 * starting together do not race). Writes are `INSERT … ON CONFLICT (natural key) DO UPDATE`, so a
 * retried activity replaces its own row instead of adding one. Rows read back go through the same
 * schemas as the file store and are aggregated by the same code (aggregate.ts).
 */
import pg from 'pg';
import { IntegrationError, isIntegrationError, type IntegrationErrorCode } from '../errors';
import type { ExperienceRows } from '../../experience/aggregate';
import {
  InvalidExperienceRecordError,
  parseIncidentRecord,
  parseJourneyRecord,
  parseNpsAnswer,
} from '../../experience/schemas';
import { npsKeyOf, type ExperienceBackend, type NpsKey } from './store';
import type { IncidentRecord, JourneyRecord, NpsAnswer } from '../../experience/types';

export interface PostgresExperienceOptions {
  /** postgres://user:password@host:port/database (sslmode etc. as query parameters). */
  connectionString: string;
  /** Pool size (default 5). */
  maxConnections?: number;
  /** Per-statement limit in ms (default 15 s) so a stuck query fails and is retried instead of hanging an activity. */
  statementTimeoutMs?: number;
}

/** An arbitrary constant: the advisory lock that serialises migrations across processes. */
const migrationLock = 7_406_151_222;

/** Numbered, append-only: never edit one that has shipped, add the next. */
export const experienceMigrations: readonly { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE IF NOT EXISTS experience_journeys (
  journey_id          text PRIMARY KEY,
  service_id          text NOT NULL,
  requester           text NOT NULL,
  outcome             text NOT NULL,
  requested_at        timestamptz NOT NULL,
  finished_at         timestamptz NOT NULL,
  time_to_outcome_ms  bigint NOT NULL CHECK (time_to_outcome_ms >= 0),
  -- json, not jsonb: keeps the stages in journey order
  stage_ms            json NOT NULL,
  user_inputs         integer NOT NULL CHECK (user_inputs >= 0),
  messages_sent       integer NOT NULL CHECK (messages_sent >= 0),
  longest_silence_ms  bigint NOT NULL CHECK (longest_silence_ms >= 0),
  came_back           boolean NOT NULL,
  nps                 smallint CHECK (nps BETWEEN 0 AND 10),
  nps_comment         text,
  recorded_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS experience_journeys_finished_at ON experience_journeys (finished_at);
CREATE INDEX IF NOT EXISTS experience_journeys_service_finished_at ON experience_journeys (service_id, finished_at);

CREATE TABLE IF NOT EXISTS experience_incidents (
  incident_id                    text PRIMARY KEY,
  service_id                     text NOT NULL,
  declared_at                    timestamptz NOT NULL,
  first_announcement_at          timestamptz,
  time_to_first_announcement_ms  bigint CHECK (time_to_first_announcement_ms >= 0),
  subscribers_told               integer NOT NULL CHECK (subscribers_told >= 0),
  affected                       integer NOT NULL CHECK (affected >= 0),
  confirmed_fixed                integer NOT NULL CHECK (confirmed_fixed >= 0),
  still_broken                   integer NOT NULL CHECK (still_broken >= 0),
  no_answer                      integer NOT NULL CHECK (no_answer >= 0),
  followed_up                    integer NOT NULL CHECK (followed_up >= 0),
  last_settled_at                timestamptz,
  settle_time_ms                 bigint CHECK (settle_time_ms >= 0),
  reopened                       integer NOT NULL CHECK (reopened >= 0),
  recorded_at                    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS experience_incidents_declared_at ON experience_incidents (declared_at);
CREATE INDEX IF NOT EXISTS experience_incidents_service_declared_at ON experience_incidents (service_id, declared_at);

CREATE TABLE IF NOT EXISTS experience_nps_answers (
  subject      text NOT NULL CHECK (subject IN ('journey', 'incident')),
  subject_id   text NOT NULL,
  user_name    text NOT NULL,
  service_id   text NOT NULL,
  score        smallint NOT NULL CHECK (score BETWEEN 0 AND 10),
  comment      text,
  answered_at  timestamptz NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (subject, subject_id, user_name)
);
CREATE INDEX IF NOT EXISTS experience_nps_answers_answered_at ON experience_nps_answers (answered_at);
CREATE INDEX IF NOT EXISTS experience_nps_answers_service_answered_at ON experience_nps_answers (service_id, answered_at);
`,
  },
];

const transientSqlStateClasses = new Set([
  '08', // connection exception
  '40', // serialization failure, deadlock
  '53', // insufficient resources (too many connections, disk full)
  '57', // operator intervention (admin shutdown, statement timeout/cancel)
  '58', // system error (I/O)
]);

/** Maps a pg/network error to an IntegrationError: transient ones retryable, the rest permanent. */
export function classifyPostgresError(err: unknown, what: string): IntegrationError {
  if (isIntegrationError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  const sqlState =
    typeof err === 'object' &&
    err !== null &&
    'code' in err &&
    typeof err.code === 'string' &&
    /^[0-9A-Z]{5}$/.test(err.code)
      ? err.code
      : null;
  let code: IntegrationErrorCode = 'Unavailable';
  if (err instanceof InvalidExperienceRecordError) code = 'UnexpectedResponse';
  else if (sqlState !== null) {
    const klass = sqlState.slice(0, 2);
    if (transientSqlStateClasses.has(klass)) code = 'Unavailable';
    else if (klass === '28' || sqlState === '42501') code = 'NotAuthorized';
    else if (sqlState === '3D000') code = 'NotFound';
    else if (klass === '22' || klass === '23') code = 'InvalidRequest';
    else code = 'UnexpectedResponse';
  }
  // Without an SQLSTATE it is the network or the pool (ECONNREFUSED, "Connection terminated", timeouts): retry.
  return new IntegrationError(
    'metrics',
    code,
    `experience database: ${what} failed: ${message}${sqlState ? ` (SQLSTATE ${sqlState})` : ''}`,
    code === 'Unavailable',
    {
      cause: err,
    },
  );
}

const iso = (value: unknown): string | null =>
  value === null || value === undefined ? null : new Date(value as string | Date).toISOString();
const num = (value: unknown): number | null => (value === null || value === undefined ? null : Number(value));

type Row = Record<string, unknown>;

function journeyFromRow(row: Row): JourneyRecord {
  return parseJourneyRecord({
    journeyId: row.journey_id,
    serviceId: row.service_id,
    requester: row.requester,
    outcome: row.outcome,
    requestedAt: iso(row.requested_at),
    finishedAt: iso(row.finished_at),
    timeToOutcomeMs: num(row.time_to_outcome_ms),
    stageDurationsMs: row.stage_ms,
    userInputs: row.user_inputs,
    messagesSent: row.messages_sent,
    longestSilenceMs: num(row.longest_silence_ms),
    cameBack: row.came_back,
    nps: row.nps,
    npsComment: row.nps_comment,
  });
}

function incidentFromRow(row: Row): IncidentRecord {
  return parseIncidentRecord({
    incidentId: row.incident_id,
    serviceId: row.service_id,
    declaredAt: iso(row.declared_at),
    firstAnnouncementAt: iso(row.first_announcement_at),
    timeToFirstAnnouncementMs: num(row.time_to_first_announcement_ms),
    subscribersTold: row.subscribers_told,
    affected: row.affected,
    confirmedFixed: row.confirmed_fixed,
    stillBroken: row.still_broken,
    noAnswer: row.no_answer,
    followedUp: row.followed_up,
    lastSettledAt: iso(row.last_settled_at),
    settleTimeMs: num(row.settle_time_ms),
    reopened: row.reopened,
  });
}

function answerFromRow(row: Row): NpsAnswer {
  return parseNpsAnswer({
    ...(row.subject === 'journey' ? { journeyId: row.subject_id } : { incidentId: row.subject_id }),
    serviceId: row.service_id,
    user: row.user_name,
    score: row.score,
    comment: row.comment,
    at: iso(row.answered_at),
  });
}

const journeyColumns =
  'journey_id, service_id, requester, outcome, requested_at, finished_at, time_to_outcome_ms, stage_ms, user_inputs, messages_sent, longest_silence_ms, came_back, nps, nps_comment';
const incidentColumns =
  'incident_id, service_id, declared_at, first_announcement_at, time_to_first_announcement_ms, subscribers_told, affected, confirmed_fixed, still_broken, no_answer, followed_up, last_settled_at, settle_time_ms, reopened';
const answerColumns = 'subject, subject_id, user_name, service_id, score, comment, answered_at';

/** Runs the migrations not applied yet, in order, in one transaction. Safe to call from several processes at once. */
export async function migrateExperienceDatabase(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [migrationLock]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS experience_schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const applied = new Set(
      (await client.query<{ version: number }>('SELECT version FROM experience_schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    for (const migration of experienceMigrations) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query('INSERT INTO experience_schema_migrations (version) VALUES ($1)', [migration.version]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

/** A PostgreSQL-backed {@link ExperienceBackend}. Nothing connects until the first call (or `ready()`). */
export function createPostgresExperienceBackend(options: PostgresExperienceOptions): ExperienceBackend {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.maxConnections ?? 5,
    connectionTimeoutMillis: 10_000,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    application_name: 'service-journeys-experience',
  });
  // An idle connection dropped by the server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);

  let migrated: Promise<void> | null = null;
  const ready = (): Promise<void> => {
    migrated ??= migrateExperienceDatabase(pool).catch((err: unknown) => {
      migrated = null; // try again on the next call: the database may just not be up yet
      throw classifyPostgresError(err, 'migration');
    });
    return migrated;
  };

  const query = async (what: string, sql: string, params: unknown[]): Promise<Row[]> => {
    await ready();
    try {
      return (await pool.query<Row>(sql, params)).rows;
    } catch (err) {
      throw classifyPostgresError(err, what);
    }
  };

  return {
    ready,
    async upsertJourney(r) {
      await query(
        'record journey',
        `INSERT INTO experience_journeys (${journeyColumns})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::json, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (journey_id) DO UPDATE SET
           service_id = EXCLUDED.service_id, requester = EXCLUDED.requester, outcome = EXCLUDED.outcome,
           requested_at = EXCLUDED.requested_at, finished_at = EXCLUDED.finished_at,
           time_to_outcome_ms = EXCLUDED.time_to_outcome_ms, stage_ms = EXCLUDED.stage_ms,
           user_inputs = EXCLUDED.user_inputs, messages_sent = EXCLUDED.messages_sent,
           longest_silence_ms = EXCLUDED.longest_silence_ms, came_back = EXCLUDED.came_back,
           nps = EXCLUDED.nps, nps_comment = EXCLUDED.nps_comment, recorded_at = now()`,
        [
          r.journeyId,
          r.serviceId,
          r.requester,
          r.outcome,
          r.requestedAt,
          r.finishedAt,
          r.timeToOutcomeMs,
          JSON.stringify(r.stageDurationsMs),
          r.userInputs,
          r.messagesSent,
          r.longestSilenceMs,
          r.cameBack,
          r.nps,
          r.npsComment,
        ],
      );
    },
    async upsertIncident(r) {
      await query(
        'record incident',
        `INSERT INTO experience_incidents (${incidentColumns})
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
         ON CONFLICT (incident_id) DO UPDATE SET
           service_id = EXCLUDED.service_id, declared_at = EXCLUDED.declared_at,
           first_announcement_at = EXCLUDED.first_announcement_at,
           time_to_first_announcement_ms = EXCLUDED.time_to_first_announcement_ms,
           subscribers_told = EXCLUDED.subscribers_told, affected = EXCLUDED.affected,
           confirmed_fixed = EXCLUDED.confirmed_fixed, still_broken = EXCLUDED.still_broken,
           no_answer = EXCLUDED.no_answer, followed_up = EXCLUDED.followed_up,
           last_settled_at = EXCLUDED.last_settled_at, settle_time_ms = EXCLUDED.settle_time_ms,
           reopened = EXCLUDED.reopened, recorded_at = now()`,
        [
          r.incidentId,
          r.serviceId,
          r.declaredAt,
          r.firstAnnouncementAt,
          r.timeToFirstAnnouncementMs,
          r.subscribersTold,
          r.affected,
          r.confirmedFixed,
          r.stillBroken,
          r.noAnswer,
          r.followedUp,
          r.lastSettledAt,
          r.settleTimeMs,
          r.reopened,
        ],
      );
    },
    async upsertNpsAnswer(a) {
      const key = npsKeyOf(a);
      await query(
        'record NPS answer',
        `INSERT INTO experience_nps_answers (${answerColumns})
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (subject, subject_id, user_name) DO UPDATE SET
           service_id = EXCLUDED.service_id, score = EXCLUDED.score, comment = EXCLUDED.comment,
           answered_at = EXCLUDED.answered_at, recorded_at = now()
         WHERE experience_nps_answers.answered_at <= EXCLUDED.answered_at`,
        [key.subject, key.subjectId, key.user, a.serviceId, a.score, a.comment, a.at],
      );
    },
    async getJourney(journeyId) {
      const rows = await query(
        'read journey',
        `SELECT ${journeyColumns} FROM experience_journeys WHERE journey_id = $1`,
        [journeyId],
      );
      return rows[0] ? journeyFromRow(rows[0]) : null;
    },
    async getIncident(incidentId) {
      const rows = await query(
        'read incident',
        `SELECT ${incidentColumns} FROM experience_incidents WHERE incident_id = $1`,
        [incidentId],
      );
      return rows[0] ? incidentFromRow(rows[0]) : null;
    },
    async getNpsAnswer(key: NpsKey) {
      const rows = await query(
        'read NPS answer',
        `SELECT ${answerColumns} FROM experience_nps_answers WHERE subject = $1 AND subject_id = $2 AND user_name = $3`,
        [key.subject, key.subjectId, key.user],
      );
      return rows[0] ? answerFromRow(rows[0]) : null;
    },
    async rows(window, serviceId): Promise<ExperienceRows> {
      await ready();
      const params = [window.from.toISOString(), window.to.toISOString(), serviceId ?? null];
      const service = '($3::text IS NULL OR service_id = $3::text)';
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw classifyPostgresError(err, 'read rows');
      }
      try {
        // One snapshot for all three tables, so a report never mixes two moments.
        await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        const journeys = await client.query<Row>(
          `SELECT ${journeyColumns} FROM experience_journeys WHERE finished_at >= $1 AND finished_at < $2 AND ${service}`,
          params,
        );
        const incidents = await client.query<Row>(
          `SELECT ${incidentColumns} FROM experience_incidents WHERE declared_at >= $1 AND declared_at < $2 AND ${service}`,
          params,
        );
        const answers = await client.query<Row>(
          `SELECT ${answerColumns} FROM experience_nps_answers WHERE answered_at >= $1 AND answered_at < $2 AND ${service}`,
          params,
        );
        await client.query('COMMIT');
        return {
          journeys: journeys.rows.map(journeyFromRow),
          incidents: incidents.rows.map(incidentFromRow),
          answers: answers.rows.map(answerFromRow),
        };
      } catch (err) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw classifyPostgresError(err, 'read rows');
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
