import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate as validateOpenApi } from '@readme/openapi-parser';
import { z } from 'zod';
import { buildApp } from '../../client/app';
import { errorCodes } from '../../client/errors';
import { apiKeys, demoPassword, startAppEnv, type AppEnv } from './support/app-env';
import { asProblem } from './support/problems';
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
    expect(asProblem(none)).toMatchObject({
      type: 'http://portal.test/api/v1/problems/unauthenticated',
      title: 'Not authenticated',
      status: 401,
      detail: 'Send an API key as "Authorization: Bearer <key>"',
      instance: '/api/v1/requests',
    });
    const wrong = await t.app.inject({
      method: 'GET',
      url: '/api/v1/requests/fulfil-x-y',
      headers: auth('sj_not_a_key'),
    });
    expect(wrong.statusCode).toBe(401);
    const basic = await t.app.inject({
      method: 'GET',
      url: '/api/v1/incidents/x',
      headers: { authorization: 'Basic c3RldmU6cGFzcw==' },
    });
    expect(basic.statusCode).toBe(401);
  });

  it('answers 403 when the key lacks the scope', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      headers: auth(apiKeys.requestsOnly),
      payload: {},
    });
    expect(res.statusCode).toBe(403);
    expect(asProblem(res)).toMatchObject({
      kind: 'forbidden',
      status: 403,
      detail: 'The API key "requests-only" lacks the scope incidents:write',
    });
    const readOnly = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: auth(apiKeys.readOnly),
      payload: {},
    });
    expect(readOnly.statusCode).toBe(403);
  });

  it('checks the key before it looks at the body', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      headers: { 'content-type': 'application/json' },
      payload: '{not json',
    });
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
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = asProblem(res);
    expect(body).toMatchObject({
      kind: 'invalid-request',
      title: 'The request is not valid',
      status: 400,
      instance: '/api/v1/incidents',
    });
    expect(body.fields).toEqual(['declaredBy', 'message', 'serviceId', 'title']);
    expect(body.errors!.find((e) => e.pointer === '#/message')!.detail).toMatch(/expected string/);
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
      for (const url of [
        '/api/v1/incidents',
        '/api/v1/requests',
        '/api/v1/incidents/crm-1/resolve',
        '/api/v1/incidents/crm-1/confirmations',
      ]) {
        const res = await t.app.inject({
          method: 'POST',
          url,
          headers: { ...auth(apiKeys.all), 'content-type': c.type ?? 'application/json' },
          payload: c.payload,
        });
        expect(res.statusCode, `${url} ${c.payload.slice(0, 40)}`).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, `${url} ${c.payload.slice(0, 40)}`).toBeLessThan(500);
        expect(asProblem(res).detail.length).toBeGreaterThan(0);
      }
    }
  });

  it('answers bad ids with 400 and unknown ones with 404', async () => {
    const bad = await t.app.inject({ method: 'GET', url: '/api/v1/incidents/has%20space', headers: auth(apiKeys.all) });
    expect(bad.statusCode).toBe(400);
    expect(asProblem(bad)).toMatchObject({ kind: 'invalid-request', fields: ['parameter:id'] });
    const unknown = await t.app.inject({
      method: 'GET',
      url: '/api/v1/incidents/no-such-incident',
      headers: auth(apiKeys.all),
    });
    expect(unknown.statusCode).toBe(404);
    const unknownRequest = await t.app.inject({
      method: 'GET',
      url: '/api/v1/requests/fulfil-expensatron-nope',
      headers: auth(apiKeys.all),
    });
    expect(unknownRequest.statusCode).toBe(404);
    const route = await t.app.inject({ method: 'GET', url: '/api/v1/nothing-here', headers: auth(apiKeys.all) });
    expect(route.statusCode).toBe(404);
    expect(asProblem(route)).toMatchObject({
      kind: 'not-found',
      status: 404,
      detail: 'No such endpoint: GET /api/v1/nothing-here',
    });
  });

  it('refuses NUL and other control characters at the boundary with 400, naming the field and the position', async () => {
    const declare = (payload: object) =>
      t.app.inject({ method: 'POST', url: '/api/v1/incidents', headers: auth(apiKeys.all), payload });
    const good = { serviceId: 'crm', title: 'CRM web app unavailable', message: 'It does not load', declaredBy: 'ivy' };
    // The case from the fuzz run that used to be a 500: the CMDB adapter refused the id.
    const nul = await declare({ ...good, serviceId: '\u0000' });
    expect(nul.statusCode).toBe(400);
    expect(asProblem(nul).errors).toEqual([
      {
        pointer: '#/serviceId',
        detail: 'must not contain control characters: it has a NUL character (U+0000) at position 1',
      },
      { pointer: '#/serviceId', detail: 'must be a CMDB service id such as crm (letters, digits, _ . -)' },
    ]);
    for (const [field, value] of [
      ['serviceId', 'crm\u0000'],
      ['title', 'CRM \u001b[31m down'],
      ['title', 'two\nlines'],
      ['message', 'a\u0000b and more'],
      ['message', 'lone \ud800 surrogate'],
      ['declaredBy', 'ivy\u0000'],
    ] as const) {
      const res = await declare({ ...good, [field]: value });
      expect(res.statusCode, `${field}: ${JSON.stringify(value)}`).toBe(400);
      expect(asProblem(res).fields, `${field}: ${JSON.stringify(value)}`).toContain(field);
    }
    // Line breaks are fine in a message, not in a title.
    const lines = await declare({ ...good, serviceId: 'no-such-service', message: 'Line one\nline two' });
    expect(asProblem(lines).errors).toEqual([
      { pointer: '#/serviceId', detail: 'no service "no-such-service" in the CMDB' },
    ]);
    // The same for a service's own form and every other text field.
    const request = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: auth(apiKeys.all),
      payload: {
        serviceId: 'desk-phone',
        requester: 'steve',
        fields: { deskLocation: 'Building 2\u0000', manager: 'mia' },
      },
    });
    expect(request.statusCode).toBe(400);
    expect(asProblem(request).messages['fields.deskLocation']).toMatch(/NUL character \(U\+0000\) at position 11/);
    const params = await t.app.inject({ method: 'GET', url: '/api/v1/incidents/%00', headers: auth(apiKeys.all) });
    expect(params.statusCode).toBe(400);
    const url = await t.app.inject({ method: 'GET', url: '/api/v1/incidents/%ZZ', headers: auth(apiKeys.all) });
    expect(asProblem(url)).toMatchObject({ kind: 'invalid-request', status: 400 });
    const long = await t.app.inject({
      method: 'GET',
      url: `/api/v1/incidents/${'x'.repeat(300)}`,
      headers: auth(apiKeys.all),
    });
    expect(asProblem(long)).toMatchObject({ kind: 'not-found', status: 404 });
  });

  it('points at each field with a JSON Pointer (RFC 6901), bad JSON and prototype keys at the whole body', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/requests',
      headers: auth(apiKeys.all),
      payload: { serviceId: 'expensatron', requester: 'steve', fields: { phone: 7, os: 'ios' } },
    });
    expect(asProblem(res).errors).toEqual([
      { pointer: '#/fields/phone', detail: 'Enter the mobile number of your phone' },
    ]);
    for (const payload of [
      '{"serviceId": ',
      '{"__proto__": {"admin": true}}',
      '{"constructor": {"prototype": {"admin": true}}}',
    ]) {
      const bad = await t.app.inject({
        method: 'POST',
        url: '/api/v1/incidents',
        headers: { ...auth(apiKeys.all), 'content-type': 'application/json' },
        payload,
      });
      expect(bad.statusCode, payload).toBe(400);
      expect(asProblem(bad).errors, payload).toEqual([expect.objectContaining({ pointer: '#' })]);
    }
    const xml = await t.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      headers: { ...auth(apiKeys.all), 'content-type': 'application/xml' },
      payload: '<x/>',
    });
    expect(asProblem(xml)).toMatchObject({ kind: 'unsupported-media-type', status: 415 });
    const huge = await t.app.inject({
      method: 'POST',
      url: '/api/v1/incidents',
      headers: auth(apiKeys.all),
      payload: { title: 'x'.repeat(70_000) },
    });
    expect(asProblem(huge)).toMatchObject({ kind: 'payload-too-large', status: 413 });
  });
});

describe('GET /api/v1/services', () => {
  const serviceShape = z.object({
    id: z.string(),
    title: z.string(),
    needsApproval: z.boolean(),
    form: z
      .object({
        $schema: z.string(),
        type: z.literal('object'),
        properties: z.record(z.string(), z.object({ title: z.string() }).loose()),
        required: z.array(z.string()),
      })
      .loose(),
    whatHappensNext: z.array(z.string()).min(1),
    stages: z.array(z.object({ stage: z.string(), label: z.string() })),
    xla: z.array(z.object({ id: z.string(), description: z.string(), target: z.object({ kind: z.string() }).loose() })),
    links: z.object({ self: z.string(), request: z.string(), portal: z.string(), guide: z.string() }),
  });

  it('lists the catalog with each form as JSON Schema (from the zod form), its stages and its XLA targets', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/services', headers: auth(apiKeys.readOnly) });
    expect(res.statusCode).toBe(200);
    const { services } = z.object({ services: z.array(serviceShape) }).parse(res.json());
    expect(services.map((s) => s.id).sort()).toEqual(['crm-access', 'desk-phone', 'expensatron', 'shared-mailbox']);
    const expensatron = services.find((s) => s.id === 'expensatron')!;
    expect(expensatron.form.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(expensatron.form.required.sort()).toEqual(['os', 'phone']);
    expect(expensatron.form.properties.phone).toMatchObject({ type: 'string', title: 'Mobile phone number' });
    expect(expensatron.form.properties.os).toMatchObject({ enum: ['ios', 'android'], title: 'Type of phone' });
    expect(expensatron.stages.map((s) => s.stage)).toEqual([
      'received',
      'eligibility',
      'device-check',
      'download-link',
      'provisioning',
      'quick-start',
      'completed',
    ]);
    expect(expensatron.xla.map((x) => x.id)).toEqual([
      'time-to-outcome-p95',
      'longest-silence-p95',
      'came-back',
      'nps',
    ]);
    expect(expensatron.xla[0]).toEqual({
      id: 'time-to-outcome-p95',
      description: '95% of requests done in under 2 minutes',
      target: {
        kind: 'time-to-outcome',
        percentile: 95,
        underMs: 120_000,
        description: '95% of requests done in under 2 minutes',
      },
    });
    const desk = services.find((s) => s.id === 'desk-phone')!;
    expect(desk).toMatchObject({
      needsApproval: true,
      links: { self: '/api/v1/services/desk-phone', request: '/api/v1/requests', portal: '/catalog/desk-phone' },
    });
    expect(desk.stages.map((s) => s.label)).toContain('Waiting for approval');
  });

  it('shows one service; 404 for an unknown one, 400 for a malformed id; needs requests:read', async () => {
    const one = await t.app.inject({ method: 'GET', url: '/api/v1/services/desk-phone', headers: auth(apiKeys.all) });
    expect(one.statusCode).toBe(200);
    const desk = serviceShape.parse(one.json());
    expect(Object.keys(desk.form.properties)).toEqual(['deskLocation', 'manager']);
    // The JSON Schema describes what the API validates: a body built from it is accepted.
    const unknown = await t.app.inject({ method: 'GET', url: '/api/v1/services/jetpack', headers: auth(apiKeys.all) });
    expect(asProblem(unknown)).toMatchObject({
      kind: 'not-found',
      detail: 'No service "jetpack": GET /api/v1/services lists them',
    });
    const malformed = await t.app.inject({ method: 'GET', url: '/api/v1/services/a%00b', headers: auth(apiKeys.all) });
    expect(asProblem(malformed).errors).toEqual([
      { parameter: 'id', detail: 'must not contain control characters: it has a NUL character (U+0000) at position 2' },
      { parameter: 'id', detail: 'must be a service id as listed by GET /api/v1/services, e.g. expensatron' },
    ]);
    const noScope = await t.app.inject({
      method: 'GET',
      url: '/api/v1/services',
      headers: auth(apiKeys.experienceOnly),
    });
    expect(asProblem(noScope)).toMatchObject({
      kind: 'forbidden',
      detail: 'The API key "prometheus" lacks the scope requests:read',
    });
  });
});

describe('Problem types', () => {
  it('every problem type URI leads to its description', async () => {
    const list = await t.app.inject({ method: 'GET', url: '/api/v1/problems' });
    expect(list.statusCode).toBe(200);
    const { problems } = list.json<{
      problems: { type: string; title: string; status: number; description: string }[];
    }>();
    expect(problems.map((p) => p.type)).toEqual(errorCodes.map((c) => `http://portal.test/api/v1/problems/${c}`));
    for (const p of problems) {
      const one = await t.app.inject({ method: 'GET', url: new URL(p.type).pathname });
      expect(one.json()).toEqual(p);
    }
    expect(problems.find((p) => p.status === 422)).toMatchObject({
      type: 'http://portal.test/api/v1/problems/idempotency-key-reused',
    });
  });
});

describe('OpenAPI and health', () => {
  it('serves an OpenAPI document generated from the zod schemas, API routes only', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json<{
      openapi: string;
      paths: Record<string, Record<string, { security?: unknown; requestBody?: unknown }>>;
      components: Record<string, Record<string, unknown>>;
    }>();
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/api/v1/access',
        '/api/v1/access/ending-soon',
        '/api/v1/access/{id}/end',
        '/api/v1/access/{id}/extend',
        '/api/v1/access/{id}/extension-decision',
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
        '/api/v1/services',
        '/api/v1/services/{id}',
        '/api/v1/problems',
        '/api/v1/problems/{type}',
        '/healthz',
      ].sort(),
    );
    expect(doc.paths['/api/v1/incidents']!.post!.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.components.securitySchemes).toHaveProperty('bearerAuth');
    expect(JSON.stringify(doc.paths['/api/v1/incidents']!.post!.requestBody)).toContain(
      '#/components/schemas/DeclareIncident',
    );
    expect(JSON.stringify(doc.components.schemas!.DeclareIncident)).toContain('declaredBy');
    // Each service's own form documents the request body's fields.
    const create = JSON.stringify(doc.paths['/api/v1/requests']!.post!.requestBody);
    expect(create).toContain('expensatron');
    expect(create).toContain('Mobile phone number');
    expect(create).toContain('desk-phone');
  });

  it('is a valid OpenAPI 3.1 document (@readme/openapi-parser), with every error documented as problem+json', async () => {
    const doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<{
      paths: Record<
        string,
        Record<
          string,
          {
            operationId?: string;
            responses: Record<string, { description?: string; content?: Record<string, unknown> }>;
            parameters?: { name: string; in: string; description?: string }[];
          }
        >
      >;
    }>();
    // The validator resolves and may change what it is given: it gets its own copy.
    const result = await validateOpenApi(structuredClone(doc) as unknown as Parameters<typeof validateOpenApi>[0]);
    expect(result.valid ? [] : result.errors.map((e) => e.message)).toEqual([]);
    expect(result.warnings.map((w) => w.message)).toEqual([]);
    expect(result.specification).toBe('OpenAPI');
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item).map(([method, op]) => ({ name: `${method.toUpperCase()} ${path}`, op })),
    );
    expect(new Set(operations.map((o) => o.op.operationId)).size).toBe(operations.length);
    for (const { name, op } of operations) {
      if (name === 'GET /healthz') continue;
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        expect(Object.keys(response.content ?? {}), `${name} ${status}`).toEqual(['application/problem+json']);
        expect(JSON.stringify(response.content), `${name} ${status}`).toContain('#/components/schemas/Problem');
      }
    }
    // Reusing an Idempotency-Key with another body: documented 422 on both creating operations.
    for (const path of ['/api/v1/requests', '/api/v1/incidents']) {
      const post = doc.paths[path]!.post!;
      expect(post.responses['422']?.description, path).toMatch(/Idempotency-Key already used/);
      expect(post.parameters?.find((p) => p.name === 'idempotency-key')?.description, path).toMatch(
        /different body is answered 422/,
      );
    }
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
      config: {
        publicUrl: 'http://x.test',
        sessionSecret: 'x'.repeat(32),
        linkSecret: 'y'.repeat(32),
        temporalUiUrl: null,
        namespace: 'default',
      },
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
    expect(textOf(mine.body)).toContain('Your requests could not be loaded just now');
    expect(textOf(mine.body)).not.toContain('You have not asked for anything yet');
    expect(Date.now() - started).toBeLessThan(8_000);
    // The live refresh keeps what the page shows rather than replacing it with nothing.
    expect((await s.get('/requests/live')).statusCode).toBe(503);

    // An approver and the service desk are told the lists are incomplete, never that nothing waits.
    const mia = new PortalSession(app);
    expect((await mia.signIn('mia', demoPassword)).statusCode).toBe(303);
    const approvals = await mia.get('/approvals');
    expect(approvals.statusCode).toBe(200);
    expect(textOf(approvals.body)).toContain('Some requests could not be loaded just now');
    expect(textOf(approvals.body)).not.toContain('Nothing is waiting for you');
    const invalid = await mia.post('/approvals/fulfil-desk-phone-r1', {
      _csrf: csrfTokenOf(approvals.body),
      decision: 'reject',
      reason: '',
    });
    expect(invalid.statusCode).toBe(400);
    expect(textOf(invalid.body)).toContain('Decision not recorded Say why (a few words)');
    const ivy = new PortalSession(app);
    expect((await ivy.signIn('ivy', demoPassword)).statusCode).toBe(303);
    const desk = await ivy.get('/console');
    expect(desk.statusCode).toBe(200);
    expect(textOf(desk.body).match(/The list could not be loaded completely/g)).toHaveLength(2);
    expect(textOf(desk.body)).not.toContain('No requests are waiting for the service desk');
    expect(textOf(desk.body)).not.toContain('No open incidents');
    // Acting on a journey says the service is unavailable (503), not that the caller erred.
    const page = await s.get('/catalog/expensatron');
    const submit = await s.post('/catalog/expensatron/request', {
      _csrf: csrfTokenOf(page.body),
      submissionId: hiddenValue(page.body, 'submissionId'),
      phone: '07700 900123',
      os: 'ios',
    });
    expect(submit.statusCode).toBe(503);
    await app.close();
    await connection.close();
  });
});
