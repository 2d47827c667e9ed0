/**
 * No input gets a 5xx. A seeded fuzzer derives thousands of requests from the served OpenAPI
 * document (every operation: valid requests and broken ones — wrong types, missing and unknown
 * members, `__proto__` and `constructor` keys, huge, control-character and injection strings,
 * bad JSON, wrong content types, odd path and query values, missing or wrong API keys,
 * reused Idempotency-Keys) and fails on any 5xx or any answer the document does not describe
 * (status, content type, body schema). The portal's form POST routes get the same treatment
 * (signed in, with valid CSRF tokens most of the time, so the forms' own checks are reached).
 *
 * It runs against the real app, the suite's Temporal dev server and a worker with the real
 * workflows, over journeys it starts first (an open incident, requests waiting for an approval
 * and for a phone correction), so valid-looking input goes all the way into the journeys.
 *
 * Every case comes from one seed, printed on failure: `FUZZ_SEED=<seed> npx vitest run
 * test/client/fuzz.test.ts` replays the run. FUZZ_API_CASES / FUZZ_PORTAL_CASES change the counts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signLinkToken } from '../../activities/links';
import { errorCodes } from '../../client/errors';
import { apiKeys, demoPassword, startAppEnv, type AppEnv } from './support/app-env';
import {
  Rng,
  badBodies,
  clone,
  contentTypes,
  createAnswerChecker,
  describeCase,
  fuzzSeed,
  jsonText,
  mutate,
  nastyPathSegments,
  nastyStrings,
  nastyValue,
  operationsOf,
  routedOperation,
  setOwn,
  validValue,
  type FuzzAnswer,
  type FuzzCase,
  type Hints,
  type OpenApiDocument,
  type Operation,
} from './support/fuzz';
import { PortalSession, csrfTokenOf } from './support/portal-session';
import { waitFor } from './support/wait';

const seed = fuzzSeed();
const apiCaseCount = Number(process.env.FUZZ_API_CASES ?? 2400);
const portalCaseCount = Number(process.env.FUZZ_PORTAL_CASES ?? 800);
const replay = `FUZZ_SEED=${seed} npx vitest run test/client/fuzz.test.ts`;

let t: AppEnv;
let doc: OpenApiDocument;
const fixtures = { incident: '', approval: '', correction: '', done: '' };
const portal: Record<'steve' | 'tony' | 'ivy' | 'mia' | 'anonymous', { cookie: string; csrf: string }> = {
  steve: { cookie: '', csrf: '' },
  tony: { cookie: '', csrf: '' },
  ivy: { cookie: '', csrf: '' },
  mia: { cookie: '', csrf: '' },
  anonymous: { cookie: '', csrf: '' },
};
let confirmToken = '';

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

/** Field values of the demo organisation, used before a schema's own examples. */
const hints: Hints = {
  requester: ['steve', 'steve', 'tony', 'dana', 'nobody'],
  approver: ['mia', 'mia', 'steve'],
  by: ['ivy'],
  declaredBy: ['ivy', 'steve'],
  accountName: ['steve', 'tony', 'mia', 'ivy'],
  // Incidents on the Email service: other suites use the CRM, and banners are shared by the dev server.
  serviceId: ['email', 'email', 'crm', 'teleporter'],
  phone: ['07700 900123', '+447700900123', '07700 900555', '+447700900456'],
  os: ['ios', 'android'],
  deskLocation: ['Building 2, floor 3, desk 14'],
  manager: ['mia', 'mia', 'ivy'],
  title: ['Email is slow (fuzz)'],
  message: ['Mail takes minutes to arrive. We are on it. (fuzz)'],
  text: ['Still looking into it (fuzz)'],
  note: ['The mail queue was cleared (fuzz)'],
  reason: ['Not in the budget this quarter'],
  comment: ['Thanks', ''],
  days: ['7', '30', '90'],
  service: ['expensatron', 'email', ''],
};

function encodeComponent(value: string): string {
  let out = '';
  for (const char of value) {
    const unit = char.charCodeAt(0);
    if (char.length === 1 && unit >= 0xd800 && unit <= 0xdfff) {
      // A lone surrogate, as a careless client's UTF-8 encoder would write it.
      out += [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
        .map((b) => `%${b.toString(16).toUpperCase()}`)
        .join('');
    } else out += encodeURIComponent(char);
  }
  return out;
}

const asText = (v: unknown): string => (typeof v === 'string' ? v : v instanceof Object ? jsonText(v) : String(v));

/** What an HTTP client can put in a header value (no CR, LF or NUL). */
const nastyHeaderValues = [
  '',
  ' ',
  'a b',
  'x'.repeat(201),
  'tab\tin-it',
  '\u00e9t\u00e9',
  '"quoted"',
  '../x',
  '%00',
  '*',
  'a,b',
  '\u00ff\u00fe',
];

function pathValue(rng: Rng, path: string, name: string): string {
  // A third of the ids are the journeys started for the run (those answers go all the way into a journey).
  if (path.startsWith('/api/v1/requests/'))
    return rng.chance(0.35)
      ? rng.pick([fixtures.approval, fixtures.correction, fixtures.done])
      : rng.pick(['fulfil-expensatron-knotthere', 'fulfil-x-y', 'r123']);
  if (path.startsWith('/api/v1/incidents/'))
    return rng.chance(0.35) ? fixtures.incident : rng.pick(['email-20250101-deadbeef', 'crm-1']);
  if (path.startsWith('/api/v1/services/')) return rng.pick(['expensatron', 'desk-phone', 'travel-desk']);
  if (name === 'table') return rng.pick(['services', 'xla', 'daily', 'worst', 'people']);
  if (name === 'type') return rng.pick([...errorCodes, 'nope']);
  return 'x';
}

function apiCase(rng: Rng, index: number, operation: Operation): FuzzCase {
  const op = operation.op;
  const labels: string[] = [operation.op.operationId ?? `${operation.method} ${operation.path}`];
  let url = operation.path;
  const query: string[] = [];
  const headers: Record<string, string> = {};
  for (const p of op.parameters ?? []) {
    if (p.in === 'path') {
      const nasty = rng.chance(0.3);
      if (nasty) labels.push(`path ${p.name}`);
      url = url.replace(
        `{${p.name}}`,
        nasty
          ? rng.chance(0.5)
            ? rng.pick(nastyPathSegments)
            : encodeComponent(rng.pick(nastyStrings))
          : encodeComponent(pathValue(rng, operation.path, p.name)),
      );
    } else if (p.in === 'query') {
      if (!rng.chance(p.required ? 0.9 : 0.5)) continue;
      const nasty = rng.chance(0.3);
      if (nasty) labels.push(`query ${p.name}`);
      const value = nasty ? nastyValue(rng) : validValue(doc, p.schema, rng, hints, p.name);
      query.push(`${encodeComponent(p.name)}=${encodeComponent(asText(value))}`);
      if (rng.chance(0.05)) query.push(`${encodeComponent(p.name)}=${encodeComponent(asText(value))}`);
    } else if (p.in === 'header' && p.name.toLowerCase() === 'idempotency-key') {
      const r = rng.int(100);
      if (r < 70) headers['idempotency-key'] = `fuzz-${seed}-${rng.int(4)}`;
      else if (r < 85) {
        headers['idempotency-key'] = rng.pick(nastyHeaderValues);
        labels.push('idempotency-key');
      }
    }
  }
  if (rng.chance(0.08)) {
    labels.push('query junk');
    query.push(
      rng.pick([
        '__proto__=1',
        '__proto__[x]=1',
        'constructor[prototype][x]=1',
        'x=1',
        '=',
        '&&',
        'a=%ZZ',
        'days[]=7',
        `q=${'a'.repeat(5000)}`,
        '%00=%00',
      ]),
    );
  }
  if (query.length > 0) url += `?${query.join('&')}`;

  if (op.security && op.security.length > 0) {
    const a = rng.int(100);
    const key = (value: string, label?: string) => {
      headers.authorization = `Bearer ${value}`;
      if (label) labels.push(label);
    };
    if (a < 82) key(apiKeys.all);
    else if (a < 85) labels.push('no key');
    else if (a < 88) key('sj_not_a_key', 'wrong key');
    else if (a < 91) key(apiKeys.readOnly, 'read-only key');
    else if (a < 93) key(apiKeys.requestsOnly, 'requests key');
    else if (a < 95) key(apiKeys.experienceOnly, 'experience key');
    else {
      headers.authorization = rng.pick([
        'Basic c3RldmU6cGFzcw==',
        'Bearer',
        'Bearer ',
        `Bearer ${apiKeys.all} extra`,
        `bearer ${apiKeys.all}`,
        `Bearer ${'x'.repeat(5000)}`,
        'Token abc',
        `Bearer\t${apiKeys.all}`,
      ]);
      labels.push('odd authorization');
    }
  }

  let payload: string | undefined;
  const bodySchema = op.requestBody?.content['application/json']?.schema;
  if (bodySchema || rng.chance(0.04)) {
    let value = bodySchema ? validValue(doc, bodySchema, rng, hints) : { unexpected: 'body' };
    let contentType: string | undefined = 'application/json';
    const k = rng.int(100);
    if (k < 18) labels.push('valid body');
    else if (k < 78) {
      const n = 1 + rng.int(3);
      for (let i = 0; i < n; i++) value = mutate(rng, value);
      labels.push(`mutated body ×${n}`);
    } else if (k < 90) {
      labels.push('bad body');
      payload = rng.pick(badBodies);
    } else {
      contentType = rng.pick(contentTypes);
      labels.push(`content-type ${contentType}`);
    }
    if (payload === undefined) {
      payload =
        contentType === 'application/x-www-form-urlencoded' &&
        value !== null &&
        typeof value === 'object' &&
        rng.chance(0.5)
          ? Object.entries(value as Record<string, unknown>)
              .map(([key, v]) => `${encodeComponent(key)}=${encodeComponent(asText(v))}`)
              .join('&')
          : jsonText(value);
    }
    if (rng.chance(0.03)) {
      contentType = undefined;
      labels.push('no content-type');
    }
    if (rng.chance(0.02)) {
      payload = undefined;
      labels.push('no body');
    }
    if (contentType !== undefined) headers['content-type'] = contentType;
  }
  return {
    index,
    label: labels.join(', '),
    method: operation.method,
    url,
    headers,
    ...(payload !== undefined ? { payload } : {}),
  };
}

/** A request to a method or path the document does not have: must be a 404 problem. */
function unknownRouteCase(rng: Rng, index: number, operations: Operation[]): FuzzCase {
  const known = new Set(operations.map((o) => `${o.method} ${o.path}`));
  const target = rng.pick(operations);
  const method = rng.pick(['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const);
  const path =
    known.has(`${method} ${target.path}`) || rng.chance(0.5)
      ? rng.pick([
          '/api/v1/nothing-here',
          '/api/v1',
          '/api/v1/requests/a/b/c',
          '/api/v2/requests',
          '/api/v1/%00',
          '/api/v1/services/x/y',
        ])
      : target.path.replace(/\{[^}]+\}/g, 'x');
  return {
    index,
    label: 'unknown route',
    method,
    url: path,
    headers: bearer(apiKeys.all),
    ...(method === 'GET' ? {} : { payload: '{}' }),
  };
}

async function send(c: FuzzCase): Promise<FuzzAnswer> {
  const res = await t.app.inject({
    method: c.method as 'GET',
    url: c.url,
    headers: c.headers,
    ...(c.payload !== undefined ? { payload: c.payload } : {}),
  });
  return { statusCode: res.statusCode, headers: res.headers, body: res.body };
}

function report(kind: string, failures: string[], total: number): string {
  return `${failures.length} of ${total} ${kind} cases failed (seed ${seed}; replay with: ${replay})\n${failures.slice(0, 25).join('\n\n')}`;
}

beforeAll(async () => {
  t = await startAppEnv({ worker: true, cacheWorkflows: true });
  doc = (await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json<OpenApiDocument>();

  // Journeys for the valid-looking requests to reach: an open incident, a request waiting for
  // its approver, one waiting for a phone correction, and one that has finished.
  const post = async (url: string, payload: object, key: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url,
      headers: { ...bearer(apiKeys.all), 'idempotency-key': key },
      payload,
    });
    if (res.statusCode !== 201 && res.statusCode !== 200)
      throw new Error(`fixture ${url} answered ${res.statusCode}: ${res.body}`);
    return res.json<{ id: string }>().id;
  };
  const prefix = `fuzz-fixture-${seed}`;
  fixtures.incident = await post(
    '/api/v1/incidents',
    {
      serviceId: 'email',
      title: 'Email is slow (fuzz fixture)',
      message: 'Mail takes minutes to arrive.',
      declaredBy: 'ivy',
      workaround: { text: 'Use webmail', links: { ios: 'https://apps.example/mail-ios' } },
    },
    `${prefix}-incident`,
  );
  fixtures.approval = await post(
    '/api/v1/requests',
    {
      serviceId: 'desk-phone',
      requester: 'steve',
      fields: { deskLocation: 'Building 2, floor 3, desk 14', manager: 'mia' },
    },
    `${prefix}-approval`,
  );
  fixtures.correction = await post(
    '/api/v1/requests',
    { serviceId: 'expensatron', requester: 'steve', fields: { phone: '07700 900555', os: 'android' } },
    `${prefix}-correction`,
  );
  fixtures.done = await post(
    '/api/v1/requests',
    { serviceId: 'expensatron', requester: 'tony', fields: { phone: '+447700900456', os: 'ios' } },
    `${prefix}-done`,
  );
  const affected = await t.app.inject({
    method: 'POST',
    url: `/api/v1/incidents/${fixtures.incident}/affected`,
    headers: bearer(apiKeys.all),
    payload: { accountName: 'steve' },
  });
  expect(affected.statusCode).toBe(200);
  confirmToken = signLinkToken(t.linkSecret, {
    incidentId: fixtures.incident,
    accountName: 'steve',
    action: 'confirm',
    expiresAt: Date.now() + 3600_000,
  });
  const state = (id: string) =>
    t.app
      .inject({ method: 'GET', url: `/api/v1/requests/${id}`, headers: bearer(apiKeys.all) })
      .then((r) => r.json<{ running: boolean; waitingFor: { kind: string } | null }>());
  await waitFor(
    () => state(fixtures.approval),
    (s) => s.waitingFor?.kind === 'approval',
    30_000,
  );
  await waitFor(
    () => state(fixtures.correction),
    (s) => s.waitingFor?.kind === 'device-correction',
    30_000,
  );

  for (const who of ['steve', 'tony', 'ivy', 'mia'] as const) {
    const s = new PortalSession(t.app);
    expect((await s.signIn(who, demoPassword)).statusCode).toBe(303);
    portal[who] = { cookie: s.cookieHeader(), csrf: csrfTokenOf((await s.get('/')).body) };
  }
  const anonymous = new PortalSession(t.app);
  portal.anonymous = { cookie: '', csrf: csrfTokenOf((await anonymous.get('/signin')).body) };
  portal.anonymous.cookie = anonymous.cookieHeader();
}, 120_000);

afterAll(async () => {
  if (!t) return;
  // Leave nothing running on the shared dev server: other suites list open incidents and requests.
  try {
    for await (const info of t.env.client.workflow.list({
      query: `TaskQueue = "${t.taskQueue}" AND ExecutionStatus = "Running"`,
    })) {
      await t.env.client.workflow
        .getHandle(info.workflowId, info.runId)
        .terminate('fuzz test finished')
        .catch(() => undefined);
    }
  } finally {
    await t.close();
  }
}, 120_000);

describe(`fuzzing (seed ${seed})`, () => {
  it(
    `the API: ${apiCaseCount} requests derived from /api/v1/openapi.json, no 5xx, every answer as documented`,
    { timeout: 120_000 },
    async () => {
      const rng = new Rng(seed);
      const operations = operationsOf(doc);
      expect(operations.length).toBeGreaterThanOrEqual(20);
      const check = createAnswerChecker(doc);
      const failures: string[] = [];
      const perOperation = new Map<string, number>();
      const statuses = new Map<number, number>();
      for (let i = 0; i < apiCaseCount; i++) {
        const unknown = rng.chance(0.03);
        const operation = unknown ? null : rng.pick(operations);
        const c = operation ? apiCase(rng, i, operation) : unknownRouteCase(rng, i, operations);
        const answer = await send(c);
        statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1);
        const name = operation ? `${operation.method} ${operation.path}` : 'unknown route';
        perOperation.set(name, (perOperation.get(name) ?? 0) + 1);
        // What the server routes it to: ".", ".." and a trailing slash are resolved first, as by any client.
        const problem = check(routedOperation(operations, c.method, c.url), answer);
        if (problem)
          failures.push(
            `${describeCase(c)}\n  → ${problem}\n  answer ${answer.statusCode} ${String(answer.headers['content-type'] ?? '')}: ${answer.body.slice(0, 400)}`,
          );
      }
      console.log(
        `API fuzz, seed ${seed}: ${apiCaseCount} cases over ${operations.length} operations; answers ${[...statuses]
          .sort((a, b) => a[0] - b[0])
          .map(([s, n]) => `${s}×${n}`)
          .join(' ')}`,
      );
      // Every operation was tried, many times.
      for (const o of operations)
        expect(perOperation.get(`${o.method} ${o.path}`) ?? 0, `${o.method} ${o.path} (seed ${seed})`).toBeGreaterThan(
          apiCaseCount / operations.length / 3,
        );
      expect(failures, report('API', failures, apiCaseCount)).toEqual([]);
    },
  );

  it(`the portal's form POST routes: ${portalCaseCount} submissions, no 5xx`, { timeout: 120_000 }, async () => {
    const rng = new Rng(seed ^ 0x5eed);
    type Who = keyof typeof portal;
    interface Route {
      path: string;
      who: Who;
      params?: Record<string, readonly string[]>;
      fields: Record<string, readonly string[]>;
    }
    const submissionIds = [0, 1, 2, 3].map((n) => `fuzz${seed.toString(16)}-${n}`.padEnd(12, '0'));
    const requestIds = [
      fixtures.approval,
      fixtures.correction,
      fixtures.done,
      'fulfil-expensatron-knotthere',
      'fulfil-desk-phone-knotthere',
      'fulfil-x-y',
      'r1',
    ];
    const incidentIds = [fixtures.incident, 'email-20250101-deadbeef', 'crm-1'];
    const routes: Route[] = [
      {
        path: '/signin',
        who: 'anonymous',
        fields: {
          username: ['steve', 'ivy', 'nobody'],
          password: [demoPassword, 'wrong-password'],
          next: ['/', '/catalog', '//evil.example', 'https://evil.example/', '/\\evil.example'],
        },
      },
      { path: '/signout', who: 'steve', fields: {} },
      {
        path: '/catalog/:serviceId/validate',
        who: 'steve',
        params: { serviceId: ['expensatron', 'desk-phone', 'nope'] },
        fields: {
          phone: ['07700 900123'],
          os: ['ios', 'android'],
          deskLocation: ['Building 2, floor 3, desk 14'],
          manager: ['mia'],
        },
      },
      {
        path: '/catalog/:serviceId/request',
        who: 'steve',
        params: { serviceId: ['expensatron', 'desk-phone', 'nope'] },
        fields: {
          submissionId: submissionIds,
          phone: ['07700 900123', '07700 900555'],
          os: ['ios', 'android'],
          deskLocation: ['Building 2, floor 3, desk 14'],
          manager: ['mia'],
        },
      },
      {
        path: '/requests/:id/device',
        who: 'steve',
        params: { id: requestIds },
        fields: { phone: ['07700 900555', '+447700900456'], os: ['', 'ios', 'android'] },
      },
      {
        path: '/requests/:id/nps',
        who: 'tony',
        params: { id: requestIds },
        fields: { score: ['0', '7', '10'], comment: ['', 'Quick'] },
      },
      {
        path: '/approvals/:id',
        who: 'mia',
        params: { id: requestIds },
        fields: { decision: ['approve', 'reject'], reason: ['', 'No budget this quarter'] },
      },
      { path: '/incidents/:id/affected', who: 'steve', params: { id: incidentIds }, fields: {} },
      { path: '/incidents/:id/workaround', who: 'steve', params: { id: incidentIds }, fields: {} },
      {
        path: '/incidents/:id/confirm',
        who: 'anonymous',
        params: { id: incidentIds },
        fields: {
          token: [confirmToken],
          answer: ['fixed', 'still-broken'],
          score: ['', '9'],
          comment: ['', 'Works now'],
        },
      },
      {
        path: '/incidents/:id/nps',
        who: 'anonymous',
        params: { id: incidentIds },
        fields: { token: [confirmToken], score: ['8'], comment: ['', 'Thanks'] },
      },
      {
        path: '/console/incidents/confirm',
        who: 'ivy',
        fields: {
          submissionId: submissionIds,
          serviceId: ['crm', 'teleporter'],
          title: ['CRM is slow (portal fuzz)'],
          message: ['Pages take a minute.'],
          workaround: ['', 'Use the app'],
        },
      },
      {
        path: '/console/incidents',
        who: 'ivy',
        fields: {
          submissionId: submissionIds,
          serviceId: ['email', 'teleporter'],
          title: ['Email is slow (portal fuzz)'],
          message: ['Mail takes minutes to arrive.'],
          workaround: ['', 'Use webmail'],
          iosLink: ['', 'https://apps.example/mail-ios'],
          androidLink: [''],
        },
      },
      { path: '/console/tasks/:id', who: 'ivy', params: { id: requestIds }, fields: { note: ['', 'Delivered'] } },
      {
        path: '/console/incidents/:id/progress',
        who: 'ivy',
        params: { id: incidentIds },
        fields: { text: ['Still on it (fuzz)'], notifyAffected: ['', 'yes'] },
      },
      {
        path: '/console/incidents/:id/resolve',
        who: 'ivy',
        params: { id: incidentIds },
        fields: { note: ['Queue cleared (fuzz)'] },
      },
    ];
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    for (let i = 0; i < portalCaseCount; i++) {
      const route = rng.pick(routes);
      const labels = [route.path];
      let url = route.path;
      for (const [name, values] of Object.entries(route.params ?? {})) {
        const nasty = rng.chance(0.2);
        if (nasty) labels.push(`path ${name}`);
        url = url.replace(
          `:${name}`,
          nasty
            ? rng.chance(0.5)
              ? rng.pick(nastyPathSegments)
              : encodeComponent(rng.pick(nastyStrings))
            : encodeComponent(rng.pick(values)),
        );
      }
      // Who sends it: mostly the person the form is for.
      const w = rng.int(100);
      const who: Who =
        w < 85 ? route.who : w < 92 ? rng.pick(['steve', 'tony', 'ivy', 'mia', 'anonymous'] as const) : 'anonymous';
      const session = portal[who];
      const headers: Record<string, string> = {};
      if (session.cookie)
        headers.cookie =
          w >= 97 ? session.cookie.replace(/sj_session=[^;]+/, 'sj_session=tampered.value') : session.cookie;
      const fields: Record<string, unknown> = {};
      for (const [name, values] of Object.entries(route.fields)) {
        const r = rng.int(100);
        if (r < 70) fields[name] = rng.pick(values);
        else if (r < 90) {
          fields[name] = rng.pick(nastyStrings);
          labels.push(`field ${name}`);
        } else if (r < 95) labels.push(`no ${name}`);
        else {
          fields[name] = [rng.pick(values), rng.pick(nastyStrings)];
          labels.push(`${name} twice`);
        }
      }
      const c = rng.int(100);
      if (c < 92) fields._csrf = session.csrf;
      else if (c < 96) labels.push('no csrf');
      else {
        fields._csrf = rng.pick(['x', '', portal.steve.csrf, 'a'.repeat(3000)]);
        labels.push('other csrf');
      }
      if (rng.chance(0.06)) {
        const key = rng.pick([
          '__proto__',
          'constructor',
          '__proto__[polluted]',
          'constructor[prototype][polluted]',
          'toString',
          'hasOwnProperty',
        ]);
        setOwn(fields, key, 'x');
        labels.push(`key ${key}`);
      }
      let payload: string;
      const k = rng.int(100);
      if (k < 80) {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        payload = Object.entries(fields)
          .flatMap(([key, v]) =>
            (Array.isArray(v) ? v : [v]).map((one) => `${encodeComponent(key)}=${encodeComponent(asText(one))}`),
          )
          .join('&');
      } else if (k < 90) {
        headers['content-type'] = 'application/json';
        const value = rng.chance(0.5) ? mutate(rng, clone(fields)) : fields;
        payload = jsonText(value);
        labels.push('json');
      } else {
        headers['content-type'] = rng.pick([...contentTypes, 'application/x-www-form-urlencoded']);
        payload = rng.pick(badBodies);
        labels.push(`body ${headers['content-type']}`);
      }
      const fuzzCase: FuzzCase = {
        index: i,
        label: `${who}: ${labels.join(', ')}`,
        method: 'POST',
        url,
        headers,
        payload,
      };
      const answer = await send(fuzzCase);
      statuses.set(answer.statusCode, (statuses.get(answer.statusCode) ?? 0) + 1);
      if (answer.statusCode >= 500)
        failures.push(
          `${describeCase(fuzzCase)}\n  → answered ${answer.statusCode}: ${answer.body.replace(/\s+/g, ' ').slice(0, 400)}`,
        );
    }
    console.log(
      `Portal fuzz, seed ${seed}: ${portalCaseCount} cases over ${routes.length} form routes; answers ${[...statuses]
        .sort((a, b) => a[0] - b[0])
        .map(([s, n]) => `${s}×${n}`)
        .join(' ')}`,
    );
    expect(failures, report('portal', failures, portalCaseCount)).toEqual([]);
  });
});
