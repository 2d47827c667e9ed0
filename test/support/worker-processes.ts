/**
 * What the tests that SIGKILL a worker process share: a pool of worker processes over a test
 * file's integration servers (test/support/worker-process.ts; the workflow bundle built once and
 * written where the processes read it), the recovery bound a journey promises after a crash, and
 * a look into a journey's history at how an activity's last attempt came about.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import type { ActivityOptions } from '@temporalio/workflow';
import { defaultPayloadConverter, type Duration } from '@temporalio/common';
import { msToNumber } from '@temporalio/common/lib/time';
import { inject } from 'vitest';
import { workerTimeouts } from '../../worker/create-worker';
import { journeyWorkflowTaskTimeout } from '../../workflows/fulfilment/definitions';
import type { IntegrationEnv } from './integration-env';
import { workflowBundle } from './temporal';
import { startWorkerProcess, type WorkerProcess, type WorkerProcessConfig } from './worker-process';

export const ms = (d?: Duration): number => (d === undefined ? 0 : msToNumber(d));

/** The workflow task timeout journeys start with (fulfilmentStartOptions). */
export const workflowTaskTimeoutMs = ms(journeyWorkflowTaskTimeout);

/**
 * How late, at most, a journey whose worker died mid-activity can finish once another worker is
 * running: the lost attempt is noticed when its heartbeats stop (heartbeat timeout), retried after
 * the first retry interval, and the workflow task that follows may wait out the dead worker's
 * sticky queue; a workflow task lost with the worker instead costs one workflow task timeout.
 * Counted both ways (generous), plus a few seconds for the work itself on a loaded machine.
 */
export function recoveryBoundMs(preset: ActivityOptions): number {
  return (
    ms(preset.heartbeatTimeout) +
    ms(preset.retry?.initialInterval) +
    ms(workerTimeouts.stickyQueueScheduleToStartTimeout) +
    workflowTaskTimeoutMs +
    5_000
  );
}

/** Which attempt of `activityType` completed last, how the attempt before it ended, and its result (from the history). */
export async function finalAttempt(
  client: Client,
  workflowId: string,
  activityType: string,
): Promise<{ attempt: number; lastFailureTimeout: number | null | undefined; result: unknown }> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const events = history.events ?? [];
  const scheduled = events
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType)
    .map((e) => String(e.eventId));
  const started = events.filter(
    (e) =>
      e.activityTaskStartedEventAttributes &&
      scheduled.includes(String(e.activityTaskStartedEventAttributes.scheduledEventId)),
  );
  const last = started[started.length - 1]?.activityTaskStartedEventAttributes;
  const completed = events.filter(
    (e) =>
      e.activityTaskCompletedEventAttributes &&
      scheduled.includes(String(e.activityTaskCompletedEventAttributes.scheduledEventId)),
  );
  const payload = completed[completed.length - 1]?.activityTaskCompletedEventAttributes?.result?.payloads?.[0];
  const result: unknown = payload ? defaultPayloadConverter.fromPayload(payload) : undefined;
  return {
    attempt: last?.attempt ?? 0,
    lastFailureTimeout: last?.lastFailure?.timeoutFailureInfo?.timeoutType,
    result,
  };
}

export interface WorkerProcessPool {
  /**
   * Starts a worker process on `taskQueue` over `env`'s servers and resolves once it polls.
   * `ldapUrl`: reach the directory elsewhere (a proxy in front of `env.slapd`).
   */
  start(taskQueue: string, options?: { ldapUrl?: string }): Promise<WorkerProcess>;
  /** Stops every process it started and deletes the bundle. */
  close(): Promise<void>;
}

/** Call in `beforeAll`, once `env` is up; `close()` in `afterAll`. */
export async function workerProcessPool(env: IntegrationEnv): Promise<WorkerProcessPool> {
  const dir = mkdtempSync(join(tmpdir(), 'sj-worker-kill-'));
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, (await workflowBundle()).code);
  const processes: WorkerProcess[] = [];

  const config = (taskQueue: string, ldapUrl: string): WorkerProcessConfig => ({
    temporal: { address: inject('temporalAddress'), namespace: inject('temporalNamespace'), taskQueue },
    workflowBundlePath: bundlePath,
    // One ledger per task queue, shared by its processes: a second process sees what the first sent.
    ledgerPath: join(dir, `send-ledger-${taskQueue}.jsonl`),
    ldap: {
      url: ldapUrl,
      bindDn: env.slapd.bindDn,
      bindPassword: env.slapd.bindPassword,
      userBaseDn: env.slapd.userBaseDn,
      groupBaseDn: env.slapd.groupBaseDn,
      preset: env.slapd.preset,
    },
    smtp: { host: env.smtp.host, port: env.smtp.port },
    twilio: { accountSid: env.twilio.accountSid, authToken: env.twilio.authToken, baseUrl: env.twilio.baseUrl },
    servicenow: { baseUrl: env.servicenow.baseUrl, user: env.servicenow.user, password: env.servicenow.password },
    scim: Object.fromEntries(Object.entries(env.scim).map(([id, s]) => [id, { baseUrl: s.baseUrl, token: s.token }])),
    settings: env.settings,
  });

  return {
    async start(taskQueue, options = {}) {
      const p = await startWorkerProcess(config(taskQueue, options.ldapUrl ?? env.slapd.url));
      processes.push(p);
      return p;
    },
    async close() {
      await Promise.allSettled(processes.map((p) => p.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
