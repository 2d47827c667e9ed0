/** The exact figures fixtures.ts must produce, worked out by hand (see the comments there). */
import type { Distribution, NpsSummary } from '../../experience/types';

export function dist(
  count: number,
  min: number | null,
  max: number | null,
  mean: number | null,
  ps: Record<number, number | null>,
): Distribution {
  return {
    count,
    min,
    max,
    mean,
    percentiles: Object.entries(ps)
      .map(([p, value]) => ({ percentile: Number(p), value }))
      .sort((a, b) => a.percentile - b.percentile),
  };
}

export const empty = (extra: number[] = []): Distribution =>
  dist(0, null, null, null, Object.fromEntries([50, 90, 95, 99, ...extra].map((p) => [p, null])));

export function nps(
  responses: number,
  promoters: number,
  passives: number,
  detractors: number,
  score: number | null,
): NpsSummary {
  return { responses, promoters, passives, detractors, score };
}

export const noNps = nps(0, 0, 0, 0, null);

export const expensatron = {
  serviceId: 'expensatron',
  journeys: {
    count: 20,
    outcomes: { completed: 16, 'failed-compensated': 1, 'not-eligible': 2, rejected: 1 },
    cameBack: 3,
    timeToOutcomeMs: dist(20, 15_000, 3_600_000, 273_450, {
      50: 61_000,
      80: 110_000,
      90: 240_000,
      95: 600_000,
      99: 3_600_000,
    }),
    longestSilenceMs: dist(20, 10_000, 1_800_000, 167_700, {
      50: 30_000,
      80: 55_000,
      90: 120_000,
      95: 900_000,
      99: 1_800_000,
    }),
    userInputs: dist(20, 1, 3, 1.25, { 50: 1, 80: 1, 90: 2, 95: 2, 99: 3 }),
    messagesSent: dist(20, 3, 5, 3.1, { 50: 3, 80: 3, 90: 3, 95: 3, 99: 5 }),
    stagesMs: {
      eligibility: dist(20, 2000, 2000, 2000, { 50: 2000, 80: 2000, 90: 2000, 95: 2000, 99: 2000 }),
      // the 18 journeys past eligibility: times minus 2 s
      provisioning: dist(18, 18_000, 3_598_000, 5_388_000 / 18, {
        // times minus 2 s without e03 and e07, sorted (s): 18 23 31 43 46 50 58 59 68 | 73 78 88 93 108 118 238 598 3598
        50: 68_000,
        80: 118_000,
        90: 598_000,
        95: 3_598_000,
        99: 3_598_000,
      }),
    },
  },
  incidents: {
    count: 0,
    subscribersTold: 0,
    affected: 0,
    confirmedFixed: 0,
    stillBroken: 0,
    noAnswer: 0,
    followedUp: 0,
    reopened: 0,
    unsettled: 0,
    timeToFirstAnnouncementMs: empty([80]),
    settleTimeMs: empty([80]),
  },
  // e01 10, e02 10, e04 9, e05 9, e06 9, e08 8, e09 7, e11 6, e13 0, e14 4 (replaced 3), e15 10 (later answer)
  nps: { overall: nps(11, 6, 2, 3, 27), journeys: nps(11, 6, 2, 3, 27), incidents: noNps },
};
