/**
 * The requester's NPS answer about a finished request: a tiny workflow, so the answer
 * is durable the moment the portal or the API accepts it, and is written to the experience store
 * with Temporal's retries even while the store is briefly down.
 */
import { ActivityFailure, ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { ExperienceActivities } from '../../activities/experience';
import { experienceCall } from '../shared/activity-options';
import {
  journeyFeedbackInputProblems,
  journeyFeedbackSummary,
  type JourneyFeedbackInput,
  type JourneyFeedbackResult,
} from './definitions';

const experience = proxyActivities<ExperienceActivities>(experienceCall);

/**
 * Records one NPS answer about a finished journey (type `journeyFeedbackWorkflow`, id
 * `feedback-<journeyId>`; start it with `journeyFeedbackStartOptions` from definitions.ts).
 *
 * The write is an upsert per journey + person and never replaces a newer answer, so a retried
 * activity, a replay, or a second run for the same journey is idempotent. Fails with a
 * non-retryable `InvalidInput` for a malformed input, and with `NpsNotRecorded` when the store
 * still refuses after the `experienceCall` retries (the run stays visible in the UI for ops).
 */
export async function journeyFeedbackWorkflow(input: JourneyFeedbackInput): Promise<JourneyFeedbackResult> {
  const problems = journeyFeedbackInputProblems(input);
  if (problems.length > 0) {
    throw ApplicationFailure.create({
      type: 'InvalidInput',
      message: `The answer cannot be recorded: ${problems.join('; ')}`,
      nonRetryable: true,
    });
  }
  try {
    await experience.recordNpsAnswer.executeWithOptions({ ...experienceCall, summary: journeyFeedbackSummary(input) }, [
      {
        journeyId: input.journeyId,
        serviceId: input.serviceId,
        user: input.user,
        score: input.score,
        comment: input.comment,
        at: input.at,
      },
    ]);
  } catch (err) {
    if (!(err instanceof ActivityFailure)) throw err;
    throw ApplicationFailure.create({
      type: 'NpsNotRecorded',
      message: `NPS answer not recorded: ${err.cause?.message ?? err.message}`,
      nonRetryable: true,
      cause: err,
    });
  }
  return { journeyId: input.journeyId, user: input.user, score: input.score, recordedAt: input.at };
}
