/**
 * The same assertions against both stores: the embedded JSON-lines file and a real PostgreSQL
 * (started by test/support/postgres.ts). Known journeys in, exact aggregates out.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { createFileExperienceBackend } from '../../../integrations/experience/file-backend';
import { createPostgresExperienceBackend } from '../../../integrations/experience/postgres-backend';
import { InvalidExperienceRecordError } from '../../../experience/schemas';
import { createExperienceStore } from '../../../integrations/experience/store';
import type { ExperienceStore } from '../../../experience/types';
import { startPostgres, type TestPostgres } from '../../support/servers';
import { dist, empty, expensatron, noNps, nps } from '../../experience/expected';
import {
  expensatronJourneys,
  feed,
  journey,
  laterJourneyAnswers,
  mailAnswers,
  mailIncidents,
  window,
} from '../../experience/fixtures';

let postgres: TestPostgres;
const tempDirs: string[] = [];

beforeAll(async () => {
  postgres = await startPostgres();
});

afterAll(async () => {
  await postgres?.stop();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** A place (file or database) and how to open a store over it; opening twice gives two stores on the same data. */
interface Place {
  open(): ExperienceStore;
  describe: string;
}

const kinds: [string, () => Promise<Place>][] = [
  [
    'file',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'sj-experience-'));
      tempDirs.push(dir);
      const path = join(dir, 'experience.jsonl');
      return Promise.resolve({ open: () => createExperienceStore(createFileExperienceBackend(path)), describe: path });
    },
  ],
  [
    'postgres',
    async () => {
      const url = await postgres.createDatabase();
      return {
        open: () => createExperienceStore(createPostgresExperienceBackend({ connectionString: url })),
        describe: url,
      };
    },
  ],
];

describe.each(kinds)('experience store (%s)', (_kind, newPlace) => {
  let place: Place;
  let store: ExperienceStore;
  const opened: ExperienceStore[] = [];
  const open = (): ExperienceStore => {
    const s = place.open();
    opened.push(s);
    return s;
  };

  beforeEach(async () => {
    place = await newPlace();
    store = open();
    await store.ready();
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  it('computes exact per-service figures: nearest-rank percentiles, NPS, incidents', async () => {
    await feed(store);
    const services = await store.summarize(window, { percentiles: [80] });
    expect(services.map((s) => s.serviceId)).toEqual(['expensatron', 'mail', 'vpn']);
    expect(services[0]).toEqual(expensatron);

    const mail = services[1]!;
    expect(mail.journeys.count).toBe(0);
    expect(mail.journeys.timeToOutcomeMs).toEqual(empty([80]));
    expect(mail.incidents).toEqual({
      count: 3,
      subscribersTold: 250,
      affected: 45,
      confirmedFixed: 36,
      stillBroken: 3,
      noAnswer: 6,
      followedUp: 3,
      reopened: 1,
      unsettled: 1,
      // 60 s, 120 s, 300 s: p50 → rank 2; p80, p90 → rank 3
      timeToFirstAnnouncementMs: dist(3, 60_000, 300_000, 160_000, {
        50: 120_000,
        80: 300_000,
        90: 300_000,
        95: 300_000,
        99: 300_000,
      }),
      // 30 min and 2 h (the third is not settled yet): p50 → rank 1; p80 → rank 2
      settleTimeMs: dist(2, 1_800_000, 7_200_000, 4_500_000, {
        50: 1_800_000,
        80: 7_200_000,
        90: 7_200_000,
        95: 7_200_000,
        99: 7_200_000,
      }),
    });
    // 10 6 5 9 9 2 8 10 → 4 promoters, 1 passive, 3 detractors: 100·(4−3)/8 = 12.5 → 13 (half away from zero)
    expect(mail.nps).toEqual({ overall: nps(8, 4, 1, 3, 13), journeys: noNps, incidents: nps(8, 4, 1, 3, 13) });

    const vpn = services[2]!;
    expect(vpn.journeys.timeToOutcomeMs).toEqual(
      dist(8, 10_000, 80_000, 45_000, { 50: 40_000, 80: 70_000, 90: 80_000, 95: 80_000, 99: 80_000 }),
    );
    // 9 0 6 7 7 8 8 7 → 100·(1−2)/8 = −12.5 → −13
    expect(vpn.nps.overall).toEqual(nps(8, 1, 5, 2, -13));
  });

  it('summarizes one service on request', async () => {
    await feed(store);
    const only = await store.summarize(window, { serviceId: 'expensatron', percentiles: [80] });
    expect(only).toEqual([expensatron]);
    expect(await store.summarize(window, { serviceId: 'nothing-here' })).toEqual([]);
  });

  it('counts a window half-open by finishedAt: the start is in, the end is out', async () => {
    await feed(store);
    const [e] = await store.summarize(window, { serviceId: 'expensatron' });
    expect(e!.journeys.count).toBe(20);
    const wider = await store.summarize(
      { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-05T00:00:00Z') },
      { serviceId: 'expensatron' },
    );
    expect(wider[0]!.journeys.count).toBe(22);
    expect(wider[0]!.journeys.timeToOutcomeMs.max).toBe(99 * 3_600_000);
    expect(
      await store.summarize({ from: new Date('2026-03-05T00:00:00Z'), to: new Date('2026-03-06T00:00:00Z') }),
    ).toEqual([]);
  });

  it('gives a per-day series per service (UTC days, only days with data)', async () => {
    await feed(store);
    const days = await store.daily(window);
    expect(days.map((d) => [d.day, d.serviceId, d.journeys, d.incidents])).toEqual([
      ['2026-03-02', 'expensatron', 10, 0],
      ['2026-03-02', 'mail', 0, 1],
      ['2026-03-03', 'expensatron', 10, 0],
      ['2026-03-03', 'mail', 0, 2],
      ['2026-03-03', 'vpn', 8, 0],
    ]);
    const [e1, m1, e2, m2, v2] = days;
    // 2 March: 120 45 30 600 75 90 15 240 60 33 → sorted 15 30 33 45 60 | 75 90 120 240 600
    expect(e1!.timeToOutcomeMs).toEqual(
      dist(10, 15_000, 600_000, 130_800, { 50: 60_000, 90: 240_000, 95: 600_000, 99: 600_000 }),
    );
    // 10 10 9 9 9 8 7 → 5 promoters of 7 = 71.43 → 71
    expect(e1!.nps).toEqual(nps(7, 5, 2, 0, 71));
    // 3 March: 48 52 3600 20 25 70 80 110 95 61 → sorted 20 25 48 52 61 | 70 80 95 110 3600
    expect(e2!.timeToOutcomeMs).toEqual(
      dist(10, 20_000, 3_600_000, 416_100, { 50: 61_000, 90: 110_000, 95: 3_600_000, 99: 3_600_000 }),
    );
    // e11 6, e13 0, e14 4, e15 10 → (1 − 3)/4 = −50
    expect(e2!.nps).toEqual(nps(4, 1, 0, 3, -50));
    expect(m1!.settleTimeMs).toEqual(
      dist(1, 7_200_000, 7_200_000, 7_200_000, { 50: 7_200_000, 90: 7_200_000, 95: 7_200_000, 99: 7_200_000 }),
    );
    expect(m1!.nps).toEqual(nps(8, 4, 1, 3, 13));
    expect(m2!.settleTimeMs.count).toBe(1);
    expect(v2!.nps.score).toBe(-13);
  });

  it('lists the worst journeys with their ids', async () => {
    await feed(store);
    const worst = await store.worstJourneys(window, { limit: 3 });
    expect(worst.longestTimeToOutcome.map((w) => [w.journeyId, w.value])).toEqual([
      ['fulfilment-expensatron-e13', 3_600_000],
      ['fulfilment-expensatron-e04', 600_000],
      ['fulfilment-expensatron-e08', 240_000],
    ]);
    expect(worst.longestTimeToOutcome[0]).toEqual({
      journeyId: 'fulfilment-expensatron-e13',
      serviceId: 'expensatron',
      requester: 'user13',
      outcome: 'failed-compensated',
      at: '2026-03-03T11:00:00.000Z',
      value: 3_600_000,
      comment: null,
    });
    expect(worst.longestSilence.map((w) => [w.journeyId, w.value])).toEqual([
      ['fulfilment-expensatron-e13', 1_800_000],
      ['fulfilment-expensatron-e04', 900_000],
      ['fulfilment-expensatron-e08', 120_000],
    ]);
    // Detractors only, lowest first, ties by journey id; incident answers are not journeys.
    expect(worst.lowestNps.map((w) => [w.journeyId, w.value, w.requester, w.outcome, w.comment])).toEqual([
      ['fulfilment-expensatron-e13', 0, 'user13', 'failed-compensated', 'Lost my =SUM(A1) account, twice'],
      ['fulfilment-vpn-v2', 0, 'vpnuser2', 'completed', null],
      ['fulfilment-expensatron-e14', 4, 'user14', 'completed', 'Slow, "very" slow — better after the call'],
    ]);
    const vpnOnly = await store.worstJourneys(window, { serviceId: 'vpn', limit: 2 });
    expect(vpnOnly.longestTimeToOutcome.map((w) => w.journeyId)).toEqual(['fulfilment-vpn-v8', 'fulfilment-vpn-v7']);
    expect(vpnOnly.lowestNps.map((w) => [w.journeyId, w.value])).toEqual([
      ['fulfilment-vpn-v2', 0],
      ['fulfilment-vpn-v3', 6],
    ]);
  });

  it('never counts a record twice: recording everything again changes nothing', async () => {
    await feed(store);
    const once = await store.overview(window, { percentiles: [80] });
    await feed(store);
    await feed(store);
    expect(await store.overview(window, { percentiles: [80] })).toEqual(once);
    expect(once.services[0]).toEqual(expensatron);
  });

  it('replaces a record on update of the same key', async () => {
    await feed(store);
    const first = expensatronJourneys()[0]!;
    // e01 becomes a 5-second cancellation: the count stays 20, its old outcome and time are gone
    await store.recordJourney({
      ...first,
      outcome: 'cancelled',
      timeToOutcomeMs: 5000,
      requestedAt: new Date(Date.parse(first.finishedAt) - 5000).toISOString(),
    });
    const [e] = await store.summarize(window, { serviceId: 'expensatron' });
    expect(e!.journeys.count).toBe(20);
    expect(e!.journeys.outcomes).toEqual({
      cancelled: 1,
      completed: 15,
      'failed-compensated': 1,
      'not-eligible': 2,
      rejected: 1,
    });
    // sorted: 5 15 20 25 30 33 45 48 52 60 | … → p50 = 60 s
    expect(e!.journeys.timeToOutcomeMs.min).toBe(5000);
    expect(e!.journeys.timeToOutcomeMs.percentiles[0]).toEqual({ percentile: 50, value: 60_000 });
    // The journey's NPS answer (10) was recorded with it and is replaced by its new one (2).
    await store.recordJourney({ ...first, nps: 2, npsComment: 'changed my mind' });
    const [after] = await store.summarize(window, { serviceId: 'expensatron' });
    expect(after!.nps.journeys).toEqual(nps(11, 5, 2, 4, 9));
    expect((await store.journey(first.journeyId))?.nps).toBe(2);

    // An incident update replaces too: incident-mail-3 settles after 4 h.
    const third = mailIncidents()[2]!;
    await store.recordIncident({
      ...third,
      lastSettledAt: '2026-03-03T19:00:00.000Z',
      settleTimeMs: 4 * 3_600_000,
      noAnswer: 0,
      followedUp: 3,
    });
    const [, mail] = await store.summarize(window);
    expect(mail!.incidents.count).toBe(3);
    expect(mail!.incidents.unsettled).toBe(0);
    expect(mail!.incidents.followedUp).toBe(6);
    expect(mail!.incidents.settleTimeMs.percentiles.map((p) => p.value)).toEqual([
      7_200_000, 14_400_000, 14_400_000, 14_400_000,
    ]);

    // Answering again replaces the answer: still 8 answers for the mail incident.
    const answer = mailAnswers()[5]!; // 2 → 10
    await store.recordNps({ ...answer, score: 10 });
    const [, mailAgain] = await store.summarize(window);
    expect(mailAgain!.nps.incidents).toEqual(nps(8, 5, 1, 2, 38));

    // Recording e14's journey again (its in-journey answer was 3) must not undo the 4 given later.
    await store.recordJourney(expensatronJourneys()[13]!);
    expect(await store.journey('fulfilment-expensatron-e14')).toMatchObject({
      nps: 4,
      npsComment: 'Slow, "very" slow — better after the call',
    });
    // …while an answer that is not older replaces it.
    await store.recordNps({ ...laterJourneyAnswers()[0]!, score: 9, at: '2026-03-03T16:00:00.000Z' });
    expect((await store.journey('fulfilment-expensatron-e14'))?.nps).toBe(9);
  });

  it('returns a journey with its latest NPS answer, timestamps normalised to UTC', async () => {
    await feed(store);
    const e14 = await store.journey('fulfilment-expensatron-e14');
    expect(e14).toMatchObject({
      journeyId: 'fulfilment-expensatron-e14',
      nps: 4,
      npsComment: 'Slow, "very" slow — better after the call',
      finishedAt: '2026-03-03T12:00:00.000Z',
    });
    expect(e14?.stageDurationsMs).toEqual({ eligibility: 2000, provisioning: 18_000 });
    expect(Object.keys(e14!.stageDurationsMs)).toEqual(['eligibility', 'provisioning']);
    expect(await store.journey('no-such-journey')).toBeNull();

    await store.recordJourney(
      journey({
        journeyId: 'tz',
        serviceId: 'tz',
        finishedAt: '2026-03-03T00:30:00.000+01:00',
        requestedAt: '2026-03-02T23:30:00+01:00',
        timeToOutcomeMs: 3_600_000,
      }),
    );
    const tz = await store.journey('tz');
    expect(tz?.finishedAt).toBe('2026-03-02T23:30:00.000Z');
    expect(tz?.requestedAt).toBe('2026-03-02T22:30:00.000Z');
    // 00:30 in +01:00 is 2 March in UTC: the day bucket follows the instant
    expect((await store.daily(window, { serviceId: 'tz' })).map((d) => d.day)).toEqual(['2026-03-02']);
    expect(await store.incident('incident-mail-2')).toEqual(mailIncidents()[1]);
  });

  it('rejects invalid records before storing anything', async () => {
    const bad = journey({
      journeyId: 'bad',
      serviceId: 'expensatron',
      finishedAt: '2026-03-02T10:00:00Z',
      timeToOutcomeMs: -5,
    });
    await expect(store.recordJourney(bad)).rejects.toBeInstanceOf(InvalidExperienceRecordError);
    await expect(store.recordJourney({ ...bad, timeToOutcomeMs: 5, nps: 11 })).rejects.toThrow(/nps: must be 0–10/);
    await expect(
      store.recordNps({ serviceId: 'x', user: 'u', score: 5, comment: null, at: '2026-03-02T10:00:00Z' }),
    ).rejects.toThrow(/exactly one of journeyId and incidentId/);
    expect(await store.summarize(window)).toEqual([]);
  });

  it('keeps the records durably: a second store over the same place sees them', async () => {
    await feed(store);
    const other = open();
    expect((await other.summarize(window, { percentiles: [80] }))[0]).toEqual(expensatron);
    // and writes through one are seen by the other
    await other.recordNps({
      incidentId: 'incident-mail-2',
      serviceId: 'mail',
      user: 'late',
      score: 9,
      comment: null,
      at: '2026-03-03T20:00:00.000Z',
    });
    const [, mail] = await store.summarize(window);
    expect(mail!.nps.incidents.responses).toBe(9);
  });

  it('answers an empty window with nothing', async () => {
    expect(await store.overview(window)).toEqual({
      services: [],
      daily: [],
      worst: { longestTimeToOutcome: [], lowestNps: [], longestSilence: [] },
    });
  });

  it('refuses nonsense queries', async () => {
    await expect(store.summarize(window, { percentiles: [99.9] })).rejects.toThrow(/whole number from 1 to 100/);
    await expect(store.summarize({ from: window.to, to: window.from })).rejects.toThrow(/from must not be after to/);
  });
});

describe('both stores', () => {
  it('produce identical overviews from the same records', async () => {
    const places = await Promise.all(kinds.map(([, newPlace]) => newPlace()));
    const stores = places.map((p) => p.open());
    try {
      for (const s of stores) await feed(s);
      const [file, pg] = await Promise.all(
        stores.map((s) => s.overview(window, { percentiles: [1, 33, 80, 100], limit: 50 })),
      );
      expect(pg).toEqual(file);
      expect(file!.services).toHaveLength(3);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});

describe('file store', () => {
  it('does not grow the file when a retry writes the same record again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sj-experience-'));
    tempDirs.push(dir);
    const path = join(dir, 'experience.jsonl');
    const store = createExperienceStore(createFileExperienceBackend(path));
    await feed(store);
    const size = readFileSync(path).length;
    await feed(store);
    expect(readFileSync(path).length).toBe(size);
    await store.recordIncident({ ...mailIncidents()[0]!, reopened: 2 });
    expect(readFileSync(path).length).toBeGreaterThan(size);
  });
});
