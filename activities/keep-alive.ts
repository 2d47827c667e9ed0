/**
 * Heartbeats that prove a worker is alive, so that Temporal notices a worker that died in the
 * middle of an activity within the activity's `heartbeatTimeout` (seconds) instead of its
 * `startToCloseTimeout` (sized for a slow provider, so up to a minute or more).
 *
 * {@link keepAlive} runs an activity with a timer that heartbeats every
 * {@link keepAliveIntervalMs} while it runs: an activity over in milliseconds (nearly every
 * call) never heartbeats at all; one waiting for a slow provider keeps heartbeating for as long
 * as its process is alive, however long the provider takes. A dead process stops heartbeating.
 *
 * Progress: an activity that can resume (a batch page's cursor) reports it with
 * {@link heartbeatProgress}; the timer then re-sends the latest progress, never blank details
 * (Temporal keeps only the latest heartbeat's details, and a retry resumes from them). Until an
 * attempt reports progress of its own, the timer re-sends what the previous attempt reported,
 * so an attempt that dies before its first page does not lose the earlier attempts' progress.
 */
import { Context } from '@temporalio/activity';

/**
 * How often a running activity heartbeats. Well under every heartbeat timeout of
 * workflows/shared/activity-options.ts (5 s and more); the worker passes at most one heartbeat
 * per activity per `maxHeartbeatThrottleInterval` (worker/create-worker.ts) to the server.
 */
export const keepAliveIntervalMs = 1_000;

/** The details the timer of each running activity re-sends. */
const latest = new WeakMap<Context, { details: unknown }>();

/** Reports an activity's progress: heartbeats `details` now, and the keep-alive re-sends them from now on. */
export function heartbeatProgress(details: unknown): void {
  const ctx = Context.current();
  const state = latest.get(ctx);
  if (state) state.details = details;
  ctx.heartbeat(details);
}

/** `activity`, heartbeating every {@link keepAliveIntervalMs} while it runs. */
export function keepAlive<A extends unknown[], R>(activity: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A): Promise<R> => {
    const ctx = Context.current();
    if (latest.has(ctx)) return activity(...args);
    const state: { details: unknown } = { details: ctx.info.heartbeatDetails as unknown };
    latest.set(ctx, state);
    const timer = setInterval(() => ctx.heartbeat(state.details), keepAliveIntervalMs);
    try {
      return await activity(...args);
    } finally {
      clearInterval(timer);
      latest.delete(ctx);
    }
  };
}

/** Every activity of a factory's result wrapped in {@link keepAlive}; the type (what workflows import) is unchanged. */
export function keepAliveAll<T extends Record<string, (...args: never[]) => Promise<unknown>>>(activities: T): T {
  return Object.fromEntries(Object.entries(activities).map(([name, activity]) => [name, keepAlive(activity)])) as T;
}
