import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createExperienceStoreFromConfig,
  describeExperienceConfig,
  experienceConfigFromEnv,
} from '../../../integrations/experience/config';
import { journey } from '../../experience/fixtures';
import { ConfigError } from '../../../config/env';

describe('experienceConfigFromEnv', () => {
  it('uses the embedded file under DATA_DIR when EXPERIENCE_DATABASE_URL is unset or empty', () => {
    expect(experienceConfigFromEnv({}, '.data')).toEqual({ kind: 'file', path: join('.data', 'experience.jsonl') });
    expect(experienceConfigFromEnv({ EXPERIENCE_DATABASE_URL: '' }, '/var/lib/sj')).toEqual({
      kind: 'file',
      path: '/var/lib/sj/experience.jsonl',
    });
  });

  it('uses PostgreSQL for a postgres:// or postgresql:// URL', () => {
    expect(
      experienceConfigFromEnv({ EXPERIENCE_DATABASE_URL: 'postgres://sj:pw@db:5432/experience' }, '.data'),
    ).toEqual({
      kind: 'postgres',
      connectionString: 'postgres://sj:pw@db:5432/experience',
      maxConnections: 5,
    });
    expect(
      experienceConfigFromEnv(
        { EXPERIENCE_DATABASE_URL: 'postgresql://db/x?sslmode=require', EXPERIENCE_DATABASE_POOL_MAX: '12' },
        '.data',
      ),
    ).toMatchObject({
      kind: 'postgres',
      maxConnections: 12,
    });
  });

  it('names the variable and never echoes the URL (it may hold a password)', () => {
    const attempt = (env: Record<string, string>): string => {
      try {
        experienceConfigFromEnv(env, '.data');
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error('expected a ConfigError');
    };
    const message = attempt({ EXPERIENCE_DATABASE_URL: 'mysql://root:hunter2@db/x' });
    expect(message).toMatch(/^EXPERIENCE_DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
    expect(message).not.toContain('hunter2');
    expect(attempt({ EXPERIENCE_DATABASE_URL: 'not a url' })).toContain('EXPERIENCE_DATABASE_URL');
    expect(attempt({ EXPERIENCE_DATABASE_URL: 'postgres://db/x', EXPERIENCE_DATABASE_POOL_MAX: '0' })).toContain(
      'EXPERIENCE_DATABASE_POOL_MAX: must be between 1 and 100',
    );
  });

  it('describes the store for logs with the password masked', () => {
    expect(
      describeExperienceConfig({
        kind: 'postgres',
        connectionString: 'postgres://sj:s3cret@db:5432/experience',
        maxConnections: 5,
      }),
    ).toBe('postgres postgres://sj:***@db:5432/experience');
    expect(describeExperienceConfig({ kind: 'file', path: '.data/experience.jsonl' })).toBe(
      'file .data/experience.jsonl',
    );
  });

  it('opens the embedded store at <DATA_DIR>/experience.jsonl', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sj-experience-config-'));
    const store = createExperienceStoreFromConfig(experienceConfigFromEnv({}, join(dir, 'data')));
    try {
      await store.ready();
      await store.recordJourney(
        journey({ journeyId: 'j1', serviceId: 's', finishedAt: '2026-03-02T10:00:00Z', timeToOutcomeMs: 5 }),
      );
      expect(existsSync(join(dir, 'data', 'experience.jsonl'))).toBe(true);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
