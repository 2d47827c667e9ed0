/**
 * The saga: when a step fails for good, what the journey created is undone newest first, an
 * account the person already had is left alone, and the ticket says what was undone. A plan
 * with two applications (Expensatron, then its reports portal) makes the order visible.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CatalogService } from '../../../catalog';
import type { FulfilmentStep } from '../../../workflows/fulfilment/definitions';
import { org, startIntegrationEnv, type IntegrationEnv } from '../../support/integration-env';
import { connectTestEnv } from '../../support/temporal';
import { journeyWorker, result, serviceById, startRequest, withPlan } from './helpers';

let testEnv: TestWorkflowEnvironment;
let env: IntegrationEnv;

beforeAll(async () => {
  [testEnv, env] = await Promise.all([
    connectTestEnv(),
    startIntegrationEnv({ scimApplications: ['expensatron', 'expensatron-reports'] }),
  ]);
});
afterAll(async () => {
  await env?.stop();
  await testEnv?.teardown();
});
afterEach(() => {
  env.scim['expensatron-reports']!.rejectCreates(false);
});

/** Expensatron plus a second application provisioned after it (test-only plan). */
function twoApplications(): CatalogService {
  const base = withPlan(serviceById('expensatron'));
  const steps = base.plan.steps.flatMap((s): FulfilmentStep[] =>
    s.kind === 'provision-account' ? [s, { kind: 'provision-account', applicationId: 'expensatron-reports' }] : [s],
  );
  return { ...base, plan: { ...base.plan, steps } };
}

const accounts = (app: string, email: string) => env.scim[app]!.users().filter((u) => u.userName === email);

describe('compensation', () => {
  it('deactivates the account it created when the next application refuses, and tickets the service desk', async () => {
    const { worker, taskQueue } = await journeyWorker(testEnv, env);
    env.scim['expensatron-reports']!.rejectCreates(true);
    const { r, workflowId } = await worker.runUntil(async () => {
      const s = await startRequest(testEnv, taskQueue, twoApplications(), {
        requester: 'steve',
        fields: { phone: org.steve.phone, os: 'android' },
      });
      return { ...s, r: await result(s.handle) };
    });
    expect(r.outcome).toBe('failed');
    expect(r.undone).toEqual([`undid expensatron account ${org.steve.email} (deactivated)`]);
    const mine = accounts('expensatron', org.steve.email);
    expect(mine).toHaveLength(1);
    expect(mine[0]!.active).toBe(false);
    expect(accounts('expensatron-reports', org.steve.email)).toHaveLength(0);
    // The undo was a PATCH after the refused POST: newest first.
    const calls = env.scim.expensatron!.requests.map((q) => q.method);
    expect(calls.at(-1)).toBe('PATCH');
    const ticket = env.emailsTo(env.settings.serviceDeskEmail).find((m) => m.subject?.includes(workflowId));
    expect(ticket?.text).toContain(`Undone automatically: undid expensatron account ${org.steve.email} (deactivated).`);
    expect(r.told.at(-1)!.summary).toBe('We could not finish automatically: the service desk takes over');
  });

  it('leaves an account the person already had and used alone, and switches off one it switched back on', async () => {
    const { worker, taskQueue } = await journeyWorker(testEnv, env);
    env.scim['expensatron-reports']!.rejectCreates(true);
    // Tony already uses Expensatron; Mia had an account that was switched off.
    env.scim.expensatron!.createUser({
      userName: org.tony.email,
      externalId: 'tony',
      active: true,
      givenName: 'Tony',
      familyName: 'Rossi',
    });
    env.scim.expensatron!.createUser({
      userName: org.mia.email,
      externalId: 'mia',
      active: false,
      givenName: 'Mia',
      familyName: 'Novak',
    });
    const [tony, mia] = await worker.runUntil(async () => {
      const t = await startRequest(testEnv, taskQueue, twoApplications(), {
        requester: 'tony',
        fields: { phone: org.tony.phone, os: 'ios' },
      });
      const m = await startRequest(testEnv, taskQueue, twoApplications(), {
        requester: 'mia',
        fields: { phone: org.mia.phone, os: 'ios' },
      });
      return [await result(t.handle), await result(m.handle)];
    });
    expect(tony.outcome).toBe('failed');
    expect(tony.undone).toEqual([]);
    expect(accounts('expensatron', org.tony.email).map((a) => a.active)).toEqual([true]);
    expect(mia.outcome).toBe('failed');
    expect(mia.undone).toHaveLength(1);
    expect(accounts('expensatron', org.mia.email).map((a) => a.active)).toEqual([false]);
  });
});
