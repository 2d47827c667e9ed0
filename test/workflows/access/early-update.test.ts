/**
 * An update that reaches a grant with its start (update-with-start, or sent right after it) can
 * be in the grant's first workflow task, before its main code has run. The SDK holds it until its
 * handler is set and runs it there, synchronously; the grant sets every handler before its first
 * await, so the wait already knows of it: an end asked for that early ends the grant at once (no
 * week-long timer first), an extension is asked for at once (no waiting on the end date first).
 * The tests check the update really was in the first workflow task.
 */
import { WithStartWorkflowOperation, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import {
  accessGrantWorkflowType,
  endAccessUpdate,
  extendAccessUpdate,
  type AccessGrantStatus,
} from '../../../workflows/access/definitions';
import { startIntegrationEnv, type IntegrationEnv } from '../../support/integration-env';
import { connectTestEnv, createTestWorker, terminateRunning, uniqueTaskQueue } from '../../support/temporal';
import { testGrantInput, waitForGrant } from './helpers';

const EventType = temporal.api.enums.v1.EventType;

let testEnv: TestWorkflowEnvironment;
let env: IntegrationEnv;
const used = new Set<string>();

beforeAll(async () => {
  [testEnv, env] = await Promise.all([connectTestEnv(), startIntegrationEnv()]);
});
afterAll(async () => {
  if (testEnv) await terminateRunning(testEnv.client, used);
  await env?.stop();
  await testEnv?.teardown();
});

/** The timers a run started, in whole seconds, from its history. */
async function timersOf(handle: WorkflowHandle): Promise<number[]> {
  const history = await handle.fetchHistory();
  return (history.events ?? [])
    .filter((e) => e.timerStartedEventAttributes)
    .map((e) => Number(e.timerStartedEventAttributes!.startToFireTimeout?.seconds ?? 0));
}

/** The timers once there is one (the decision's wait starts after the approver's emails). */
async function eventuallyTimers(handle: WorkflowHandle): Promise<number[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const timers = await timersOf(handle);
    if (timers.length > 0 || Date.now() > deadline) return timers;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Updates accepted in the run's first workflow task: the ones that came with the start. */
async function firstTaskUpdates(handle: WorkflowHandle): Promise<number> {
  const events = (await handle.fetchHistory()).events ?? [];
  const firstTask = events.find((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED)?.eventId;
  return events.filter(
    (e) =>
      e.workflowExecutionUpdateAcceptedEventAttributes &&
      String(e.workflowExecutionUpdateAcceptedEventAttributes.acceptedRequestSequencingEventId) === String(firstTask),
  ).length;
}

async function worker() {
  const taskQueue = uniqueTaskQueue('access-early-update');
  used.add(taskQueue);
  return { taskQueue, worker: await createTestWorker(testEnv, { taskQueue, activities: createActivities(env.deps) }) };
}

const grantId = (name: string) => `access-crm-access-${name}-${Date.now().toString(36)}`;

describe('an update delivered with the grant’s start', () => {
  it('ends an open-ended grant at once when the end comes with the start (update-with-start)', async () => {
    const { worker: w, taskQueue } = await worker();
    await env.deps.directory.addMember('tony', 'CRM Users');
    const id = grantId('end-with-start');
    await w.runUntil(async () => {
      const startWorkflowOperation = new WithStartWorkflowOperation(accessGrantWorkflowType, {
        workflowId: id,
        taskQueue,
        args: [testGrantInput(id, 'tony')],
        workflowIdConflictPolicy: 'FAIL',
      });
      const started = Date.now();
      const answer = await testEnv.client.workflow.executeUpdateWithStart(endAccessUpdate, {
        args: [{ by: 'ivy', staff: true, reason: 'Left the team' }],
        startWorkflowOperation,
      });
      expect(answer).toEqual({ ending: true });
      const handle = await startWorkflowOperation.workflowHandle();
      const ended = (await handle.result()) as AccessGrantStatus;
      expect(ended.state).toBe('ended');
      expect(ended.endReason).toBe('Ended early by IT staff (ivy): Left the team');
      expect(Date.now() - started).toBeLessThan(15_000);
      // The end was known before the wait: no week-long wake-up timer was started.
      expect(await timersOf(handle)).toEqual([]);
      // And the case is the one meant: the update was in the first workflow task (sequenced by it).
      expect(await firstTaskUpdates(handle)).toBe(1);
    });
    expect(await env.deps.directory.isMember('tony', 'CRM Users')).toBe(false);
  });

  it('ends a grant promptly when the end is sent right after the start', async () => {
    const { worker: w, taskQueue } = await worker();
    const id = grantId('end-after-start');
    await w.runUntil(async () => {
      const handle = await testEnv.client.workflow.start(accessGrantWorkflowType, {
        workflowId: id,
        taskQueue,
        args: [testGrantInput(id, 'tony')],
      });
      const started = Date.now();
      await handle.executeUpdate(endAccessUpdate, { args: [{ by: 'tony', staff: false, reason: null }] });
      const ended = (await handle.result()) as AccessGrantStatus;
      expect(ended.endReason).toBe('Ended early by you');
      expect(Date.now() - started).toBeLessThan(15_000);
    });
  });

  it('asks for an extension at once when it comes with the start', async () => {
    const { worker: w, taskQueue } = await worker();
    const id = grantId('extend-with-start');
    const until = new Date(Date.now() + 10 * 86_400_000).toISOString();
    await w.runUntil(async () => {
      const startWorkflowOperation = new WithStartWorkflowOperation(accessGrantWorkflowType, {
        workflowId: id,
        taskQueue,
        args: [testGrantInput(id, 'tony', { until })],
        workflowIdConflictPolicy: 'FAIL',
      });
      const answer = await testEnv.client.workflow.executeUpdateWithStart(extendAccessUpdate, {
        args: [{ by: 'tony', requestId: 'ext-at-start', until: 'for 40 days', reason: 'The project runs longer' }],
        startWorkflowOperation,
      });
      expect(answer.created).toBe(true);
      const handle = await startWorkflowOperation.workflowHandle();
      expect(await firstTaskUpdates(handle)).toBe(1);
      const asked = await waitForGrant(handle, (s) => s.pendingExtension?.approver === 'mia', 15_000);
      expect(asked.until).toBe(until);
      // Only the decision's timer (60 s): the grant did not start waiting on its end date first.
      const timers = await eventuallyTimers(handle);
      expect(timers).toHaveLength(1);
      expect(timers[0]).toBeLessThanOrEqual(60);
      await handle.terminate('test done');
    });
  });
});
