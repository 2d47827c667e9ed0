/**
 * The workflow bundle entry of `npm run bench:fulfilment` (not the worker's): the real fulfilment
 * journey, plus a bare workflow that calls the same number of no-op activities with the same
 * option presets and nothing else (no stages, no search attributes, no timers, no queries), to
 * compare the journey's own overhead against bare Temporal on the same server.
 */
import { proxyActivities } from '@temporalio/workflow';
import { directoryCall } from '../workflows/shared/activity-options';

export { fulfilmentWorkflow } from '../workflows/fulfilment/workflow';

/** The bare workflow's only activity. */
export interface BareActivities {
  noop(step: number): Promise<number>;
}

const { noop } = proxyActivities<BareActivities>(directoryCall);

/** `activities` sequential no-op activities: what Temporal itself costs for a journey's shape. */
export async function bareWorkflow(activities: number): Promise<number> {
  let sum = 0;
  for (let i = 0; i < activities; i++) sum += await noop(i);
  return sum;
}
