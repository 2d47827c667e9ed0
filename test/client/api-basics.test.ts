import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../client/app';
import { apiKeys, demoPassword, startAppEnv, type AppEnv } from './support/app-env';
import { PortalSession, csrfTokenOf, hiddenValue, textOf } from './support/portal-session';

let t: AppEnv;
beforeAll(async () => {
  t = await startAppEnv();
});
afterAll(async () => {
  await t?.close();
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe('API authentication and scopes', () => {
  it('answers 401 with a Bearer challenge without a key, and for an unknown key', async () => {
    const none = await t.app.inject({ method: 'POST', url: '/api/v1/requests', payload: {} });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(none.json()).toMatchObject({ error: 'unauthenticated' });
    const wrong = await t.app.inject({ method: 'GET', url: '/api/v1/requests/fulfil-x-y', headers: auth('sj_not_a_key') });
    expect(wrong.statusCode).toBe(401);
    const basic = await t.app.inject({ method: 'GET', url: '/api/v1/incidents/x', headers: { authorization: 'Basic c3RldmU6cGFzcw==' } });
    expect(basic.statusCode).toBe(401);
  });

  it('answers 403 when the key lacks the scope', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: auth(apiKeys.requestsOnly), payload: {} });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: 'forbidden', message: 'The API key "requests-only" lacks the scope incidents:write' });
    const readOnly = await t.app.inject({ method: 'POST', url: '/api/v1/requests', headers: auth(apiKeys.readOnly), payload: {} });
    expect(readOnly.statusCode).toBe(403);
  });

  it('checks the key before it looks at the body', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: { 'content-type': 'application/json' }, payload: '{not json' });
    expect(res.statusCode).toBe(401);
  });

  it('never logs the API key', async () => {
    await t.app.inject({ method: 'GET', url: '/api/v1/incidents/nope', headers: auth(apiKeys.all) });
    expect(JSON.stringify(t.logs)).not.toContain(apiKeys.all);
  });
});

describe('API input errors: 400 with every field, never 500', () => {
  it('lists every problem of a declaration', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      headers: auth(apiKeys.all),
      payload: { serviceId: '', title: 'x', declaredBy: 'Not An Account!' },
    });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: string; issues: { path: string; message: string }[] }>();
    expect(body.error).toBe('invalid-request');
    expect(body.issues.map((i) => i.path).sort()).toEqual(['declaredBy', 'message', 'serviceId', 'title']);
  });

  it('answers malformed bodies with 4xx', async () => {
    const cases: { payload: string; type?: string }[] = [
      { payload: '{"serviceId": ' },
      { payload: 'null' },
      { payload: '[]' },
      { payload: '"just a string"' },
      { payload: '{"serviceId": {"$gt": ""}, "title": ["a"], "message": 1e309, "declaredBy": null}' },
      { payload: '{"__proto__": {"admin": true}, "serviceId": "crm"}' },
      { payload: 'serviceId=crm&title=x', type: 'application/x-www-form-urlencoded' },
      { payload: '<xml/>', type: 'application/xml' },
      { payload: JSON.stringify({ serviceId: 'crm', title: 'a'.repeat(100_000), message: 'm', declaredBy: 'ivy' }) },
      { payload: '\u0000\u0001\u0002', type: 'application/json' },
    ];
    for (const c of cases) {
      for (const url of ['/api/v1/incidents', '/api/v1/requests', '/api/v1/incidents/crm-1/resolve', '/api/v1/incidents/crm-1/confirmations']) {
        const res = await t.app.inject({ method: 'POST', url, headers: { ...auth(apiKeys.all), 'content-type': c.type ?? 'application/json' }, payload: c.payload });
        expect(res.statusCode, `${url} ${c.payload.slice(0, 40)}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, `${url} ${c.payload.slice(0, 40)}`).toBeLessThan(500);
        expect(res.json<{ error: string; message: string }>().message.length).toBeGreaterThan(0);
      }
    }
  });

  it('answers bad ids with 400 and unknown ones with 404', async () => {
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/incidents/has%20space', headers: auth(apiKeys.all) });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ error: 'invalid-request', issues: [{ path: 'params.id' }] });
    const unknown = await t.app.inject({ method: 'GET', url: '/api/v1/incidents/no-such-incident', headers: auth(apiKeys.all) });
    expect(unknown.statusCode).toBe(404);
    const unknownRequest = await t.app.inject({ method: 'GET', url: '/api/v1/requests/fulfil-expensatron-nope', headers: auth(apiKeys.all) });
    expect(unknownRequest.statusCode).toBe(404);
    const route = await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: auth(apiKeys.all) });
    expect(route.statusCode).toBe(404);
    expect(route.json()).toMatchObject({ error: 'not-found' });
  });
});

describe('OpenAPI and health', () => {
  it('serves an OpenAPI document generated from the zod schemas, API routes only', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{ openapi: string; paths: Record<string, Record<string, { security?: unknown; requestBody?: unknown }>>; components: Record<string, Record<string, unknown>> }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/api/v1/experience',
        '/api/v1/experience/metrics',
        '/api/v1/experience/{table}.csv',
        '/api/v1/incidents',
        '/api/v1/incidents/{id}',
        '/api/v1/incidents/{id}/affected',
        '/api/v1/incidents/{id}/confirmations',
        '/api/v1/incidents/{id}/progress',
        '/api/v1/incidents/{id}/resolve',
        '/api/v1/requests',
        '/api/v1/requests/{id}',
        '/api/v1/requests/{id}/nps',
        '/api/v1/requests/{id}/decision',
        '/api/v1/requests/{id}/device',
        '/api/v1/requests/{id}/delivery',
        '/healthz',
      ].sort(),
    );
    expect(doc.paths['/api/v1/incidents']!.post!.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.components.securitySchemes).toHaveProperty('bearerAuth');
    expect(JSON.stringify(doc.paths['/api/v1/incidents']!.post!.requestBody)).toContain('#/components/schemas/DeclareIncident');
    expect(JSON.stringify(doc.components.schemas!.DeclareIncident)).toContain('declaredBy');
    // Each service's own form documents the request body's fields.
    const create = JSON.stringify(doc.paths['/api/v1/requests']!.post!.requestBody);
    expect(create).toContain('expensatron');
    expect(create).toContain('Mobile phone number');
    expect(create).toContain('desk-phone');
  });

  it('reports Temporal reachable', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok', temporal: 'reachable' });
  });

  it('answers 503 when Temporal is not reachable', async () => {
    // A lazily connecting client to a port nobody listens on.
    const connection = Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 200 });
    const app = await buildApp({
      temporal: new Client({ connection }),
      taskQueue: 'none',
      directory: t.deps.directory,
      cmdb: t.deps.cmdb,
      outbox: null,
      experience: t.deps.experience,
      apiKeys: [],
      logger: false,
      config: { publicUrl: 'http://x.test', sessionSecret: 'x'.repeat(32), linkSecret: 'y'.repeat(32), temporalUiUrl: null, namespace: 'default' },
    });
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'unavailable', temporal: 'unreachable' });
    expect((await app.inject({ method: 'GET', url: '/outbox' })).statusCode).toBe(404);

    // Nothing waits on a journey: the pages still render, quickly, and say what is missing.
    const s = new PortalSession(app);
    expect((await s.signIn('steve', demoPassword)).statusCode).toBe(303);
    const started = Date.now();
    const home = await s.get('/');
    expect(home.statusCode).toBe(200);
    expect(textOf(home.body)).toContain('Service status could not be loaded just now');
    const mine = await s.get('/requests');
    expect(mine.statusCode).toBe(200);
    expect(Date.now() - started).toBeLessThan(8_000);
    // Acting on a journey says the service is unavailable (503), not that the caller erred.
    const page = await s.get('/catalog/expensatron');
    const submit = await s.post('/catalog/expensatron/request', { _csrf: csrfTokenOf(page.body), submissionId: hiddenValue(page.body, 'submissionId'), phone: '07700 900123', os: 'ios' });
    expect(submit.statusCode).toBe(503);
    await app.close();
    await connection.close();
  });
});
