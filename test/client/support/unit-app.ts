/**
 * The portal and API for unit tests: the real app over the embedded stand-ins of the Eagle5 demo
 * organisation and a Temporal client that never connects. Good for everything answered before a
 * journey is asked (access checks, headers, assets, sign-in); a route that reads a journey needs
 * test/client/support/app-env.ts and the integration project.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../../client/app';
import { createFileCmdb } from '../../../integrations/cmdb/file-cmdb';
import { createEmbeddedDirectory } from '../../../integrations/directory/embedded-directory';
import { createFileExperienceBackend } from '../../../integrations/experience/file-backend';
import { createExperienceStore } from '../../../integrations/experience/store';
import { createMemoryOutbox } from '../../../integrations/outbox/memory-outbox';
import { demoCmdbData, demoOrganisation } from '../../../embedded/demo-org';

export const unitPassword = 'demo-password-for-unit-tests';

export interface UnitApp {
  app: FastifyInstance;
  close(): Promise<void>;
}

export async function startUnitApp(options: { publicUrl?: string } = {}): Promise<UnitApp> {
  const dir = mkdtempSync(join(tmpdir(), 'sj-unit-app-'));
  const directory = createEmbeddedDirectory({ organisation: demoOrganisation, password: unitPassword });
  const experience = createExperienceStore(createFileExperienceBackend(join(dir, 'experience.jsonl')));
  const app = await buildApp({
    // Lazy: it would connect on the first call, and nothing these tests reach makes one.
    temporal: new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) }),
    taskQueue: 'unit-tests',
    directory,
    cmdb: createFileCmdb(join(dir, 'cmdb.json'), demoCmdbData()),
    outbox: createMemoryOutbox(),
    experience,
    apiKeys: [],
    logger: false,
    config: {
      publicUrl: options.publicUrl ?? 'http://portal.test',
      sessionSecret: randomBytes(32).toString('hex'),
      linkSecret: randomBytes(32).toString('hex'),
      temporalUiUrl: null,
      namespace: 'default',
    },
  });
  await app.ready();
  return {
    app,
    async close() {
      await app.close();
      await directory.close();
      await experience.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
