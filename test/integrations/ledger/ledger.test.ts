import { appendFile, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createFileLedger } from '../../../integrations/ledger/file-ledger';
import { createMemoryLedger } from '../../../integrations/ledger/memory-ledger';
import type { SendLedger } from '../../../integrations/ledger/types';
import { runTwoAppenders } from '../outbox/run-appenders';

async function tempFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'sj-ledger-')), 'data', 'send-ledger.jsonl');
}

describe.each([
  ['createFileLedger', async (): Promise<SendLedger> => createFileLedger(await tempFile())],
  ['createMemoryLedger', (): Promise<SendLedger> => Promise.resolve(createMemoryLedger())],
])('%s', (_name, make) => {
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

  it('two instances over one file see each other\'s records, and the first record wins', async () => {
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
