import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  accountsFileSchema,
  createEmbeddedProvisioners,
  readAccountsFile,
} from '../../../integrations/provisioning/embedded-provisioner';
import { failure, person, provisionerContract } from './contract';

provisionerContract('embedded file-backed provisioner', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'accounts-contract-'));
  const path = join(dir, 'accounts.json');
  const accountsOf = async () => (await readAccountsFile(path)).applications.expensatron?.accounts ?? [];
  return {
    provisioner: createEmbeddedProvisioners(path)('expensatron'),
    async createDirectly(userName, o = {}) {
      // As a person editing the file would.
      const data = await readAccountsFile(path);
      const id = randomUUID();
      const now = new Date().toISOString();
      const accounts = data.applications.expensatron?.accounts ?? [];
      accounts.push({
        id,
        userName,
        externalId: o.externalId ?? null,
        givenName: 'Pre',
        familyName: 'Existing',
        email: userName,
        active: o.active ?? true,
        createdAt: now,
        updatedAt: now,
      });
      await writeFile(
        path,
        JSON.stringify({ applications: { ...data.applications, expensatron: { accounts } } }, null, 2),
      );
      return id;
    },
    async stored(id) {
      const a = (await accountsOf()).find((x) => x.id === id);
      return a === undefined ? null : { userName: a.userName, externalId: a.externalId, active: a.active };
    },
    count: async () => (await accountsOf()).length,
    teardown: () => rm(dir, { recursive: true, force: true }),
  };
});

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function accountsPath(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'accounts-'));
  dirs.push(dir);
  return join(dir, 'data', 'accounts.json');
}

describe('createEmbeddedProvisioners', () => {
  it("keeps each application's accounts apart in one readable JSON file", async () => {
    const path = await accountsPath();
    const registry = createEmbeddedProvisioners(path);
    const request = person();
    const a = await registry('expensatron').ensureAccount(request);
    const b = await registry('travel-desk').ensureAccount(request);
    expect(a.created && b.created).toBe(true);
    expect(a.account.id).not.toBe(b.account.id);
    const onDisk: unknown = JSON.parse(await readFile(path, 'utf8'));
    const parsed = accountsFileSchema.parse(onDisk);
    expect(Object.keys(parsed.applications).sort()).toEqual(['expensatron', 'travel-desk']);
    expect(parsed.applications.expensatron!.accounts[0]).toMatchObject({
      userName: request.userName,
      externalId: request.externalId,
      givenName: 'Steve',
      email: request.email,
      active: true,
    });
  });

  it('creates one account when the same request arrives many times at once', async () => {
    const path = await accountsPath();
    const provisioner = createEmbeddedProvisioners(path)('expensatron');
    const request = person();
    const results = await Promise.all(Array.from({ length: 10 }, () => provisioner.ensureAccount(request)));
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.account.id)).size).toBe(1);
    expect((await readAccountsFile(path)).applications.expensatron!.accounts).toHaveLength(1);
  });

  it('sees accounts through a second registry over the same file (as after a restart)', async () => {
    const path = await accountsPath();
    const request = person();
    const first = await createEmbeddedProvisioners(path)('expensatron').ensureAccount(request);
    const again = await createEmbeddedProvisioners(path)('expensatron').ensureAccount(request);
    expect(again).toEqual({ account: first.account, created: false });
  });

  it('refuses an application outside the list it was given, permanently', () => {
    const registry = createEmbeddedProvisioners('unused.json', { applications: ['expensatron'] });
    expect(() => registry('payroll')).toThrow(/no application "payroll"/);
    try {
      registry('payroll');
    } catch (err) {
      expect(err).toMatchObject({ code: 'NotFound', retryable: false });
    }
    expect(registry('Expensatron')).toBe(registry('expensatron'));
  });

  it('reports a damaged file by name, retryable', async () => {
    const path = await accountsPath();
    const provisioner = createEmbeddedProvisioners(path)('expensatron');
    await provisioner.ensureAccount(person());
    await writeFile(path, '{"applications": {"expensatron": {"accounts": [{"id": 1}]}}}');
    const err = await failure(provisioner.ensureAccount(person()));
    expect(err).toMatchObject({ code: 'UnexpectedResponse', retryable: true });
    expect(err.message).toContain(path);
  });
});
