import { allHandlersFinished, condition } from '@temporalio/workflow';

/**
 * Waits until every update and signal handler has finished. The incident's handlers are all
 * synchronous, so this only lets the SDK emit the updates' completions of the current activation
 * first.
 *
 * Why: when several updates arrive in one workflow task and the main loop issues a command (a
 * signal, an activity, a timer) in the same task, the order of that command relative to the
 * updates' completions can differ between the first execution and a later replay (seen with SDK
 * 1.24 on server 1.29 as `[TMPRL1100] Nondeterminism error: Update machine does not handle this
 * event`, reproducible with `maxCachedWorkflows: 0`). Issuing commands only after the
 * completions makes the order the same every time. The main loops call this after every await,
 * before their next command.
 */
export async function settled(): Promise<void> {
  await condition(allHandlersFinished);
}
