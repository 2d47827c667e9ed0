import { appendFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileOutbox } from '../../../integrations/outbox/file-outbox';
import { createMemoryOutbox } from '../../../integrations/outbox/memory-outbox';
import type { Outbox, OutboxEntry } from '../../../integrations/outbox/types';
import { runTwoAppenders } from './run-appenders';

async function tempFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'sj-outbox-')), 'nested', 'outbox.jsonl');
}

const email = (key: string, to = 'steve@eagle5.example'): Omit<OutboxEntry, 'id' | 'sentAt'> => ({
  channel: 'email',
  to,
  toName: 'Steve Jones',
  subject: `About ${key}`,
  text: `Text of ${key}`,
  html: `<p>${key}</p>`,
  idempotencyKey: key,
});
const sms = (key: string, to = '+447700900123'): Omit<OutboxEntry, 'id' | 'sentAt'> => ({
  channel: 'sms',
  to,
  toName: null,
  subject: null,
  text: `SMS ${key}`,
  html: null,
  idempotencyKey: key,
});

const implementations: [string, () => Promise<Outbox>][] = [
  ['createFileOutbox', async () => createFileOutbox(await tempFile())],
  ['createMemoryOutbox', () => Promise.resolve(createMemoryOutbox())],
];

describe.each(implementations)('%s', (_name, make) => {
  it('appends once per channel and key, returning the stored entry', async () => {
    const outbox = await make();
    const first = await outbox.append(email('REQ-1/receipt'));
    const again = await outbox.append({ ...email('REQ-1/receipt'), text: 'a different text' });
    const otherChannel = await outbox.append(sms('REQ-1/receipt'));
    expect(again).toEqual(first);
    expect(first.text).toBe('Text of REQ-1/receipt');
    expect(otherChannel.id).not.toBe(first.id);
    expect(new Date(first.sentAt).toISOString()).toBe(first.sentAt);
    expect(await outbox.list()).toHaveLength(2);
  });

  it('lists newest first, filtered by channel and recipient, limited', async () => {
    const outbox = await make();
    await outbox.append(email('m1'));
    await outbox.append(sms('m2'));
    await outbox.append(email('m3', 'dana@eagle5.example'));
    await outbox.append(email('m4'));
    const keys = (entries: OutboxEntry[]): string[] => entries.map((e) => e.idempotencyKey);
    expect(keys(await outbox.list())).toEqual(['m4', 'm3', 'm2', 'm1']);
    expect(keys(await outbox.list({ channel: 'email' }))).toEqual(['m4', 'm3', 'm1']);
    expect(keys(await outbox.list({ to: 'Steve@Eagle5.example' }))).toEqual(['m4', 'm1']);
    expect(keys(await outbox.list({ channel: 'email', limit: 2 }))).toEqual(['m4', 'm3']);
    expect(keys(await outbox.list({ channel: 'sms', to: '+447700900123' }))).toEqual(['m2']);
  });

  it('keeps one entry when the same message is appended concurrently', async () => {
    const outbox = await make();
    const results = await Promise.all(Array.from({ length: 10 }, () => outbox.append(email('race'))));
    expect(new Set(results.map((r) => r.sentAt)).size).toBe(1);
    expect(await outbox.list()).toHaveLength(1);
  });
});

describe('createFileOutbox on disk', () => {
  it('writes one JSON line per entry and reads them back after a restart', async () => {
    const path = await tempFile();
    await createFileOutbox(path).append(email('persisted'));
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ channel: 'email', idempotencyKey: 'persisted' });

    const reopened = createFileOutbox(path);
    expect((await reopened.list())[0]).toMatchObject({ idempotencyKey: 'persisted', html: '<p>persisted</p>' });
    await reopened.append(email('persisted'));
    expect((await readFile(path, 'utf8')).trimEnd().split('\n')).toHaveLength(1);
  });

  it('sees what another instance appended to the same file', async () => {
    const path = await tempFile();
    const worker = createFileOutbox(path);
    const portal = createFileOutbox(path);
    expect(await portal.list()).toEqual([]);
    const stored = await worker.append(sms('from-worker'));
    expect(await portal.list()).toEqual([stored]);
    expect(await portal.append(sms('from-worker'))).toEqual(stored);
  });

  it('skips a torn or foreign line and starts the next entry on a new line', async () => {
    const path = await tempFile();
    const outbox = createFileOutbox(path);
    await outbox.append(email('before'));
    await appendFile(path, '{"channel":"email","to":"half-writ');
    await outbox.append(email('after'));
    await appendFile(path, '{"not":"an entry"}\n');
    const fresh = createFileOutbox(path);
    expect((await fresh.list()).map((e) => e.idempotencyKey)).toEqual(['after', 'before']);
  });

  it('starts over when the file is replaced', async () => {
    const path = await tempFile();
    const outbox = createFileOutbox(path);
    await outbox.append(email('old'));
    await writeFile(path, '');
    expect(await outbox.list()).toEqual([]);
  });

  it('two processes appending at once lose nothing and keep one entry per key', async () => {
    const path = await tempFile();
    await runTwoAppenders('outbox', path, 40);
    const lines = (await readFile(path, 'utf8')).split('\n').filter((l) => l !== '');
    for (const line of lines) expect(() => JSON.parse(line) as unknown).not.toThrow();
    const entries = await createFileOutbox(path).list();
    const keys = entries.map((e) => e.idempotencyKey);
    expect(new Set(keys).size).toBe(keys.length);
    expect(entries.filter((e) => e.channel === 'email')).toHaveLength(80);
    expect(entries.filter((e) => e.channel === 'sms')).toHaveLength(40);
  });
});
