/**
 * Experience records with known timings and answers, placed in the last few days so the app's
 * "last N days" windows see them, and the figures they must produce against the real catalog's
 * targets (catalog/services/*: Expensatron and Desk phone), worked out by hand below.
 * Nearest-rank percentiles: rank = ⌈p·n/100⌉ of the values sorted ascending.
 *
 * The Expensatron, VPN and mail records are those of test/experience/fixtures.ts,
 * moved forward by whole days (so UTC days still group them the same way).
 */
import { createCatalog } from '../../../catalog';
import { deskPhone, expensatron } from '../../../catalog/registry';
import { createCatalogPort } from '../../../client/journeys/catalog-port';
import type { ExperienceStore, IncidentRecord, JourneyRecord, NpsAnswer } from '../../../experience/types';
import {
  expensatronJourneys,
  journey,
  laterJourneyAnswers,
  mailAnswers,
  mailIncidents,
  vpnJourneys,
} from '../../experience/fixtures';

/**
 * The two services these figures were worked out for, with their real targets: a catalog that
 * grows (access requests, …) adds "no data" rows, not different figures, so the pages are
 * tested against these two.
 */
export const fixtureCatalog = createCatalogPort(createCatalog([deskPhone, expensatron]));

const day = 86_400_000;
const h = 3_600_000;

/** The fixtures' window ends at 2026-03-04T00:00Z; move everything so it ends at the start of today (UTC). */
export function shiftDays(now: Date): number {
  return Math.floor((now.getTime() - Date.parse('2026-03-04T00:00:00.000Z')) / day);
}

function shift(iso: string, days: number): string;
function shift(iso: string | null, days: number): string | null;
function shift(iso: string | null, days: number): string | null {
  return iso === null ? null : new Date(Date.parse(iso) + days * day).toISOString();
}

const shiftJourney = (j: JourneyRecord, days: number): JourneyRecord => ({
  ...j,
  requestedAt: shift(j.requestedAt, days),
  finishedAt: shift(j.finishedAt, days),
});
const shiftIncident = (i: IncidentRecord, days: number): IncidentRecord => ({
  ...i,
  declaredAt: shift(i.declaredAt, days),
  firstAnnouncementAt: shift(i.firstAnnouncementAt, days),
  lastSettledAt: shift(i.lastSettledAt, days),
});
const shiftAnswer = (a: NpsAnswer, days: number): NpsAnswer => ({ ...a, at: shift(a.at, days) });

// Desk phone, on the fixtures' second day: ten journeys of 2, 4, …, 20 h, longest silences (h):
const deskSilencesH = [4, 8, 12, 16, 20, 24, 28, 32, 36, 44];
// Last 7 days (n = 10): time p50 → rank 5 → 10 h, p90 → rank 9 → 18 h, p95/p99 → rank 10 → 20 h
//   silence p95 → rank 10 → 44 h: under the 48 h target but within 10 % of it (≥ 43.2 h) → at risk
//   time p90 18 h < 3 d target, far from it → met
// Last 30 days adds one 20 days old: 100 h, silence 50 h (n = 11):
//   time p50 → rank 6 → 12 h, p90 → rank 10 → 20 h (met), p95/p99 → rank 11 → 100 h
//   silence p95 → rank 11 → 50 h ≥ 48 h → broken
export function deskPhoneJourneys(now: Date, days: number): JourneyRecord[] {
  const recent = deskSilencesH.map((silence, index) =>
    journey({
      journeyId: `fulfil-desk-phone-d${index + 1}`,
      serviceId: 'desk-phone',
      requester: `deskuser${index + 1}`,
      finishedAt: shift(new Date(Date.parse('2026-03-03T06:00:00.000Z') + index * 60_000).toISOString(), days),
      timeToOutcomeMs: (index + 1) * 2 * h,
      longestSilenceMs: silence * h,
      stageDurationsMs: { approval: h, delivery: ((index + 1) * 2 - 1) * h },
    }),
  );
  const old = journey({
    journeyId: 'fulfil-desk-phone-old',
    serviceId: 'desk-phone',
    requester: 'olduser',
    finishedAt: new Date(now.getTime() - 20 * day).toISOString(),
    timeToOutcomeMs: 100 * h,
    longestSilenceMs: 50 * h,
  });
  return [...recent, old];
}

/** Everything above into `store`, relative to `now`. */
export async function feedRecent(store: ExperienceStore, now: Date = new Date()): Promise<{ days: number }> {
  const days = shiftDays(now);
  for (const j of [...expensatronJourneys(), ...vpnJourneys()].map((r) => shiftJourney(r, days)))
    await store.recordJourney(j);
  for (const j of deskPhoneJourneys(now, days)) await store.recordJourney(j);
  for (const i of mailIncidents()) await store.recordIncident(shiftIncident(i, days));
  for (const a of [...mailAnswers(), ...laterJourneyAnswers()]) await store.recordNps(shiftAnswer(a, days));
  return { days };
}

/** The two UTC days the fixtures fall on, after the shift (YYYY-MM-DD). */
export function fixtureDays(days: number): [string, string] {
  return [shift('2026-03-02T00:00:00.000Z', days).slice(0, 10), shift('2026-03-03T00:00:00.000Z', days).slice(0, 10)];
}
