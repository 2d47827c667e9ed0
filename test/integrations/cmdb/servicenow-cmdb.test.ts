import { afterEach, describe, expect, it } from 'vitest';
import { cmdbConfigFromEnv, type CmdbConfig } from '../../../integrations/cmdb/config';
import { createServiceNowCmdb } from '../../../integrations/cmdb/servicenow-cmdb';
import { startServiceNowServer, type TestServiceNowServer } from '../../support/servers';
import { cmdbContract, failure, readAllSubscribers } from './contract';

cmdbContract('ServiceNow Table API adapter', async () => {
  const server = await startServiceNowServer();
  return { cmdb: createServiceNowCmdb(config(server)), teardown: () => server.stop() };
});

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function instance(options: Parameters<typeof startServiceNowServer>[0] = {}): Promise<TestServiceNowServer> {
  const s = await startServiceNowServer(options);
  stops.push(() => s.stop());
  return s;
}

function config(s: TestServiceNowServer, overrides: Partial<CmdbConfig> = {}): CmdbConfig {
  return {
    url: s.baseUrl,
    auth: { kind: 'basic', user: s.user, password: s.password },
    timeoutMs: 3_000,
    ...overrides,
  };
}

describe('createServiceNowCmdb: the wire', () => {
  it('reads with one GET per call, dot-walked fields, raw values and basic auth', async () => {
    const s = await instance();
    const cmdb = createServiceNowCmdb(config(s));
    await cmdb.subscribersPage('crm', null, 50);
    expect(s.requests).toHaveLength(1);
    const [req] = s.requests;
    expect(req).toMatchObject({ method: 'GET', path: '/api/now/table/service_subscribe_sys_user', auth: 'basic' });
    expect(req!.params).toMatchObject({
      sysparm_limit: '50',
      sysparm_offset: '0',
      sysparm_display_value: 'false',
      sysparm_exclude_reference_link: 'true',
      sysparm_query: 'service_offering.u_service_id=crm^sys_user.active=true^ORDERBYsys_id',
    });
    expect(req!.params.sysparm_fields!.split(',')).toEqual(
      expect.arrayContaining([
        'sys_user.user_name',
        'sys_user.email',
        'sys_user.mobile_phone',
        'sys_user.u_prefers_sms',
      ]),
    );

    await cmdb.findDeviceByPhone('+447700900123');
    expect(s.requests[1]).toMatchObject({ path: '/api/now/table/cmdb_ci_comm' });
    expect(s.requests[1]!.params.sysparm_fields).toContain('assigned_to.user_name');
  });

  it('uses an OAuth bearer token when configured with one, from the environment', async () => {
    const s = await instance();
    const cmdb = createServiceNowCmdb(
      cmdbConfigFromEnv({ SERVICENOW_URL: s.baseUrl, SERVICENOW_TOKEN: s.token, SERVICENOW_TIMEOUT_MS: '2000' }),
    );
    expect(await cmdb.getService('crm')).toEqual({ id: 'crm', name: 'CRM' });
    expect(s.requests[0]!.auth).toBe('bearer');
  });

  it('reads the service id from the configured field', async () => {
    const s = await instance({ seed: 'empty' });
    s.insert('cmdb_ci_service', { name: 'VPN', number: 'BSN0001001', u_service_id: 'vpn' });
    const cmdb = createServiceNowCmdb(config(s, { serviceIdField: 'number' }));
    expect(await cmdb.getService('BSN0001001')).toEqual({ id: 'BSN0001001', name: 'VPN' });
    expect(await cmdb.getService('vpn')).toBeNull();
  });
});

describe('createServiceNowCmdb: devices', () => {
  it('tells the owner of a number, even when it is someone else', async () => {
    const s = await instance();
    const cmdb = createServiceNowCmdb(config(s));
    const device = await cmdb.findDeviceByPhone('+447700900789');
    expect(device?.owner).toBe('dana');
    expect(device?.owner).not.toBe('steve');
  });

  it('skips retired and unassigned devices, and picks the newest record of a moved number', async () => {
    const s = await instance();
    s.addDevice({ phone: '+447700900555', os: 'iOS 16', model: 'iPhone 12', owner: 'ivy', retired: true });
    s.addDevice({ phone: '+447700900556', os: 'Android 13', model: 'Galaxy S22', owner: null });
    s.addDevice({
      phone: '+447700900557',
      os: 'Android 12',
      model: 'Pixel 6',
      owner: 'ivy',
      updatedOn: '2023-01-01 10:00:00',
    });
    s.addDevice({
      phone: '+447700900557',
      os: 'iPadOS 17',
      model: 'iPad mini',
      owner: 'mia',
      updatedOn: '2025-06-01 10:00:00',
    });
    const cmdb = createServiceNowCmdb(config(s));
    expect(await cmdb.findDeviceByPhone('+447700900555')).toBeNull();
    expect(await cmdb.findDeviceByPhone('+447700900556')).toBeNull();
    expect(await cmdb.findDeviceByPhone('+447700900557')).toEqual({
      phone: '+447700900557',
      os: 'ios',
      model: 'iPad mini',
      owner: 'mia',
    });
    expect((await cmdb.devicesOf('ivy')).map((d) => d.phone)).toEqual(['+447700900557']);
  });

  it('leaves out devices that are neither iOS nor Android', async () => {
    const s = await instance();
    s.addDevice({ phone: '+447700900558', os: 'Cisco IP Phone', model: 'CP-8845', owner: 'tony' });
    const cmdb = createServiceNowCmdb(config(s));
    expect((await cmdb.devicesOf('tony')).map((d) => d.model)).toEqual(['iPhone 15']);
    expect(await cmdb.findDeviceByPhone('+447700900558')).toBeNull();
  });

  it('treats an older instance\'s 404 "No Record found" as nothing found', async () => {
    const s = await instance({ notFoundWhenEmpty: true });
    const cmdb = createServiceNowCmdb(config(s));
    expect(await cmdb.findDeviceByPhone('+447700900999')).toBeNull();
    expect(await cmdb.devicesOf('nobody')).toEqual([]);
    expect(await cmdb.subscribersPage('no-such-service', null, 10)).toEqual({ subscribers: [], nextCursor: null });
  });
});

describe('createServiceNowCmdb: subscriber pages', () => {
  it('pages through 2,500 subscribers with limit 1000: three requests, each subscriber exactly once', async () => {
    const s = await instance();
    s.addService({ id: 'vpn', name: 'VPN' });
    s.addSyntheticSubscribers('vpn', 2500);
    const cmdb = createServiceNowCmdb(config(s));
    const { subscribers, pages } = await readAllSubscribers(cmdb, 'vpn', 1000);
    expect(pages).toBe(3);
    expect(subscribers).toHaveLength(2500);
    expect(new Set(subscribers.map((x) => x.accountName)).size).toBe(2500);
    expect(s.requests.map((r) => [r.params.sysparm_limit, r.params.sysparm_offset])).toEqual([
      ['1000', '0'],
      ['1000', '1000'],
      ['1000', '2000'],
    ]);
    expect(subscribers.filter((x) => x.prefersSms)).toHaveLength(833);
    expect(subscribers[0]!.email).toMatch(/@eagle5\.example$/);
    expect(subscribers[0]!.mobile).toMatch(/^\+447700900\d{3}$/);
  });

  it('stops on X-Total-Count: 2,000 subscribers in two requests, no empty third page', async () => {
    const s = await instance();
    s.addService({ id: 'vpn', name: 'VPN' });
    s.addSyntheticSubscribers('vpn', 2000);
    const { pages } = await readAllSubscribers(createServiceNowCmdb(config(s)), 'vpn', 1000);
    expect(pages).toBe(2);
    expect(s.requests).toHaveLength(2);
  });

  it('cuts a page size above 1000 down to 1000', async () => {
    const s = await instance();
    s.addService({ id: 'vpn', name: 'VPN' });
    s.addSyntheticSubscribers('vpn', 1500);
    const page = await createServiceNowCmdb(config(s)).subscribersPage('vpn', null, 50_000);
    expect(page.subscribers).toHaveLength(1000);
    expect(page.nextCursor).not.toBeNull();
    expect(s.requests[0]!.params.sysparm_limit).toBe('1000');
  });

  it('leaves out subscribers whose user is inactive', async () => {
    const s = await instance();
    s.addUser({ userName: 'leaver', active: false });
    s.subscribe('crm', 'leaver');
    const { subscribers } = await readAllSubscribers(createServiceNowCmdb(config(s)), 'crm', 100);
    expect(subscribers.map((x) => x.accountName).sort()).toEqual(['ivy', 'mia', 'steve', 'tony']);
  });

  it('reads 100,000 subscribers page by page', async () => {
    const s = await instance({ seed: 'empty' });
    s.addService({ id: 'email', name: 'Email' });
    s.addSyntheticSubscribers('email', 100_000);
    const cmdb = createServiceNowCmdb(config(s));
    const seen = new Set<string>();
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await cmdb.subscribersPage('email', cursor, 1000);
      for (const x of page.subscribers) seen.add(x.accountName);
      cursor = page.nextCursor;
      pages++;
    } while (cursor !== null);
    expect(pages).toBe(100);
    expect(seen.size).toBe(100_000);
  });
});

describe('createServiceNowCmdb: failures', () => {
  it('waits out a 429 as Retry-After says, then succeeds', async () => {
    const s = await instance();
    s.rateLimitNext(1, 1);
    const started = Date.now();
    expect(await createServiceNowCmdb(config(s)).getService('crm')).toEqual({ id: 'crm', name: 'CRM' });
    expect(s.requests).toHaveLength(2);
    expect(s.requests[1]!.at - s.requests[0]!.at).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('gives up on a lasting 429 after the bounded retries: retryable Unavailable with retryAfterMs', async () => {
    const s = await instance();
    s.rateLimitNext(10, 1);
    const err = await failure(createServiceNowCmdb(config(s, { rateLimitRetries: 1 })).getService('crm'));
    expect(err).toMatchObject({ code: 'Unavailable', retryable: true, retryAfterMs: 1000 });
    expect(s.requests).toHaveLength(2);
  });

  it('does not sit out a Retry-After longer than it may wait: hands it to the caller at once', async () => {
    const s = await instance();
    s.rateLimitNext(1, 120);
    const started = Date.now();
    const err = await failure(createServiceNowCmdb(config(s)).getService('crm'));
    expect(err).toMatchObject({ code: 'Unavailable', retryable: true, retryAfterMs: 120_000 });
    expect(Date.now() - started).toBeLessThan(1000);
    expect(s.requests).toHaveLength(1);
  });

  it('turns a 500 into a retryable Unavailable without retrying itself', async () => {
    const s = await instance();
    s.failNext(500);
    const err = await failure(createServiceNowCmdb(config(s)).subscribersPage('crm', null, 10));
    expect(err).toMatchObject({ system: 'cmdb', code: 'Unavailable', retryable: true });
    expect(err.message).toContain('Internal server error');
    expect(s.requests).toHaveLength(1);
  });

  it('turns refused credentials (401) and a read ACL (403) into NotAuthorized, not retryable', async () => {
    const s = await instance();
    const err = await failure(
      createServiceNowCmdb(config(s, { auth: { kind: 'basic', user: s.user, password: 'wrong' } })).getService('crm'),
    );
    expect(err).toMatchObject({ code: 'NotAuthorized', retryable: false });
    expect(err.message).toContain('User Not Authenticated');
    expect(err.message).not.toContain('wrong');

    s.denyTable('cmdb_ci_comm');
    const acl = await failure(createServiceNowCmdb(config(s)).devicesOf('steve'));
    expect(acl).toMatchObject({ code: 'NotAuthorized', retryable: false });
  });

  it("turns a body that is not the Table API's into UnexpectedResponse", async () => {
    const s = await instance();
    const cmdb = createServiceNowCmdb(config(s));
    s.respondNextWith('<html><body>Your instance is hibernating</body></html>', { contentType: 'text/html' });
    expect(await failure(cmdb.getService('crm'))).toMatchObject({ code: 'UnexpectedResponse', retryable: false });
    s.respondNextWith(JSON.stringify({ result: { sys_id: 'x' } }));
    expect((await failure(cmdb.getService('crm'))).code).toBe('UnexpectedResponse');
  });

  it('turns a record without a field it asked for (a changed meaning) into UnexpectedResponse naming the field', async () => {
    const s = await instance();
    s.respondNextWith(
      JSON.stringify({
        result: [
          {
            sys_id: '1',
            'sys_user.user_name': 'steve',
            'sys_user.name': 'Steve Jones',
            'sys_user.mobile_phone': '',
            'sys_user.u_prefers_sms': 'true',
          },
        ],
      }),
    );
    const err = await failure(createServiceNowCmdb(config(s)).subscribersPage('crm', null, 10));
    expect(err.code).toBe('UnexpectedResponse');
    expect(err.message).toContain('sys_user.email');
  });

  it('notices when the SMS preference field does not exist on the instance', async () => {
    const s = await instance();
    const err = await failure(
      createServiceNowCmdb(config(s, { smsPreferenceField: 'u_sms_opt_in' })).subscribersPage('crm', null, 10),
    );
    expect(err.code).toBe('UnexpectedResponse');
    expect(err.message).toContain('sys_user.u_sms_opt_in');
  });

  it('times out on an instance that does not answer: retryable Unavailable', async () => {
    const s = await instance();
    s.hangNext();
    const started = Date.now();
    const err = await failure(createServiceNowCmdb(config(s, { timeoutMs: 300 })).getService('crm'));
    expect(err).toMatchObject({ code: 'Unavailable', retryable: true });
    expect(err.message).toContain('300 ms');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('turns an unreachable instance into a retryable Unavailable', async () => {
    const s = await startServiceNowServer();
    await s.stop();
    const err = await failure(createServiceNowCmdb(config(s)).getService('crm'));
    expect(err).toMatchObject({ code: 'Unavailable', retryable: true });
    expect(err.message).toContain('ECONNREFUSED');
  });
});

describe('createServiceNowCmdb: encoded query safety', () => {
  it('refuses a phone built to widen the query, without asking ServiceNow', async () => {
    const s = await instance();
    // The control: pasted into the query, this value does widen it on the instance.
    const widened = new URL(`${s.baseUrl}/api/now/table/cmdb_ci_comm`);
    widened.searchParams.set('sysparm_query', 'phone_number=+44^ORphone_numberISNOTEMPTY');
    const res = await fetch(widened, { headers: { Authorization: `Bearer ${s.token}` } });
    expect(((await res.json()) as { result: unknown[] }).result.length).toBeGreaterThan(1);
    const before = s.requests.length;

    const cmdb = createServiceNowCmdb(config(s));
    for (const phone of [
      '+44^ORphone_numberISNOTEMPTY',
      '+447700900999^ORactive=true',
      '+447700900999^NQphone_numberISNOTEMPTY',
      '+447700900999\nphone_numberISNOTEMPTY',
    ]) {
      const err = await failure(cmdb.findDeviceByPhone(phone));
      expect(err).toMatchObject({ code: 'InvalidRequest', retryable: false });
    }
    expect(s.requests.length).toBe(before);
  });

  it('refuses account names and service ids with ^, line breaks or a javascript: prefix', async () => {
    const s = await instance();
    const cmdb = createServiceNowCmdb(config(s));
    const names = [
      'nobody^ORuser_nameISNOTEMPTY',
      'nobody^NQsys_idISNOTEMPTY',
      'javascript:gs.getUserName()',
      ' JavaScript :x',
    ];
    for (const name of names) {
      expect((await failure(cmdb.devicesOf(name))).code).toBe('InvalidRequest');
      expect((await failure(cmdb.subscriptionsOf(name))).code).toBe('InvalidRequest');
      expect((await failure(cmdb.getService(name))).code).toBe('InvalidRequest');
      expect((await failure(cmdb.subscribersPage(name, null, 10))).code).toBe('InvalidRequest');
    }
    expect(s.requests).toHaveLength(0);
  });

  it('passes ordinary punctuation of account names through unharmed', async () => {
    const s = await instance();
    s.addUser({ userName: "o'brien.j-k@eagle5" });
    s.addDevice({ phone: '+447700900560', os: 'Android 14', model: 'Pixel 8a', owner: "o'brien.j-k@eagle5" });
    expect(await createServiceNowCmdb(config(s)).devicesOf("o'brien.j-k@eagle5")).toEqual([
      { phone: '+447700900560', os: 'android', model: 'Pixel 8a', owner: "o'brien.j-k@eagle5" },
    ]);
  });
});

describe('the test instance (test/support/servicenow-server.ts)', () => {
  it('pages like ServiceNow: X-Total-Count, and a Link header with first, prev, next and last', async () => {
    const s = await instance();
    s.addService({ id: 'vpn', name: 'VPN' });
    s.addSyntheticSubscribers('vpn', 25);
    const url = `${s.baseUrl}/api/now/table/service_subscribe_sys_user?sysparm_query=${encodeURIComponent('service_offering.u_service_id=vpn^ORDERBYsys_id')}&sysparm_limit=10&sysparm_offset=10`;
    const res = await fetch(url, { headers: { Authorization: `Bearer ${s.token}` } });
    expect(res.headers.get('x-total-count')).toBe('25');
    const link = res.headers.get('link')!;
    for (const [rel, offset] of [
      ['first', 0],
      ['prev', 0],
      ['next', 20],
      ['last', 20],
    ] as const) {
      expect(link).toMatch(new RegExp(`<[^>]*sysparm_offset=${offset}[^>]*>;rel="${rel}"`));
    }
    expect(((await res.json()) as { result: unknown[] }).result).toHaveLength(10);
  });

  it('gives references as { link, value } unless sysparm_exclude_reference_link=true, and the documented 401 body', async () => {
    const s = await instance();
    const auth = { Authorization: `Bearer ${s.token}` };
    const base = `${s.baseUrl}/api/now/table/cmdb_ci_comm?sysparm_fields=assigned_to,assigned_to.user_name&sysparm_query=phone_number=%2B447700900123`;
    const linked = (await (await fetch(base, { headers: auth })).json()) as { result: Record<string, unknown>[] };
    expect(linked.result[0]).toMatchObject({
      'assigned_to.user_name': 'steve',
      assigned_to: { value: expect.stringMatching(/^[0-9a-f]{32}$/) as unknown },
    });
    const plain = (await (await fetch(`${base}&sysparm_exclude_reference_link=true`, { headers: auth })).json()) as {
      result: Record<string, unknown>[];
    };
    expect(typeof plain.result[0]!.assigned_to).toBe('string');

    const refused = await fetch(base);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({
      error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
      status: 'failure',
    });
  });
});
