/**
 * Exactly once from Steve's point of view: a double submit starts one journey; a worker that
 * goes away mid-journey (and a new one that picks it up from history) sends no second SMS and
 * creates no second account; retried sends are not duplicated. Counted on the test servers.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../../activities';
import { createCatalog } from '../../../catalog';
import { correctDeviceUpdate, fulfilmentWorkflowType } from '../../../workflows/fulfilment/definitions';
import { org, type IntegrationEnv } from '../../support/integration-env';
import { startJourneyEnv, stopJourneyEnv } from '../../support/journey-env';
import { createTestWorker, uniqueTaskQueue } from '../../support/temporal';
import { eventually, journeyWorker, result, serviceById, startRequest, waitForStatus, withPlan } from './helpers';

let testEnv: TestWorkflowEnvironment;
let env: IntegrationEnv;

beforeAll(async () => ({ testEnv, env } = await startJourneyEnv()));
afterAll(() => stopJourneyEnv(testEnv, env));

const expensatron = withPlan(serviceById('expensatron'));
const receiptsFor = (email: string, requestId: string) =>
  env
    .emailsTo(email)
    .filter((m) => m.text?.includes(requestId) && m.subject === 'We have your request for Expensatron');

/** A worker that can be taken away mid-journey: short grace, so in-flight work is abandoned, not awaited. */
async function killableWorker(taskQueue: string) {
  const worker = await createTestWorker(testEnv, {
    taskQueue,
    activities: createActivities(env.deps),
    shutdownGraceTime: '10 ms',
    shutdownForceTime: '2 s',
  });
  const running = worker.run();
  return {
    async kill() {
      worker.shutdown();
      await running;
    },
  };
}

describe('exactly once', () => {
  it('a double submit (same request id) starts one journey and finds the first, running or finished', async () => {
    const { worker, taskQueue } = await journeyWorker(testEnv, env);
    const catalog = createCatalog([expensatron]);
    const request = {
      serviceId: 'expensatron',
      requestId: `dbl-${Date.now().toString(36)}`,
      requester: 'steve',
      fields: { phone: org.steve.phone, os: 'android' },
      taskQueue,
    };
    const first = catalog.prepareRequest(request);
    const handle = await testEnv.client.workflow.start(fulfilmentWorkflowType, first.options);
    // The second click, while the first runs: refused by the server, the caller shows the first.
    const again = catalog.prepareRequest(request);
    expect(again.options.workflowId).toBe(first.options.workflowId);
    await expect(testEnv.client.workflow.start(fulfilmentWorkflowType, again.options)).rejects.toBeInstanceOf(
      WorkflowExecutionAlreadyStartedError,
    );
    await worker.runUntil(handle.result());
    // And after it finished (a retried API call hours later): still the first.
    await expect(testEnv.client.workflow.start(fulfilmentWorkflowType, again.options)).rejects.toBeInstanceOf(
      WorkflowExecutionAlreadyStartedError,
    );
    expect(receiptsFor(org.steve.email, request.requestId)).toHaveLength(1);
    const firstRunId = handle.firstExecutionRunId;
    const described = await testEnv.client.workflow.getHandle(first.options.workflowId).describe();
    expect(described.runId).toBe(firstRunId);
  });

  it('a worker taken away after the SMS, while SCIM is down, and a new one: one SMS, one account, one receipt', async () => {
    const taskQueue = uniqueTaskQueue('fulfil-kill');
    const scim = env.scim.expensatron!;
    // Tony has no account yet. SMS fails twice before Twilio takes it; SCIM is down for a while.
    env.twilio.failNext(503, 2);
    scim.failNext(503, 6);
    const first = await killableWorker(taskQueue);
    const { handle, requestId } = await startRequest(testEnv, taskQueue, expensatron, {
      requester: 'tony',
      fields: { phone: org.tony.phone, os: 'ios' },
    });
    await eventually(() => env.smsTo(org.tony.phone).length === 1, 20_000, 'the download link SMS');
    await waitForStatus(handle, (s) => s.stage === 'provisioning');
    await first.kill();
    // Taken away half-way: the SMS is out, the account is not there yet.
    expect(scim.users().filter((u) => u.userName === org.tony.email)).toHaveLength(0);

    const second = await journeyWorker(testEnv, env, taskQueue);
    const r = await second.worker.runUntil(result(handle));
    expect(r.outcome).toBe('completed');
    expect(env.smsTo(org.tony.phone)).toHaveLength(1);
    expect(scim.users().filter((u) => u.userName === org.tony.email)).toHaveLength(1);
    expect(receiptsFor(org.tony.email, requestId)).toHaveLength(1);
    expect(
      env.emailsTo(org.tony.email).filter((m) => m.text?.includes(requestId) && m.subject === 'Your Expensatron login'),
    ).toHaveLength(1);
  });

  it('a worker taken away while the journey waits in a timer, and a new one: nothing sent twice', async () => {
    const taskQueue = uniqueTaskQueue('fulfil-kill');
    const first = await killableWorker(taskQueue);
    // A number the CMDB does not have: the journey waits (a timer) for Steve's correction.
    const { handle, requestId } = await startRequest(
      testEnv,
      taskQueue,
      withPlan(expensatron, { correctionWaitSeconds: 60 }),
      {
        requester: 'steve',
        fields: { phone: '+447700900444', os: 'android' },
      },
    );
    await waitForStatus(handle, (s) => s.waitingFor?.kind === 'device-correction' && s.told.length === 2);
    await first.kill();

    const second = await journeyWorker(testEnv, env, taskQueue);
    const smsBefore = env.smsTo(org.steve.phone).length;
    const r = await second.worker.runUntil(async () => {
      await handle.executeUpdate(correctDeviceUpdate, { args: [{ accountName: 'steve', phone: org.steve.phone }] });
      return result(handle);
    });
    expect(r.outcome).toBe('completed');
    expect(env.smsTo(org.steve.phone).length - smsBefore).toBe(1);
    const mails = env.emailsTo(org.steve.email).filter((m) => m.text?.includes(requestId));
    expect(mails.map((m) => m.subject)).toEqual([
      'We have your request for Expensatron',
      'Your Expensatron request: please check your phone number',
      'Your Expensatron login',
    ]);
  });
});
