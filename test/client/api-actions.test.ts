/**
 * The people's steps of a request over the API: `POST /api/v1/requests/{id}/decision`,
 * `/device` and `/delivery`, over the real app, the suite's dev server and a worker running the
 * real workflows, so each answer is the journey's own (its update validators decide).
 */
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

interface RequestState {
  running: boolean;
  outcome: string | null;
  reason: string | null;
  waitingFor: { kind: string } | null;
}

const headers = (key: string = apiKeys.all) => ({ authorization: `Bearer ${key}` });

async function startRequest(payload: object): Promise<string> {
  const res = await t.app.inject({ method: 'POST', url: '/api/v1/requests', headers: headers(), payload });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string }>().id;
}

const state = async (id: string): Promise<RequestState> =>
  (await t.app.inject({ method: 'GET', url: `/api/v1/requests/${id}`, headers: headers() })).json<RequestState>();
const waitingFor = (id: string, kind: string) =>
  waitFor(
    () => state(id),
    (r) => r.waitingFor?.kind === kind,
    30_000,
  );
const finished = (id: string) =>
  waitFor(
    () => state(id),
    (r) => !r.running,
    45_000,
  );

const act = (id: string, action: 'decision' | 'device' | 'delivery', body: object, key: string = apiKeys.all) =>
  t.app.inject({ method: 'POST', url: `/api/v1/requests/${id}/${action}`, headers: headers(key), payload: body });

const deskPhone = () =>
  startRequest({
    serviceId: 'desk-phone',
    requester: 'steve',
    fields: { deskLocation: 'Building 2, floor 3, desk 14', manager: 'mia' },
  });

describe('a desk phone driven over the API', () => {
  it('approved by the manager, then marked delivered by the service desk, ends completed', async () => {
    const id = await deskPhone();
    await waitingFor(id, 'approval');

    const approved = await act(id, 'decision', { approver: 'mia', approve: true });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toEqual({ ok: true, message: 'Approved' });

    // The same decision again (a client retrying after a lost answer) gets the first answer.
    const twice = await act(id, 'decision', { approver: 'mia', approve: true });
    expect(twice.statusCode).toBe(200);
    expect(twice.json()).toEqual({ ok: true, message: 'Approved' });
    // A different decision after it was taken: the request no longer waits for one.
    const changed = await act(id, 'decision', { approver: 'mia', approve: false, reason: 'Changed my mind' });
    expect(changed.statusCode).toBe(409);
    expect(asProblem(changed)).toMatchObject({ kind: 'conflict', detail: 'This request is not waiting for approval' });

    await waitingFor(id, 'manual-task');
    const delivered = await act(id, 'delivery', { by: 'ivy', note: 'On the desk and connected' });
    expect(delivered.statusCode).toBe(200);
    expect(delivered.json()).toEqual({ ok: true, message: 'Marked done; the requester is told' });

    const done = await finished(id);
    expect(done.outcome).toBe('completed');
    // The same delivery retried after the journey finished gets the first answer; another one is refused.
    const again = await act(id, 'delivery', { by: 'ivy', note: 'On the desk and connected' });
    expect(again.statusCode).toBe(200);
    expect((await act(id, 'delivery', { by: 'ivy' })).statusCode).toBe(409);
  }, 60_000);

  it('turned down with a reason ends rejected, with that reason', async () => {
    const id = await deskPhone();
    await waitingFor(id, 'approval');
    const res = await act(id, 'decision', {
      approver: 'mia',
      approve: false,
      reason: '  There is a spare phone in the cupboard  ',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true, message: 'Turned down; the requester is told why' });
    const done = await finished(id);
    expect(done.outcome).toBe('rejected');
    expect(done.reason).toContain('There is a spare phone in the cupboard');
  }, 60_000);
});

describe('an Expensatron request with a phone the CMDB does not know', () => {
  it('completes once the requester corrects the number over the API (any usual notation)', async () => {
    const id = await startRequest({
      serviceId: 'expensatron',
      requester: 'steve',
      fields: { phone: '07700 900999', os: 'android' },
    });
    await waitingFor(id, 'device-correction');

    const other = await act(id, 'device', { requester: 'tony', phone: '07700 900123' });
    expect(other.statusCode).toBe(403);
    expect(asProblem(other)).toMatchObject({
      kind: 'forbidden',
      detail: 'Only the person who asked can correct the phone number',
    });

    const bad = await act(id, 'device', { requester: 'steve', phone: '12', os: 'nokia' });
    expect(bad.statusCode).toBe(400);
    expect(asProblem(bad).fields).toEqual(['os', 'phone']);

    const correct = (key: string) =>
      t.app.inject({
        method: 'POST',
        url: `/api/v1/requests/${id}/device`,
        headers: { ...headers(), 'idempotency-key': key },
        payload: { requester: 'Steve', phone: '+44 (0)7700-900123' },
      });
    const fixed = await correct('fix-1');
    expect(fixed.statusCode).toBe(200);
    expect(fixed.json()).toEqual({ ok: true, message: 'Number recorded; checking it again' });

    const done = await finished(id);
    expect(done.outcome).toBe('completed');
    // The same correction retried with its key gets the first answer; under a new key it is refused.
    expect((await correct('fix-1')).statusCode).toBe(200);
    expect((await correct('fix-2')).statusCode).toBe(409);
  }, 60_000);
});

describe('refusals', () => {
  let waiting: string;
  beforeAll(async () => {
    waiting = await deskPhone();
    await waitingFor(waiting, 'approval');
  }, 40_000);

  it('refuses anyone but the named approver (403), and the requester approving their own request', async () => {
    const wrong = await act(waiting, 'decision', { approver: 'ivy', approve: true });
    expect(wrong.statusCode).toBe(403);
    expect(asProblem(wrong)).toMatchObject({ kind: 'forbidden', detail: 'Only mia can decide on this request' });
    const own = await act(waiting, 'decision', { approver: 'steve', approve: true });
    expect(own.statusCode).toBe(403);
    expect(asProblem(own)).toMatchObject({ kind: 'forbidden', detail: 'You cannot approve your own request' });
    expect((await state(waiting)).waitingFor?.kind).toBe('approval');
  });

  it('refuses a step the request is not waiting for (409)', async () => {
    const delivery = await act(waiting, 'delivery', { by: 'ivy' });
    expect(delivery.statusCode).toBe(409);
    expect(asProblem(delivery)).toMatchObject({
      kind: 'conflict',
      detail: 'This request is not waiting for the service desk',
    });
    const device = await act(waiting, 'device', { requester: 'steve', phone: '07700 900123' });
    expect(device.statusCode).toBe(409);
    expect(asProblem(device)).toMatchObject({
      kind: 'conflict',
      detail: 'This request is not waiting for a phone number',
    });
  });

  it('answers a bad body with 400 listing each wrong field', async () => {
    const decision = await act(waiting, 'decision', { approver: 'Not An Account!', approve: 'yes' });
    expect(decision.statusCode).toBe(400);
    expect(asProblem(decision)).toMatchObject({ kind: 'invalid-request', fields: ['approve', 'approver'] });

    // Turning down needs a reason, reported with the other wrong fields.
    for (const reason of [undefined, '', '  ', 'no']) {
      const noReason = await act(waiting, 'decision', {
        approver: 'no such account!',
        approve: false,
        ...(reason === undefined ? {} : { reason }),
      });
      expect(noReason.statusCode, String(reason)).toBe(400);
      expect(asProblem(noReason).fields).toEqual(['approver', 'reason']);
    }
    const tooLong = await act(waiting, 'decision', { approver: 'mia', approve: true, reason: 'x'.repeat(501) });
    expect(asProblem(tooLong).fields).toEqual(['reason']);

    const device = await act(waiting, 'device', {});
    expect(device.statusCode).toBe(400);
    expect(asProblem(device).fields).toEqual(['phone', 'requester']);

    const delivery = await act(waiting, 'delivery', { by: 42, note: 'x'.repeat(1001) });
    expect(delivery.statusCode).toBe(400);
    expect(asProblem(delivery).fields).toEqual(['by', 'note']);

    // None of these reached the journey.
    expect((await state(waiting)).waitingFor?.kind).toBe('approval');
  });

  it('answers an unknown request with 404', async () => {
    for (const action of ['decision', 'device', 'delivery'] as const) {
      const body = {
        decision: { approver: 'mia', approve: true },
        device: { requester: 'steve', phone: '07700 900123' },
        delivery: { by: 'ivy' },
      }[action];
      const res = await act('fulfil-desk-phone-nosuchrequest', action, body);
      expect(res.statusCode, action).toBe(404);
      expect(asProblem(res)).toMatchObject({ kind: 'not-found', detail: 'No request fulfil-desk-phone-nosuchrequest' });
    }
  });

  it('needs the requests:write scope (403) and a key (401)', async () => {
    for (const action of ['decision', 'device', 'delivery'] as const) {
      const readOnly = await act(waiting, action, { approver: 'mia', approve: true }, apiKeys.readOnly);
      expect(readOnly.statusCode, action).toBe(403);
      expect(asProblem(readOnly)).toMatchObject({ kind: 'forbidden' });
      const none = await t.app.inject({ method: 'POST', url: `/api/v1/requests/${waiting}/${action}`, payload: {} });
      expect(none.statusCode, action).toBe(401);
    }
    // The requests-only key is enough.
    const ok = await act(waiting, 'decision', { approver: 'mia', approve: true }, apiKeys.requestsOnly);
    expect(ok.statusCode).toBe(200);
  });

  it('are in the OpenAPI document with their body schemas', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<{
      paths: Record<string, Record<string, { requestBody?: unknown; security?: unknown }>>;
    }>();
    for (const [path, schema] of [
      ['decision', 'RequestDecision'],
      ['device', 'RequestDevice'],
      ['delivery', 'RequestDelivery'],
    ] as const) {
      const op = doc.paths[`/api/v1/requests/{id}/${path}`]?.post;
      expect(op?.security, path).toEqual([{ bearerAuth: [] }]);
      expect(JSON.stringify(op?.requestBody), path).toContain(`#/components/schemas/${schema}`);
    }
  });
});
