/**
 * The one place experience figures are computed. Both stores hand their rows to these pure
 * functions, so the embedded file store and PostgreSQL cannot disagree about a percentile or an
 * NPS score.
 *
 * Why percentiles are computed here and not with SQL `percentile_disc`: `percentile_disc(f)` is
 * nearest-rank too, but PostgreSQL finds the rank as ceil(f · n) in floating point, so for some
 * percentiles the rank is one too high (0.55 · 100 = 55.000000000000007 → the 56th value). Here the
 * rank is ⌈p·n/100⌉ with p an integer, computed exactly. For 50, 90, 95 and 99 and up to 1,000
 * values the two agree (a test proves it against a real PostgreSQL).
 */
import type {
  DailyExperience,
  Distribution,
  ExperienceOverview,
  IncidentExperience,
  IncidentRecord,
  JourneyExperience,
  JourneyRecord,
  NpsAnswer,
  NpsSummary,
  QueryOptions,
  ServiceExperience,
  WorstJourney,
  WorstJourneys,
} from './types';

/** Always reported. */
export const standardPercentiles: readonly number[] = [50, 90, 95, 99];
export const defaultWorstLimit = 10;

/** What a backend returns for a window: the raw records, in any order. */
export interface ExperienceRows {
  /** Journeys with finishedAt in the window. */
  journeys: JourneyRecord[];
  /** Incidents with declaredAt in the window. */
  incidents: IncidentRecord[];
  /** NPS answers with `at` in the window. */
  answers: NpsAnswer[];
}

/** Throws unless `p` is an integer 1–100 (the only percentiles nearest-rank is computed exactly for). */
export function checkPercentile(p: number): void {
  if (!Number.isInteger(p) || p < 1 || p > 100)
    throw new RangeError(`percentile must be a whole number from 1 to 100 (got ${p})`);
}

/**
 * Nearest-rank percentile of values sorted ascending: the value at rank ⌈p·n/100⌉ (1-based).
 * p·n is an exact integer and dividing it by 100 cannot land within rounding error of a different
 * integer, so the rank is exact. null for no values.
 */
export function nearestRank(sortedAscending: readonly number[], percentile: number): number | null {
  checkPercentile(percentile);
  const n = sortedAscending.length;
  if (n === 0) return null;
  const rank = Math.max(1, Math.ceil((percentile * n) / 100));
  return sortedAscending[rank - 1] ?? null;
}

/** The percentiles to report: the standard ones plus `extra`, ascending, without duplicates. */
export function percentileSet(extra: readonly number[] = []): number[] {
  for (const p of extra) checkPercentile(p);
  return [...new Set([...standardPercentiles, ...extra])].sort((a, b) => a - b);
}

/** Count, min, max, mean and nearest-rank percentiles of `values`. */
export function distribution(
  values: readonly number[],
  percentiles: readonly number[] = standardPercentiles,
): Distribution {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  // Summing in ascending order makes the mean independent of the order rows arrived in.
  const sum = sorted.reduce((total, v) => total + v, 0);
  return {
    count: n,
    min: n > 0 ? (sorted[0] ?? null) : null,
    max: n > 0 ? (sorted[n - 1] ?? null) : null,
    mean: n > 0 ? sum / n : null,
    percentiles: percentiles.map((percentile) => ({ percentile, value: nearestRank(sorted, percentile) })),
  };
}

/** The value of percentile `p` in a distribution (undefined when it was not computed). */
export function percentileOf(d: Distribution, p: number): number | null | undefined {
  return d.percentiles.find((x) => x.percentile === p)?.value;
}

/** Rounds to the nearest integer, halves away from zero (Math.round would send −12.5 to −12). */
export function roundHalfAwayFromZero(x: number): number {
  return Math.sign(x) * Math.round(Math.abs(x)) + 0;
}

/** Promoters 9–10, passives 7–8, detractors 0–6; score = %promoters − %detractors, rounded half away from zero. */
export function npsSummary(scores: readonly number[]): NpsSummary {
  let promoters = 0;
  let passives = 0;
  let detractors = 0;
  for (const s of scores) {
    if (s >= 9) promoters++;
    else if (s >= 7) passives++;
    else detractors++;
  }
  const responses = scores.length;
  return {
    responses,
    promoters,
    passives,
    detractors,
    score: responses === 0 ? null : roundHalfAwayFromZero((100 * (promoters - detractors)) / responses),
  };
}

/** The UTC calendar day of an ISO timestamp, YYYY-MM-DD. */
export function utcDay(iso: string): string {
  return new Date(iso).toISOString().slice(0, 10);
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

function sortedRecord<V>(entries: Iterable<[string, V]>): Record<string, V> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function journeyExperience(
  journeys: readonly JourneyRecord[],
  percentiles: readonly number[],
): JourneyExperience {
  const outcomes = new Map<string, number>();
  const stages = new Map<string, number[]>();
  for (const j of journeys) {
    outcomes.set(j.outcome, (outcomes.get(j.outcome) ?? 0) + 1);
    for (const [stage, ms] of Object.entries(j.stageDurationsMs)) {
      const list = stages.get(stage);
      if (list) list.push(ms);
      else stages.set(stage, [ms]);
    }
  }
  return {
    count: journeys.length,
    outcomes: sortedRecord(outcomes),
    cameBack: journeys.filter((j) => j.cameBack).length,
    timeToOutcomeMs: distribution(
      journeys.map((j) => j.timeToOutcomeMs),
      percentiles,
    ),
    longestSilenceMs: distribution(
      journeys.map((j) => j.longestSilenceMs),
      percentiles,
    ),
    userInputs: distribution(
      journeys.map((j) => j.userInputs),
      percentiles,
    ),
    messagesSent: distribution(
      journeys.map((j) => j.messagesSent),
      percentiles,
    ),
    stagesMs: sortedRecord(
      [...stages].map(([stage, values]): [string, Distribution] => [stage, distribution(values, percentiles)]),
    ),
  };
}

export function incidentExperience(
  incidents: readonly IncidentRecord[],
  percentiles: readonly number[],
): IncidentExperience {
  const sum = (f: (i: IncidentRecord) => number): number => incidents.reduce((total, i) => total + f(i), 0);
  return {
    count: incidents.length,
    subscribersTold: sum((i) => i.subscribersTold),
    affected: sum((i) => i.affected),
    confirmedFixed: sum((i) => i.confirmedFixed),
    stillBroken: sum((i) => i.stillBroken),
    noAnswer: sum((i) => i.noAnswer),
    followedUp: sum((i) => i.followedUp),
    reopened: sum((i) => i.reopened),
    unsettled: incidents.filter((i) => i.affected > 0 && i.settleTimeMs === null).length,
    timeToFirstAnnouncementMs: distribution(
      incidents.flatMap((i) => (i.timeToFirstAnnouncementMs === null ? [] : [i.timeToFirstAnnouncementMs])),
      percentiles,
    ),
    settleTimeMs: distribution(
      incidents.flatMap((i) => (i.settleTimeMs === null ? [] : [i.settleTimeMs])),
      percentiles,
    ),
  };
}

function byIdThen<T>(value: (item: T) => number, id: (item: T) => string, direction: 1 | -1) {
  return (a: T, b: T): number => direction * (value(a) - value(b)) || (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0);
}

/** The worst journeys of the rows: longest time to outcome, lowest NPS (detractors only), longest silence. */
export function worstJourneys(rows: ExperienceRows, limit: number = defaultWorstLimit): WorstJourneys {
  const journeyById = new Map(rows.journeys.map((j) => [j.journeyId, j]));
  const entry = (j: JourneyRecord, value: number): WorstJourney => ({
    journeyId: j.journeyId,
    serviceId: j.serviceId,
    requester: j.requester,
    outcome: j.outcome,
    at: j.finishedAt,
    value,
    comment: null,
  });
  const detractorAnswers = rows.answers.filter(
    (a): a is NpsAnswer & { journeyId: string } => a.journeyId !== undefined && a.score <= 6,
  );
  return {
    longestTimeToOutcome: [...rows.journeys]
      .sort(
        byIdThen(
          (j) => j.timeToOutcomeMs,
          (j) => j.journeyId,
          -1,
        ),
      )
      .slice(0, limit)
      .map((j) => entry(j, j.timeToOutcomeMs)),
    lowestNps: detractorAnswers
      .sort(
        byIdThen(
          (a) => a.score,
          (a) => `${a.journeyId}\u0000${a.user}`,
          1,
        ),
      )
      .slice(0, limit)
      .map((a) => ({
        journeyId: a.journeyId,
        serviceId: a.serviceId,
        requester: a.user,
        outcome: journeyById.get(a.journeyId)?.outcome ?? null,
        at: a.at,
        value: a.score,
        comment: a.comment,
      })),
    longestSilence: [...rows.journeys]
      .sort(
        byIdThen(
          (j) => j.longestSilenceMs,
          (j) => j.journeyId,
          -1,
        ),
      )
      .slice(0, limit)
      .map((j) => entry(j, j.longestSilenceMs)),
  };
}

function serviceIdsOf(rows: ExperienceRows): string[] {
  const ids = new Set<string>();
  for (const j of rows.journeys) ids.add(j.serviceId);
  for (const i of rows.incidents) ids.add(i.serviceId);
  for (const a of rows.answers) ids.add(a.serviceId);
  return [...ids].sort();
}

/** Per-service figures, sorted by serviceId: every service with at least one row. */
export function summarizeServices(
  rows: ExperienceRows,
  options: Pick<QueryOptions, 'percentiles'> = {},
): ServiceExperience[] {
  const percentiles = percentileSet(options.percentiles);
  const journeys = groupBy(rows.journeys, (j) => j.serviceId);
  const incidents = groupBy(rows.incidents, (i) => i.serviceId);
  const answers = groupBy(rows.answers, (a) => a.serviceId);
  return serviceIdsOf(rows).map((serviceId) => {
    const serviceAnswers = answers.get(serviceId) ?? [];
    return {
      serviceId,
      journeys: journeyExperience(journeys.get(serviceId) ?? [], percentiles),
      incidents: incidentExperience(incidents.get(serviceId) ?? [], percentiles),
      nps: {
        overall: npsSummary(serviceAnswers.map((a) => a.score)),
        journeys: npsSummary(serviceAnswers.filter((a) => a.journeyId !== undefined).map((a) => a.score)),
        incidents: npsSummary(serviceAnswers.filter((a) => a.incidentId !== undefined).map((a) => a.score)),
      },
    };
  });
}

/** Per service per UTC day; only days with a journey, incident or answer appear. */
export function dailySeries(rows: ExperienceRows, options: Pick<QueryOptions, 'percentiles'> = {}): DailyExperience[] {
  const percentiles = percentileSet(options.percentiles);
  const key = (day: string, serviceId: string): string => `${day}\u0000${serviceId}`;
  const journeys = groupBy(rows.journeys, (j) => key(utcDay(j.finishedAt), j.serviceId));
  const incidents = groupBy(rows.incidents, (i) => key(utcDay(i.declaredAt), i.serviceId));
  const answers = groupBy(rows.answers, (a) => key(utcDay(a.at), a.serviceId));
  const keys = [...new Set([...journeys.keys(), ...incidents.keys(), ...answers.keys()])].sort();
  return keys.map((k) => {
    const [day = '', serviceId = ''] = k.split('\u0000');
    const dayJourneys = journeys.get(k) ?? [];
    const dayIncidents = incidents.get(k) ?? [];
    return {
      day,
      serviceId,
      journeys: dayJourneys.length,
      timeToOutcomeMs: distribution(
        dayJourneys.map((j) => j.timeToOutcomeMs),
        percentiles,
      ),
      longestSilenceMs: distribution(
        dayJourneys.map((j) => j.longestSilenceMs),
        percentiles,
      ),
      nps: npsSummary((answers.get(k) ?? []).map((a) => a.score)),
      incidents: dayIncidents.length,
      settleTimeMs: distribution(
        dayIncidents.flatMap((i) => (i.settleTimeMs === null ? [] : [i.settleTimeMs])),
        percentiles,
      ),
    };
  });
}

/** Summaries, daily series and worst journeys over the same rows. */
export function overviewOf(rows: ExperienceRows, options: QueryOptions = {}): ExperienceOverview {
  return {
    services: summarizeServices(rows, options),
    daily: dailySeries(rows, options),
    worst: worstJourneys(rows, options.limit ?? defaultWorstLimit),
  };
}

/** The figures of a service with nothing recorded (for services that have targets but no data yet). */
export function emptyServiceExperience(
  serviceId: string,
  options: Pick<QueryOptions, 'percentiles'> = {},
): ServiceExperience {
  const percentiles = percentileSet(options.percentiles);
  const none = npsSummary([]);
  return {
    serviceId,
    journeys: journeyExperience([], percentiles),
    incidents: incidentExperience([], percentiles),
    nps: { overall: none, journeys: none, incidents: none },
  };
}
