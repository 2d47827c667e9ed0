/**
 * Access over the API and the portal, over the real app, the suite's dev server and a worker
 * running the real workflows (embedded directory): ask for CRM access, the manager approves,
 * "My access" lists the grant from the grant workflow itself, an extension asked twice with the
 * same Idempotency-Key is one extension, IT staff end it; client mistakes are 4xx, never 5xx.
 * Grants whose worker is gone are still listed, from their search attributes, as "details
 * unavailable right now".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import {
  accessGrantSearchAttributes,
  accessGrantWorkflowType,
  accessStatusQuery,
  type AccessGrantInput,
} from '../../workflows/access/definitions';
import { createTestWorker, terminateRunning, uniqueTaskQueue } from '../support/temporal';
import { apiKeys, demoPassword, startAppEnv, type AppEnv } from './support/app-env';
import { csrfTokenOf, PortalSession } from './support/portal-session';
import { waitFor } from './support/wait';

let t: AppEnv;
beforeAll(async () => {
  t = await startAppEnv({ worker: true });
});
afterAll(async () => {
  await t?.close();
});

const headers = (extra: Record<string, string> = {}) => ({ authorization: `Bearer ${apiKeys.all}`, ...extra });
interface Grant {
  id: string;
  requestId: string;
  role: string;
  until: string | null;
  state: string;
  pendingExtension: { state: string; approver: string | null } | null;
  complete: boolean;
}
const grantsOf = async (person: string): Promise<Grant[]> =>
  (await t.app.inject({ method: 'GET', url: `/api/v1/access?person=${person}`, headers: headers() })).json<{
    grants: Grant[];
  }>().grants;

describe('access over the API and the portal', () => {
  it('asks, is approved, shows under My access, extends once, and is ended by IT staff', async () => {
    const started = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: headers(),
      payload: {
        serviceId: 'crm-access',
        requester: 'tony',
        fields: { role: 'crm-user', reason: 'Following up the trade-fair leads', until: 'for 30 days' },
      },
    });
    expect(started.statusCode).toBe(201);
    const requestId = started.json<{ id: string }>().id;
    await waitFor(
      async () =>
        (await t.app.inject({ method: 'GET', url: `/api/v1/requests/${requestId}`, headers: headers() })).json<{
          waitingFor: { kind: string } | null;
        }>(),
      (r) => r.waitingFor?.kind === 'approval',
      60_000,
    );
    const decided = await t.app.inject({
      method: 'POST',
      url: `/api/v1/requests/${requestId}/decision`,
      headers: headers(),
      payload: { approver: 'mia', approve: true },
    });
    expect(decided.statusCode).toBe(200);
    const [grant] = await waitFor(
      async () => (await grantsOf('tony')).filter((g) => g.requestId === requestId),
      (list) => list.length === 1,
      60_000,
    );
    expect(grant).toMatchObject({ role: 'crm-user', state: 'active' });
    expect(Date.parse(grant!.until!) - Date.now()).toBeGreaterThan(29 * 86_400_000);

    // Client mistakes: a bad until, someone else asking, an unknown grant.
    const bad = await t.app.inject({
      method: 'POST',
      url: `/api/v1/access/${grant!.id}/extend`,
      headers: headers(),
      payload: { person: 'tony', until: 'next year', reason: 'More fairs' },
    });
    expect(bad.statusCode).toBe(400);
    const notHis = await t.app.inject({
      method: 'POST',
      url: `/api/v1/access/${grant!.id}/extend`,
      headers: headers(),
      payload: { person: 'steve', until: 'for 60 days', reason: 'More fairs' },
    });
    expect(notHis.statusCode).toBe(403);
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/api/v1/access/access-crm-access-nope/end',
      headers: headers(),
      payload: { by: 'ivy' },
    });
    expect(unknown.statusCode).toBe(404);

    const extend = () =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/access/${grant!.id}/extend`,
        headers: headers({ 'idempotency-key': `ext-${requestId}` }),
        payload: { person: 'tony', until: 'for 60 days', reason: 'More fairs this quarter' },
      });
    const first = await extend();
    const second = await extend();
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);
    expect(second.json<{ message: string }>().message).toMatch(/nothing new/);
    const pending = await waitFor(
      async () => (await grantsOf('tony')).find((g) => g.id === grant!.id),
      (g) => g?.pendingExtension?.approver === 'mia',
      60_000,
    );
    expect(pending?.pendingExtension?.state).toBe('pending');
    const yes = await t.app.inject({
      method: 'POST',
      url: `/api/v1/access/${grant!.id}/extension-decision`,
      headers: headers(),
      payload: { approver: 'mia', approve: true },
    });
    expect(yes.statusCode).toBe(200);
    const extended = await waitFor(
      async () => (await grantsOf('tony')).find((g) => g.id === grant!.id),
      (g) => g?.pendingExtension === null && Date.parse(g.until!) - Date.now() > 59 * 86_400_000,
      60_000,
    );
    expect(extended?.state).toBe('active');

    // The portal: tony sees it under My access, with its buttons; the IT console is not his.
    const tony = new PortalSession(t.app);
    await tony.signIn('tony', demoPassword);
    const mine = await tony.get('/access');
    expect(mine.statusCode).toBe(200);
    expect(mine.body).toContain('CRM user');
    expect(mine.body).toContain(`/access/${grant!.id}/end`);
    const refused = await tony.post(`/access/${grant!.id}/extend`, {
      _csrf: csrfTokenOf(mine.body),
      until: 'whenever',
      reason: 'x',
    });
    expect(refused.statusCode).toBe(400);
    expect((await tony.get('/access/console')).statusCode).toBe(403);

    const ended = await t.app.inject({
      method: 'POST',
      url: `/api/v1/access/${grant!.id}/end`,
      headers: headers(),
      payload: { by: 'ivy', reason: 'Fair season over' },
    });
    expect(ended.statusCode).toBe(200);
    const again = await t.app.inject({
      method: 'POST',
      url: `/api/v1/access/${grant!.id}/end`,
      headers: headers(),
      payload: { by: 'ivy' },
    });
    expect([404, 409]).toContain(again.statusCode);
    await waitFor(
      async () => (await grantsOf('tony')).filter((g) => g.id === grant!.id),
      (list) => list.length === 0,
      60_000,
    );
    expect(await t.deps.directory.isMember('tony', 'CRM Users')).toBe(false);
  }, 180_000);
});

describe('access lists while a grant’s worker is down', () => {
  const queues: string[] = [];
  afterAll(async () => {
    if (t) await terminateRunning(t.env.client, queues);
  });

  /** Starts a grant for dana as confirm-access does (its id, input and search attributes), on `taskQueue`. */
  async function startGrant(taskQueue: string, name: string, untilDays: number) {
    const grantId = `access-crm-access-${name}-${Date.now().toString(36)}`;
    const input: AccessGrantInput = {
      grantId,
      requestWorkflowId: grantId.replace(/^access-/, 'fulfil-'),
      serviceId: 'crm-access',
      serviceTitle: 'CRM access',
      person: 'dana',
      role: 'crm-user',
      roleLabel: 'CRM user',
      group: 'CRM Users',
      since: new Date().toISOString(),
      until: new Date(Date.now() + untilDays * 86_400_000).toISOString(),
      reason: 'Reading the finance accounts',
      settings: {
        reminderDaysBefore: 2,
        maxDays: 365,
        dayLengthSeconds: 86_400,
        fallbackApproverGroup: 'Managers',
        approvalWaitSeconds: 60,
      },
      extensions: [],
      remindedFor: null,
      runs: 0,
    };
    const handle = await t.env.client.workflow.start(accessGrantWorkflowType, {
      workflowId: grantId,
      taskQueue,
      args: [input],
      typedSearchAttributes: accessGrantSearchAttributes(input, 'active'),
    });
    return { handle, input };
  }

  it('lists every grant: those that answer in full, the others from their search attributes, marked', async () => {
    // Never had a worker; had one that has gone (shut down after the grant answered); the app's own worker.
    const never = uniqueTaskQueue('access-no-worker');
    const gone = uniqueTaskQueue('access-worker-gone');
    queues.push(never, gone);
    const a = await startGrant(never, 'never', 10);
    const b = await startGrant(gone, 'gone', 12);
    const c = await startGrant(t.taskQueue, 'live', 14);
    const goneWorker = await createTestWorker(t.env, { taskQueue: gone, activities: createActivities(t.deps) });
    const answered = await goneWorker.runUntil(() => b.handle.query(accessStatusQuery));
    expect(answered.state).toBe('active');
    const ids = [a, b, c].map((g) => g.input.grantId);

    const listed = await waitFor(
      async () => (await grantsOf('dana')).filter((g) => ids.includes(g.id)),
      (list) => list.length === 3 && list.some((g) => g.id === c.input.grantId && g.complete),
      60_000,
    );
    const byId = new Map(listed.map((g) => [g.id, g as Grant & Record<string, unknown>]));
    for (const g of [a, b]) {
      expect(byId.get(g.input.grantId)).toMatchObject({
        complete: false,
        person: 'dana',
        role: 'crm-user',
        roleLabel: 'CRM user',
        serviceTitle: 'CRM access',
        requestId: g.input.requestWorkflowId,
        until: g.input.until,
        state: 'active',
        pendingExtension: null,
      });
      const described = await g.handle.describe();
      expect(byId.get(g.input.grantId)?.since).toBe(described.startTime.toISOString());
    }
    expect(byId.get(c.input.grantId)).toMatchObject({ complete: true, since: c.input.since, until: c.input.until });

    // The IT console's list the same way.
    const soon = (
      await t.app.inject({ method: 'GET', url: '/api/v1/access/ending-soon?days=30', headers: headers() })
    ).json<{ grants: Grant[] }>().grants;
    expect(
      soon
        .filter((g) => ids.includes(g.id))
        .map((g) => [g.id, g.complete])
        .sort(),
    ).toEqual(
      [
        [a.input.grantId, false],
        [b.input.grantId, false],
        [c.input.grantId, true],
      ].sort(),
    );

    // The pages: the row is there, says so, and offers no button that would wait on the missing worker.
    const dana = new PortalSession(t.app);
    await dana.signIn('dana', demoPassword);
    const mine = await dana.get('/access');
    expect(mine.statusCode).toBe(200);
    for (const id of ids) expect(mine.body).toContain(`id="${id}"`);
    const card = (id: string) => mine.body.slice(mine.body.indexOf(`id="${id}"`)).split('</li>')[0]!;
    for (const g of [a, b]) {
      expect(card(g.input.grantId)).toContain('Details unavailable right now');
      expect(card(g.input.grantId)).not.toContain('<form');
    }
    expect(card(c.input.grantId)).not.toContain('Details unavailable right now');
    expect(card(c.input.grantId)).toContain(`/access/${c.input.grantId}/end`);
    const ivy = new PortalSession(t.app);
    await ivy.signIn('ivy', demoPassword);
    const itConsole = await ivy.get('/access/console');
    expect(itConsole.statusCode).toBe(200);
    for (const g of [a, b]) expect(itConsole.body).toContain(`id="${g.input.grantId}"`);
    expect(itConsole.body.match(/Details unavailable right now/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
  }, 120_000);
});
