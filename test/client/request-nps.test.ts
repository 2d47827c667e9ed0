/**
 * The requester rates a finished request: the portal's question on the request page
 * and `POST /api/v1/requests/{id}/nps`, over the real app, the suite's dev server and a worker
 * running the real workflows; the answer is read back from the experience store.
 */
import { flatHtml } from './support/flat-html';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, demoPassword, startAppEnv, type AppEnv } from './support/app-env';
import { asProblem } from './support/problems';
import type { PortalSession } from './support/portal-session';
import { csrfTokenOf, textOf, signedInSession } from './support/portal-session';
import { waitFor } from './support/wait';

let t: AppEnv;
beforeAll(async () => {
  t = await startAppEnv({ worker: true });
});
afterAll(async () => {
  await t?.close();
});

const headers = (key: string = apiKeys.all) => ({ authorization: `Bearer ${key}` });

async function startRequest(payload: object): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/requests', headers: headers(), payload });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string }>().id;
}

async function finishedExpensatron(): Promise<string> {
  const id = await startRequest({
    serviceId: 'expensatron',
    requester: 'steve',
    fields: { phone: '07700 900123', os: 'android' },
  });
  const done = await waitFor(
    async () =>
      (await t.app.inject({ method: 'GET', url: `/api/v1/requests/${id}`, headers: headers() })).json<{
        running: boolean;
        outcome: string | null;
      }>(),
    (r) => !r.running,
    45_000,
  );
  expect(done.outcome).toBe('completed');
  // The journey's own figures are in the store: the rating attaches to them.
  await waitFor(
    () => t.deps.experience.journey(id),
    (j) => j !== null,
  );
  return id;
}

/** A desk phone waits for the manager's approval: a request that is not finished. */
const unfinishedDeskPhone = () =>
  startRequest({
    serviceId: 'desk-phone',
    requester: 'steve',
    fields: { deskLocation: 'Building 2, floor 3, desk 14', manager: 'mia' },
  });

const rate = (id: string, body: object, key: string = apiKeys.all) =>
  t.app.inject({ method: 'POST', url: `/api/v1/requests/${id}/nps`, headers: headers(key), payload: body });

const signedIn = (account: string): Promise<PortalSession> => signedInSession(t.app, account, demoPassword);

let finished: string;
let unfinished: string;
beforeAll(async () => {
  [finished, unfinished] = await Promise.all([finishedExpensatron(), unfinishedDeskPhone()]);
}, 60_000);

describe('POST /api/v1/requests/{id}/nps', () => {
  it('records the requester’s 9 for a finished Expensatron request in the experience store', async () => {
    const res = await rate(finished, { requester: 'steve', score: 9, comment: 'Painless' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, message: 'Answer recorded' });
    const stored = await waitFor(
      () => t.deps.experience.journey(finished),
      (j) => j?.nps === 9,
    );
    expect(stored).toMatchObject({
      journeyId: finished,
      serviceId: 'expensatron',
      requester: 'steve',
      nps: 9,
      npsComment: 'Painless',
    });
  }, 30_000);

  it('refuses someone else (403), an unfinished request (409), an unknown one (404) and a bad score (400)', async () => {
    const other = await rate(finished, { requester: 'tony', score: 10 });
    expect(other.statusCode).toBe(403);
    expect(asProblem(other)).toMatchObject({
      kind: 'forbidden',
      detail: 'Only steve, who asked for it, can rate this request',
    });

    const running = await rate(unfinished, { requester: 'steve', score: 7 });
    expect(running.statusCode).toBe(409);
    expect(asProblem(running)).toMatchObject({
      kind: 'conflict',
      detail: 'This request is not finished yet: you can rate it once it has an outcome',
    });

    expect((await rate('fulfil-expensatron-nosuchrequest', { requester: 'steve', score: 7 })).statusCode).toBe(404);

    for (const score of [11, -1, 7.5, '9']) {
      const bad = await rate(finished, { requester: 'steve', score });
      expect(bad.statusCode, String(score)).toBe(400);
      expect(asProblem(bad).fields).toEqual(['score']);
    }
    expect((await rate(finished, { requester: 'steve', score: 5 }, apiKeys.readOnly)).statusCode).toBe(403);
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<{
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    }>();
    expect(doc.paths['/api/v1/requests/{id}/nps']?.post?.requestBody).toBeDefined();
  });
});

describe('the request page’s NPS question', () => {
  it('asks the requester of a finished request, accessibly, and thanks them', async () => {
    const steve = await signedIn('steve');
    const page = await steve.get(`/requests/${finished}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<legend>How satisfied are you with how we handled this? 0–10</legend>');
    expect(
      [
        ...flatHtml(page.body).matchAll(
          /<input type="radio" id="nps-(\d+)" name="score" value="\1" required\/?><label for="nps-\1">/g,
        ),
      ].map((m) => m[1]),
    ).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
    expect(page.body).toContain('<label for="nps-comment">');
    expect(page.body).toContain(`action="/requests/${finished}/nps"`);

    const thanks = await steve.post(`/requests/${finished}/nps`, {
      _csrf: csrfTokenOf(page.body),
      score: '6',
      comment: 'Fine',
    });
    expect(thanks.statusCode).toBe(200);
    expect(textOf(thanks.body)).toContain(
      'Thank you Your answer (6 out of 10) about your Expensatron request is recorded.',
    );
    await waitFor(
      () => t.deps.experience.journey(finished),
      (j) => j?.nps === 6 && j.npsComment === 'Fine',
    );
  }, 30_000);

  it('is not offered on an unfinished request, and a post there is refused (409)', async () => {
    const steve = await signedIn('steve');
    const page = await steve.get(`/requests/${unfinished}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('name="score"');
    const res = await steve.post(`/requests/${unfinished}/nps`, { _csrf: csrfTokenOf(page.body), score: '8' });
    expect(res.statusCode).toBe(409);
    expect(textOf(res.body)).toContain('This request is not finished yet');
  });

  it('refuses a bad score (400), someone else (404, or 403 for IT staff) and a missing CSRF token', async () => {
    const steve = await signedIn('steve');
    const page = await steve.get(`/requests/${finished}`);
    const token = csrfTokenOf(page.body);
    for (const score of ['11', 'ten', '']) {
      const bad = await steve.post(`/requests/${finished}/nps`, { _csrf: token, score });
      expect(bad.statusCode, score).toBe(400);
      expect(textOf(bad.body)).toContain('Choose a number from 0 to 10');
      expect(bad.body).toContain('aria-invalid="true"');
    }
    expect((await steve.post(`/requests/${finished}/nps`, { score: '9' })).statusCode).toBe(403);

    const tony = await signedIn('tony');
    const tonyPage = await tony.get('/requests');
    expect(
      (await tony.post(`/requests/${finished}/nps`, { _csrf: csrfTokenOf(tonyPage.body), score: '0' })).statusCode,
    ).toBe(404);

    const ivy = await signedIn('ivy');
    const ivyPage = await ivy.get(`/requests/${finished}`);
    expect(ivyPage.statusCode).toBe(200);
    expect(ivyPage.body).not.toContain('name="score"');
    const staff = await ivy.post(`/requests/${finished}/nps`, { _csrf: csrfTokenOf(ivyPage.body), score: '0' });
    expect(staff.statusCode).toBe(403);
    // None of the refused answers reached the store.
    expect((await t.deps.experience.journey(finished))?.nps).not.toBe(0);
  });
});
