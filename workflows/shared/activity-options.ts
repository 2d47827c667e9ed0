import type { ActivityOptions } from '@temporalio/workflow';

/**
 * Named activity option presets, one per kind of outside system; workflows pick a preset instead
 * of inventing numbers. Permanent failures are non-retryable ApplicationFailures thrown by the
 * activities, so `nonRetryableErrorTypes` is not needed here.
 *
 * Two different questions, two different timeouts:
 *
 * - **Is the worker still there?** Every activity heartbeats every second while it runs
 *   (activities/keep-alive.ts), so `heartbeatTimeout` is how long a worker that was killed in
 *   the middle of a call goes unnoticed. Short: a lost attempt is retried within seconds.
 * - **Is the provider taking too long?** `startToCloseTimeout` bounds one attempt on a live
 *   worker. It is NOT how a crash is detected, so it is sized above the adapters' own limits
 *   (each adapter gives up on a request after its own timeout: LDAP_TIMEOUT_MS 5 s, SMTP, Twilio,
 *   ServiceNow and SCIM 10 s by default) times the requests the activity makes: a slow but
 *   healthy provider is answered, or refused by the adapter with a clear retryable error, before
 *   Temporal cuts the attempt off.
 *
 * Retries start after 1 s (`initialInterval`): after a crash, the first retry IS the recovery.
 * They back off from there (`backoffCoefficient` 2 up to `maximumInterval`), for outages.
 *
 * Crash-recovery budget of a journey step, once a worker is running (the journey promises 30 s;
 * test/workflows/fulfilment/worker-kill.test.ts kills a worker process and measures it): the lost
 * attempt is noticed after at most the heartbeat timeout (5 s), retried 1 s later, and the
 * workflow task that follows waits at most the sticky-queue schedule-to-start timeout (3 s,
 * worker/create-worker.ts) on the dead worker's queue: ≈ 9 s. A workflow task lost with the worker
 * costs the workflow task timeout instead (`journeyWorkflowTaskTimeout` in workflows/fulfilment/definitions.ts, 5 s). Either way far below the
 * catalog's "taking longer" threshold (120 s), so a crash alone never triggers that message.
 */

/** LDAP look-ups (find the requester, check eligibility). */
export const directoryCall: ActivityOptions = {
  // One look-up: bind, the person's search, a search per level of nested groups, each allowed
  // LDAP_TIMEOUT_MS (5 s) by the adapter, and once more on a fresh connection if a pooled one broke.
  startToCloseTimeout: '30 seconds',
  // Heartbeats come every second: 5 s without one is a dead worker, not a slow directory.
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/** ServiceNow CMDB reads (the device check, an incident's service). */
export const cmdbCall: ActivityOptions = {
  // A read is one or two Table API requests of up to 10 s each (SERVICENOW_TIMEOUT_MS), and the
  // adapter waits out a 429 in place (Retry-After up to 10 s, twice): 50 s at the very worst.
  startToCloseTimeout: '60 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '2 minutes' },
};

/** Email and SMS (and the directory look-up some of them need): providers rate-limit, so back off further. */
export const notification: ActivityOptions = {
  // An SMTP send is connect, greeting and a handful of commands, each allowed SMTP_TIMEOUT_MS
  // (10 s) of silence; an SMS is one Twilio request (10 s); an approver's email first looks the
  // approver up in the directory (up to 30 s above). A 429 sets its own next retry (Retry-After).
  startToCloseTimeout: '60 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
};

/** SCIM account provisioning and its undo. */
export const provisioning: ActivityOptions = {
  // ensureAccount is up to four SCIM requests (look up by externalId, create, and on a 409 look up
  // by userName and switch it on), each allowed 10 s (SCIM_TIMEOUT_MS): 40 s at the very worst.
  startToCloseTimeout: '60 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
};

/** Long batch work (notifying a page of subscribers, a batch of affected people) that heartbeats its progress. */
export const batch: ActivityOptions = {
  // An attempt stops taking new pages after about four minutes (activities/incident.ts) and
  // finishes the page it is on; 10 minutes leaves room for a slow, rate-limited last page.
  startToCloseTimeout: '10 minutes',
  // Heartbeats come every second, whatever the activity waits for (a CMDB page, a Retry-After,
  // the pacing), and carry the resume point; 10 s rather than 5 s because a batch runs hundreds
  // of sends on the worker's event loop at once, and a false alarm would redo a page's look-ups.
  heartbeatTimeout: '10 seconds',
  // Each attempt resumes from the last heartbeat's cursor, so a worker killed again and again
  // (a rolling deploy, a crash loop) must not push the next attempt minutes away: at most 15 s.
  // A provider that is down fails each attempt fast, and 15 s between them is gentle enough.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '15 seconds' },
};

/**
 * Recording experience figures: best-effort, a metrics outage must never hold up a journey, so a
 * few quick attempts and then the workflow logs and goes on (the figures stay in its result).
 */
export const experienceCall: ActivityOptions = {
  // They heartbeat each second (activities/experience.ts), so a worker killed during the upsert at
  // a journey's very end is noticed after 5 s, as in every other step. An upsert takes
  // milliseconds (a file append, or a PostgreSQL statement); 20 s lets a slow database answer.
  // Longer waits (the PostgreSQL backend allows 10 s to connect, 15 s per statement) are a
  // database in trouble: the attempt is retried, and after 5 the figures are left out.
  startToCloseTimeout: '20 seconds',
  heartbeatTimeout: '5 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 5 },
};

/**
 * Delivering a journey event to a subscriber's webhook (workflows/shared/events.ts). One HTTP
 * POST per attempt, refused by the sender after 10 s (WEBHOOK_TIMEOUT_MS); it heartbeats every
 * second, so a worker killed mid-delivery is noticed after 5 s and the event is sent again with
 * the same `webhook-id`. A receiver that is down is retried with backoff up to every 10 minutes
 * for a day (`scheduleToCloseTimeout`), then the journey logs the event as not delivered.
 */
export const webhookDelivery: ActivityOptions = {
  startToCloseTimeout: '30 seconds',
  heartbeatTimeout: '5 seconds',
  scheduleToCloseTimeout: '1 day',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' },
};

/**
 * Replaces the retry's backoff settings for tests and demos: the workflow input may carry
 * faster intervals so a "provider down" scenario takes seconds, not minutes.
 */
export function withRetryInterval(options: ActivityOptions, initialIntervalMs: number | undefined): ActivityOptions {
  if (initialIntervalMs === undefined) return options;
  return {
    ...options,
    retry: {
      ...options.retry,
      initialInterval: initialIntervalMs,
      maximumInterval: Math.max(initialIntervalMs * 4, initialIntervalMs),
    },
  };
}
