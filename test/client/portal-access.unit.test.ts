/**
 * Who may reach which portal route, checked before any journey is asked: signed-out people are
 * sent to sign in (a page) or told their session ended (a form), people without the role get a
 * 403 page saying who the page is for, and what the page script fetches gets a bare status.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PortalSession, csrfTokenOf, signedInSession, textOf } from './support/portal-session';
import { startUnitApp, unitPassword, type UnitApp } from './support/unit-app';

let t: UnitApp;
beforeAll(async () => {
  t = await startUnitApp();
});
afterAll(async () => {
  await t?.close();
});

/** A signed-out visitor who has a CSRF token, so a refused form is refused for the session alone. */
async function signedOut(): Promise<{ s: PortalSession; csrf: string }> {
  const s = new PortalSession(t.app);
  return { s, csrf: csrfTokenOf((await s.get('/signin')).body) };
}

async function signedInAs(account: string): Promise<{ s: PortalSession; csrf: string }> {
  const s = await signedInSession(t.app, account, unitPassword);
  return { s, csrf: csrfTokenOf((await s.get('/catalog')).body) };
}

const signedInPages = [
  '/',
  '/catalog',
  '/catalog/expensatron',
  '/requests',
  '/requests/r1',
  '/requests/r1/recorded',
  '/access',
];
const itStaffPages = [
  '/console',
  '/console?find=crm',
  '/console/incidents/i1',
  '/console/services?q=crm',
  '/console/experience',
  '/console/experience/report.json',
  '/console/experience/incidents.csv',
];
const signedInForms = [
  '/catalog/expensatron/request',
  '/requests/r1/device',
  '/requests/r1/nps',
  '/access/g1/extend',
  '/access/g1/end',
  '/incidents/i1/affected',
  '/incidents/i1/workaround',
];
const itStaffForms = [
  '/console/incidents/confirm',
  '/console/incidents',
  '/console/incidents/i1/progress',
  '/console/incidents/i1/resolve',
  '/console/tasks/r1',
];

describe('portal access', () => {
  it('sends a signed-out visitor of any page to sign in, and back afterwards', async () => {
    const { s } = await signedOut();
    for (const url of [...signedInPages, ...itStaffPages, '/approvals', '/access/console']) {
      const res = await s.get(url);
      expect([url, res.statusCode, res.headers.location]).toEqual([
        url,
        303,
        `/signin?next=${encodeURIComponent(url)}`,
      ]);
    }
  });

  it('tells someone whose session ended that a form they send needs signing in again (401)', async () => {
    const { s, csrf } = await signedOut();
    for (const url of [...signedInForms, ...itStaffForms, '/approvals/r1']) {
      const res = await s.post(url, { _csrf: csrf });
      expect([url, res.statusCode]).toEqual([url, 401]);
      expect(textOf(res.body)).toContain('Your session has ended. Sign in again and repeat what you were doing.');
    }
  });

  it('shows people without the role a 403 page that says who it is for', async () => {
    const steve = await signedInAs('steve');
    const refusals: [string, string][] = [
      ...itStaffPages.map((url): [string, string] => [url, 'The IT console is for IT staff.']),
      ['/approvals', 'Approvals are for managers.'],
      ['/access/console', 'The access console is for IT staff.'],
    ];
    for (const [url, refusal] of refusals) {
      const res = await steve.s.get(url);
      expect([url, res.statusCode]).toEqual([url, 403]);
      expect(textOf(res.body)).toContain(`Not available to you ${refusal}`);
    }
    for (const url of itStaffForms) {
      const res = await steve.s.post(url, { _csrf: steve.csrf });
      expect([url, res.statusCode]).toEqual([url, 403]);
      expect(textOf(res.body)).toContain('The IT console is for IT staff.');
    }
    const approval = await steve.s.post('/approvals/r1', { _csrf: steve.csrf });
    expect(approval.statusCode).toBe(403);
    expect(textOf(approval.body)).toContain('Approvals are for managers.');
    // A manager is not IT staff, and IT staff are not managers.
    const mia = await signedInAs('mia');
    expect((await mia.s.get('/console')).statusCode).toBe(403);
    const ivy = await signedInAs('ivy');
    expect((await ivy.s.get('/approvals')).statusCode).toBe(403);
  });

  it('lets people with the role through', async () => {
    const ivy = await signedInAs('ivy');
    const search = await ivy.s.get('/console/services?q=crm');
    expect(search.statusCode).toBe(200);
    expect(search.json<{ services: { id: string }[] }>().services.map((s) => s.id)).toContain('crm');
    const steve = await signedInAs('steve');
    expect((await steve.s.get('/catalog')).statusCode).toBe(200);
  });

  it('answers what the page script fetches with a bare status, never a page or a redirect', async () => {
    const { s, csrf } = await signedOut();
    for (const url of ['/requests/live', '/requests/r1/live']) {
      const res = await s.get(url);
      expect([url, res.statusCode, res.body]).toEqual([url, 401, '']);
    }
    const validate = await s.postJson('/catalog/expensatron/validate', { phone: '1' }, { 'x-csrf-token': csrf });
    expect(validate.statusCode).toBe(401);
    expect(validate.json()).toEqual({ errors: {} });
    const live = await s.get('/console/incidents/i1/live');
    expect([live.statusCode, live.body]).toEqual([403, '']);
    const steve = await signedInAs('steve');
    const refused = await steve.s.get('/console/incidents/i1/live');
    expect([refused.statusCode, refused.body]).toEqual([403, '']);
  });

  it('keeps sign-in, the outbox, quick-start guides and links from emails open to everyone', async () => {
    const { s } = await signedOut();
    for (const url of ['/signin', '/outbox', '/outbox/live', '/catalog/expensatron/guide']) {
      expect([url, (await s.get(url)).statusCode]).toEqual([url, 200]);
    }
    // A confirmation link is checked by its signed token, not by a session.
    const link = await s.get('/incidents/i1/confirm?token=forged.token');
    expect(link.statusCode).toBe(403);
    expect(textOf(link.body)).toContain('This link is not valid');
  });
});
