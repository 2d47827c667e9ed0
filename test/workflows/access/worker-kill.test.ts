/**
 * A worker process SIGKILLed while it grants access, and a new one: the person ends up a member
 * of the group exactly once, on the real slapd, and the request completes with one "you now have
 * it" email and one grant.
 *
 * The workers are separate OS processes built as production builds them
 * (test/support/worker-processes.ts); the request runs the catalog's CRM access plan as it is
 * (production durations and retry policy). The first worker reaches slapd through a proxy that
 * holds the grant's LDAP modify at an exact point (test/support/ldap-proxy.ts), and the test
 * kills the worker only once it is held there:
 *
 * - before the server: slapd never saw the change; the retry on the new worker adds the member;
 * - after the server: slapd made the change and answered, the worker never heard; the retry
 *   finds the member there (`already-member`) and the request still counts it as its own grant
 *   (to undo, and to end), because the look before the add was recorded before the kill.
 */
import { randomBytes } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalog } from '../../../catalog';
import type { GrantAccessStep } from '../../../workflows/access/definitions';
import { approvalUpdate, fulfilmentWorkflowType } from '../../../workflows/fulfilment/definitions';
import { directoryCall } from '../../../workflows/shared/activity-options';
import type { IntegrationEnv } from '../../support/integration-env';
import { startJourneyEnv, stopJourneyEnv } from '../../support/journey-env';
import { startLdapProxy, type HoldPoint, type LdapProxy } from '../../support/ldap-proxy';
import { terminateRunning, uniqueTaskQueue } from '../../support/temporal';
import {
  finalAttempt,
  recoveryBoundMs,
  workerProcessPool,
  type WorkerProcessPool,
} from '../../support/worker-processes';
import { result, serviceById, waitForStatus } from '../fulfilment/helpers';
import { grantHandle, waitForGrant } from './helpers';

let testEnv: TestWorkflowEnvironment;
let env: IntegrationEnv;
let proxy: LdapProxy | undefined;
let workers: WorkerProcessPool | undefined;
const used = new Set<string>();

beforeAll(async () => {
  ({ testEnv, env } = await startJourneyEnv());
  [proxy, workers] = await Promise.all([startLdapProxy(env.slapd.url), workerProcessPool(env)]);
});
afterAll(async () => {
  await workers?.close();
  // The grants wait a month: end them with the test.
  if (testEnv) await terminateRunning(testEnv.client, used);
  await proxy?.stop();
  await stopJourneyEnv(testEnv, env);
});

const crmAccess = serviceById('crm-access');
const roles = (crmAccess.plan.steps.find((s) => s.kind === 'grant-access') as GrantAccessStep).roles;

/** How many of the group's `member` values on slapd are this person. */
async function memberships(accountName: string, group: string): Promise<number> {
  const dn = env.slapd.dnOf(accountName).toLowerCase();
  return (await env.slapd.groupMembers(group)).filter((m) => m.toLowerCase() === dn).length;
}

async function killWhileGranting(point: HoldPoint, role: 'crm-user' | 'crm-sales-manager') {
  const { group, label } = roles[role]!;
  const taskQueue = uniqueTaskQueue('access-sigkill');
  used.add(taskQueue);
  const requestId = `kill-${randomBytes(6).toString('hex')}`;
  // The catalog's own plan: production durations ("taking longer" after 120 s) and retry policy.
  const prepared = createCatalog([crmAccess]).prepareRequest({
    serviceId: 'crm-access',
    requestId,
    requester: 'steve',
    fields: { role, reason: 'Covering the Nordics pipeline', until: 'for 30 days' },
    taskQueue,
  });
  expect(prepared.input.retryInitialIntervalMs).toBeUndefined();

  const first = await workers!.start(taskQueue, { ldapUrl: proxy!.url });
  const handle = await testEnv.client.workflow.start(fulfilmentWorkflowType, prepared.options);
  await waitForStatus(handle, (s) => s.waitingFor?.kind === 'approval', 60_000);
  expect(await memberships('steve', group)).toBe(0);

  const forwardedBefore = proxy!.modifiesForwarded();
  const held = proxy!.holdNextModify(point);
  await handle.executeUpdate(approvalUpdate, { args: [{ approver: 'mia', approve: true, reason: null }] });
  await held;
  // The directory has (after) or has not (before) made the change; the worker waits for the answer.
  expect(await memberships('steve', group)).toBe(point === 'after-server' ? 1 : 0);
  await first.kill();
  const killedAt = Date.now();

  const second = await workers!.start(taskQueue);
  const r = await result(handle);
  const doneAt = Date.now();
  const recovered = doneAt - second.readyAt;
  const bound = recoveryBoundMs(directoryCall);
  const count = await memberships('steve', group);
  const add = await finalAttempt(testEnv.client, handle.workflowId, 'addGroupMember');
  console.log(
    `access worker-kill (${point}): ${count} membership of ${group} on slapd; addGroupMember attempt ${add.attempt} said ` +
      `${String(add.result)}; request completed ${(recovered / 1000).toFixed(1)} s after the new worker was ready ` +
      `(bound ${(bound / 1000).toFixed(1)} s), ${((doneAt - killedAt) / 1000).toFixed(1)} s after the SIGKILL; ` +
      `granting took ${((r.figures.stageDurationsMs.granting ?? 0) / 1000).toFixed(1)} s`,
  );

  expect(r.outcome).toBe('completed');
  expect(r.undone).toEqual([]);
  expect(recovered).toBeLessThan(bound);
  expect(count).toBe(1);
  // The lost attempt was noticed by its missing heartbeats; the retry found what the first one did.
  expect(add.attempt).toBe(2);
  expect(add.lastFailureTimeout).toBe(temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT);
  expect(add.result).toBe(point === 'after-server' ? 'already-member' : 'added');
  // Through the proxy only the held change went: it reached slapd (after) or not (before); the retry went direct.
  expect(proxy!.modifiesForwarded() - forwardedBefore).toBe(point === 'after-server' ? 1 : 0);

  // One "you now have it" email, no "taking longer", and one grant that counts the membership as its own.
  const subjects = env.emailsTo('steve@eagle5.example').map((m) => m.subject ?? '');
  expect(subjects.filter((s) => s === `You now have ${label}`)).toHaveLength(1);
  expect(subjects.filter((s) => /taking longer/i.test(s))).toEqual([]);
  const grant = await waitForGrant(grantHandle(testEnv, 'crm-access', requestId), (s) => s.state === 'active');
  expect(grant).toMatchObject({ person: 'steve', role, group, requestWorkflowId: handle.workflowId });
  const grants = [];
  for await (const g of testEnv.client.workflow.list({
    query: `TaskQueue = "${taskQueue}" AND WorkflowType = "accessGrantWorkflow"`,
  }))
    grants.push(g.workflowId);
  expect(grants).toEqual([grant.grantId]);
}

describe('a worker process killed while granting access', () => {
  it('SIGKILL before slapd saw the change: the retry adds it, one membership, one email, one grant', async () => {
    await killWhileGranting('before-server', 'crm-user');
  }, 120_000);

  it('SIGKILL after slapd made the change but before the worker heard: one membership, one email, one grant', async () => {
    await killWhileGranting('after-server', 'crm-sales-manager');
  }, 120_000);
});
