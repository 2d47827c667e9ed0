import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Named activity option presets, one per kind of outside system. Each has a start-to-close
 * timeout (how long one attempt may take) and a retry policy for that system; workflows pick a
 * preset instead of inventing numbers. Permanent failures are non-retryable ApplicationFailures
 * thrown by the activities, so `nonRetryableErrorTypes` is not needed here.
 */
export const directoryCall: ActivityOptions = {
  startToCloseTimeout: '15 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

export const cmdbCall: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '2 minutes' },
};

/** Email and SMS: providers rate-limit, so back off further. */
export const notification: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
};

export const provisioning: ActivityOptions = {
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
};

/** Long batch work (e.g. notifying a page of subscribers) that heartbeats its progress. */
export const batch: ActivityOptions = {
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '30 seconds',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '5 minutes' },
};

/**
 * Recording experience figures: best-effort, a metrics outage must never hold up a journey, so a
 * few quick attempts and then the workflow logs and goes on (the figures stay in its result).
 */
export const experienceCall: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 5 },
};

/**
 * Replaces the retry's backoff settings for tests and demos: the workflow input may carry
 * faster intervals so a "provider down" scenario takes seconds, not minutes.
 */
export function withRetryInterval(options: ActivityOptions, initialIntervalMs: number | undefined): ActivityOptions {
  if (initialIntervalMs === undefined) return options;
  return {
    ...options,
    retry: { ...options.retry, initialInterval: initialIntervalMs, maximumInterval: Math.max(initialIntervalMs * 4, initialIntervalMs) },
  };
}
