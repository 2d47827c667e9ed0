import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoPassword, startAppEnv, type AppEnv } from './support/app-env';
import type { PortalSession } from './support/portal-session';
import { csrfTokenOf, hiddenValue, textOf, signedInSession } from './support/portal-session';
import { waitFor } from './support/wait';

let t: AppEnv;
beforeAll(async () => {
  t = await startAppEnv({ worker: true });
});
afterAll(async () => {
  await t?.close();
});

const signedIn = (account: string): Promise<PortalSession> => signedInSession(t.app, account, demoPassword);

/** Fills the service's request form as a browser would and submits it. */
async function request(s: PortalSession, serviceId: string, fields: Record<string, string>) {
  const page = await s.get(`/catalog/${serviceId}`);
  expect(page.statusCode).toBe(200);
  const form = { _csrf: csrfTokenOf(page.body), submissionId: hiddenValue(page.body, 'submissionId'), ...fields };
  return { res: await s.post(`/catalog/${serviceId}/request`, form), form };
}

describe('catalog', () => {
  it('finds Expensatron first, describes it in plain words and says what happens next', async () => {
    const s = await signedIn('steve');
    const results = await s.get('/catalog?q=Expensatron');
    expect(results.statusCode).toBe(200);
    const links = [...results.body.matchAll(/<h2><a href="\/catalog\/([a-z-]+)">/g)].map((m) => m[1]);
    expect(links[0]).toBe('expensatron');
    expect(textOf(results.body)).toContain('1 service found for “Expensatron”');
    const page = await s.get('/catalog/expensatron');
    const text = textOf(page.body);
    expect(text).toContain('Expensatron is the app for claiming expenses from your phone.');
    expect(text).toContain('What happens next');
    expect(text).toContain('You get a text message with the link to install the app on your phone.');
    // The form asks only what the service's schema asks: phone and OS.
    const names = [
      ...new Set([...page.body.matchAll(/<(?:input|select|textarea)[^>]* name="([^"]+)"/g)].map((m) => m[1])),
    ].filter((n) => !['_csrf', 'submissionId', 'q'].includes(n!));
    expect(names).toEqual(['phone', 'os']);
    expect(page.body).toContain('<label for="f-phone">Mobile phone number');
    expect(page.body).toContain('<label for="f-os-0">iPhone (iOS)</label>');
  });

  it('validates as you type with the service’s own schema', async () => {
    const s = await signedIn('steve');
    const page = await s.get('/catalog/expensatron');
    const token = csrfTokenOf(page.body);
    const bad = await s.postJson(
      '/catalog/expensatron/validate',
      { phone: 'call me', os: '' },
      { 'x-csrf-token': token },
    );
    expect(bad.statusCode).toBe(200);
    expect(Object.keys(bad.json<{ errors: Record<string, string> }>().errors).sort()).toEqual(['os', 'phone']);
    expect(bad.json<{ errors: Record<string, string> }>().errors.phone).toMatch(
      /Enter a mobile number such as 07700 900123/,
    );
    const good = await s.postJson(
      '/catalog/expensatron/validate',
      { phone: '07700 900123', os: 'android' },
      { 'x-csrf-token': token },
    );
    expect(good.json()).toEqual({ errors: {} });
    const noToken = await s.postJson('/catalog/expensatron/validate', { phone: '1' });
    expect(noToken.statusCode).toBe(403);
  });

  it('refuses an invalid form on the server with field messages, and starts nothing', async () => {
    const s = await signedIn('dana');
    // Other suites on the shared dev server may run journeys for dana too: compare before/after.
    const countJourneys = async (): Promise<number> =>
      (textOf((await s.get('/requests')).body).match(/Status:/g) ?? []).length;
    const before = await countJourneys();
    const { res } = await request(s, 'expensatron', { phone: 'not a phone' });
    expect(res.statusCode).toBe(400);
    const text = textOf(res.body);
    expect(text).toContain('Please check the form');
    expect(text).toContain('Type of phone: Choose iPhone or Android');
    expect(res.body).toContain('value="not a phone"');
    expect(res.body).toMatch(/id="f-phone"[^>]*aria-invalid="true"/);
    expect(await countJourneys()).toBe(before);
  });
});

describe('requesting Expensatron', () => {
  it('records the request, links the quick-start guide and shows the stages live until done', async () => {
    const s = await signedIn('steve');
    const { res, form } = await request(s, 'expensatron', { phone: '07700 900123', os: 'android' });
    expect(res.statusCode).toBe(303);
    const recordedUrl = res.headers.location as string;
    expect(recordedUrl).toMatch(/^\/requests\/fulfil-expensatron-k[0-9a-f]+\/recorded$/);
    const id = recordedUrl.split('/')[2]!;

    // A double submit of the same form lands on the same journey.
    const again = await s.post('/catalog/expensatron/request', form);
    expect(again.headers.location).toBe(recordedUrl);

    const recorded = await s.get(recordedUrl);
    const text = textOf(recorded.body);
    expect(text).toContain('Your request has been recorded');
    expect(recorded.body).toContain('href="/catalog/expensatron/guide"');
    expect(recorded.body).toContain(`data-live="/requests/${id}/live"`);
    const guide = await s.get('/catalog/expensatron/guide');
    expect(textOf(guide.body)).toContain('Expensatron in five minutes');

    const done = await waitFor(
      () => s.get(`/requests/${id}/live`),
      (r) => r.body.includes('data-final'),
      45_000,
    );
    const live = textOf(done.body);
    expect(live).toContain('Status: Done');
    expect(live).toContain('Texting you the download link — done');
    expect(live).toContain('Creating your account — done');
    expect(live).toMatch(/by SMS to \+44…0123/);

    const mine = await s.get('/requests');
    expect(mine.body).toContain(`href="/requests/${id}"`);
    // Somebody else's request is not theirs to see.
    const tony = await signedIn('tony');
    expect((await tony.get(`/requests/${id}`)).statusCode).toBe(404);
    expect((await tony.get(`/requests/${id}/live`)).statusCode).toBe(404);
    // One SMS for one journey.
    const sms = (await t.outbox.list({ channel: 'sms', to: '+447700900123' })).filter((e) =>
      e.idempotencyKey.includes(id),
    );
    expect(sms).toHaveLength(1);
  });

  it('asks for a correction when the phone is not registered to the requester, then carries on', async () => {
    const s = await signedIn('steve');
    // Tony's phone: registered in the CMDB, but not to Steve.
    const { res } = await request(s, 'expensatron', { phone: '07700 900456', os: 'android' });
    const id = (res.headers.location as string).split('/')[2]!;
    const waiting = await waitFor(
      () => s.get(`/requests/${id}`),
      (r) => r.body.includes('action="/requests/'),
      30_000,
    );
    expect(textOf(waiting.body)).toContain('Please check your phone number');
    const token = csrfTokenOf(waiting.body);
    const bad = await s.post(`/requests/${id}/device`, { _csrf: token, phone: '12' });
    expect(bad.statusCode).toBe(400);
    expect(textOf(bad.body)).toContain('Enter a mobile number');
    const other = await signedIn('tony');
    expect((await other.get(`/requests/${id}`)).statusCode).toBe(404);
    const fixed = await s.post(`/requests/${id}/device`, { _csrf: token, phone: '07700 900123', os: '' });
    expect(fixed.statusCode).toBe(303);
    const done = await waitFor(
      () => s.get(`/requests/${id}/live`),
      (r) => r.body.includes('data-final'),
      45_000,
    );
    expect(textOf(done.body)).toContain('Status: Done');
  });
});

describe('a service that needs approval and a person', () => {
  it('goes to the approver named in the form, then to the service desk, then is done', async () => {
    const steve = await signedIn('steve');
    const { res } = await request(steve, 'desk-phone', {
      deskLocation: 'Building 2, floor 3, desk 14',
      manager: 'mia',
    });
    const id = (res.headers.location as string).split('/')[2]!;

    expect((await steve.get('/approvals')).statusCode).toBe(403);
    const mia = await signedIn('mia');
    const approvals = await waitFor(
      () => mia.get('/approvals'),
      (r) => r.body.includes(`data-request="${id}"`),
      30_000,
    );
    const token = csrfTokenOf(approvals.body);
    const noReason = await mia.post(`/approvals/${id}`, { _csrf: token, decision: 'reject', reason: '' });
    expect(noReason.statusCode).toBe(400);
    expect(textOf(noReason.body)).toContain('Say why (a few words), so the person knows what to do next');
    // Also when the list cannot show the request (here: one that does not exist), the answer's fault is said.
    const unlisted = await mia.post('/approvals/fulfil-desk-phone-none', {
      _csrf: token,
      decision: 'reject',
      reason: '',
    });
    expect(unlisted.statusCode).toBe(400);
    expect(textOf(unlisted.body)).toContain('Decision not recorded Say why (a few words)');
    // Too short for the journey (it tells the requester why): refused here already, not by the journey.
    const tooShort = await mia.post(`/approvals/${id}`, { _csrf: token, decision: 'reject', reason: 'no' });
    expect(tooShort.statusCode).toBe(400);
    expect(textOf(tooShort.body)).toContain('Say why (a few words)');
    const approved = await mia.post(`/approvals/${id}`, { _csrf: token, decision: 'approve', reason: '' });
    expect(approved.statusCode).toBe(200);
    expect(textOf(approved.body)).toContain('Your decision is recorded');
    // The same decision sent again (a double click, a retry) gets the first one's answer.
    const twice = await mia.post(`/approvals/${id}`, { _csrf: token, decision: 'approve', reason: '' });
    expect(twice.statusCode).toBe(200);
    expect(textOf(twice.body)).toContain('Your decision is recorded');
    // A different decision afterwards: the request is no longer waiting.
    const changed = await mia.post(`/approvals/${id}`, { _csrf: token, decision: 'reject', reason: 'Changed my mind' });
    expect(changed.statusCode).toBe(409);

    const ivy = await signedIn('ivy');
    const console = await waitFor(
      () => ivy.get('/console'),
      (r) => r.body.includes(`action="/console/tasks/${id}"`),
      30_000,
    );
    expect(textOf(console.body)).toContain('Deliver and connect a desk phone');
    const done = await ivy.post(`/console/tasks/${id}`, { _csrf: csrfTokenOf(console.body), note: 'On the desk' });
    expect(done.statusCode).toBe(303);
    const final = await waitFor(
      () => steve.get(`/requests/${id}/live`),
      (r) => r.body.includes('data-final'),
      30_000,
    );
    expect(textOf(final.body)).toContain('Status: Done');
  });
});
