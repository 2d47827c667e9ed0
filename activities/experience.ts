import { ApplicationFailure } from '@temporalio/common';
import {
  InvalidExperienceRecordError,
  parseIncidentRecord,
  parseJourneyRecord,
  parseNpsAnswer,
} from '../experience/schemas';
import type { ExperienceStore, IncidentRecord, JourneyRecord, NpsAnswer } from '../experience/types';
import { classifyFailures, failureTypes } from './errors';
import { keepAliveAll } from './keep-alive';

export type { IncidentRecord, JourneyRecord, NpsAnswer } from '../experience/types';

/** What the experience activities need. */
export interface ExperienceActivityDeps {
  experience: ExperienceStore;
}

/** Validates at the edge: a malformed record is a bug in the calling workflow, so retrying cannot help. */
function validated<T>(parse: (value: unknown) => T, value: unknown): T {
  try {
    return parse(value);
  } catch (err) {
    if (err instanceof InvalidExperienceRecordError) {
      throw ApplicationFailure.create({
        type: failureTypes.InvalidInput,
        message: err.message,
        nonRetryable: true,
        details: [{ kind: err.kind, issues: err.issues }],
      });
    }
    throw err;
  }
}

/**
 * Activities that record what a journey or incident was like for its people.
 *
 * All three are upserts by natural key (journeyId, incidentId, journey/incident + user), so a
 * retried activity — or a workflow recording again after a replay — never counts twice, and a
 * later record with the same key replaces the earlier one. Bad input fails at once with a
 * non-retryable `InvalidInput`; an unreachable store is retried by Temporal (`Unavailable`).
 * Workflows should treat a failure here as non-fatal to the journey itself.
 */
export function createExperienceActivities(deps: ExperienceActivityDeps) {
  return keepAliveAll({
    /** Records a finished fulfilment journey (and the requester's NPS answer when `nps` is set). */
    async recordJourneyExperience(record: JourneyRecord): Promise<void> {
      const journey = validated(parseJourneyRecord, record);
      await classifyFailures(() => deps.experience.recordJourney(journey));
    },
    /** Records (or updates) an incident's experience figures. */
    async recordIncidentExperience(record: IncidentRecord): Promise<void> {
      const incident = validated(parseIncidentRecord, record);
      await classifyFailures(() => deps.experience.recordIncident(incident));
    },
    /** Records one person's NPS answer about a journey or an incident. */
    async recordNpsAnswer(answer: NpsAnswer): Promise<void> {
      const valid = validated(parseNpsAnswer, answer);
      await classifyFailures(() => deps.experience.recordNps(valid));
    },
    /**
     * Records a batch of NPS answers (an incident shard's new answers), one upsert each, so a
     * retry after a partial failure rewrites the same rows. Returns how many were recorded.
     */
    async recordNpsAnswers(answers: NpsAnswer[]): Promise<number> {
      const valid = answers.map((a) => validated(parseNpsAnswer, a));
      await classifyFailures(async () => {
        for (const answer of valid) await deps.experience.recordNps(answer);
      });
      return valid.length;
    },
  });
}

export type ExperienceActivities = ReturnType<typeof createExperienceActivities>;
