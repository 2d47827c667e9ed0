import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys, startAppEnv, type AppEnv } from './support/app-env';
import { asProblem } from './support/problems';
import { waitFor } from './support/wait';

let t: AppEnv;
beforeAll(async () => {
  t = await startAppEnv({ worker: true });
});
afterAll(async () => {
  await t?.close();
});

const headers = (key: string = apiKeys.all, extra: Record<string, string> = {}) => ({
  authorization: `Bearer ${key}`,
  ...extra,
});
const steveExpensatron = {
  serviceId: 'expensatron',
  requester: 'steve',
  fields: { phone: '07700 900123', os: 'android' },
};

interface RequestJson {
  id: string;
  stage: string;
  running: boolean;
  outcome: string | null;
  timeline: { stage: string; state: string; startedAt: string | null; endedAt: string | null }[];
  told: { channel: string; summary: string }[];
  waitingFor: { kind: string } | null;
}

async function getRequest(id: string, key: string = apiKeys.all): Promise<RequestJson> {
  const res = await t.app.inject({ method: 'GET', url: `/api/v1/requests/${id}`, headers: headers(key) });
  expect(res.statusCode).toBe(200);
  return res.json<RequestJson>();
}

describe('POST /api/v1/requests', () => {
  it('starts the journey; a retry with the same Idempotency-Key returns the first (200, same id)', async () => {
    const key = `crm-bot-${Date.now()}`;
    const first = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: headers(apiKeys.all, { 'idempotency-key': key }),
      payload: steveExpensatron,
    });
    expect(first.statusCode).toBe(201);
    const body = first.json<{ id: string; created: boolean; statusUrl: string }>();
    expect(body.id).toMatch(/^fulfil-expensatron-k[0-9a-f]{24}$/);
    expect(body.created).toBe(true);
    expect(first.headers.location).toBe(`/api/v1/requests/${body.id}`);

    const retry = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: headers(apiKeys.all, { 'idempotency-key': key }),
      payload: steveExpensatron,
    });
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toMatchObject({ id: body.id, created: false });

    const different = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: headers(apiKeys.all, { 'idempotency-key': key }),
      payload: { ...steveExpensatron, fields: { phone: '07700 900123', os: 'ios' } },
    });
    // The same key with a different body: 422, never a second journey.
    expect(different.statusCode).toBe(422);
    expect(asProblem(different)).toMatchObject({
      kind: 'idempotency-key-reused',
      status: 422,
      title: 'Idempotency-Key already used for a different request',
    });

    // The journey runs to the end; the status endpoint shows every stage with its times.
    const done = await waitFor(
      () => getRequest(body.id),
      (r) => !r.running,
      45_000,
    );
    expect(done.outcome).toBe('completed');
    expect(done.stage).toBe('completed');
    expect(done.timeline.map((s) => s.stage)).toEqual([
      'received',
      'eligibility',
      'device-check',
      'download-link',
      'provisioning',
      'quick-start',
      'completed',
    ]);
    expect(
      done.timeline.filter((s) => s.stage !== 'completed').every((s) => s.state === 'done' && s.startedAt && s.endedAt),
    ).toBe(true);
    expect(done.told.some((m) => m.channel.startsWith('SMS'))).toBe(true);
    // One journey, one SMS, despite the retried call.
    const sms = (await t.outbox.list({ channel: 'sms', to: '+447700900123' })).filter((e) =>
      e.idempotencyKey.includes(body.id),
    );
    expect(sms).toHaveLength(1);
  });

  it('starts a new journey for each call without an Idempotency-Key', async () => {
    const a = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: headers(),
      payload: steveExpensatron,
    });
    const b = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: headers(),
      payload: steveExpensatron,
    });
    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(a.json<{ id: string }>().id).not.toBe(b.json<{ id: string }>().id);
  });

  it('lists every field problem, by service, with 400', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: headers(),
      payload: { serviceId: 'expensatron', requester: 'Steve Jones', fields: { phone: 'call me' } },
    });
    expect(res.statusCode).toBe(400);
    expect(asProblem(res).fields).toEqual(['fields.os', 'fields.phone', 'requester']);
    const unknownService = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: headers(),
      payload: { ...steveExpensatron, serviceId: 'jetpack' },
    });
    expect(unknownService.statusCode).toBe(400);
    expect(asProblem(unknownService).errors![0]!.detail).toContain('expensatron');
    const unknownPerson = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: headers(),
      payload: { ...steveExpensatron, requester: 'nobody' },
    });
    expect(unknownPerson.statusCode).toBe(400);
    expect(asProblem(unknownPerson).errors).toEqual([
      { pointer: '#/requester', detail: 'no directory account "nobody"' },
    ]);
    const badKey = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: headers(apiKeys.all, { 'idempotency-key': 'has spaces in it' }),
      payload: steveExpensatron,
    });
    expect(badKey.statusCode).toBe(400);
    expect(asProblem(badKey).fields).toEqual(['header:idempotency-key']);
  });

  it('needs requests:write to start and requests:read to look', async () => {
    const start = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: headers(apiKeys.readOnly),
      payload: steveExpensatron,
    });
    expect(start.statusCode).toBe(403);
    const created = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: headers(apiKeys.requestsOnly),
      payload: steveExpensatron,
    });
    expect(created.statusCode).toBe(201);
    const id = created.json<{ id: string }>().id;
    expect(
      (await t.app.inject({ method: 'GET', url: `/api/v1/requests/${id}`, headers: headers(apiKeys.readOnly) }))
        .statusCode,
    ).toBe(200);
    expect((await t.app.inject({ method: 'GET', url: `/api/v1/requests/${id}` })).statusCode).toBe(401);
  });
});

describe('GET /api/v1/requests/{id}', () => {
  it('shows a journey waiting for a person (approval) and 404 for unknown ids', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: headers(),
      payload: {
        serviceId: 'desk-phone',
        requester: 'steve',
        fields: { deskLocation: 'Building 2, floor 3, desk 14', manager: 'mia' },
      },
    });
    expect(res.statusCode).toBe(201);
    const id = res.json<{ id: string }>().id;
    const waiting = await waitFor(
      () => getRequest(id),
      (r) => r.waitingFor !== null,
      30_000,
    );
    expect(waiting).toMatchObject({ stage: 'approval', running: true, waitingFor: { kind: 'approval' } });
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/requests/fulfil-expensatron-knope', headers: headers() }))
        .statusCode,
    ).toBe(404);
    // An incident's id is not a request.
    expect(
      (await t.app.inject({ method: 'GET', url: '/api/v1/requests/incident-crm-1', headers: headers() })).statusCode,
    ).toBe(404);
  });
});
