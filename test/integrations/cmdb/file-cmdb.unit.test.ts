import { mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileCmdb, fileCmdbSchema, seedFileCmdb, writeFileCmdb } from '../../../integrations/cmdb/file-cmdb';
import { demoCmdbData } from '../../../embedded/demo-org';
import { cmdbContract, failure, readAllSubscribers } from './contract';

const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'file-cmdb-'));
  dirs.push(dir);
  return dir;
}

cmdbContract('file-backed CMDB', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'file-cmdb-contract-'));
  return {
    cmdb: createFileCmdb(join(dir, 'nested', 'cmdb.json'), demoCmdbData()),
    teardown: () => rm(dir, { recursive: true, force: true }),
  };
});

/** Edits the file and moves its mtime on, as a person saving it a moment later would. */
async function edit(path: string, data: unknown): Promise<void> {
  const before = await stat(path);
  await writeFile(path, typeof data === 'string' ? data : JSON.stringify(data, null, 2));
  const later = new Date(before.mtimeMs + 2000);
  await utimes(path, later, later);
}

describe('createFileCmdb', () => {
  it('seeds the demo organisation on first use, as valid JSON a person can read', async () => {
    const path = join(await tempDir(), 'cmdb.json');
    const cmdb = createFileCmdb(path, demoCmdbData());
    expect(await cmdb.getService('crm')).toEqual({ id: 'crm', name: 'CRM' });
    const onDisk: unknown = JSON.parse(await readFile(path, 'utf8'));
    expect(fileCmdbSchema.safeParse(onDisk).success).toBe(true);
    expect(onDisk).toEqual(demoCmdbData());
  });

  it('never overwrites an existing file when seeding', async () => {
    const path = join(await tempDir(), 'cmdb.json');
    await writeFileCmdb(path, { people: [], devices: [], services: [{ id: 'only', name: 'Only', subscribers: [] }] });
    expect(await seedFileCmdb(path, demoCmdbData())).toBe(false);
    expect(await createFileCmdb(path, demoCmdbData()).getService('crm')).toBeNull();
    expect(await createFileCmdb(path, demoCmdbData()).getService('only')).toEqual({ id: 'only', name: 'Only' });
  });

  it('picks up edits of the file without a restart', async () => {
    const path = join(await tempDir(), 'cmdb.json');
    const cmdb = createFileCmdb(path, demoCmdbData());
    expect(await cmdb.findDeviceByPhone('+447700900654')).toBeNull();
    const data = demoCmdbData();
    data.devices.push({ phone: '+447700900654', os: 'android', model: 'Galaxy S24', owner: 'ivy' });
    await edit(path, data);
    expect(await cmdb.findDeviceByPhone('+447700900654')).toEqual({
      phone: '+447700900654',
      os: 'android',
      model: 'Galaxy S24',
      owner: 'ivy',
    });
  });

  it('reports a broken file by name and problem, retryable, and recovers once it is fixed', async () => {
    const path = join(await tempDir(), 'cmdb.json');
    const cmdb = createFileCmdb(path, demoCmdbData());
    await cmdb.getService('crm');

    await edit(path, '{ "people": [ ');
    const notJson = await failure(cmdb.getService('crm'));
    expect(notJson).toMatchObject({ code: 'UnexpectedResponse', retryable: true });
    expect(notJson.message).toContain(path);

    const data = demoCmdbData();
    data.services[0]!.subscribers.push('ghost');
    await edit(path, data);
    const unknownPerson = await failure(cmdb.getService('crm'));
    expect(unknownPerson.message).toContain('services.0.subscribers.4');
    expect(unknownPerson.message).toContain('"ghost" is not in people');

    await edit(path, {
      ...demoCmdbData(),
      devices: [{ phone: '07700 900123', os: 'android', model: 'x', owner: 'steve' }],
    });
    expect((await failure(cmdb.getService('crm'))).message).toContain('devices.0.phone');

    await edit(path, demoCmdbData());
    expect(await cmdb.getService('crm')).toEqual({ id: 'crm', name: 'CRM' });
  });

  it('pages through 2,500 subscribers with limit 1000, each exactly once, and leaves out inactive people', async () => {
    const path = join(await tempDir(), 'cmdb.json');
    const people = Array.from({ length: 2500 }, (_, i) => ({
      accountName: `sub-${i}`,
      displayName: `Subscriber ${i}`,
      email: `sub-${i}@eagle5.example`,
      mobile: null,
      prefersSms: false,
      active: i !== 7,
    }));
    await writeFileCmdb(path, {
      people,
      devices: [],
      services: [{ id: 'vpn', name: 'VPN', subscribers: people.map((p) => p.accountName) }],
    });
    const { subscribers, pages } = await readAllSubscribers(createFileCmdb(path, demoCmdbData()), 'vpn', 1000);
    expect(pages).toBe(3);
    expect(subscribers).toHaveLength(2499);
    expect(new Set(subscribers.map((s) => s.accountName)).size).toBe(2499);
    expect(subscribers.map((s) => s.accountName)).not.toContain('sub-7');
  });
});
