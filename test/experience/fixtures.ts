/**
 * Journeys, incidents and NPS answers with known timings and answers, and the exact figures they
 * must produce (worked out by hand in the comments, nearest-rank: rank = ⌈p·n/100⌉).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileExperienceBackend } from '../../integrations/experience/file-backend';
import { buildExperienceReport, type ExperienceReport, type ServiceXlaDefinition } from '../../experience/report';
import { createExperienceStore } from '../../integrations/experience/store';
import type { ExperienceStore, IncidentRecord, JourneyRecord, NpsAnswer, TimeWindow } from '../../experience/types';

export const window: TimeWindow = {
  from: new Date('2026-03-02T00:00:00.000Z'),
  to: new Date('2026-03-04T00:00:00.000Z'),
};

const s = 1000;
const min = 60 * s;
const h = 60 * min;

// Expensatron: 20 journeys in the window. Times to outcome (s), in journey order e01..e20:
const times = [120, 45, 30, 600, 75, 90, 15, 240, 60, 33, 48, 52, 3600, 20, 25, 70, 80, 110, 95, 61];
// sorted: 15 20 25 30 33 45 48 52 60 61 | 70 75 80 90 95 110 120 240 600 3600
//   p50 → rank 10 → 61 s; p80 → rank 16 → 110 s; p90 → rank 18 → 240 s; p95 → rank 19 → 600 s; p99 → rank 20 → 3600 s
const silences = [60, 20, 30, 900, 40, 45, 10, 120, 30, 20, 24, 26, 1800, 10, 12, 35, 40, 55, 47, 30];
// sorted: 10 10 12 20 20 24 26 30 30 30 | 35 40 40 45 47 55 60 120 900 1800
//   p50 → 30 s; p90 → 120 s; p95 → 900 s; p99 → 1800 s = max
const outcomes: Record<number, string> = {
  3: 'not-eligible',
  7: 'not-eligible',
  10: 'rejected',
  13: 'failed-compensated',
};
const cameBack = new Set([5, 12, 17]);
// Journey NPS (via the journey record): P = 10 10 9 9 9, passives 8 7, detractors 6 0 3
const journeyNps: Record<number, [number, string | null]> = {
  1: [10, 'Fast!'],
  2: [10, null],
  4: [9, null],
  5: [9, null],
  6: [9, null],
  8: [8, null],
  9: [7, null],
  11: [6, null],
  13: [0, 'Lost my =SUM(A1) account, twice'],
  14: [3, 'Slow, "very" slow'],
};

const pad = (n: number): string => String(n).padStart(2, '0');

export function journey(
  overrides: Partial<JourneyRecord> & Pick<JourneyRecord, 'journeyId' | 'serviceId' | 'finishedAt' | 'timeToOutcomeMs'>,
): JourneyRecord {
  const finished = Date.parse(overrides.finishedAt);
  return {
    requester: 'alice',
    outcome: 'completed',
    requestedAt: new Date(finished - overrides.timeToOutcomeMs).toISOString(),
    stageDurationsMs: {},
    userInputs: 1,
    messagesSent: 3,
    longestSilenceMs: 0,
    cameBack: false,
    nps: null,
    npsComment: null,
    ...overrides,
  };
}

export function expensatronJourneys(): JourneyRecord[] {
  return times.map((t, index) => {
    const i = index + 1;
    // e01..e10 on 2 March (e01 exactly at the window start: included), e11..e20 on 3 March
    const finishedAt =
      i <= 10
        ? new Date(Date.parse('2026-03-02T00:00:00.000Z') + (i - 1) * h).toISOString()
        : new Date(Date.parse('2026-03-03T09:00:00.000Z') + (i - 11) * h).toISOString();
    const outcome = outcomes[i] ?? 'completed';
    const [nps, npsComment] = journeyNps[i] ?? [null, null];
    return journey({
      journeyId: `fulfilment-expensatron-e${pad(i)}`,
      serviceId: 'expensatron',
      requester: `user${pad(i)}`,
      outcome,
      finishedAt,
      timeToOutcomeMs: t * s,
      stageDurationsMs:
        outcome === 'not-eligible' ? { eligibility: 2 * s } : { eligibility: 2 * s, provisioning: (t - 2) * s },
      userInputs: i === 13 ? 3 : cameBack.has(i) ? 2 : 1,
      messagesSent: i === 13 ? 5 : 3,
      longestSilenceMs: (silences[index] ?? 0) * s,
      cameBack: cameBack.has(i),
      nps,
      npsComment,
    });
  });
}

/** Outside the window: just before it, and exactly at its (exclusive) end. Huge values, so counting them would show. */
export function journeysOutsideWindow(): JourneyRecord[] {
  return [
    journey({
      journeyId: 'fulfilment-expensatron-before',
      serviceId: 'expensatron',
      finishedAt: '2026-03-01T23:59:59.999Z',
      timeToOutcomeMs: 99 * h,
      longestSilenceMs: 99 * h,
      nps: 0,
      npsComment: null,
    }),
    journey({
      journeyId: 'fulfilment-expensatron-at-end',
      serviceId: 'expensatron',
      finishedAt: '2026-03-04T00:00:00.000Z',
      timeToOutcomeMs: 98 * h,
      longestSilenceMs: 98 * h,
      nps: 0,
      npsComment: null,
    }),
  ];
}

// VPN: 8 journeys of 10–80 s on 3 March; NPS 9 0 6 7 7 8 8 7 → P 1, passives 5, D 2 → 100·(1−2)/8 = −12.5 → −13
const vpnScores = [9, 0, 6, 7, 7, 8, 8, 7];
export function vpnJourneys(): JourneyRecord[] {
  return vpnScores.map((score, index) =>
    journey({
      journeyId: `fulfilment-vpn-v${index + 1}`,
      serviceId: 'vpn',
      requester: `vpnuser${index + 1}`,
      finishedAt: new Date(Date.parse('2026-03-03T12:00:00.000Z') + index * min).toISOString(),
      timeToOutcomeMs: (index + 1) * 10 * s,
      longestSilenceMs: (index + 1) * 5 * s,
      stageDurationsMs: { provisioning: (index + 1) * 10 * s },
      nps: score,
      npsComment: null,
    }),
  );
}

export function mailIncidents(): IncidentRecord[] {
  return [
    {
      incidentId: 'incident-mail-1',
      serviceId: 'mail',
      declaredAt: '2026-03-02T08:00:00.000Z',
      firstAnnouncementAt: '2026-03-02T08:01:00.000Z',
      timeToFirstAnnouncementMs: 60 * s,
      subscribersTold: 120,
      affected: 30,
      confirmedFixed: 25,
      stillBroken: 2,
      noAnswer: 3,
      followedUp: 3,
      lastSettledAt: '2026-03-02T10:00:00.000Z',
      settleTimeMs: 2 * h,
      reopened: 1,
    },
    {
      incidentId: 'incident-mail-2',
      serviceId: 'mail',
      declaredAt: '2026-03-03T10:00:00.000Z',
      firstAnnouncementAt: '2026-03-03T10:02:00.000Z',
      timeToFirstAnnouncementMs: 120 * s,
      subscribersTold: 50,
      affected: 10,
      confirmedFixed: 10,
      stillBroken: 0,
      noAnswer: 0,
      followedUp: 0,
      lastSettledAt: '2026-03-03T10:30:00.000Z',
      settleTimeMs: 30 * min,
      reopened: 0,
    },
    {
      incidentId: 'incident-mail-3',
      serviceId: 'mail',
      declaredAt: '2026-03-03T15:00:00.000Z',
      firstAnnouncementAt: '2026-03-03T15:05:00.000Z',
      timeToFirstAnnouncementMs: 300 * s,
      subscribersTold: 80,
      affected: 5,
      confirmedFixed: 1,
      stillBroken: 1,
      noAnswer: 3,
      followedUp: 0,
      lastSettledAt: null,
      settleTimeMs: null,
      reopened: 0,
    },
  ];
}

// Mail incident answers: 10 6 5 9 9 2 8 10 → P 4, passive 1, D 3 → 100·1/8 = 12.5 → 13
const mailScores = [10, 6, 5, 9, 9, 2, 8, 10];
export function mailAnswers(): NpsAnswer[] {
  return mailScores.map((score, index) => ({
    incidentId: 'incident-mail-1',
    serviceId: 'mail',
    user: `mailuser${index + 1}`,
    score,
    comment: index === 1 ? 'Took, like,\nages' : null,
    at: new Date(Date.parse('2026-03-02T11:00:00.000Z') + index * min).toISOString(),
  }));
}

/** Answers given after the journey was recorded (the same key as e14's journey answer replaces it; e15 is new). */
export function laterJourneyAnswers(): NpsAnswer[] {
  return [
    {
      journeyId: 'fulfilment-expensatron-e14',
      serviceId: 'expensatron',
      user: 'user14',
      score: 4,
      comment: 'Slow, "very" slow — better after the call',
      at: '2026-03-03T14:30:00.000Z',
    },
    {
      journeyId: 'fulfilment-expensatron-e15',
      serviceId: 'expensatron',
      user: 'user15',
      score: 10,
      comment: null,
      at: '2026-03-03T15:30:00.000Z',
    },
  ];
}

/** Everything above, in an order that is neither by time nor by id. */
export async function feed(store: ExperienceStore): Promise<void> {
  const journeys = [...expensatronJourneys(), ...vpnJourneys(), ...journeysOutsideWindow()];
  for (const j of [...journeys].reverse()) await store.recordJourney(j);
  for (const i of mailIncidents()) await store.recordIncident(i);
  for (const a of mailAnswers()) await store.recordNps(a);
  for (const a of laterJourneyAnswers()) await store.recordNps(a);
}

/** The catalog's targets for the fixture services (statuses worked out in report.unit.test.ts). */
export const catalog: ServiceXlaDefinition[] = [
  {
    serviceId: 'expensatron',
    name: 'Expensatron',
    xla: [
      { kind: 'time-to-outcome', percentile: 95, underMs: 120_000 },
      { kind: 'time-to-outcome', percentile: 80, underMs: 120_000 },
      { kind: 'time-to-outcome', percentile: 50, underMs: 120_000 },
      { kind: 'nps', atLeast: 20 },
      { kind: 'nps', atLeast: 10 },
      { kind: 'longest-silence', underMs: 15 * 60_000 },
      { kind: 'came-back', atMostPercent: 15 },
    ],
  },
  {
    serviceId: 'mail',
    name: 'Mail',
    xla: [
      { kind: 'incident-settle', percentile: 50, underMs: 3_600_000 },
      { kind: 'incident-settle', percentile: 90, underMs: 7_200_000 },
      { kind: 'nps', atLeast: 0 },
    ],
  },
  {
    serviceId: 'laptop',
    name: 'Laptop refresh',
    xla: [{ kind: 'time-to-outcome', percentile: 90, underMs: 86_400_000 }],
  },
];

export const generatedAt = new Date('2026-03-04T06:00:00.000Z');

/** The fixtures fed into a fresh file store, reported over the window with the catalog's targets. */
export async function fixtureReport(options: { limit?: number } = {}): Promise<ExperienceReport> {
  const dir = mkdtempSync(join(tmpdir(), 'sj-experience-report-'));
  const store = createExperienceStore(createFileExperienceBackend(join(dir, 'experience.jsonl')));
  try {
    await feed(store);
    return await buildExperienceReport(store, {
      window,
      services: catalog,
      now: generatedAt,
      limit: options.limit ?? 3,
    });
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
