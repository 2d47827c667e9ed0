import { afterEach, describe, expect, it } from 'vitest';
import {
  createScimProvisioner,
  scimFilterValue,
  type ScimProvisionerConfig,
} from '../../../integrations/provisioning/scim-provisioner';
import { startScimServer, type TestScimServer } from '../../support/servers';
import { failure, person, provisionerContract } from './contract';

function config(s: TestScimServer, overrides: Partial<ScimProvisionerConfig> = {}): ScimProvisionerConfig {
  return { baseUrl: s.baseUrl, bearerToken: s.token, timeoutMs: 3_000, ...overrides };
}

provisionerContract('SCIM 2.0 adapter', async () => {
  const server = await startScimServer();
  return {
    provisioner: createScimProvisioner(config(server)),
    createDirectly: (userName, o = {}) => Promise.resolve(server.createUser({ userName, ...o }).id),
    stored: (id) => {
      const u = server.users().find((x) => x.id === id);
      return Promise.resolve(
        u === undefined ? null : { userName: u.userName, externalId: u.externalId ?? null, active: u.active },
      );
    },
    count: () => Promise.resolve(server.userCount()),
    teardown: () => server.stop(),
  };
});

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

async function scim(): Promise<TestScimServer> {
  const s = await startScimServer();
  stops.push(() => s.stop());
  return s;
}

describe('createScimProvisioner: the wire', () => {
  it('looks up by externalId, then POSTs a core User as application/scim+json with a bearer token', async () => {
    const s = await scim();
    const request = person({ givenName: 'Steve', familyName: 'Jones' });
    await createScimProvisioner(config(s)).ensureAccount(request);
    expect(s.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /scim/v2/Users', 'POST /scim/v2/Users']);
    expect(s.requests[0]!.query).toEqual({ filter: `externalId eq "${request.externalId}"` });
    const post = s.requests[1]!;
    expect(post.contentType).toMatch(/^application\/scim\+json/);
    expect(post.body).toMatchObject({
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: request.userName,
      externalId: request.externalId,
      name: { givenName: 'Steve', familyName: 'Jones' },
      emails: [{ value: request.email, primary: true, type: 'work' }],
      active: true,
    });
    const [user] = s.users();
    expect(user).toMatchObject({
      userName: request.userName,
      externalId: request.externalId,
      active: true,
      name: { givenName: 'Steve', familyName: 'Jones' },
    });
  });

  it('creates one account however often it is asked: one POST, one user', async () => {
    const s = await scim();
    const provisioner = createScimProvisioner(config(s));
    const request = person();
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await provisioner.ensureAccount(request));
    expect(results.map((r) => r.created)).toEqual([true, false, false]);
    expect(new Set(results.map((r) => r.account.id)).size).toBe(1);
    expect(s.postCount()).toBe(1);
    expect(s.userCount()).toBe(1);
  });

  it('meets 409 uniqueness (the userName was created by hand) by returning that account', async () => {
    const s = await scim();
    const request = person();
    const existing = s.createUser({ userName: request.userName });
    const { account, created } = await createScimProvisioner(config(s)).ensureAccount(request);
    expect(created).toBe(false);
    expect(account).toEqual({ id: existing.id, userName: request.userName, externalId: null, active: true });
    expect(s.postCount()).toBe(1);
    expect(s.userCount()).toBe(1);
    expect(s.requests.map((r) => `${r.method} ${r.query.filter ?? ''}`)).toEqual([
      `GET externalId eq "${request.externalId}"`,
      'POST ',
      `GET userName eq "${request.userName}"`,
    ]);
  });

  it('escapes quotes and backslashes in filter values as RFC 7644 says', async () => {
    expect(scimFilterValue('o"brien\\x')).toBe('"o\\"brien\\\\x"');
    const s = await scim();
    const userName = 'o"brien\\x@eagle5.example';
    s.createUser({ userName });
    s.createUser({ userName: 'o' });
    const found = await createScimProvisioner(config(s)).findByUserName(userName);
    expect(found?.userName).toBe(userName);
    expect(s.requests[0]!.query.filter).toBe('userName eq "o\\"brien\\\\x@eagle5.example"');
    // A value that would end the string early cannot pull in someone else.
    expect(
      await createScimProvisioner(config(s)).findByUserName('nobody" or userName pr or userName eq "x'),
    ).toBeNull();
  });

  it('deactivates with a PatchOp replacing active, and the server holds active=false', async () => {
    const s = await scim();
    const provisioner = createScimProvisioner(config(s));
    const { account } = await provisioner.ensureAccount(person());
    await provisioner.deactivate(account.id);
    const patch = s.requests.at(-1)!;
    expect(patch).toMatchObject({ method: 'PATCH', path: `/scim/v2/Users/${account.id}` });
    expect(patch.contentType).toMatch(/^application\/scim\+json/);
    expect(patch.body).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'active', value: false }],
    });
    expect(s.users()[0]!.active).toBe(false);
  });
});

describe('createScimProvisioner: failures', () => {
  it('turns a 500 into a retryable Unavailable', async () => {
    const s = await scim();
    s.failNext(500);
    const err = await failure(createScimProvisioner(config(s)).ensureAccount(person()));
    expect(err).toMatchObject({ system: 'provisioning', code: 'Unavailable', retryable: true });
    expect(s.userCount()).toBe(0);
  });

  it('turns a 429 into a retryable Unavailable carrying Retry-After', async () => {
    const s = await scim();
    s.failNext(429);
    const err = await failure(createScimProvisioner(config(s)).findByUserName('steve@eagle5.example'));
    expect(err).toMatchObject({ code: 'Unavailable', retryable: true, retryAfterMs: 2000 });
  });

  it('turns a server that is down into a retryable Unavailable', async () => {
    const s = await startScimServer();
    await s.stop();
    const err = await failure(createScimProvisioner(config(s)).ensureAccount(person()));
    expect(err).toMatchObject({ code: 'Unavailable', retryable: true });
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('times out on a server that does not answer: retryable Unavailable', async () => {
    const s = await scim();
    s.hangNext();
    const err = await failure(createScimProvisioner(config(s, { timeoutMs: 300 })).ensureAccount(person()));
    expect(err).toMatchObject({ code: 'Unavailable', retryable: true });
    expect(err.message).toContain('300 ms');
  });

  it('turns a 400 on create into a permanent InvalidRequest with the SCIM detail', async () => {
    const s = await scim();
    s.rejectCreates(true);
    const err = await failure(createScimProvisioner(config(s)).ensureAccount(person()));
    expect(err).toMatchObject({ code: 'InvalidRequest', retryable: false });
    expect(err.message).toContain('invalidValue: This application does not accept new users');
  });

  it('turns a refused token into a permanent NotAuthorized, without showing the token', async () => {
    const s = await scim();
    const err = await failure(
      createScimProvisioner(config(s, { bearerToken: 'not-the-token' })).ensureAccount(person()),
    );
    expect(err).toMatchObject({ code: 'NotAuthorized', retryable: false });
    expect(err.message).not.toContain('not-the-token');
  });

  it('turns an answer that is not a SCIM resource into UnexpectedResponse', async () => {
    const s = await scim();
    const provisioner = createScimProvisioner(config(s));
    s.respondNextWith(200, '<html>Sign in to Expensatron</html>', 'text/html');
    expect((await failure(provisioner.findByUserName('steve@eagle5.example'))).code).toBe('UnexpectedResponse');
    s.respondNextWith(200, JSON.stringify({ Resources: [] }));
    expect((await failure(provisioner.findByUserName('steve@eagle5.example'))).code).toBe('UnexpectedResponse');
    s.respondNextWith(
      200,
      JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0 }),
    );
    s.respondNextWith(201, JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'x' }));
    const created = await failure(provisioner.ensureAccount(person()));
    expect(created.code).toBe('UnexpectedResponse');
    expect(created.message).toContain('id');
  });
});
