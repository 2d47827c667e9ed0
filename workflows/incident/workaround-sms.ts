/**
 * The workaround SMS for one person ("text me the download link"), a small workflow of its own
 * so the shards' update handlers stay synchronous and the portal still gets the outcome at once.
 */
import { log, proxyActivities } from '@temporalio/workflow';
import type { createIncidentActivities } from '../../activities/incident';
import { notification, withRetryInterval } from '../shared/activity-options';
import type { WorkaroundSmsInput, WorkaroundSmsOutcome } from './definitions';

const { sendWorkaroundSms } = proxyActivities<ReturnType<typeof createIncidentActivities>>(notification);

/**
 * Texts the workaround's download link for the person's registered phone (type name
 * `incidentWorkaroundSmsWorkflow`). Never fails: after two minutes of a provider being down it
 * answers `failed` so the portal can say so; the ledger makes a repeat send nothing.
 */
export async function incidentWorkaroundSmsWorkflow(input: WorkaroundSmsInput): Promise<WorkaroundSmsOutcome> {
  try {
    return await sendWorkaroundSms.executeWithOptions(
      {
        ...withRetryInterval(notification, input.retryInitialIntervalMs),
        scheduleToCloseTimeout: '2 minutes',
        summary: `Workaround download link by SMS to ${input.accountName}'s registered phone`,
      },
      [{ incident: input.incident, accountName: input.accountName }],
    );
  } catch (err) {
    log.warn('workaround SMS not sent', {
      accountName: input.accountName,
      error: err instanceof Error ? err.message : String(err),
    });
    return { status: 'failed', message: 'the SMS could not be sent just now; please try again later' };
  }
}
