/**
 * Access over the API and the portal, over the real app, the suite's dev server and a worker
 * running the real workflows (embedded directory): ask for CRM access, the manager approves,
 * "My access" lists the grant from the grant workflow itself, an extension asked twice with the
 * same Idempotency-Key is one extension, IT staff end it; client mistakes are 4xx, never 5xx.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
