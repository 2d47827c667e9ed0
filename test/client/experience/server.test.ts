/**
 * `startApiServer` without a store from its caller (how scripts start it): it builds the store
 * from the environment (EXPERIENCE_DATABASE_URL unset → `<DATA_DIR>/experience.jsonl`), and
 * serves over a real listening socket what another process — the worker — writes to that file.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey } from '../../../client/api/keys';
import { startApiServer, type ApiServerDeps } from '../../../client/server';
import { createFileCmdb } from '../../../integrations/cmdb/file-cmdb';
import { createEmbeddedDirectory } from '../../../integrations/directory/embedded-directory';
import { createFileExperienceBackend } from '../../../integrations/experience/file-backend';
import { createExperienceStore } from '../../../integrations/experience/store';
import type { ExperienceReport } from '../../../experience/report';
import type { ExperienceStore } from '../../../experience/types';
import { ConfigError } from '../../../config/env';
import { loadCoreConfig } from '../../../config/core';
import { requireSecrets } from '../../../config/settings';
import { journey } from '../../experience/fixtures';
import { connectTestEnv } from '../../support/temporal';
import { demoCmdbData, demoOrganisation } from '../../../embedded/demo-org';

const key = 'sj_prometheus_test_key_0001';
let dataDir: string;
let env: TestWorkflowEnvironment;
let writer: ExperienceStore;
let deps: ApiServerDeps;
const directory = createEmbeddedDirectory({ organisation: demoOrganisation, password: 'unused-password' });

beforeAll(async () => {
  // This file runs in its own process (pool: forks): the variable is ours to clear.
  delete process.env.EXPERIENCE_DATABASE_URL;
  dataDir = mkdtempSync(join(tmpdir(), 'sj-experience-server-'));
  env = await connectTestEnv();
  const config = loadCoreConfig({ INTEGRATIONS: 'embedded', DATA_DIR: dataDir, LOG_LEVEL: 'warn' });
  deps = {
    config,
    secrets: requireSecrets(config),
    client: env.client,
    directory,
    cmdb: createFileCmdb(join(dataDir, 'cmdb.json'), demoCmdbData()),
    outbox: null,
    temporalUiUrl: null,
    apiKeys: [{ name: 'prometheus', hash: hashApiKey(key), scopes: ['experience:read'] }],
    logger: false,
  };
  // The worker's side: another store over the same file.
  writer = createExperienceStore(createFileExperienceBackend(join(dataDir, 'experience.jsonl')));
});
afterAll(async () => {
  await writer?.close();
  await directory.close();
  await env?.teardown();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('startApiServer with the store from the environment', () => {
  it('serves what the worker wrote, before and after it started', async () => {
    const hour = 3_600_000;
    await writer.recordJourney(
      journey({
        journeyId: 'fulfil-expensatron-a',
        serviceId: 'expensatron',
        finishedAt: new Date(Date.now() - hour).toISOString(),
        timeToOutcomeMs: 42_000,
        nps: 10,
        npsComment: null,
      }),
    );
    const server = await startApiServer(deps, { host: '127.0.0.1', port: 0 });
    try {
      const read = async (): Promise<ExperienceReport> => {
        const res = await fetch(`${server.url}/api/v1/experience?days=7&service=expensatron`, {
          headers: { authorization: `Bearer ${key}` },
        });
        expect(res.status).toBe(200);
        return (await res.json()) as ExperienceReport;
      };
      const before = (await read()).services[0]!.figures;
      expect(before.journeys.count).toBe(1);
      expect(before.journeys.timeToOutcomeMs.max).toBe(42_000);
      expect(before.nps.overall).toEqual({ responses: 1, promoters: 1, passives: 0, detractors: 0, score: 100 });

      await writer.recordJourney(
        journey({
          journeyId: 'fulfil-expensatron-b',
          serviceId: 'expensatron',
          finishedAt: new Date(Date.now() - hour).toISOString(),
          timeToOutcomeMs: 90_000,
          nps: 0,
          npsComment: null,
        }),
      );
      const after = (await read()).services[0]!.figures;
      expect(after.journeys.count).toBe(2);
      expect(after.journeys.timeToOutcomeMs.percentiles.find((p) => p.percentile === 50)?.value).toBe(42_000);
      expect(after.nps.overall.score).toBe(0);

      const metrics = await fetch(`${server.url}/api/v1/experience/metrics?days=7`, {
        headers: { authorization: `Bearer ${key}` },
      });
      expect(metrics.status).toBe(200);
      expect(await metrics.text()).toContain('service_journeys_experience_journeys{service="expensatron"} 2\n');
      expect((await fetch(`${server.url}/api/v1/experience/metrics`)).status).toBe(401);
    } finally {
      await server.close();
    }
  });

  it('refuses to start with a malformed EXPERIENCE_DATABASE_URL, naming it', async () => {
    process.env.EXPERIENCE_DATABASE_URL = 'mysql://experience@db/experience';
    try {
      const started = startApiServer(deps, { host: '127.0.0.1', port: 0 });
      await expect(started).rejects.toBeInstanceOf(ConfigError);
      await expect(started).rejects.toThrow(/^EXPERIENCE_DATABASE_URL: must be a postgres:\/\/ or postgresql:\/\/ URL/);
    } finally {
      delete process.env.EXPERIENCE_DATABASE_URL;
    }
  });
});
