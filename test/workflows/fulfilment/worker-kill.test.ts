/**
 * A worker process SIGKILLed in the middle of a step, and a new one: the journey finishes within
 * a bound that follows from the configured timeouts (heartbeat timeout, first retry interval,
 * sticky-queue schedule-to-start, workflow task timeout), not minutes later, and the crash alone
 * never earns the requester a "taking longer than usual" email.
 *
 * Both workers are separate OS processes (test/support/worker-process.ts) built with the real
 * `createWorker` and the real activities over the test servers. The journey runs the catalog's
 * Expensatron plan as it is (durations and retry policy of production: no test overrides). The
 * kill point is deterministic: the SCIM server holds the provisioning step's first request
 * unanswered (`hangNext`), the test waits until that request has arrived (so the worker is
 * inside the activity, well before the adapter's own 10 s timeout) and only then kills.
 */
import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalog, listServices } from '../../../catalog';
import { workerTimeouts } from '../../../worker/create-worker';
import { fulfilmentWorkflowType, type FulfilmentResult } from '../../../workflows/fulfilment/definitions';
import {
  batch,
  cmdbCall,
  directoryCall,
  experienceCall,
  notification,
  provisioning,
} from '../../../workflows/shared/activity-options';
import { org, type IntegrationEnv } from '../../support/integration-env';
import { startJourneyEnv, stopJourneyEnv } from '../../support/journey-env';
import { uniqueTaskQueue } from '../../support/temporal';
import {
  finalAttempt,
  ms,
  recoveryBoundMs,
  workerProcessPool,
  type WorkerProcessPool,
} from '../../support/worker-processes';
import { eventually, serviceById } from './helpers';

let testEnv: TestWorkflowEnvironment;
let env: IntegrationEnv;
let workers: WorkerProcessPool | undefined;

beforeAll(async () => {
  ({ testEnv, env } = await startJourneyEnv());
  workers = await workerProcessPool(env);
});
afterAll(async () => {
  await workers?.close();
  await stopJourneyEnv(testEnv, env);
});

const worker = (taskQueue: string) => workers!.start(taskQueue);

describe('a worker process killed mid-step', () => {
  it('the derived bound is within the 30 s the journeys promise, for every preset a step uses', () => {
    for (const preset of [directoryCall, cmdbCall, notification, provisioning]) {
      expect(preset.heartbeatTimeout).toBeDefined();
      expect(recoveryBoundMs(preset)).toBeLessThanOrEqual(30_000);
    }
    // The long batch pages heartbeat too (incident notifications), with a short heartbeat timeout.
    expect(ms(batch.heartbeatTimeout)).toBeLessThanOrEqual(10_000);
    // Recording the figures at a journey's end does not heartbeat: its start-to-close is its detection.
    expect(
      ms(experienceCall.startToCloseTimeout) +
        ms(experienceCall.retry?.initialInterval) +
        ms(workerTimeouts.stickyQueueScheduleToStartTimeout),
    ).toBeLessThanOrEqual(30_000);
  });

  it('no catalog plan tells the requester "taking longer" because of a crash recovered within that bound', () => {
    for (const service of listServices()) {
      const threshold = service.plan.durations.takingLongerAfterSeconds;
      if (threshold === 0) continue;
      // A watched step is an activity or two (milliseconds) plus, at worst, one crash's recovery.
      expect(threshold * 1000, service.id).toBeGreaterThan(2 * recoveryBoundMs(provisioning));
    }
  });

  /**
   * Kills the worker process that is inside the provisioning step's first SCIM call. The second
   * worker process is started after the kill (a restart: measured from when it is ready) or
   * before it (a surviving worker: measured from the kill itself).
   */
  async function killMidProvisioning(person: typeof org.steve | typeof org.tony, second: 'restarted' | 'surviving') {
    const taskQueue = uniqueTaskQueue('fulfil-sigkill');
    const scim = env.scim.expensatron!;
    // The catalog's own plan: production durations (taking longer after 120 s) and retry policy.
    const prepared = createCatalog([serviceById('expensatron')]).prepareRequest({
      serviceId: 'expensatron',
      requestId: `kill-${randomBytes(6).toString('hex')}`,
      requester: person.accountName,
      fields: { phone: person.phone, os: person.os },
      taskQueue,
    });
    expect(prepared.input.retryInitialIntervalMs).toBeUndefined();
    const requestsBefore = scim.requests.length;
    // The provisioning step's first SCIM request (the look-up before creating) gets no answer.
    scim.hangNext(1);

    const first = await worker(taskQueue);
    const handle = await testEnv.client.workflow.start(fulfilmentWorkflowType, prepared.options);
    await eventually(() => scim.requests.length > requestsBefore, 30_000, 'the provisioning step to reach SCIM');
    // Nothing else is pending: the journey waits for this activity, so the surviving worker has nothing to take yet.
    const survivor = second === 'surviving' ? await worker(taskQueue) : null;
    // The first worker is inside the activity, waiting for SCIM: kill it there.
    await first.kill();
    const killedAt = Date.now();
    expect(env.smsTo(person.phone)).toHaveLength(1);
    expect(scim.users().filter((u) => u.userName === person.email)).toHaveLength(0);

    const other = survivor ?? (await worker(taskQueue));
    const r = (await handle.result()) as FulfilmentResult;
    const doneAt = Date.now();

    const availableAt = Math.max(killedAt, other.readyAt);
    const recovered = doneAt - availableAt;
    const bound = recoveryBoundMs(provisioning);
    const threshold = prepared.input.plan.durations.takingLongerAfterSeconds;
    console.log(
      `worker-kill (${second} worker): journey completed ${(recovered / 1000).toFixed(1)} s after a worker was available ` +
        `(bound ${(bound / 1000).toFixed(1)} s); ${((doneAt - killedAt) / 1000).toFixed(1)} s after the SIGKILL` +
        (second === 'restarted'
          ? `; the new process was ready ${((other.readyAt - other.spawnedAt) / 1000).toFixed(1)} s after its spawn`
          : '') +
        `; the provisioning step took ${((r.figures.stageDurationsMs.provisioning ?? 0) / 1000).toFixed(1)} s ("taking longer" after ${threshold} s)`,
    );

    expect(r.outcome).toBe('completed');
    expect(recovered).toBeLessThan(bound);
    // The lost attempt was noticed by its missing heartbeats, not by its start-to-close timeout.
    const lookUp = await finalAttempt(testEnv.client, handle.workflowId, 'findExistingAccount');
    expect(lookUp.attempt).toBe(2);
    expect(lookUp.lastFailureTimeout).toBe(temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT);

    // The requester: no "taking longer", the effects once.
    const mails = env.emailsTo(person.email).filter((m) => m.text?.includes(prepared.input.requestId));
    expect(mails.filter((m) => /taking longer/i.test(m.subject ?? ''))).toEqual([]);
    expect(r.delayed).toBe(false);
    expect(mails.map((m) => m.subject)).toEqual(['We have your request for Expensatron', 'Your Expensatron login']);
    expect(env.smsTo(person.phone)).toHaveLength(1);
    expect(scim.users().filter((u) => u.userName === person.email)).toHaveLength(1);
    expect(scim.requests.slice(requestsBefore).filter((q) => q.method === 'POST')).toHaveLength(1);
  }

  it('SIGKILL while provisioning, then a new worker process: completed within the bound, one SMS, one account, no "taking longer"', async () => {
    await killMidProvisioning(org.steve, 'restarted');
  });

  it('SIGKILL while provisioning, with a second worker process already running: the same, counted from the kill', async () => {
    await killMidProvisioning(org.tony, 'surviving');
  });
});
