/**
 * `@temporalio/workflow` as it would behave had a change shipped WITHOUT its `patched()` guard:
 * the new code always runs, also while replaying a history recorded before the change. (The
 * real `patched()` is still called so journeys recorded after the change see their marker.) The
 * replay test bundles the real workflows against this to show that the guard is what keeps
 * journeys started before the change replayable.
 */
import { patched as guarded } from '@temporalio/workflow/lib/index';

export * from '@temporalio/workflow/lib/index';

export function patched(patchId: string): boolean {
  guarded(patchId);
  return true;
}
