/**
 * A deliberately incompatible change, for the replay test that must FAIL: the fulfilment journey
 * with a timer added before its first step and no `patched()` guard. Running journeys recorded
 * with the real code issue other commands first, so replay must raise a determinism violation.
 */
import { sleep } from '@temporalio/workflow';
import { fulfilmentWorkflow as released } from '../../workflows/fulfilment/workflow';

export async function fulfilmentWorkflow(...args: Parameters<typeof released>): ReturnType<typeof released> {
  await sleep('1 second');
  return released(...args);
}
