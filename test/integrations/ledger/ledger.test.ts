import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFileLedger } from '../../../integrations/ledger/file-ledger';
import { createMemoryLedger } from '../../../integrations/ledger/memory-ledger';
import { createPostgresLedger } from '../../../integrations/ledger/postgres-ledger';
import type { SendLedger } from '../../../integrations/ledger/types';
import { startPostgres, type TestPostgres } from '../../support/servers';
import { runTwoAppenders } from '../outbox/run-appenders';

async function tempFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'sj-ledger-')), 'data', 'send-ledger.jsonl');
}

// A real PostgreSQL for the PostgreSQL ledger: one server for this file, one database per ledger.
let postgres: TestPostgres;
const closes: (() => Promise<void>)[] = [];
beforeAll(async () => {
  postgres = await startPostgres();
});
afterEach(async () => {
  for (const close of closes.splice(0)) await close();
});
afterAll(async () => {
  await postgres?.stop();
});

async function postgresLedger(): Promise<SendLedger> {
  const ledger = createPostgresLedger({ connectionString: await postgres.createDatabase() });
  closes.push(() => ledger.close());
  return ledger;
}

/**
 * Two handles on one ledger's storage, as two workers would have: two instances over one file,
 * two pools on one database; the memory ledger is one process, so both are the same instance.
 */
const ledgers: [string, () => Promise<SendLedger>, () => Promise<[SendLedger, SendLedger]>][] = [
  [
    'createFileLedger',
    async () => createFileLedger(await tempFile()),
    async () => {
      const path = await tempFile();
      return [createFileLedger(path), createFileLedger(path)];
    },
  ],
  [
    'createMemoryLedger',
    () => Promise.resolve(createMemoryLedger()),
    () => {
      const ledger = createMemoryLedger();
      return Promise.resolve([ledger, ledger]);
    },
  ],
  [
    'createPostgresLedger',
    postgresLedger,
    async () => {
      const url = await postgres.createDatabase();
      const pair: [SendLedger, SendLedger] = [
        createPostgresLedger({ connectionString: url }),
        createPostgresLedger({ connectionString: url }),
      ];
      for (const l of pair) closes.push(() => (l as ReturnType<typeof createPostgresLedger>).close());
      return pair;
    },
  ],
];

describe.each(ledgers)('%s: claim, record, in doubt', (_name, make, makePair) => {
  it("claims a fresh key once: new, then in doubt with the first claim's time, then sent once recorded", async () => {
    const ledger = await make();
    const before = Date.now();
    expect(await ledger.claim('sms:REQ-1/link')).toEqual({ state: 'new' });
    const again = await ledger.claim('sms:REQ-1/link');
    expect(again.state).toBe('in-doubt');
    const claimedAt = again.state === 'in-doubt' ? again.claimedAt : new Date(0);
    // The database's clock, not this process's: same machine here, so within a second.
    expect(claimedAt.getTime()).toBeGreaterThanOrEqual(before - 1_000);
    expect(claimedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(await ledger.claim('sms:REQ-1/link')).toEqual({ state: 'in-doubt', claimedAt });
    expect(await ledger.lookup('sms:REQ-1/link')).toBeNull();

    await ledger.record('sms:REQ-1/link', 'SM0123');
    expect(await ledger.claim('sms:REQ-1/link')).toEqual({ state: 'sent', providerId: 'SM0123' });
    expect(await ledger.lookup('sms:REQ-1/link')).toBe('SM0123');
    expect(await ledger.claim('sms:REQ-2/link')).toEqual({ state: 'new' });
  });

  it("record without a claim (an older worker's path) is seen by claim as sent", async () => {
    const ledger = await make();
    await ledger.record('email:REQ-3/receipt', '<sj.1@eagle5.example>');
    expect(await ledger.claim('email:REQ-3/receipt')).toEqual({ state: 'sent', providerId: '<sj.1@eagle5.example>' });
  });

  it('release frees an unrecorded claim, and nothing else', async () => {
    const ledger = await make();
    await ledger.claim('k-released');
    await ledger.release('k-released');
    expect(await ledger.claim('k-released')).toEqual({ state: 'new' });

    await ledger.claim('k-recorded');
    await ledger.record('k-recorded', 'p1');
    await ledger.release('k-recorded');
    expect(await ledger.claim('k-recorded')).toEqual({ state: 'sent', providerId: 'p1' });

    // Resent while in doubt: the earlier attempt may have delivered it, the doubt stays.
    await ledger.claim('k-resent');
    await ledger.noteInDoubtResend('k-resent');
    await ledger.release('k-resent');
    expect((await ledger.claim('k-resent')).state).toBe('in-doubt');

    await ledger.release('never-claimed');
    expect(await ledger.claim('never-claimed')).toEqual({ state: 'new' });
  });

  it('counts in-doubt resends per key, takes one back, and lists only keys with a count', async () => {
    const ledger = await make();
    await ledger.claim('email:a');
    await ledger.claim('email:b');
    await ledger.claim('sms:c');
    expect(await ledger.noteInDoubtResend('email:a')).toBe(1);
    expect(await ledger.noteInDoubtResend('email:a')).toBe(2);
    expect(await ledger.noteInDoubtResend('email:b')).toBe(1);
    expect(await ledger.noteInDoubtResend('sms:c')).toBe(1);
    await ledger.cancelInDoubtResend('email:b');
    await ledger.cancelInDoubtResend('email:b'); // never below 0
    await ledger.record('email:a', '<sj.a@eagle5.example>');
    expect(await ledger.inDoubtResends()).toEqual(
      new Map([
        ['email:a', 2],
        ['sms:c', 1],
      ]),
    );
    expect(await ledger.inDoubtResends('email:')).toEqual(new Map([['email:a', 2]]));
    expect(await ledger.claim('email:b')).toMatchObject({ state: 'in-doubt' });
  });

  it('two handles racing on the same fresh keys: exactly one gets new for each key', async () => {
    const [a, b] = await makePair();
    const keys = Array.from({ length: 40 }, (_, i) => `sms:race-${i}`);
    const answers = await Promise.all(keys.flatMap((key) => [a.claim(key), b.claim(key)]));
    for (let i = 0; i < keys.length; i++) {
      const states = [answers[2 * i]!.state, answers[2 * i + 1]!.state].sort();
      expect(states, keys[i]).toEqual(['in-doubt', 'new']);
    }
    // Both see the other's record.
    await a.record('sms:race-0', 'SM-a');
    expect(await b.claim('sms:race-0')).toEqual({ state: 'sent', providerId: 'SM-a' });
  });

  it('refuses an empty key', async () => {
    const ledger = await make();
    await expect(ledger.claim('')).rejects.toThrow(/must not be empty/);
    await expect(ledger.record('', 'x')).rejects.toThrow(/must not be empty/);
  });
});

describe.each(ledgers.map(([name, make]) => [name, make] as const))('%s', (_name, make) => {
  it('returns null for an unknown key and the provider id once recorded', async () => {
    const ledger = await make();
    expect(await ledger.lookup('email:REQ-1/receipt')).toBeNull();
    await ledger.record('email:REQ-1/receipt', '<sj.abc@eagle5.example>');
    expect(await ledger.lookup('email:REQ-1/receipt')).toBe('<sj.abc@eagle5.example>');
    expect(await ledger.lookup('sms:REQ-1/receipt')).toBeNull();
  });

  it('keeps the first provider id when a key is recorded again', async () => {
    const ledger = await make();
    await ledger.record('k', 'first');
    await ledger.record('k', 'second');
    expect(await ledger.lookup('k')).toBe('first');
  });
});

describe('createFileLedger on disk', () => {
  it('survives a restart: a new instance over the file knows what was sent', async () => {
    const path = await tempFile();
    await createFileLedger(path).record('sms:REQ-9/link', 'SM0123');
    const afterCrash = createFileLedger(path);
    expect(await afterCrash.lookup('sms:REQ-9/link')).toBe('SM0123');
    await afterCrash.record('sms:REQ-9/link', 'SM9999');
    expect((await readFile(path, 'utf8')).trimEnd().split('\n')).toHaveLength(1);
  });

  it("two instances over one file see each other's records, and the first record wins", async () => {
    const path = await tempFile();
    const a = createFileLedger(path);
    const b = createFileLedger(path);
    expect(await b.lookup('k')).toBeNull();
    await a.record('k', 'from-a');
    expect(await b.lookup('k')).toBe('from-a');
    await b.record('k', 'from-b');
    await b.record('only-b', 'b1');
    expect(await a.lookup('k')).toBe('from-a');
    expect(await a.lookup('only-b')).toBe('b1');
  });

  it('ignores a torn last line and keeps appending after it', async () => {
    const path = await tempFile();
    const ledger = createFileLedger(path);
    await ledger.record('ok', 'p1');
    await appendFile(path, '{"key":"torn","provid');
    await ledger.record('next', 'p2');
    const fresh = createFileLedger(path);
    expect(await fresh.lookup('ok')).toBe('p1');
    expect(await fresh.lookup('torn')).toBeNull();
    expect(await fresh.lookup('next')).toBe('p2');
  });

  it('two processes recording at once lose nothing; every instance agrees on each key', async () => {
    const path = await tempFile();
    await runTwoAppenders('ledger', path, 50);
    const ledger = createFileLedger(path);
    for (let i = 0; i < 50; i++) {
      expect(await ledger.lookup(`a-${i}`)).toBe(`a-provider-${i}`);
      expect(await ledger.lookup(`b-${i}`)).toBe(`b-provider-${i}`);
      expect(await ledger.lookup(`shared-${i}`)).toMatch(new RegExp(`^[ab]-shared-${i}$`));
    }
    const other = createFileLedger(path);
    for (let i = 0; i < 50; i++) expect(await other.lookup(`shared-${i}`)).toBe(await ledger.lookup(`shared-${i}`));
  });

  it('refuses an empty key or provider id', async () => {
    const ledger = createFileLedger(await tempFile());
    await expect(ledger.record('', 'x')).rejects.toThrow(/must not be empty/);
  });
});
