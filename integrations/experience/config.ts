/**
 * Where experience records are kept: PostgreSQL when EXPERIENCE_DATABASE_URL is set (production),
 * otherwise the embedded JSON-lines file `<DATA_DIR>/experience.jsonl` (needs no server).
 */
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../config/env';
import { createFileExperienceBackend } from './file-backend';
import { createPostgresExperienceBackend } from './postgres-backend';
import { createExperienceStore } from './store';
import type { ExperienceStore } from '../../experience/types';

type Env = Record<string, string | undefined>;

export type ExperienceConfig =
  { kind: 'file'; path: string } | { kind: 'postgres'; connectionString: string; maxConnections: number };

export const experienceEnvSchema = z.object({
  EXPERIENCE_DATABASE_URL: z
    .string()
    .trim()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .refine(
      (v) => v === undefined || isPostgresUrl(v),
      'must be a postgres:// or postgresql:// URL, e.g. postgres://experience:secret@db:5432/experience',
    ),
  EXPERIENCE_DATABASE_POOL_MAX: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be between 1 and 100')
    .max(100, 'must be between 1 and 100')
    .default(5),
});

function isPostgresUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (
      (url.protocol === 'postgres:' || url.protocol === 'postgresql:') &&
      (url.hostname !== '' || url.searchParams.has('host'))
    );
  } catch {
    return false;
  }
}

/**
 * Reads EXPERIENCE_DATABASE_URL (and EXPERIENCE_DATABASE_POOL_MAX). Unset or empty → the
 * embedded file store under `dataDir`. Throws a ConfigError naming the variable; never echoes
 * the URL, which may hold a password.
 */
export function experienceConfigFromEnv(env: Env, dataDir: string): ExperienceConfig {
  const result = experienceEnvSchema.safeParse({
    EXPERIENCE_DATABASE_URL: env.EXPERIENCE_DATABASE_URL,
    EXPERIENCE_DATABASE_POOL_MAX: env.EXPERIENCE_DATABASE_POOL_MAX,
  });
  // Not the shared formatter: it would echo the URL, password included.
  if (!result.success)
    throw new ConfigError(result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'));
  const parsed = result.data;
  if (parsed.EXPERIENCE_DATABASE_URL === undefined) {
    if (dataDir.trim() === '') throw new ConfigError('DATA_DIR: must not be empty (the experience store lives there)');
    return { kind: 'file', path: join(dataDir, 'experience.jsonl') };
  }
  return {
    kind: 'postgres',
    connectionString: parsed.EXPERIENCE_DATABASE_URL,
    maxConnections: parsed.EXPERIENCE_DATABASE_POOL_MAX,
  };
}

/** For start-up logs: where the records go, with any password masked. */
export function describeExperienceConfig(config: ExperienceConfig): string {
  if (config.kind === 'file') return `file ${config.path}`;
  const url = new URL(config.connectionString);
  if (url.password) url.password = '***';
  return `postgres ${url.toString()}`;
}

/**
 * The store for a config. Nothing is opened yet: call `ready()` at start to create the tables or
 * load the file and fail fast; `close()` at shutdown.
 */
export function createExperienceStoreFromConfig(config: ExperienceConfig): ExperienceStore {
  return createExperienceStore(
    config.kind === 'file'
      ? createFileExperienceBackend(config.path)
      : createPostgresExperienceBackend({
          connectionString: config.connectionString,
          maxConnections: config.maxConnections,
        }),
  );
}
