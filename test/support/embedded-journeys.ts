/**
 * The embedded product's two sides over the suite's dev server, for tests that run both in their
 * own process: the environment (embedded stand-ins in `dataDir`, a task queue of their own) and
 * the API's journeys gateway over the same data, as `npm start` builds it.
 */
import type { Client } from '@temporalio/client';
import { inject } from 'vitest';
import { createJourneys, type Journeys, type JourneysDeps } from '../../client/journeys/gateway';
import { loadCoreConfig } from '../../config/core';
import { createLogger } from '../../config/logger';
import { requireSecrets } from '../../config/settings';
import { demoCmdbData, demoOrganisation } from '../../embedded/demo-org';
import { createFileCmdb } from '../../integrations/cmdb/file-cmdb';
import { createEmbeddedDirectory } from '../../integrations/directory/embedded-directory';
import { join } from 'node:path';

/** Embedded mode in `dataDir` on `taskQueue`, quiet logs; `extra` adds or replaces variables. */
export function embeddedEnv(
  dataDir: string,
  taskQueue: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    INTEGRATIONS: 'embedded',
    DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: inject('temporalNamespace'),
    TEMPORAL_TASK_QUEUE: taskQueue,
    LOG_LEVEL: 'warn',
    ...extra,
  };
}

/** The journeys gateway the API would build from `env`, on `client`; `options` add to it. */
export function embeddedGateway(
  client: Client,
  env: Record<string, string>,
  options: Partial<Pick<JourneysDeps, 'events' | 'incidentDefaults' | 'retryInitialIntervalMs'>> = {},
): Journeys {
  const config = loadCoreConfig(env);
  const secrets = requireSecrets(config);
  return createJourneys({
    client,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    cmdb: createFileCmdb(join(config.DATA_DIR, 'cmdb.json'), demoCmdbData()),
    directory: createEmbeddedDirectory({ organisation: demoOrganisation, password: secrets.demoPassword }),
    linkSecret: secrets.linkSecret,
    log: createLogger({ level: 'warn', pretty: false }),
    // A machine shared with other suites: IT's clicks may wait longer than a person would.
    timeouts: { queryMs: 5_000, updateMs: 30_000, startMs: 15_000, detailMs: 15_000 },
    ...options,
  });
}
