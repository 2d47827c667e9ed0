import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { apiKeysFromEnv, findApiKey, hashApiKey, parseApiKeys } from '../../client/api/keys';
import { ConfigError } from '../../config/env';

const key = 'sj_test-key-for-the-crm-bot-0001';
const entry = { name: 'crm-bot', hash: hashApiKey(key), scopes: ['requests:write', 'requests:read'] };

describe('API keys', () => {
  it('hashes with SHA-256 hex', () => {
    expect(hashApiKey('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('parses API_KEYS and finds a presented key by its hash', () => {
    const keys = parseApiKeys(
      JSON.stringify([entry, { name: 'ops', hash: hashApiKey('other-key-xxxxxxxx'), scopes: ['incidents:write'] }]),
      'API_KEYS',
    );
    expect(findApiKey(keys, key)).toEqual({ name: 'crm-bot', scopes: ['requests:write', 'requests:read'] });
    expect(findApiKey(keys, 'other-key-xxxxxxxx')?.name).toBe('ops');
    expect(findApiKey(keys, 'not-a-key')).toBeNull();
    expect(findApiKey(keys, '')).toBeNull();
  });

  it('accepts upper-case hex hashes', () => {
    const keys = parseApiKeys(JSON.stringify([{ ...entry, hash: entry.hash.toUpperCase() }]), 'API_KEYS');
    expect(findApiKey(keys, key)?.name).toBe('crm-bot');
  });

  it('names the variable and the entry for every problem, without echoing values', () => {
    const bad = JSON.stringify([{ name: '', hash: 'sj_plain_key_pasted_by_mistake', scopes: ['admin'] }, entry]);
    let message = '';
    try {
      parseApiKeys(bad, 'API_KEYS');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain('API_KEYS[0][name]');
    expect(message).toContain('API_KEYS[0][hash]: hash must be the SHA-256');
    expect(message).toContain('API_KEYS[0][scopes][0]');
    expect(message).not.toContain('sj_plain_key_pasted_by_mistake');
  });

  it('refuses the same name twice', () => {
    expect(() => parseApiKeys(JSON.stringify([entry, entry]), 'API_KEYS')).toThrow(
      'API_KEYS[1][name]: name "crm-bot" is used twice',
    );
  });

  it('rejects text that is not JSON with an example of the format', () => {
    expect(() => parseApiKeys('crm-bot:abc', 'API_KEYS')).toThrow(/API_KEYS: must be a JSON array/);
  });

  it('reads API_KEYS_FILE, defaults to no keys, and refuses both at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sj-keys-'));
    const file = join(dir, 'keys.json');
    writeFileSync(file, JSON.stringify([entry]));
    expect(apiKeysFromEnv({ API_KEYS_FILE: file })).toHaveLength(1);
    expect(apiKeysFromEnv({})).toEqual([]);
    expect(apiKeysFromEnv({ API_KEYS: '[]' })).toEqual([]);
    expect(() => apiKeysFromEnv({ API_KEYS_FILE: join(dir, 'missing.json') })).toThrow(/API_KEYS_FILE: cannot read/);
    expect(() => apiKeysFromEnv({ API_KEYS_FILE: file, API_KEYS: JSON.stringify([entry]) })).toThrow(/set only one/);
  });

  it('the hash script prints a key and an entry that parses and matches', () => {
    const out = execFileSync('npx', ['tsx', 'scripts/hash-api-key.ts', 'crm-bot', 'requests:write'], {
      encoding: 'utf8',
    });
    const printedKey = /^\s+(sj_\S+)$/m.exec(out)?.[1];
    const printedEntry = /^\s+(\{.*\})$/m.exec(out)?.[1];
    expect(printedKey).toBeDefined();
    const keys = parseApiKeys(`[${printedEntry}]`, 'API_KEYS');
    expect(findApiKey(keys, printedKey!)).toEqual({ name: 'crm-bot', scopes: ['requests:write'] });
  });
});
