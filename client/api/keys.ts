/**
 * Bearer API keys for other systems. Only the SHA-256 of each key is configured (API_KEYS as
 * JSON, or API_KEYS_FILE naming a JSON file), so a leaked configuration does not leak keys.
 * Make a key and its hash with `npx tsx scripts/hash-api-key.ts`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from '../../config/env';

/** What an API key may do. */
export const apiScopes = [
  'requests:write',
  'requests:read',
  'incidents:write',
  'incidents:read',
  'experience:read',
] as const;
export type ApiScope = (typeof apiScopes)[number];

/** One configured key: a name for logs, the key's SHA-256 (hex) and its scopes. */
export const apiKeySchema = z.object({
  name: z.string().min(1, 'name must not be empty').max(100),
  hash: z
    .string()
    .transform((s) => s.toLowerCase())
    .pipe(z.string().regex(/^[0-9a-f]{64}$/, 'hash must be the SHA-256 of the key as 64 hex characters')),
  scopes: z
    .array(z.enum(apiScopes, { error: `each scope must be one of ${apiScopes.join(', ')}` }))
    .min(1, 'scopes must list at least one scope'),
});
export type ApiKeyEntry = z.infer<typeof apiKeySchema>;

/** The whole list; names must be unique. */
export const apiKeysSchema = z.array(apiKeySchema).superRefine((keys, ctx) => {
  const names = new Set<string>();
  keys.forEach((k, i) => {
    if (names.has(k.name))
      ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `name "${k.name}" is used twice` });
    names.add(k.name);
  });
});

/** The entry for `npm start`'s demo key (embedded default only): every scope, named "demo". */
export function demoApiKeyEntry(key: string): ApiKeyEntry {
  return { name: 'demo', hash: hashApiKey(key), scopes: [...apiScopes] };
}

/** The SHA-256 of a key, as configured in API_KEYS. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Parses the JSON list of keys; throws a {@link ConfigError} naming `variable` and each bad
 * entry (never echoing a value, since people paste keys where hashes belong).
 */
export function parseApiKeys(json: string, variable: string): ApiKeyEntry[] {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw new ConfigError(
      `${variable}: must be a JSON array such as [{"name":"crm-bot","hash":"<sha256 hex>","scopes":["requests:write"]}]`,
    );
  }
  const parsed = apiKeysSchema.safeParse(data);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues
        .map((i) => `${variable}${i.path.map((p) => `[${String(p)}]`).join('')}: ${i.message}`)
        .join('\n'),
    );
  }
  return parsed.data;
}

/** API keys from `API_KEYS` (JSON) or `API_KEYS_FILE` (path to JSON); none configured is an empty list. */
export function apiKeysFromEnv(env: Record<string, string | undefined>): ApiKeyEntry[] {
  const file = env.API_KEYS_FILE?.trim();
  const inline = env.API_KEYS?.trim();
  if (file && inline && inline !== '[]') throw new ConfigError('API_KEYS and API_KEYS_FILE: set only one of them');
  if (file) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new ConfigError(`API_KEYS_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    return parseApiKeys(text, 'API_KEYS_FILE');
  }
  if (!inline) return [];
  return parseApiKeys(inline, 'API_KEYS');
}

/** Who called, as far as the API is concerned. */
export interface ApiCaller {
  name: string;
  scopes: readonly ApiScope[];
}

/**
 * Finds the configured key for a presented bearer key. Compares hashes in constant time and
 * always checks every entry, so timing does not tell which names exist.
 */
export function findApiKey(keys: readonly ApiKeyEntry[], presented: string): ApiCaller | null {
  const digest = Buffer.from(hashApiKey(presented), 'hex');
  let found: ApiKeyEntry | null = null;
  for (const k of keys) {
    if (timingSafeEqual(digest, Buffer.from(k.hash, 'hex')) && !found) found = k;
  }
  return found ? { name: found.name, scopes: found.scopes } : null;
}
