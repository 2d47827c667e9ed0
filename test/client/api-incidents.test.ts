import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, startAppEnv, type AppEnv } from './support/app-env';
import { asProblem } from './support/problems';
import { waitFor } from './support/wait';

let t: AppEnv;
beforeAll(async () => {
  t = await startAppEnv({
    worker: true,
    config: {
      incidentDefaults: {
        timings: {
          followUpAfterSeconds: 3,
          finalDeadlineSeconds: 6,
          reportIntervalSeconds: 1,
          linkValidSeconds: 3600,
          lingerAfterCloseSeconds: 300,
        },
        scale: { shardCount: 2 },
        reopen: { stillBrokenAbove: 100, stillBrokenShareAbove: 1 },
        retryInitialIntervalMs: 100,
      },
    },
  });
});
afterAll(async () => {
  await t?.close();
});

const headers = (key: string = apiKeys.all, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${key}`,
  ...extra,
});
const post = (url: string, payload: unknown, key: string = apiKeys.all, extra: Record<string, string> = {}) =>
  t.app.inject({ method: 'POST', url, headers: headers(key, extra), payload: payload as Record<string, unknown> });

interface IncidentJson {
  id: string;
  status: string;
  running: boolean;
  title: string;
  workaround: string | null;
  updates: { text: string }[];
  counts: { subscribers: number | null; affected: number; fixed: number; stillBroken: number; followedUp: number };
  nps: { responses: number; average: number | null };
  followUp: { accountName: string; reason: string }[];
  closeReason: string | null;
}

async function incident(id: string): Promise<IncidentJson> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/incidents/${id}`, headers: headers(apiKeys.readOnly) });
  expect(res.statusCode).toBe(200);
  return res.json<IncidentJson>();
}

const crmDown = {
  serviceId: 'crm',
  title: 'CRM web app unavailable',
  message: 'Some CRM users cannot open the web app. The mobile app is fully operational.',
  workaround: {
    text: 'The mobile CRM app works',
    links: { ios: 'https://apps.example/crm-ios', android: 'https://apps.example/crm-android' },
  },
  declaredBy: 'ivy',
};

describe('incident API, declare to close', () => {
  it('declares (idempotently), takes progress, affected users, resolution, confirmations with NPS, then closes', async () => {
    const key = `monitoring-${Date.now()}`;
    const declared = await post('/api/v1/incidents', crmDown, apiKeys.all, { 'idempotency-key': key });
    expect(declared.statusCode).toBe(201);
    const id = declared.json<{ id: string }>().id;
    expect(id).toMatch(/^crm-/);
    const again = await post('/api/v1/incidents', crmDown, apiKeys.all, { 'idempotency-key': key });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ id, created: false });
    const clash = await post('/api/v1/incidents', { ...crmDown, title: 'Something else entirely' }, apiKeys.all, {
      'idempotency-key': key,
    });
    // The same key with another body: 422, documented (problem type idempotency-key-reused).
    expect(clash.statusCode).toBe(422);
    expect(asProblem(clash).kind).toBe('idempotency-key-reused');
    expect(asProblem(clash).detail).toMatch(/already used to declare a different incident/);

    // Every CRM subscriber is notified.
    const notified = await waitFor(
      () => incident(id),
      (i) => i.counts.subscribers !== null,
      20_000,
    );
    expect(notified).toMatchObject({ status: 'open', running: true, workaround: 'The mobile CRM app works' });
    expect(notified.counts.subscribers).toBe(4);

    expect(
      (
        await post(`/api/v1/incidents/${id}/progress`, {
          text: 'We found the cause: a full disk',
          notifyAffected: false,
          by: 'ivy',
        })
      ).statusCode,
    ).toBe(200);
    expect((await incident(id)).updates.map((u) => u.text)).toContain('We found the cause: a full disk');

    // "This affects me" twice counts once; the workaround SMS goes to the registered phone.
    for (const body of [
      { accountName: 'steve', workaroundSms: true },
      { accountName: 'steve' },
      { accountName: 'tony' },
    ]) {
      const res = await post(`/api/v1/incidents/${id}/affected`, body);
      expect(res.statusCode, res.body).toBe(200);
    }
    await waitFor(
      () => incident(id),
      (i) => i.counts.affected === 2,
      15_000,
    );
    const sms = await t.outbox.list({ channel: 'sms', to: '+447700900123' });
    expect(sms.filter((e) => e.text.includes('https://apps.example/crm-android'))).toHaveLength(1);

    // Confirming before resolution is a conflict, as is confirming for someone not affected.
    expect(
      (await post(`/api/v1/incidents/${id}/confirmations`, { accountName: 'steve', answer: 'fixed' })).statusCode,
    ).toBe(409);

    expect(
      (await post(`/api/v1/incidents/${id}/resolve`, { note: 'Disk replaced; the web app is back', by: 'ivy' }))
        .statusCode,
    ).toBe(200);
    const twice = await post(`/api/v1/incidents/${id}/resolve`, { note: 'Again', by: 'ivy' });
    expect(twice.statusCode).toBe(409);
    expect(asProblem(twice).detail).toMatch(/already (resolved|following-up)/);
    expect(
      (await post(`/api/v1/incidents/${id}/progress`, { text: 'late note', notifyAffected: false, by: 'ivy' }))
        .statusCode,
    ).toBe(409);

    expect(
      (await post(`/api/v1/incidents/${id}/confirmations`, { accountName: 'dana', answer: 'fixed' })).statusCode,
    ).toBe(409);
    const confirmed = await post(`/api/v1/incidents/${id}/confirmations`, {
      accountName: 'steve',
      answer: 'fixed',
      score: 9,
      comment: 'Quick fix, thanks',
    });
    expect(confirmed.statusCode).toBe(200);
    const scoreWithoutFix = await post(`/api/v1/incidents/${id}/confirmations`, {
      accountName: 'tony',
      answer: 'still-broken',
      score: 3,
    });
    expect(scoreWithoutFix.statusCode).toBe(400);
    expect(
      (await post(`/api/v1/incidents/${id}/confirmations`, { accountName: 'tony', answer: 'still-broken' })).statusCode,
    ).toBe(200);

    const counted = await waitFor(
      () => incident(id),
      (i) => i.counts.fixed === 1 && i.counts.stillBroken === 1 && i.nps.responses === 1,
      15_000,
    );
    expect(counted.nps.average).toBe(9);

    // Tony said "still broken": he is on the follow-up list; then the incident closes.
    const followed = await waitFor(
      () => incident(id),
      (i) => i.followUp.length > 0,
      20_000,
    );
    expect(followed.followUp).toEqual([{ accountName: 'tony', reason: 'said it is still broken' }]);
    const closed = await waitFor(
      () => incident(id),
      (i) => i.status === 'closed',
      30_000,
    );
    expect(closed.running).toBe(false);

    // After the close every action is a clear conflict.
    for (const [url, body] of [
      [`/api/v1/incidents/${id}/affected`, { accountName: 'mia' }],
      [`/api/v1/incidents/${id}/confirmations`, { accountName: 'steve', answer: 'fixed' }],
      [`/api/v1/incidents/${id}/resolve`, { note: 'once more', by: 'ivy' }],
      [`/api/v1/incidents/${id}/progress`, { text: 'once more', notifyAffected: false, by: 'ivy' }],
    ] as const) {
      const res = await post(url, body);
      expect(res.statusCode, url).toBe(409);
    }
  });
});

describe('incident API, failures', () => {
  it('answers 400 for unknown services and people, 404 for unknown incidents', async () => {
    const noService = await post('/api/v1/incidents', { ...crmDown, serviceId: 'teleporter' });
    expect(noService.statusCode).toBe(400);
    expect(asProblem(noService).errors).toEqual([
      { pointer: '#/serviceId', detail: 'no service "teleporter" in the CMDB' },
    ]);
    const noPerson = await post('/api/v1/incidents', { ...crmDown, declaredBy: 'nobody' });
    expect(noPerson.statusCode).toBe(400);
    const badLink = await post('/api/v1/incidents', {
      ...crmDown,
      workaround: { text: 'x', links: { ios: 'not a url' } },
    });
    expect(badLink.statusCode).toBe(400);
    expect(asProblem(badLink).fields).toEqual(['workaround.links.ios']);

    for (const [url, body] of [
      ['/api/v1/incidents/no-such-incident/progress', { text: 'note', notifyAffected: false, by: 'ivy' }],
      ['/api/v1/incidents/no-such-incident/affected', { accountName: 'steve' }],
      ['/api/v1/incidents/no-such-incident/resolve', { note: 'fixed it', by: 'ivy' }],
      ['/api/v1/incidents/no-such-incident/confirmations', { accountName: 'steve', answer: 'fixed' }],
    ] as const) {
      const res = await post(url, body);
      expect(res.statusCode, url).toBe(404);
    }
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/incidents/no-such-incident', headers: headers() })).statusCode,
    ).toBe(404);
  });

  it('needs incidents:write to act and incidents:read to look', async () => {
    expect((await post('/api/v1/incidents', crmDown, apiKeys.readOnly)).statusCode).toBe(403);
    expect(
      (await post('/api/v1/incidents/x/affected', { accountName: 'steve' }, apiKeys.requestsOnly)).statusCode,
    ).toBe(403);
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/incidents/x', headers: headers(apiKeys.requestsOnly) }))
        .statusCode,
    ).toBe(403);
  });
});
