/**
 * The experience activities over real stores (the embedded file and a stopped PostgreSQL for
 * the failure case): idempotent writes, InvalidInput for bad records, retryable outages.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createExperienceActivities } from '../../activities/experience';
import { isIntegrationError } from '../../integrations/errors';
import { createFileExperienceBackend } from '../../integrations/experience/file-backend';
import { createPostgresExperienceBackend } from '../../integrations/experience/postgres-backend';
import { createExperienceStore } from '../../integrations/experience/store';
import type { ExperienceStore, JourneyRecord } from '../../experience/types';
import { startPostgres } from '../support/servers';
import { journey, mailIncidents, window } from '../experience/fixtures';

const record: JourneyRecord = journey({
  journeyId: 'fulfilment-expensatron-alice-1',
  serviceId: 'expensatron',
  requester: 'alice',
  finishedAt: '2026-03-02T10:02:00.000Z',
  timeToOutcomeMs: 120_000,
  stageDurationsMs: { eligibility: 1000, approval: 90_000, provisioning: 29_000 },
  userInputs: 2,
  messagesSent: 4,
  longestSilenceMs: 60_000,
  nps: 9,
  npsComment: 'smooth',
});

/** The activities as a worker runs them: each call in an activity context (they heartbeat while they work). */
function inActivityContext(deps: Parameters<typeof createExperienceActivities>[0]) {
  const activities = createExperienceActivities(deps);
  const run =
    <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> =>
      new MockActivityEnvironment({ activityType: 'experience' }).run(fn, ...args);
  return {
    recordJourneyExperience: run(activities.recordJourneyExperience),
    recordIncidentExperience: run(activities.recordIncidentExperience),
    recordNpsAnswer: run(activities.recordNpsAnswer),
  };
}

async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ApplicationFailure) return err;
    throw err;
  }
  throw new Error('expected an ApplicationFailure');
}

describe('experience activities', () => {
  let dir: string;
  let store: ExperienceStore;
  let activities: ReturnType<typeof inActivityContext>;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sj-experience-activities-'));
    store = createExperienceStore(createFileExperienceBackend(join(dir, 'experience.jsonl')));
    activities = inActivityContext({ experience: store });
  });

  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records a journey once however often the activity is retried', async () => {
    await activities.recordJourneyExperience(record);
    await activities.recordJourneyExperience(record);
    await activities.recordJourneyExperience(record);
    const [s] = await store.summarize(window);
    expect(s!.journeys.count).toBe(1);
    expect(s!.journeys.userInputs.mean).toBe(2);
    expect(s!.nps.journeys).toEqual({ responses: 1, promoters: 1, passives: 0, detractors: 0, score: 100 });
    expect(await store.journey(record.journeyId)).toEqual(record);
  });

  it('records incidents and NPS answers idempotently', async () => {
    const incident = mailIncidents()[0]!;
    await activities.recordIncidentExperience(incident);
    await activities.recordIncidentExperience(incident);
    const answer = {
      incidentId: incident.incidentId,
      serviceId: 'mail',
      user: 'bob',
      score: 3,
      comment: null,
      at: '2026-03-02T11:00:00.000Z',
    };
    await activities.recordNpsAnswer(answer);
    await activities.recordNpsAnswer(answer);
    const [mail] = await store.summarize(window);
    expect(mail!.incidents.count).toBe(1);
    expect(mail!.nps.incidents).toEqual({ responses: 1, promoters: 0, passives: 0, detractors: 1, score: -100 });
  });

  it('fails bad input at once with a non-retryable InvalidInput naming the field', async () => {
    const err = await failure(activities.recordJourneyExperience({ ...record, longestSilenceMs: 1.5 }));
    expect(err.type).toBe('InvalidInput');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('longestSilenceMs: must be a whole number of ms');

    const late = await failure(
      activities.recordJourneyExperience({ ...record, finishedAt: '2026-03-02T09:00:00.000Z' }),
    );
    expect(late.message).toContain('finishedAt: must not be before requestedAt');

    // a workflow passing something that is not a record at all
    const garbage = await failure(activities.recordIncidentExperience(null as unknown as never));
    expect(garbage.type).toBe('InvalidInput');

    const both = await failure(
      activities.recordNpsAnswer({
        journeyId: 'j',
        incidentId: 'i',
        serviceId: 's',
        user: 'u',
        score: 5,
        comment: null,
        at: '2026-03-02T10:00:00Z',
      }),
    );
    expect(both.type).toBe('InvalidInput');
    expect(both.nonRetryable).toBe(true);
    expect(await store.summarize(window)).toEqual([]);
  });

  it('lets Temporal retry when the database is down', async () => {
    const pg = await startPostgres();
    const url = pg.url;
    await pg.stop();
    const down = createExperienceStore(createPostgresExperienceBackend({ connectionString: url }));
    try {
      const err: unknown = await inActivityContext({ experience: down })
        .recordJourneyExperience(record)
        .then(
          () => null,
          (e: unknown) => e,
        );
      // not an ApplicationFailure: a plain retryable error, which Temporal retries with the activity's policy
      expect(err).not.toBeInstanceOf(ApplicationFailure);
      expect(isIntegrationError(err) && err.retryable && err.code === 'Unavailable').toBe(true);
    } finally {
      await down.close();
    }
  });
});
