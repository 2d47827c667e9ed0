/**
 * The one {@link ExperienceStore} code path over either backend: validation, the journey → NPS
 * answer rule and every aggregate live here and in aggregate.ts; a backend only stores and
 * returns rows.
 */
import {
  checkPercentile,
  dailySeries,
  defaultWorstLimit,
  overviewOf,
  summarizeServices,
  worstJourneys,
  type ExperienceRows,
} from '../../experience/aggregate';
import { parseIncidentRecord, parseJourneyRecord, parseNpsAnswer } from '../../experience/schemas';
import type {
  ExperienceStore,
  IncidentRecord,
  JourneyRecord,
  NpsAnswer,
  QueryOptions,
  TimeWindow,
  WorstJourneys,
} from '../../experience/types';

/** The natural key of an NPS answer. */
export interface NpsKey {
  subject: 'journey' | 'incident';
  subjectId: string;
  user: string;
}

export function npsKeyOf(answer: NpsAnswer): NpsKey {
  return answer.journeyId !== undefined
    ? { subject: 'journey', subjectId: answer.journeyId, user: answer.user }
    : { subject: 'incident', subjectId: answer.incidentId ?? '', user: answer.user };
}

/**
 * Storage of validated, normalised records. Every write is an upsert by natural key (last write
 * wins), except that an NPS answer never replaces one with a later `at`: the journey record
 * carries the answer given during the journey, and recording that journey again must not undo an
 * answer given afterwards. Reads return exactly what was written. Transient failures throw a
 * retryable IntegrationError.
 */
export interface ExperienceBackend {
  ready(): Promise<void>;
  upsertJourney(record: JourneyRecord): Promise<void>;
  upsertIncident(record: IncidentRecord): Promise<void>;
  upsertNpsAnswer(answer: NpsAnswer): Promise<void>;
  getJourney(journeyId: string): Promise<JourneyRecord | null>;
  getIncident(incidentId: string): Promise<IncidentRecord | null>;
  getNpsAnswer(key: NpsKey): Promise<NpsAnswer | null>;
  /** The rows in `window` (see {@link ExperienceRows}), of one service or all. */
  rows(window: TimeWindow, serviceId?: string): Promise<ExperienceRows>;
  close(): Promise<void>;
}

function checkWindow(window: TimeWindow): void {
  if (Number.isNaN(window.from.getTime()) || Number.isNaN(window.to.getTime()))
    throw new RangeError('time window: from and to must be valid dates');
  if (window.from.getTime() > window.to.getTime()) throw new RangeError('time window: from must not be after to');
}

function checkOptions(options: QueryOptions): void {
  for (const p of options.percentiles ?? []) checkPercentile(p);
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 0)) {
    throw new RangeError(`limit must be a whole number ≥ 0 (got ${options.limit})`);
  }
}

/**
 * Wraps a backend into the {@link ExperienceStore}. Records are validated (InvalidExperienceRecordError
 * for a bad one) and normalised before they are stored.
 */
export function createExperienceStore(backend: ExperienceBackend): ExperienceStore {
  const rows = async (window: TimeWindow, options: QueryOptions): Promise<ExperienceRows> => {
    checkWindow(window);
    checkOptions(options);
    return backend.rows(window, options.serviceId);
  };

  // NPS entries whose journey finished outside the window still deserve an outcome on the page.
  const fillOutcomes = async (worst: WorstJourneys): Promise<WorstJourneys> => {
    const lowestNps = await Promise.all(
      worst.lowestNps.map(async (entry) =>
        entry.outcome !== null
          ? entry
          : { ...entry, outcome: (await backend.getJourney(entry.journeyId))?.outcome ?? null },
      ),
    );
    return { ...worst, lowestNps };
  };

  return {
    ready: () => backend.ready(),
    async recordJourney(record) {
      const journey = parseJourneyRecord(record);
      await backend.upsertJourney(journey);
      if (journey.nps !== null) {
        await backend.upsertNpsAnswer({
          journeyId: journey.journeyId,
          serviceId: journey.serviceId,
          user: journey.requester,
          score: journey.nps,
          comment: journey.npsComment,
          at: journey.finishedAt,
        });
      }
    },
    async recordIncident(record) {
      await backend.upsertIncident(parseIncidentRecord(record));
    },
    async recordNps(answer) {
      await backend.upsertNpsAnswer(parseNpsAnswer(answer));
    },
    async journey(journeyId) {
      const journey = await backend.getJourney(journeyId);
      if (journey === null) return null;
      const answer = await backend.getNpsAnswer({ subject: 'journey', subjectId: journeyId, user: journey.requester });
      return answer === null ? journey : { ...journey, nps: answer.score, npsComment: answer.comment };
    },
    incident: (incidentId) => backend.getIncident(incidentId),
    async summarize(window, options = {}) {
      return summarizeServices(await rows(window, options), options);
    },
    async daily(window, options = {}) {
      return dailySeries(await rows(window, options), options);
    },
    async worstJourneys(window, options = {}) {
      return fillOutcomes(worstJourneys(await rows(window, options), options.limit ?? defaultWorstLimit));
    },
    async overview(window, options = {}) {
      const overview = overviewOf(await rows(window, options), options);
      return { ...overview, worst: await fillOutcomes(overview.worst) };
    },
    close: () => backend.close(),
  };
}
